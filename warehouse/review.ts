// The warehouse side of human review (issue 6): which items wait for a person, what a reviewer needs to
// see about one, and how an analyst's decision is written: its effect (a published incident, an approved
// value, a tag) and its curation_log entry with who, when and why, in one transaction (docs/architecture.md rule 6).
// What differs per kind is in warehouse/review/<kind>.ts, registered in warehouse/review/handlers.ts; this
// module is the generic part (the queue, signatures, four eyes, the decision row) and the public entry point.
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import { appendCurationLog, type CurationOptions } from "./curation.js";
import { inTransaction, queryCount, queryOne, queryRows } from "./db.js";
import { reviewHandlers, type ReviewKind } from "./review/handlers.js";
import { reviewActions, reviewItemSchema, type PendingOptions, type ReviewAction, type ReviewItem, type ReviewRef } from "./review/kind.js";
import { CurationInputError, text, timestamp } from "./validate.js";

export { reviewActions, type PendingOptions, type ReviewAction, type ReviewItem, type ReviewRef, type ReviewKind };
export { observationReviewKey } from "./review/observation.js";

export const reviewKinds = Object.keys(reviewHandlers) as readonly ReviewKind[];

/** The fields an approve or edit may set, per kind (values are text, as typed on the CLI or in the console). */
export const reviewFields: Readonly<Record<ReviewKind, readonly string[]>> = Object.fromEntries(
  reviewKinds.map((k) => [k, reviewHandlers[k].fields]),
) as Record<ReviewKind, readonly string[]>;

/** The workflow id of an item's review: `review/<kind>/<key>`, so a repeated start is a no-op. */
export function reviewId(kind: ReviewKind, key: string): string {
  return `review/${kind}/${key}`;
}

export function parseReviewId(id: string): { kind: ReviewKind; key: string } {
  const m = /^review\/([a-z]+)\/(.+)$/.exec(id);
  if (!m || !(reviewKinds as readonly string[]).includes(m[1]))
    throw new CurationInputError("reviewId", `must be review/<kind>/<key>, got ${JSON.stringify(id)}`);
  return { kind: m[1] as ReviewKind, key: m[2] };
}

export interface ReviewDecisionInput {
  action: ReviewAction;
  /** The analyst's identity (analyst:<name>): whoever holds the token the proof is made with. */
  by: string;
  reason: string;
  /** Fields an approve may and an edit must set (reviewFields). */
  fields?: Record<string, string>;
  /** HMAC of the decision with the analyst's token key (activities/analysts.ts decisionMessage). */
  proof?: string;
}

export interface ReviewReceipt {
  logId: number;
  at: string;
  /** One line for the analyst: what the decision did. */
  effect: string;
  /**
   * Set when the decision was an amendment of a kind that needs a second person: the proposal as it now
   * stands. The review goes on waiting for another analyst's approval.
   */
  amended?: Record<string, string>;
}

/**
 * Kinds where what gets published is an analyst's own work (a proposed measure status or activity outcome,
 * an analyst's corrected figure, an analyst's classification of a public report), so a second analyst must
 * approve it (each handler's `secondPerson`). Incident candidates and classifications come from a feed, and
 * one analyst's decision on them is the person in the loop.
 */
export const secondPersonKinds: readonly ReviewKind[] = reviewKinds.filter((k) => reviewHandlers[k].secondPerson);

/** Checks who made a decision or a proposal (activities/analysts.ts AnalystStore); throws when it cannot. */
export interface DecisionAuthority {
  verifyDecision(reviewId: string, input: ReviewDecisionInput): Promise<{ by: string }>;
  verifyProposal(reviewId: string, proposal: Record<string, string>): Promise<{ by: string; at?: string }>;
}

/** The proposal fields that are its signature, not its content. */
export const signatureFields = ["proposed_by", "proposed_at", "proposal_proof"] as const;
const unsigned = (p: Record<string, string>) =>
  Object.fromEntries(Object.entries(p).filter(([k]) => !(signatureFields as readonly string[]).includes(k)));

