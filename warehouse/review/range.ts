// A value outside the range its quality rule allows: the export stays blocked until an analyst decides it.
import { rangeFailures } from "../quality.js";
import { observationReview, pendingObservation } from "./observation.js";

export const rangeReview = observationReview(
  "This value is outside the range its quality rule allows (warehouse/quality-rules.yaml); the export stays blocked until it is decided.",
  async (db, { rules }) => (rules ? (await rangeFailures(db, rules)).map(pendingObservation) : []),
);
