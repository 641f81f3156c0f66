// What the indicators page shows, and the overview's headline figures taken from it: each series' current
// values (analysts' values applied) for Cambodia and any ASEAN peer the export holds, its definition, unit,
// RAM dimension and source, the latest value with its change, and Cambodia's place among the peers where
// they have values. Read by data/indicators.json.ts and data/headline.json.ts.
import { asOf, hasTable, query, table } from "./exports.js";
import { comparisonRule, peerComparisons, type SeriesValue } from "../../components/peers.js";
import { periodStart } from "../../../../sources/period.js";
import { readIndicatorMetadata } from "../../../../warehouse/indicator-metadata.js";

// The page charts every value of the indicators it shows, so what it ships is capped: the bundled export's
// 2,286 values of 10 indicators fit; a larger export shows the described indicators first, then those with
// the most Cambodian values, as many as fit, and the page links to the full tables on the Data page.
const MAX_INDICATORS = 30;
const MAX_VALUES = 2300;
/** Indicators with no value yet that the page names as waiting (the bundled export has 12). */
const MAX_WAITING = 12;

/**
 * What the indicators page and the overview both show: the indicators picked (as a SQL subquery), each
 * value of theirs, and Cambodia's latest value of each with its metadata.
 */
async function readPicked() {
  // The one metadata file (warehouse/indicator-metadata.json) covers codes the export does not describe.
  const fallback = readIndicatorMetadata();

  const built = asOf();
  // The export's indicator_metadata wins.
  const exported = hasTable("indicator_metadata")
    ? await query(`SELECT indicator_code, definition, ram_dimension, nais_priority, unit_override FROM ${table("indicator_metadata")}`)
    : [];
  const metaByCode = new Map<string, Record<string, unknown>>(
    Object.entries(fallback.indicators).map(([code, m]) => [code, { indicator_code: code, definition: m.definition, ram_dimension: m.ram_dimension, nais_priority: m.nais_priority, unit_override: m.unit_override }]),
  );
  for (const m of exported) metaByCode.set(m.indicator_code as string, m);

  const sqlList = (values: string[]) => `[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ")}]::VARCHAR[]`;
  const described = sqlList([...metaByCode.keys()]);
  // The first indicator always fits, so a page never shows none.
  const picked = `(
    WITH counted AS (
      SELECT indicator_code, count(*) AS points, count(*) FILTER (WHERE country_iso3 = 'KHM') AS khm_points
        FROM ${table("observations_current")} WHERE value IS NOT NULL GROUP BY indicator_code
    ), ranked AS (
      SELECT indicator_code, points,
             row_number() OVER w AS rank, sum(points) OVER (w ROWS UNBOUNDED PRECEDING) AS running
        FROM counted
      WINDOW w AS (ORDER BY list_contains(${described}, indicator_code) DESC, khm_points DESC, indicator_code)
    )
    SELECT indicator_code FROM ranked WHERE rank = 1 OR (rank <= ${MAX_INDICATORS} AND running <= ${MAX_VALUES}))`;
  // Each value with its period's first day (sources/period.ts), which the page plots the series by.
  const series: Array<Record<string, unknown> & { period_start: string | null }> = (
    await query(`
    SELECT o.indicator_code, o.country_iso3, o.period, o.value, o.unit, o.source_url, o.value_source,
           o.retrieved_at::VARCHAR AS retrieved_at
      FROM ${table("observations_current")} o
     WHERE o.value IS NOT NULL AND o.indicator_code IN ${picked}
     ORDER BY o.indicator_code, o.country_iso3, o.period`)
  ).map((r) => ({ ...r, period_start: periodStart(String(r.period)) }));
  const latestRows = await query(`
    SELECT l.indicator_code, l.indicator_name AS name, l.unit, l.latest_period AS period, l.latest_value AS value,
           l.previous_period, l.previous_value, l.change, l.pct_change, l.retrieved_at::VARCHAR AS retrieved_at, l.value_source,
           o.source_url, (SELECT count(*) FROM ${table("observations_current")} c
                           WHERE c.indicator_code = l.indicator_code AND c.country_iso3 = 'KHM' AND c.value IS NOT NULL)::INTEGER AS points
      FROM ${table("indicator_latest")} l
      LEFT JOIN ${table("observations_current")} o
        ON o.indicator_code = l.indicator_code AND o.country_iso3 = l.country_iso3 AND o.period = l.latest_period
     WHERE l.country_iso3 = 'KHM' AND l.indicator_code IN ${picked}
    QUALIFY row_number() OVER (PARTITION BY l.indicator_code ORDER BY o.value_source = 'analyst' DESC, o.source_id) = 1
     ORDER BY l.indicator_code`);
  const latest = latestRows.map((l) => {
    const m = metaByCode.get(l.indicator_code as string);
    return { ...l, unit: (m?.unit_override as string | null) ?? l.unit, ram_dimension: m?.ram_dimension ?? null, nais_priority: m?.nais_priority ?? null, definition: m?.definition ?? null };
  });
  return { built, fallback, metaByCode, picked, series, latest };
}