// ---------------------------------------------------------------------------------------------------
// The queue: what waits for a person

/** Every item that needs a person and has no decision yet, in a stable order (the kinds' order, then each kind's). Keys only (rule 2). */
export async function pendingReviews(db: DuckDBConnection, options: PendingOptions = {}): Promise<ReviewRef[]> {
  const decided = new Set(
    (await queryRows<{ review_id: string }>(db, "SELECT DISTINCT review_id FROM review_decisions")).map((r) => r.review_id),
  );
  const out: ReviewRef[] = [];
  for (const kind of reviewKinds) {
    for (const { key, source_id } of (await reviewHandlers[kind].pending?.(db, options)) ?? []) {
      if (!decided.has(reviewId(kind, key))) out.push({ kind, key, ...(source_id == null ? {} : { sourceId: source_id }) });
    }
  }
  return out;
}

/**
 * Bounds the reviews a run opens: at most `max` items per source and kind, in queue order (an open,
 * undecided review still counts, so a flood never opens more than `max` at once). The rest wait,
 * counted per source and kind, and open on a later run as earlier ones are decided.
 */
export function boundReviews<T extends ReviewRef>(
  items: T[],
  max: number,
): { open: T[]; held: Array<{ kind: ReviewKind; sourceId: string | null; count: number }> } {
  const taken = new Map<string, number>();
  const held = new Map<string, { kind: ReviewKind; sourceId: string | null; count: number }>();
  const open: T[] = [];
  for (const item of items) {
    const group = `${item.kind}\u0000${item.sourceId ?? ""}`;
    const n = taken.get(group) ?? 0;
    if (n < max) {
      taken.set(group, n + 1);
      open.push(item);
    } else {
      const h = held.get(group) ?? { kind: item.kind, sourceId: item.sourceId ?? null, count: 0 };
      h.count += 1;
      held.set(group, h);
    }
  }
  return { open, held: [...held.values()] };
}

// ---------------------------------------------------------------------------------------------------
// What a reviewer sees

/** The details of one item for its review; proposal is what approving it as-is records. Checked as it leaves the warehouse. */
export async function describeReview(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string> = {}): Promise<ReviewItem> {
  const item = await reviewHandlers[ref.kind].describe(db, ref, proposal);
  reviewItemSchema.parse(item);
  return item;
}

// ---------------------------------------------------------------------------------------------------
// Decisions

function checkFields(kind: ReviewKind, input: ReviewDecisionInput): Record<string, string> {
  const fields = input.fields ?? {};
  if (typeof fields !== "object" || Array.isArray(fields)) throw new CurationInputError("fields", "must be an object of field: value");
  const allowed = reviewFields[kind];
  for (const [k, v] of Object.entries(fields)) {
    if (!allowed.includes(k))
      throw new CurationInputError(`fields.${k}`, `is not a field of a ${kind} review (fields: ${allowed.join(", ")})`);
    if (typeof v !== "string") throw new CurationInputError(`fields.${k}`, "must be text");
  }
  if (input.action === "edit" && Object.keys(fields).length === 0)
    throw new CurationInputError("fields", `an edit must set at least one of ${allowed.join(", ")}`);
  if (input.action === "reject" && Object.keys(fields).length > 0) throw new CurationInputError("fields", "a rejection sets no fields");
  return fields;
}

/** Validates a decision without writing anything (the CLI and console check before they signal). */
export function validateDecision(kind: ReviewKind, input: ReviewDecisionInput): void {
  if (!(reviewActions as readonly string[]).includes(input.action))
    throw new CurationInputError("action", `must be one of ${reviewActions.join(", ")}`);
  text("by", input.by);
  text("reason", input.reason);
  const fields = checkFields(kind, input);
  reviewHandlers[kind].validate?.(fields);
}

