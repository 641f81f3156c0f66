// The achievement reports the NAIS calls for at the end of 2026 and of 2028: every measure due by then
// (its timeframe ends that year or earlier) and the continual ones, with progress at the year's end, or on
// the build date while the year is still running.
import { asOf, emit, query, table } from "./lib/exports.js";
import { measuresOn, progressOrder } from "./lib/progress.js";
import { quarterOf } from "../components/quarters.js";

const built = asOf();
const priorities = await query(`SELECT priority_id, short_label, title FROM ${table("strategy_priorities")} ORDER BY priority_id`);
const reports = [];
for (const year of [2026, 2028]) {
  const end = `${year}-12-31`;
  const interim = end > built;
  const judgedOn = interim ? built : end;
  const { rows, basis } = await measuresOn(judgedOn, interim ? quarterOf(built) : `${year}-Q4`);
  const due = rows.filter((m) => m.ongoing || (m.end_year != null && Number(m.end_year) <= year));
  reports.push({ year, end, interim, judged_on: judgedOn, basis, measures: due, later: rows.length - due.length });
}
emit("achievement", { as_of: built, progress_order: progressOrder, priorities, reports }, ["priorities"]);
