// How a NAIS measure stands at the end of a period, shared by the quarterly and achievement report loaders.
// The export's measures_quarterly (every measure judged at each quarter's end from the statuses recorded by
// then) is used when present; an older export without it gets the same judgement computed here.
import { hasTable, query, table } from "./exports.js";

/** Progress values, in the order reports list them (measures_quarterly's vocabulary). */
export const progressOrder = ["done", "on_track", "slipping", "overdue", "not_started", "not_due", "undated", "cancelled"];

function sqlDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date: ${date}`);
  return `DATE '${date}'`;
}

/** Every measure with its status and progress on `day` (YYYY-MM-DD), the last day of `quarter` or the build date within it. */
export async function measuresOn(day: string, quarter: string): Promise<{ rows: Array<Record<string, unknown>>; basis: string }> {
  const d = sqlDate(day);
  if (!/^\d{4}-Q[1-4]$/.test(quarter)) throw new Error(`not a quarter: ${quarter}`);
  if (hasTable("measures_quarterly")) {
    const rows = await query(`
      SELECT measure_id, priority_id, seq, m.text, timeframe, start_year, end_year, ongoing, lead_bodies, status, progress,
             status_note AS note, coalesce(evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls, updated_in_quarter, judged_on::VARCHAR AS judged_on
        FROM ${table("measures_quarterly")} q JOIN (SELECT measure_id, text FROM ${table("strategy_measures")}) m USING (measure_id)
       WHERE quarter = '${quarter}'
       ORDER BY priority_id, seq`);
    if (rows.length > 0) return { rows, basis: "measures_quarterly" };
  }
  const history = hasTable("measure_status_history")
    ? `SELECT * FROM ${table("measure_status_history")} WHERE as_of <= ${d} QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY as_of DESC, log_id DESC) = 1`
    : `SELECT NULL::VARCHAR AS measure_id, NULL::VARCHAR AS status, NULL::VARCHAR AS note, CAST([] AS VARCHAR[]) AS evidence_urls, NULL::DATE AS as_of LIMIT 0`;
  // Same rules as measures_quarterly: slipping = not started with half of the timeframe gone.
  const rows = await query(`
    WITH h AS (${history})
    SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing, m.lead_bodies,
           coalesce(h.status, 'not_started') AS status,
           CASE WHEN h.status = 'done' THEN 'done'
                WHEN h.status = 'cancelled' THEN 'cancelled'
                WHEN m.start_year IS NULL THEN 'undated'
                WHEN m.end_year IS NOT NULL AND NOT coalesce(m.ongoing, false) AND year(${d}) > m.end_year THEN 'overdue'
                WHEN m.start_year > year(${d}) THEN 'not_due'
                WHEN h.status = 'in_progress' THEN 'on_track'
                WHEN date_diff('day', make_date(m.start_year, 1, 1), ${d}) >= 0.5 * date_diff('day', make_date(m.start_year, 1, 1), make_date(coalesce(m.end_year, 2030) + 1, 1, 1)) THEN 'slipping'
                ELSE 'not_started' END AS progress,
           h.note, coalesce(h.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls,
           coalesce(h.as_of >= date_trunc('quarter', ${d}), false) AS updated_in_quarter, '${day}' AS judged_on
      FROM ${table("strategy_measures")} m LEFT JOIN h USING (measure_id)
     ORDER BY m.priority_id, m.seq`);
  return { rows, basis: "measure_status_history" };
}