async function recordDecisionRow(
  db: DuckDBConnection,
  logId: number,
  ref: ReviewRef,
  input: ReviewDecisionInput,
  fields: Record<string, string>,
  at: string,
) {
  await db.run(
    `INSERT INTO review_decisions (log_id, review_id, kind, item_key, decision, fields, decided_by, decided_at, reason)
     VALUES ($log, $id, $kind, $key, $decision, $fields, $by, $at::TIMESTAMPTZ, $reason)`,
    {
      log: logId,
      id: reviewId(ref.kind, ref.key),
      kind: ref.kind,
      key: ref.key,
      decision: input.action,
      fields: Object.keys(fields).length > 0 ? JSON.stringify(fields) : null,
      by: text("by", input.by),
      at,
      reason: text("reason", input.reason),
    },
  );
}

interface ProposalRow {
  logId: number;
  id: string;
  ref: ReviewRef;
  action: "propose" | "amend";
  fields: Record<string, string>;
  by: string;
  at: string;
  reason: string;
}

/** A proposal or an amendment: its curation_log entry (review_propose / review_amend) and its review_proposals row. */
async function recordProposal(db: DuckDBConnection, p: Omit<ProposalRow, "logId">, oldValue: string | null): Promise<number> {
  const logId = await appendCurationLog(db, {
    at: p.at,
    actor: p.by,
    action: `review_${p.action}`,
    targetKind: "review",
    targetKey: p.id,
    field: "proposal",
    oldValue,
    newValue: JSON.stringify(p.fields),
    reason: p.reason,
  });
  await db.run(
    `INSERT INTO review_proposals (log_id, review_id, kind, item_key, action, fields, proposed_by, proposed_at, reason)
     VALUES ($log, $id, $kind, $key, $action, $fields, $by, $at::TIMESTAMPTZ, $reason)`,
    {
      log: logId,
      id: p.id,
      kind: p.ref.kind,
      key: p.ref.key,
      action: p.action,
      fields: JSON.stringify(p.fields),
      by: p.by,
      at: p.at,
      reason: p.reason,
    },
  );
  return logId;
}

/**
 * Writes an analyst's decision on one review item: its effect and a curation_log entry (action
 * review_approve / review_reject / review_edit) in one transaction, plus the review_decisions row that
 * keeps the item out of the queue for good. Fails, writing nothing, when the item or a field is wrong.
 */
