// How a NAIS measure stands at the end of a period, shared by the quarterly and achievement report loaders.
// When the export has measures_quarterly (analysts' quarterly check) its judgement is used; otherwise the
// status in force on that day (measure_status_history) is set against the measure's timeframe.
import { hasTable, query, table } from "./exports.js";

/** Progress values, in the order reports list them (measures_quarterly's vocabulary, plus not_started). */
export const progressOrder = ["done", "on_track", "slipping", "overdue", "not_started", "not_due", "cancelled"];

function sqlDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a date: ${date}`);
  return `DATE '${date}'`;
}

/**
 * Every measure with its status and progress on `day` (YYYY-MM-DD). `quarter` (YYYY-Qn) selects the
 * analysts' quarterly check when the export has one.
 */
export async function measuresOn(day: string, quarter?: string): Promise<{ rows: Array<Record<string, unknown>>; basis: string }> {
  const d = sqlDate(day);
  if (quarter && hasTable("measures_quarterly")) {
    if (!/^\d{4}-Q[1-4]$/.test(quarter)) throw new Error(`not a quarter: ${quarter}`);
    const rows = await query(`
      SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing, m.lead_bodies,
             coalesce(q.status, 'not_started') AS status, coalesce(q.progress, CASE WHEN m.start_year > year(${d}) THEN 'not_due' ELSE 'not_started' END) AS progress,
             q.note, coalesce(q.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls
        FROM ${table("strategy_measures")} m
        LEFT JOIN (SELECT * FROM ${table("measures_quarterly")} WHERE quarter = '${quarter}') q USING (measure_id)
       ORDER BY m.priority_id, m.seq`);
    return { rows, basis: "measures_quarterly" };
  }
  const history = hasTable("measure_status_history")
    ? `SELECT * FROM ${table("measure_status_history")} WHERE as_of <= ${d} QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY as_of DESC, log_id DESC) = 1`
    : `SELECT NULL::VARCHAR AS measure_id, NULL::VARCHAR AS status, NULL::VARCHAR AS note, CAST([] AS VARCHAR[]) AS evidence_urls LIMIT 0`;
  const rows = await query(`
    WITH h AS (${history})
    SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing, m.lead_bodies,
           coalesce(h.status, 'not_started') AS status,
           CASE WHEN h.status = 'done' THEN 'done'
                WHEN h.status = 'cancelled' THEN 'cancelled'
                WHEN m.end_year IS NOT NULL AND NOT coalesce(m.ongoing, false) AND year(${d}) > m.end_year THEN 'overdue'
                WHEN m.start_year > year(${d}) THEN 'not_due'
                WHEN h.status = 'in_progress' THEN 'on_track'
                ELSE 'not_started' END AS progress,
           h.note, coalesce(h.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls
      FROM ${table("strategy_measures")} m LEFT JOIN h USING (measure_id)
     ORDER BY m.priority_id, m.seq`);
  return { rows, basis: "measure_status_history" };
}
