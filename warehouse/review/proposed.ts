// What the two proposal kinds share (./measure.ts: a NAIS measure's status; ./event.ts: a governance
// activity's outcome): the item exists only as an analyst's signed proposal until a second analyst decides
// it, and approving it records the proposal (as it now stands) through its curation writer.
import type { CurationReceipt } from "../curation.js";
import type { DecisionContext, DecisionOutcome, ReviewHandler } from "./kind.js";

export interface ProposedKind {
  fields: readonly string[];
  describe: ReviewHandler["describe"];
  /** The log entry of a rejection: what was proposed, and the one line for the analyst. */
  rejected(
    merged: Record<string, string>,
    key: string,
  ): { targetKind: string; field: string; newValue: string; targetKey?: string; effect: string };
  /** Records an approved proposal; returns its receipt and the one line for the analyst. */
  record(ctx: DecisionContext, merged: Record<string, string>): Promise<{ receipt: CurationReceipt; effect: string }>;
}

/** The id a proposal's key `<id>/<proposal>` names. */
export const proposedId = (key: string): string => key.split("/")[0];

export function proposedReview(kind: ProposedKind): ReviewHandler {
  return {
    fields: kind.fields,
    secondPerson: true,
    needsProposal: true,
    describe: kind.describe,
    async decide(ctx): Promise<DecisionOutcome> {
      const merged = { ...ctx.proposal, ...ctx.fields };
      if (ctx.action === "reject") {
        const r = kind.rejected(merged, ctx.ref.key);
        return { logId: await ctx.entry(r.targetKind, r.field, null, r.newValue, r.targetKey), effect: r.effect };
      }
      const { receipt, effect } = await kind.record(ctx, merged);
      return { logId: receipt.logId, effect };
    },
  };
}