export async function recordReviewDecision(
  db: DuckDBConnection,
  ref: ReviewRef,
  input: ReviewDecisionInput,
  options: CurationOptions & { proposal?: Record<string, string>; analysts: DecisionAuthority },
): Promise<ReviewReceipt> {
  validateDecision(ref.kind, input);
  const handler = reviewHandlers[ref.kind];
  let fields = checkFields(ref.kind, input);
  const reason = text("reason", input.reason);
  const at = timestamp(options.now);
  const id = reviewId(ref.kind, ref.key);
  // Who decides is whoever signed the decision, checked here before anything is written, whatever the
  // console or the CLI checked before signalling.
  const by = (await options.analysts.verifyDecision(id, { ...input, by: text("by", input.by) })).by;
  const signed = options.proposal ?? {};
  let proposer: { by: string; at?: string } | undefined;
  if (signed.proposed_by !== undefined) proposer = await options.analysts.verifyProposal(id, signed);
  else if (handler.needsProposal && input.action !== "reject") {
    throw new CurationInputError(
      "proposal",
      `of ${id} names no signed proposer, so no second analyst can approve it; propose it again with npm run review -- propose-${ref.kind}`,
    );
  }
  return inTransaction(db, async () => {
    if ((await queryCount(db, "SELECT count(*) AS n FROM review_decisions WHERE review_id = $id", { id })) > 0)
      throw new CurationInputError("reviewId", `${id} is already decided`);
    const amendments = await queryRows<{ fields: string; proposed_by: string }>(
      db,
      "SELECT fields, proposed_by FROM review_proposals WHERE review_id = $id AND action = 'amend' ORDER BY log_id",
      { id },
    );
    const proposal: Record<string, string> = Object.assign(
      unsigned(signed),
      ...amendments.map((a) => JSON.parse(a.fields) as Record<string, string>),
    );

    if (handler.secondPerson && input.action !== "reject") {
      const current = (await describeReview(db, ref, proposal)).proposal;
      const changes = Object.fromEntries(Object.entries(fields).filter(([k, v]) => input.action === "edit" || (current[k] ?? "") !== v));
      if (Object.keys(changes).length > 0) {
        // An analyst's own change: recorded as an amendment; the review waits for someone else to approve it.
        const oldValue = JSON.stringify(Object.fromEntries(Object.keys(changes).map((k) => [k, current[k] ?? null])));
        const logId = await recordProposal(db, { id, ref, action: "amend", fields: changes, by, at, reason }, oldValue);
        return {
          logId,
          at,
          effect: `amendment recorded (${Object.keys(changes).join(", ")}); another analyst than ${by} approves it`,
          amended: { ...current, ...changes },
        };
      }
      const authors = [
        ...(proposer ? [{ by: proposer.by, did: "proposed" }] : []),
        ...amendments.map((a) => ({ by: a.proposed_by, did: "amended" })),
      ];
      const own = authors.find((a) => a.by === by);
      if (own)
        throw new CurationInputError(
          "by",
          `four eyes: ${by} ${own.did} this ${ref.kind} review, so ${by} cannot approve it; another analyst must`,
        );
      fields = {};
      if (proposer) {
        const content = unsigned(signed);
        await recordProposal(
          db,
          { id, ref, action: "propose", fields: content, by: proposer.by, at: proposer.at ?? at, reason: content.note ?? "proposed" },
          null,
        );
      }
    }
    // An entry about a published incident is keyed by the incident, so the site shows it beside it.
    const entry = (targetKind: string, field: string | null, oldValue: string | null, newValue: string | null, targetKey = ref.key) =>
      appendCurationLog(db, { at, actor: by, action: `review_${input.action}`, targetKind, targetKey, field, oldValue, newValue, reason });
    const outcome = await handler.decide({ db, ref, action: input.action, fields, proposal, by, at, reason, entry });
    await recordDecisionRow(db, outcome.logId, ref, { ...input, by }, outcome.fields ?? fields, at);
    return { logId: outcome.logId, at, effect: outcome.effect };
  });
}

/** A review_decisions row as recordedDecision reads it. */
const recordedDecisionRow = z.object({
  log_id: z.number().int().positive(),
  at: z.string(),
  decision: z.string(),
  decided_by: z.string(),
});

/**
 * The decision already recorded for an item, if any: lets the decision activity answer a retry (after a
 * worker died between the commit and reporting it) with the first attempt's receipt instead of a refusal.
 */
export async function recordedDecision(
  db: DuckDBConnection,
  ref: ReviewRef,
): Promise<(ReviewReceipt & { decision: string; by: string }) | undefined> {
  const found = await queryOne(
    db,
    `SELECT log_id::INTEGER AS log_id, strftime(timezone('UTC', decided_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS at, decision, decided_by
       FROM review_decisions
      WHERE review_id = $id ORDER BY log_id LIMIT 1`,
    { id: reviewId(ref.kind, ref.key) },
  );
  if (!found) return undefined;
  // The receipt leaves the process (to the workflow that retried): its row is checked, not trusted.
  const row = recordedDecisionRow.parse(found);
  return {
    logId: row.log_id,
    at: row.at,
    decision: row.decision,
    by: row.decided_by,
    effect: `already recorded: ${row.decision} by ${row.decided_by} (curation_log ${row.log_id})`,
  };
}
