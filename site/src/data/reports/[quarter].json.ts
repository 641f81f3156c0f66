// One quarter's progress report (the NAIS's quarterly check): measures and their progress at the quarter's
// end (or the build date, for the quarter still running), status changes recorded in the quarter, governance
// activities done or due in it, incidents, news and research of the quarter.
import { asOf, emit, fail, hasTable, loaderParams, query, table } from "../lib/exports.js";
import { measuresOn, progressOrder } from "../lib/progress.js";
import { parseQuarter } from "../../components/quarters.js";

const { quarter } = loaderParams(["quarter"]);
const q = parseQuarter(quarter);
if (!q) fail(`report: ${quarter} is not a quarter (YYYY-Qn)`);
const built = asOf();
const interim = q.end > built;
const judgedOn = interim ? built : q.end;
const between = (col: string) => `${col} >= DATE '${q.start}' AND ${col} <= DATE '${q.end}'`;

const { rows: measures, basis } = await measuresOn(judgedOn, q.id);
const checked = measures.filter((m) => m.updated_in_quarter).length;
const priorities = await query(`SELECT priority_id, short_label, title FROM ${table("strategy_priorities")} ORDER BY priority_id`);
const changes = hasTable("measure_status_history")
  ? await query(`SELECT measure_id, status, as_of::VARCHAR AS as_of, note, evidence_urls, recorded_by FROM ${table("measure_status_history")}
                  WHERE ${between("as_of")} ORDER BY as_of, measure_id`)
  : [];
const events = await query(`
  SELECT event_id, track, title, status, date_text, date_start::VARCHAR AS date_start, reported_in, document_url
    FROM ${table("events")} WHERE ${between("coalesce(date_end, date_start)")} OR ${between("date_start")} ORDER BY date_start, event_id`);
const incidents = await query(`
  SELECT incident_key, title, occurred_on::VARCHAR AS occurred_on, harm_types, report_urls
    FROM ${table("incidents")} WHERE ${between("occurred_on")} ORDER BY occurred_on, incident_key`);
const news = await query(`
  SELECT title, canonical_url AS url, outlet, published_at::VARCHAR AS published_at
    FROM ${table("news_items")} WHERE ${between("(published_at AT TIME ZONE 'Asia/Phnom_Penh')::DATE")} ORDER BY published_at DESC LIMIT 12`);
const [counts] = await query(`
  SELECT (SELECT count(*) FROM ${table("news_items")} WHERE ${between("(published_at AT TIME ZONE 'Asia/Phnom_Penh')::DATE")})::INTEGER AS news,
         (SELECT count(DISTINCT coalesce(work_key, pub_key)) FROM ${table("publications")} WHERE ${between("published_on")})::INTEGER AS publications`);

emit(
  "report",
  { quarter: q, as_of: built, judged_on: judgedOn, interim, basis, checked, progress_order: progressOrder, priorities, measures, changes, events, incidents, news, counts },
  ["measures", "priorities"],
);
