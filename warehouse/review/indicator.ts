// A value from an analysts' indicator sheet: published only once a second analyst approves it.
import { queryRows } from "../db.js";
import { observationReview, pendingObservation, type ObservationRow } from "./observation.js";

export const indicatorReview = observationReview("A value from the analysts' sheet; it is published once approved.", async (db) =>
  (
    await queryRows<ObservationRow>(
      db,
      `SELECT o.source_id, o.indicator_code, o.country_iso3, o.period, o.value FROM observations o
        WHERE o.valid_to IS NULL AND o.value IS NOT NULL AND isfinite(o.value)
          AND o.source_id IN (SELECT source_id FROM sources WHERE parser = 'indicator-sheet')
          AND NOT EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                           WHERE r.source_id = o.source_id AND r.indicator_code = o.indicator_code AND r.country_iso3 = o.country_iso3
                             AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value)
        ORDER BY o.indicator_code, o.country_iso3, o.period, o.source_id`,
    )
  ).map(pendingObservation),
);
