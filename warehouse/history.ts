// Reading the past (docs/architecture.md rule 5): what the warehouse said about indicator values at any moment,
// from the versioned observations (valid_from/valid_to). The SQL behind it is the table macros of
// migration 005, so researchers get the same answer from `SELECT * FROM observations_as_of(...)`.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows } from "./db.js";

export interface ObservationsAsOfFilter {
  indicatorCode?: string;
  countryIso3?: string;
  sourceId?: string;
  /**
   * Apply the analysts' values curated by that moment on top of the sources' (as the public views do).
   * @default false: the sources' values only
   */
  curated?: boolean;
}

/** One observation as the warehouse held it at the moment asked about. */
export interface ObservationAsOf {
  indicator_code: string;
  country_iso3: string;
  period: string;
  value: number | null;
  source_url: string | null;
  /** Null for an analyst's value. */
  source_id: string | null;
  snapshot_sha256: string | null;
  retrieved_at: string | null;
  /** When this version entered the warehouse (for an analyst's value: when it was curated). */
  valid_from: string;
  /** Present when `curated` is asked for. */
  unit?: string | null;
  value_source?: "source" | "analyst";
  curated_by?: string | null;
  curation_reason?: string | null;
}

/** "2026-02-01" (midnight UTC) or an ISO 8601 date-time with Z or an offset; returned in UTC. */
function instant(asOf: string): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(asOf);
  // A date-time without a zone would be read in whatever zone the machine is in.
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(asOf);
  const t = new Date(dateOnly ? `${asOf}T00:00:00Z` : asOf);
  if ((!dateOnly && !zoned) || Number.isNaN(t.getTime())) {
    throw new Error(`asOf must be YYYY-MM-DD or an ISO 8601 date-time with Z or an offset, got ${JSON.stringify(asOf)}`);
  }
  return t.toISOString();
}

/**
 * The observations the warehouse held at `asOf`: each row valid_from <= t and not closed by then
 * (valid_to null or after t). Rows come ordered by indicator, country, period and source.
 */
export async function observationsAsOf(
  db: DuckDBConnection,
  asOf: string,
  filter: ObservationsAsOfFilter = {},
): Promise<ObservationAsOf[]> {
  const t = instant(asOf);
  const macro = filter.curated ? "observations_effective_as_of" : "observations_as_of";
  const columns = filter.curated ? "* EXCLUDE (curated, curated_at)" : "*";
  const utc = (c: string) => `strftime(timezone('UTC', ${c}), '%Y-%m-%dT%H:%M:%S.%gZ') AS ${c}`;
  return queryRows<ObservationAsOf>(
    db,
    `SELECT ${columns} REPLACE (${utc("valid_from")}, ${utc("retrieved_at")})
       FROM ${macro}($t::TIMESTAMPTZ)
      WHERE ($code IS NULL OR indicator_code = $code)
        AND ($country IS NULL OR country_iso3 = $country)
        AND ($source IS NULL OR source_id = $source)
      ORDER BY indicator_code, country_iso3, period, source_id NULLS FIRST`,
    { t, code: filter.indicatorCode ?? null, country: filter.countryIso3 ?? null, source: filter.sourceId ?? null },
  );
}
