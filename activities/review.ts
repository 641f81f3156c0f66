// The review activities (docs/architecture.md rule 6): which items wait for a person, what the analyst
// sees about one, the decision written with its curation_log entry, and reminders and escalations logged.
import fs from "node:fs/promises";
import path from "node:path";
import { withWarehouse } from "../warehouse/db.js";
import { CurationInputError } from "../warehouse/curation.js";
import { registerIntakeReport } from "../warehouse/intake.js";
import { loadQualityRules } from "../warehouse/quality.js";
import {
  boundReviews,
  describeReview,
  pendingReviews,
  recordedDecision,
  recordReviewDecision,
  reviewId,
  type ReviewDecisionInput,
  type ReviewItem,
  type ReviewKind,
  type ReviewReceipt,
} from "../warehouse/review.js";
import { AnalystAuthError, AnalystStore } from "./analysts.js";
import type { ActivityEnv } from "./env.js";
import { nonRetryable } from "./failures.js";
import { withHeartbeats } from "./heartbeat.js";
import { IntakeStore, publicPart, reportSha256 } from "./intake.js";

/** The items waiting for a person, as review workflow ids, and the worker's review timers. */
export interface PendingReviews {
  /** The reviews to open now: at most review.maxOpenPerSourceKind per source and kind. */
  items: Array<{ id: string; kind: ReviewKind; key: string }>;
  /** Items waiting beyond that bound, counted per source and kind; they open on a later run. */
  held: Array<{ kind: ReviewKind; sourceId: string | null; count: number }>;
  remindAfterMs: number;
  escalateAfterMs: number;
}

/** A curation the warehouse refuses cannot succeed on retry: the workflow reports it to the analyst. */
async function curationCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    // A refused identity is refused input: retrying cannot make the signature right.
    if (error instanceof CurationInputError || error instanceof AnalystAuthError) throw nonRetryable("CurationInputError", error.message);
    throw error;
  }
}

export function createReviewActivities(env: ActivityEnv) {
  const { config, now, log } = env;

  return {
    /** Items that need a person (incident candidates, sheet values, range failures, uncertain tags) with no decision yet. */
    async listPendingReviews(): Promise<PendingReviews> {
      return withHeartbeats(async () => {
        const rules = await loadQualityRules(env.qualityRulesFile);
        const refs = await withWarehouse(config.paths.warehouse, (db) => pendingReviews(db, { rules }));
        const { open, held } = boundReviews(refs, config.review.maxOpenPerSourceKind);
        for (const h of held)
          log(
            `${h.sourceId ?? "-"}: ${h.count} more ${h.kind} review(s) wait until earlier ones are decided (review.maxOpenPerSourceKind ` +
              `${config.review.maxOpenPerSourceKind})`,
          );
        return {
          items: open.map((r) => ({ id: reviewId(r.kind, r.key), kind: r.kind, key: r.key })),
          held,
          remindAfterMs: config.review.remindAfterMs,
          escalateAfterMs: config.review.escalateAfterMs,
        };
      });
    },

    /** What the analyst needs to see about one review item (small: title, links, the proposal). */
    async describeReviewItem(input: { kind: ReviewKind; key: string; proposal: Record<string, string> }): Promise<ReviewItem> {
      return curationCall(() =>
        withWarehouse(config.paths.warehouse, async (db) => {
          // A public report is registered (its public part only) when its review opens; the contact stays in the intake store.
          if (input.kind === "report") {
            const report = publicPart(await new IntakeStore(config.intake.dir).read(input.key));
            await registerIntakeReport(db, { ...report, sha256: reportSha256(report) }, now().toISOString());
          }
          return describeReview(db, input, input.proposal);
        }),
      );
    },

    /** Writes an analyst's decision and its curation_log entry in one transaction. */
    async applyReviewDecision(input: {
      kind: ReviewKind;
      key: string;
      proposal: Record<string, string>;
      decision: ReviewDecisionInput;
    }): Promise<ReviewReceipt> {
      const receipt = await curationCall(() =>
        withWarehouse(config.paths.warehouse, async (db) => {
          // A retry of an attempt that committed but never reported back gets the first attempt's receipt.
          const earlier = await recordedDecision(db, input);
          if (earlier && earlier.decision === input.decision.action && earlier.by === input.decision.by) return earlier;
          return recordReviewDecision(db, input, input.decision, {
            now,
            proposal: input.proposal,
            analysts: new AnalystStore(config.analysts.file),
          });
        }),
      );
      log(`${reviewId(input.kind, input.key)}: ${input.decision.action} by ${input.decision.by}: ${receipt.effect}`);
      return receipt;
    },

    /** Appends a reminder or escalation to the review events log (JSON lines) and says so on the worker's stderr. */
    async recordReviewEvent(input: {
      reviewId: string;
      event: "reminder" | "escalation";
      at: string;
      title: string;
      openedAt: string;
    }): Promise<void> {
      await fs.mkdir(path.dirname(config.review.eventsLog), { recursive: true });
      await fs.appendFile(config.review.eventsLog, `${JSON.stringify({ ...input, loggedAt: now().toISOString() })}\n`);
      log(
        `${input.event === "reminder" ? "Reminder" : "ESCALATION (overdue)"}: ${input.reviewId} "${input.title}" waits for an analyst since ${input.openedAt}`,
      );
    },
  };
}
