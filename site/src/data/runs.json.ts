// Freshness of every source: its latest pipeline run, its latest successful one, the newest capture its
// data comes from, and whether that data is the bundled offline snapshot (the banner on every page).
import { judgeFreshness } from "../../../warehouse/freshness.js";
import { asOf, emit, query, table } from "./lib/exports.js";

const built = asOf();
const runs = await query(`
  WITH latest AS (
    SELECT * FROM ${table("fetch_runs")}
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1
  ), good AS (
    SELECT * FROM ${table("fetch_runs")} WHERE status IN ('ok', 'unchanged')
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1
  ), captures AS (
    SELECT source_id, max(retrieved_at) AS data_as_of, arg_max(origin, retrieved_at) AS data_origin, count(*)::INTEGER AS captures
      FROM ${table("snapshots")} GROUP BY ALL
  )
  SELECT s.source_id, s.title, s.kind, s.cadence, s.licence, s.attribution, s.enabled,
         l.run_id, l.status, l.started_at::VARCHAR AS started_at, l.finished_at::VARCHAR AS finished_at,
         l.records, l.new_rows, l.updated_rows, l.rejected, left(l.message, 300) AS message,
         g.finished_at::VARCHAR AS last_ok_at, coalesce(g.from_snapshot, false) AS from_snapshot, g.snapshot_reason,
         strftime(timezone('UTC', c.data_as_of), '%Y-%m-%dT%H:%M:%SZ') AS data_as_of, c.data_as_of::VARCHAR AS retrieved_at, c.data_origin, c.captures,
         date_diff('day', c.data_as_of::DATE, DATE '${built}')::INTEGER AS age_days
    FROM ${table("sources")} s
    LEFT JOIN latest l USING (source_id) LEFT JOIN good g USING (source_id) LEFT JOIN captures c USING (source_id)
   ORDER BY s.kind, s.source_id`);

// Judged on the export's build date, so a rebuilt site says what the export said.
const builtMs = Date.parse(`${built}T23:59:59Z`);
for (const r of runs) {
  const judged = judgeFreshness(
    { cadence: String(r.cadence), enabled: Boolean(r.enabled), newestCapture: (r.data_as_of as string | null) ?? null, newestOrigin: (r.data_origin as string | null) ?? null },
    builtMs,
  );
  r.freshness = judged.state;
  r.freshness_label = judged.label;
  r.freshness_days = judged.ageDays; // the Khmer edition words the label itself from state and age
  r.fresh = judged.state === "fresh" ? true : judged.state === "stale" || judged.state === "never" ? false : null;
}
const newest = runs.map((r) => r.data_as_of as string | null).filter(Boolean).sort().at(-1) ?? null;
emit("runs", { as_of: built, newest_capture: newest, runs }, ["runs"]);
