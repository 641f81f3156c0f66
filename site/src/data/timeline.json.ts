// The governance timeline: each activity from the MPTC press releases, done or planned as reported, and
// its state on the build date: a planned activity whose date has passed with no report of it being done
// has slipped. When the export has events_progress (planned dates against what happened), its outcome wins.
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";

const built = asOf();
const events = await query(`
  SELECT event_id, track, title, status, date_start::VARCHAR AS date_start, date_end::VARCHAR AS date_end,
         date_precision, date_text, deadline_kind, reported_in, reported_on::VARCHAR AS reported_on, document_url, note, retrieved_at::VARCHAR AS retrieved_at,
         -- the last day the report's date can mean: 'March 2025' is due by 31 March 2025
         (CASE date_precision WHEN 'year' THEN date_trunc('year', coalesce(date_end, date_start)) + INTERVAL 1 YEAR - INTERVAL 1 DAY
                              WHEN 'month' THEN date_trunc('month', coalesce(date_end, date_start)) + INTERVAL 1 MONTH - INTERVAL 1 DAY
                              ELSE coalesce(date_end, date_start) END)::DATE::VARCHAR AS due_by,
         CASE WHEN status = 'done' THEN 'done'
              WHEN date_start IS NULL THEN 'undated'
              WHEN deadline_kind = 'from' THEN 'planned'
              WHEN (CASE date_precision WHEN 'year' THEN date_trunc('year', coalesce(date_end, date_start)) + INTERVAL 1 YEAR - INTERVAL 1 DAY
                                        WHEN 'month' THEN date_trunc('month', coalesce(date_end, date_start)) + INTERVAL 1 MONTH - INTERVAL 1 DAY
                                        ELSE coalesce(date_end, date_start) END)::DATE < DATE '${built}' THEN 'slipped'
              ELSE 'planned' END AS state
    FROM ${table("events")} ORDER BY date_start NULLS LAST, event_id`);

// events_progress (planned dates against recorded outcomes, judged on the build date) wins where present.
const progress = hasTable("events_progress") ? await query(`SELECT * FROM ${table("events_progress")}`) : [];
const progressStates = new Set(["done", "planned", "slipped", "unconfirmed", "cancelled", "undated"]);
for (const row of progress) {
  const event = events.find((e) => e.event_id === row.event_id);
  if (!event) continue;
  const verdict = [row.state, row.progress].find((v) => typeof v === "string" && progressStates.has(v));
  if (verdict) event.state = verdict;
  for (const key of ["due_on", "outcome", "outcome_on", "outcome_note", "evidence_urls", "days_late"]) if (key in row) event[key] = row[key];
}
emit("timeline", { as_of: built, has_progress: progress.length > 0, events }, ["events"]);
