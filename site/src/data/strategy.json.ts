// NAIS priorities and measures for the overview: counts by priority and timeframe, with provenance.
import { emit, query, table } from "../components/exports.js";

const priorities = await query(`
  SELECT p.priority_id, p.title, p.short_label, count(m.measure_id)::INTEGER AS measures
    FROM ${table("strategy_priorities")} p LEFT JOIN ${table("strategy_measures")} m USING (priority_id)
   GROUP BY ALL ORDER BY p.priority_id`);
const measures = await query(`
  SELECT measure_id, priority_id, seq, text, timeframe, start_year, end_year, ongoing, lead_bodies,
         CASE WHEN ongoing THEN 'Continual 2025–2030'
              WHEN timeframe IS NULL THEN 'No timeframe given'
              WHEN end_year <= 2026 THEN 'By 2026'
              WHEN end_year <= 2028 THEN 'By 2027–2028'
              ELSE 'By 2029–2030' END AS horizon
    FROM ${table("strategy_measures")} ORDER BY priority_id, seq`);
const [counts] = await query(`
  SELECT (SELECT count(*) FROM ${table("strategy_priorities")})::INTEGER AS priorities,
         (SELECT count(*) FROM ${table("strategy_measures")})::INTEGER AS measures,
         (SELECT count(*) FROM ${table("strategy_flagships")})::INTEGER AS flagships,
         (SELECT count(*) FROM ${table("strategy_sector_directions")})::INTEGER AS sector_directions`);
const provenance = await query(`
  SELECT s.source_id, s.title, max(m.retrieved_at)::VARCHAR AS retrieved_at, any_value(m.snapshot_sha256) AS sha256
    FROM ${table("strategy_measures")} m JOIN ${table("sources")} s USING (source_id) GROUP BY ALL`);

emit("strategy", { counts, priorities, measures, provenance }, ["priorities", "measures", "provenance"]);
