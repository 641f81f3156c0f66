// What every review kind provides (one file per kind in this folder, registered in ./handlers.ts) and the
// small helpers several kinds share. The generic work (the queue, signatures, four eyes, the decision row)
// is in warehouse/review.ts and knows no kind by name.
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import { CurationInputError } from "../validate.js";
import type { QualityRules } from "../quality.js";
import type { ReviewKind } from "./handlers.js";

export const reviewActions = ["approve", "reject", "edit"] as const;
export type ReviewAction = (typeof reviewActions)[number];

export interface ReviewRef {
  kind: ReviewKind;
  key: string;
  /** The source the item came from, where the queue knows it (it bounds the reviews a run opens per source). */
  sourceId?: string | null;
}

/** What a reviewer sees: small, plain data (it lives in the workflow's state). */
export interface ReviewItem extends ReviewRef {
  title: string;
  summary: string | null;
  /** The item's own public page (http or https only). */
  url: string | null;
  sourceId: string | null;
  /** The archived capture the item was parsed from (data/archive), when there is one. */
  snapshotSha256: string | null;
  /** What approving as-is records, per field. */
  proposal: Record<string, string>;
  /** For a candidate incident: a published incident of the same news story it may be a later report of. */
  relatedIncident: string | null;
}

/** A description as it leaves the process (into a workflow's state, to the console): checked, not trusted. */
export const reviewItemSchema = z
  .object({
    kind: z.string(),
    key: z.string(),
    title: z.string(),
    summary: z.string().nullable(),
    url: z
      .string()
      .regex(/^https?:\/\//i)
      .nullable(),
    sourceId: z.string().nullable(),
    snapshotSha256: z.string().nullable(),
    proposal: z.record(z.string(), z.string()),
    relatedIncident: z.string().nullable(),
  })
  .strict();

/** One item a kind's queue query found: its key and, where known, its source. */
export interface PendingKey {
  key: string;
  source_id?: string | null;
}

export interface PendingOptions {
  /** Range rules (warehouse/quality-rules.yaml); without them no range reviews are listed. */
  rules?: QualityRules;
}

/** What a kind's decision is given: the decision, checked and signed, inside the decision's transaction. */
export interface DecisionContext {
  db: DuckDBConnection;
  ref: ReviewRef;
  action: ReviewAction;
  /** The decision's own fields (empty once a second-person kind's amendments are in the proposal). */
  fields: Record<string, string>;
  /** The signed proposal with every amendment applied. */
  proposal: Record<string, string>;
  /** The analyst whose signature the decision carries. */
  by: string;
  at: string;
  reason: string;
  /** Appends this decision's curation_log entry (about `targetKey`, by default the item's key) and returns its log_id. */
  entry(targetKind: string, field: string | null, oldValue: string | null, newValue: string | null, targetKey?: string): Promise<number>;
}

export interface DecisionOutcome {
  logId: number;
  /** One line for the analyst: what the decision did. */
  effect: string;
  /** The fields the review_decisions row keeps, when they are not the decision's own. */
  fields?: Record<string, string>;
}

/** One review kind: the handlers map (./handlers.ts) registers one of these per kind. */
export interface ReviewHandler {
  /** The fields an approve may and an edit must set (values are text, as typed on the CLI or in the console). */
  fields: readonly string[];
  /**
   * True where what gets published is an analyst's own work, so a second analyst must approve it: whoever
   * proposed or amended it cannot approve it (an edit, or an approve that changes a field, is an amendment).
   */
  secondPerson: boolean;
  /** True where an approval needs a signed proposal (the item exists only as an analyst's proposal). */
  needsProposal?: boolean;
  /** The items of this kind that wait for a person (decided ones are filtered out by the caller), in queue order. */
  pending?(db: DuckDBConnection, options: PendingOptions): Promise<PendingKey[]>;
  /** The details of one item; `proposal` is what approving it as-is records. */
  describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>): Promise<ReviewItem>;
  /** Checks of this kind's field values, beyond "allowed and text" (pure; throws CurationInputError). */
  validate?(fields: Record<string, string>): void;
  /** Writes the decision's effect and its curation_log entry. */
  decide(ctx: DecisionContext): Promise<DecisionOutcome>;
}

// ---------------------------------------------------------------------------------------------------
// Helpers several kinds share

/** A link a reviewer may follow: http or https only, else none. */
export const webUrl = (v: string | null | undefined): string | null => (v && /^https?:\/\//i.test(v) ? v : null);

/** A comma-separated field as a list of its non-empty, NFC-normalised items. */
export const list = (v: string | undefined): string[] =>
  (v ?? "")
    .split(",")
    .map((s) => s.normalize("NFC").trim())
    .filter((s) => s !== "");

/** What describe() fills in for every kind before its own fields. */
export const describedBase = (ref: ReviewRef) => ({ kind: ref.kind, key: ref.key, relatedIncident: null });

/** The fields a description takes from an archived record (a news item, a candidate): its text, link and capture. */
export function describedRecord(
  ref: ReviewRef,
  title: string,
  r: { summary: string | null; url: string | null; source_id: string | null; snapshot_sha256: string | null },
) {
  return {
    ...describedBase(ref),
    title,
    summary: r.summary,
    url: webUrl(r.url),
    sourceId: r.source_id,
    snapshotSha256: r.snapshot_sha256,
  };
}

/** Throws the "not in the warehouse" error a decision or description gives for an unknown key. */
export function found<T>(row: T | undefined, what: string): T {
  if (!row) throw new CurationInputError("key", what);
  return row;
}