/** The overview's headline figures: Cambodia's latest value of each picked indicator, and Cambodia's series of them. */
export async function readHeadline() {
  const { built, latest, series } = await readPicked();
  return { as_of: built, latest, series: series.filter((d) => d.country_iso3 === "KHM") };
}

/** The indicators page's data, from the export. */
export async function readIndicators() {
  const { built, fallback, metaByCode, picked, series, latest } = await readPicked();
  const [totals] = await query(`
    SELECT count(DISTINCT indicator_code)::INTEGER AS indicators, count(*)::INTEGER AS "values"
      FROM ${table("observations_current")} WHERE value IS NOT NULL`);
  // One row per indicator: its name and note from the source that holds the Cambodian values; the picked
  // ones, and (the page lists them as waiting) up to MAX_WAITING with no value yet.
  const waiting = `(
    SELECT DISTINCT indicator_code FROM ${table("indicators")}
     WHERE indicator_code NOT IN (SELECT indicator_code FROM ${table("observations_current")} WHERE value IS NOT NULL)
     ORDER BY indicator_code LIMIT ${MAX_WAITING})`;
  const definitions = await query(`
    SELECT i.indicator_code, i.name, i.unit, i.source_note, i.source_id, s.title AS source_title, s.licence, s.attribution
      FROM ${table("indicators")} i JOIN ${table("sources")} s USING (source_id)
     WHERE i.indicator_code IN ${picked} OR i.indicator_code IN ${waiting}
    QUALIFY row_number() OVER (PARTITION BY i.indicator_code ORDER BY i.unit IS NULL, i.source_id) = 1
     ORDER BY i.indicator_code`);
  // Who produced each indicator's values and, where a bundled capture replayed them from a mirror's file,
  // which mirror and commit: the source line names both.
  const provenance = await query(`
    SELECT DISTINCT o.indicator_code, s.producer, s.licence, s.mirror, s.mirror_repository, s.mirror_commit, s.retrieved_from_url
      FROM ${table("observations_current")} o JOIN ${table("snapshots")} s
        -- One mirror body may answer several series' URLs; each observation cites its own mirror file.
        ON s.sha256 = o.snapshot_sha256 AND (s.retrieved_from_url IS NULL OR s.retrieved_from_url = o.source_url)
     WHERE s.producer IS NOT NULL AND o.indicator_code IN ${picked}
     ORDER BY o.indicator_code, s.mirror_repository NULLS LAST`);
  const countries = hasTable("geographies")
    ? await query(`SELECT iso3, name, asean_member FROM ${table("geographies")} ORDER BY iso3 = 'KHM' DESC, name`)
    : [];

  const indicators = definitions.map((d) => {
    const m = metaByCode.get(d.indicator_code as string);
    const produced = provenance.filter((p) => p.indicator_code === d.indicator_code);
    return { ...d, provenance: produced, unit: (m?.unit_override as string | null) ?? d.unit, ram_dimension: m?.ram_dimension ?? "unclassified", nais_priority: m?.nais_priority ?? null, definition: m?.definition ?? d.source_note ?? null };
  });

  // Cambodia against the ASEAN peers, for each indicator whose export holds both in one year.
  const comparisons = peerComparisons(series as unknown as SeriesValue[]);

  return { as_of: built, total_indicators: totals.indicators, total_values: totals.values, ram_dimensions: fallback.ram_dimensions, indicators, latest, series, countries, comparisons, comparison_rule: comparisonRule };
}
