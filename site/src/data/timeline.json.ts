// The governance timeline: each activity from the MPTC press releases, done or planned as reported.
import { emit, query, table } from "../components/exports.js";

const events = await query(`
  SELECT event_id, track, title, status, date_start::VARCHAR AS date_start, date_end::VARCHAR AS date_end,
         date_precision, date_text, deadline_kind, reported_in, reported_on::VARCHAR AS reported_on, document_url
    FROM ${table("events")} ORDER BY date_start NULLS LAST, event_id`);
emit("timeline", { events }, ["events"]);
