// review(): one per item that needs a person (docs/architecture.md rules 1 and 6). It waits durably for an analyst's
// approve / reject / edit signal, answers a `state` query, sends a reminder and then escalates on timers,
// and hands the decision to an activity that writes it to the warehouse with its curation_log entry.
// Orchestration only: no I/O, clocks (Date is Temporal's replayed clock) or Node modules.
import { ApplicationFailure, condition, defineQuery, defineSignal, setHandler, upsertMemo, workflowInfo } from "@temporalio/workflow";
import type { ReviewItem, ReviewKind, ReviewReceipt } from "../warehouse/review.js";
import { activitiesFor, type ActivitySettings } from "./activity-options.js";
import { describeFailure, reviewNonRetryable, type NonRetryableType } from "./failures.js";

export type { ReviewKind } from "../warehouse/review.js";

/**
 * What an analyst sends: who, why, for approve/edit the fields to set, and the proof that `by` made it
 * (an HMAC with their token's key; the decision activity checks it before anything is written).
 */
export interface ReviewDecisionSignal {
  by: string;
  reason: string;
  fields?: Record<string, string>;
  proof?: string;
}

export const approveSignal = defineSignal<[ReviewDecisionSignal]>("approve");
export const rejectSignal = defineSignal<[ReviewDecisionSignal]>("reject");
export const editSignal = defineSignal<[ReviewDecisionSignal]>("edit");
export const reviewStateQuery = defineQuery<ReviewState>("state");

export interface ReviewInput {
  kind: ReviewKind;
  key: string;
  /** What is proposed, for items that live only in their review (a proposed measure status). @default {} */
  proposal?: Record<string, string>;
  /** temporal.config.ts → review.remindAfterMs */
  remindAfterMs: number;
  /** temporal.config.ts → review.escalateAfterMs (counted from when the review opened) */
  escalateAfterMs: number;
  activities: ActivitySettings;
}

export type ReviewStatus = "opening" | "waiting" | "deciding" | "decided";

export interface ReviewState {
  id: string;
  kind: ReviewKind;
  key: string;
  status: ReviewStatus;
  openedAt: string;
  remindAt: string;
  escalateAt: string;
  remindedAt?: string;
  escalatedAt?: string;
  /** Past escalateAt with no decision. */
  overdue: boolean;
  item?: ReviewItem;
  decision?: ReviewDecisionSignal & { action: "approve" | "reject" | "edit"; receivedAt: string };
  outcome?: ReviewReceipt;
  /** Decisions the warehouse refused (a wrong field, say); the review went on waiting after each. */
  refused: Array<{ action: string; by: string; at: string; message: string }>;
  /** Amendments of a kind that needs a second person; the review went on waiting for another analyst. */
  amendments?: Array<{ by: string; at: string; effect: string }>;
}

// Refused input is shown to the analyst and the review keeps waiting; retrying it cannot help.
const reviewActivities = (settings: ActivitySettings) => activitiesFor("review", settings, reviewNonRetryable);

export async function review(input: ReviewInput): Promise<ReviewState> {
  if (!(input.remindAfterMs > 0) || !(input.escalateAfterMs > input.remindAfterMs)) {
    throw ApplicationFailure.nonRetryable(
      "review: remindAfterMs must be positive and escalateAfterMs longer than it",
      "BadSettings" satisfies NonRetryableType,
    );
  }
  const acts = reviewActivities(input.activities);
  const id = workflowInfo().workflowId;
  const opened = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const state: ReviewState = {
    id,
    kind: input.kind,
    key: input.key,
    status: "opening",
    openedAt: iso(opened),
    remindAt: iso(opened + input.remindAfterMs),
    escalateAt: iso(opened + input.escalateAfterMs),
    overdue: false,
    refused: [],
  };
  const inbox: Array<NonNullable<ReviewState["decision"]>> = [];
  const receive = (action: "approve" | "reject" | "edit") => (d: ReviewDecisionSignal) => {
    inbox.push({ action, by: d.by, reason: d.reason, fields: d.fields, proof: d.proof, receivedAt: iso(Date.now()) });
  };
  setHandler(approveSignal, receive("approve"));
  setHandler(rejectSignal, receive("reject"));
  setHandler(editSignal, receive("edit"));
  setHandler(reviewStateQuery, () => state);

  state.item = await acts.describeReviewItem({ kind: input.kind, key: input.key, proposal: input.proposal ?? {} });
  state.status = "waiting";
  upsertMemo({ kind: input.kind, key: input.key, title: state.item.title, status: "waiting" });

  for (;;) {
    if (inbox.length === 0) {
      const due = !state.remindedAt ? opened + input.remindAfterMs : !state.escalatedAt ? opened + input.escalateAfterMs : undefined;
      const arrived =
        due === undefined
          ? await condition(() => inbox.length > 0).then(() => true)
          : await condition(() => inbox.length > 0, Math.max(1, due - Date.now()));
      if (!arrived) {
        const event = state.remindedAt ? "escalation" : "reminder";
        const at = iso(Date.now());
        if (event === "reminder") state.remindedAt = at;
        else {
          state.escalatedAt = at;
          state.overdue = true;
        }
        upsertMemo({ status: event === "reminder" ? "reminded" : "overdue" });
        await acts.recordReviewEvent({ reviewId: id, event, at, title: state.item.title, openedAt: state.openedAt });
        continue;
      }
    }
    const decision = inbox.shift()!;
    state.status = "deciding";
    try {
      const outcome = await acts.applyReviewDecision({
        kind: input.kind,
        key: input.key,
        proposal: input.proposal ?? {},
        decision: { action: decision.action, by: decision.by, reason: decision.reason, fields: decision.fields, proof: decision.proof },
      });
      if (outcome.amended) {
        // The warehouse keeps the amendment; the next approval must come from someone else.
        (state.amendments ??= []).push({ by: decision.by, at: iso(Date.now()), effect: outcome.effect });
        if (state.item) state.item = { ...state.item, proposal: outcome.amended };
        state.status = "waiting";
        continue;
      }
      state.outcome = outcome;
      state.decision = decision;
      state.status = "decided";
      upsertMemo({ status: "decided", decision: decision.action, decidedBy: decision.by });
      return state;
    } catch (error) {
      // A refused decision (unknown field, item already decided elsewhere) leaves the item waiting.
      state.refused.push({ action: decision.action, by: decision.by, at: iso(Date.now()), message: describeFailure(error).message });
      state.status = "waiting";
    }
  }
}
