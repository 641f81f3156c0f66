// The NAIS for the overview and the strategy tracker: priorities, every measure with its status on the
// build date (measures_status: overdue judged then, not on the reader's clock), evidence, lead bodies,
// flagship activities and sector directions. The strategy must exist: an empty one fails the build.
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";

const built = asOf();
const statusSource = hasTable("measures_status")
  ? `SELECT measure_id, status, overdue, status_as_of::VARCHAR AS status_as_of, status_note, evidence_urls, recorded_by FROM ${table("measures_status")}`
  : `SELECT measure_id, 'not_started' AS status, coalesce(end_year < year(DATE '${built}'), false) AS overdue, NULL AS status_as_of,
            NULL AS status_note, CAST([] AS VARCHAR[]) AS evidence_urls, NULL AS recorded_by FROM ${table("strategy_measures")}`;

const measures = await query(`
  WITH st AS (${statusSource})
  SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing,
         m.lead_bodies, m.participating_bodies, m.note,
         coalesce(st.status, 'not_started') AS status, coalesce(st.overdue, false) AS overdue,
         CASE WHEN coalesce(st.overdue, false) THEN 'overdue' ELSE replace(coalesce(st.status, 'not_started'), '_', ' ') END AS state,
         st.status_as_of, st.status_note, coalesce(st.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls, st.recorded_by,
         CASE WHEN m.ongoing THEN 'Continual 2025–2030'
              WHEN m.timeframe IS NULL THEN 'No timeframe given'
              WHEN m.end_year <= 2026 THEN 'By 2026'
              WHEN m.end_year <= 2028 THEN 'By 2027–2028'
              ELSE 'By 2029–2030' END AS horizon
    FROM ${table("strategy_measures")} m LEFT JOIN st USING (measure_id)
   ORDER BY m.priority_id, m.seq`);
// The current quarter's judgement (slipping = not started with half of the timeframe gone), when exported.
const progress = hasTable("measures_quarterly")
  ? await query(`SELECT measure_id, progress, quarter FROM ${table("measures_quarterly")} QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY quarter DESC) = 1`)
  : [];
for (const m of measures) {
  const p = progress.find((r) => r.measure_id === m.measure_id);
  m.progress = p?.progress ?? null;
  m.progress_quarter = p?.quarter ?? null;
}
const priorities = await query(`
  SELECT p.priority_id, p.title, p.short_label, count(m.measure_id)::INTEGER AS measures
    FROM ${table("strategy_priorities")} p LEFT JOIN ${table("strategy_measures")} m USING (priority_id)
   GROUP BY ALL ORDER BY p.priority_id`);
const flagships = await query(`
  SELECT flagship_id, priority_id, text, measure_ids, roles, note FROM ${table("strategy_flagships")} ORDER BY priority_id, flagship_id`);
const sectorDirections = await query(`
  SELECT direction_id, title, sector_group, focus_areas FROM ${table("strategy_sector_directions")} ORDER BY direction_id`);
const history = hasTable("measure_status_history")
  ? await query(`
      SELECT measure_id, status, as_of::VARCHAR AS as_of, note, evidence_urls, recorded_by, recorded_at::VARCHAR AS recorded_at
        FROM ${table("measure_status_history")} ORDER BY measure_id, as_of, log_id`)
  : [];
const [counts] = await query(`
  SELECT (SELECT count(*) FROM ${table("strategy_priorities")})::INTEGER AS priorities,
         (SELECT count(*) FROM ${table("strategy_measures")})::INTEGER AS measures,
         (SELECT count(*) FROM ${table("strategy_flagships")})::INTEGER AS flagships,
         (SELECT count(*) FROM ${table("strategy_sector_directions")})::INTEGER AS sector_directions`);
const provenance = await query(`
  SELECT s.source_id, s.title, max(m.retrieved_at)::VARCHAR AS retrieved_at, any_value(m.snapshot_sha256) AS sha256
    FROM ${table("strategy_measures")} m JOIN ${table("sources")} s USING (source_id) GROUP BY ALL`);

// The strategy's and the assessment's own figures once an analyst approved them, with their documents.
const figures = hasTable("strategy_figures")
  ? await query(`SELECT indicator_code, name, unit, period, value, figure_kind, due_year, nais_measure, target_of, progress_value, progress_period,
                        progress_pct, document_id, document_title, document_publisher, document_date, document_section, document_url,
                        document_not_online, source_url, retrieved_at::VARCHAR AS retrieved_at
                   FROM ${table("strategy_figures")} ORDER BY figure_kind DESC, indicator_code`)
  : [];
const pendingFigures = hasTable("sheet_figures")
  ? Number((await query(`SELECT count(*)::INTEGER AS n FROM ${table("sheet_figures")}`))[0].n) - figures.length
  : 0;

emit("strategy", { as_of: built, counts, priorities, measures, flagships, sector_directions: sectorDirections, history, provenance, figures, pending_figures: pendingFigures }, [
  "priorities",
  "measures",
  "flagships",
  "provenance",
]);
