// What the two proposal kinds share (./measure.ts: a NAIS measure's status; ./event.ts: a governance
// activity's outcome): the item exists only as an analyst's signed proposal until a second analyst decides
// it, and approving it records the proposal (as it now stands) through its curation writer.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { CurationOptions, CurationReceipt } from "../curation.js";
import { describedBase, list, webUrl, type DecisionContext, type DecisionOutcome, type ReviewHandler, type ReviewRef } from "./kind.js";

/** What the curation writers take from every proposal besides its own fields. */
export interface ProposalEvidence {
  note: string;
  evidenceUrls: string[];
  recordedBy: string;
}

export interface ProposedKind {
  fields: readonly string[];
  /** The proposal's title and summary; `url`, the item's own page, where the proposal's evidence gives none. */
  describe(
    db: DuckDBConnection,
    ref: ReviewRef,
    proposal: Record<string, string>,
  ): Promise<{ title: string; summary: string | null; url?: string | null }>;
  /** The log entry of a rejection: what was proposed, and the one line for the analyst. */
  rejected(
    merged: Record<string, string>,
    key: string,
  ): { targetKind: string; field: string; newValue: string; targetKey?: string; effect: string };
  /** Records an approved proposal; returns its receipt and the one line for the analyst. */
  record(
    ctx: DecisionContext,
    merged: Record<string, string>,
    evidence: ProposalEvidence,
    options: CurationOptions,
  ): Promise<{ receipt: CurationReceipt; effect: string }>;
}

/** The id a proposal's key `<id>/<proposal>` names. */
export const proposedId = (key: string): string => key.split("/")[0];

export function proposedReview(kind: ProposedKind): ReviewHandler {
  return {
    fields: kind.fields,
    secondPerson: true,
    needsProposal: true,
    async describe(db, ref, proposal) {
      const { title, summary, url } = await kind.describe(db, ref, proposal);
      return {
        ...describedBase(ref),
        title,
        summary,
        url: webUrl(proposal.evidence?.split(",")[0]?.trim()) ?? url ?? null,
        sourceId: null,
        snapshotSha256: null,
        proposal,
      };
    },
    async decide(ctx): Promise<DecisionOutcome> {
      const merged = { ...ctx.proposal, ...ctx.fields };
      if (ctx.action === "reject") {
        const r = kind.rejected(merged, ctx.ref.key);
        return { logId: await ctx.entry(r.targetKind, r.field, null, r.newValue, r.targetKey), effect: r.effect };
      }
      const evidence = { note: merged.note || ctx.reason, evidenceUrls: list(merged.evidence), recordedBy: ctx.by };
      const { receipt, effect } = await kind.record(ctx, merged, evidence, { now: () => new Date(ctx.at) });
      return { logId: receipt.logId, effect };
    },
  };
}
