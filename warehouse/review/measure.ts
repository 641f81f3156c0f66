// A proposed status of a NAIS measure: it lives in its workflow until decided; the warehouse knows the measure.
import { recordMeasureStatus, type MeasureStatus } from "../curation.js";
import { queryOne } from "../db.js";
import { found } from "./kind.js";
import { proposedId, proposedReview } from "./proposed.js";

export const measureReview = proposedReview({
  fields: ["status", "as_of", "note", "evidence"],
  async describe(db, ref, proposal) {
    const m = found(
      await queryOne<{ measure_id: string; text: string | null; timeframe: string | null }>(
        db,
        "SELECT measure_id, text, timeframe FROM strategy_measures WHERE measure_id = $id LIMIT 1",
        { id: proposedId(ref.key) },
      ),
      `${JSON.stringify(proposedId(ref.key))} is not a NAIS measure in the warehouse`,
    );
    return {
      title: `NAIS measure ${m.measure_id} (${m.timeframe}): ${proposal.status ?? "?"} as of ${proposal.as_of ?? "?"}`,
      summary: m.text,
    };
  },
  rejected: (merged) => ({
    targetKind: "measure",
    field: "status",
    newValue: `proposal rejected: ${merged.status ?? "?"} as of ${merged.as_of ?? "?"}`,
    effect: "proposal rejected; the measure's status is unchanged",
  }),
  async record({ db, ref }, merged, evidence, options) {
    const measureId = proposedId(ref.key);
    const receipt = await recordMeasureStatus(
      db,
      { measureId, status: merged.status as MeasureStatus, asOf: merged.as_of, ...evidence },
      options,
    );
    return { receipt, effect: `measure ${measureId} recorded as ${merged.status} as of ${merged.as_of}` };
  },
});
