// Freshness of every source: its latest pipeline run, its latest successful one, the newest capture its
// data comes from, and whether that data is the bundled offline snapshot (the banner on every page).
import { asOf, emit, query, table } from "../components/exports.js";

/** How old a source's newest capture may be, per cadence, before the site calls it stale. */
const maxAgeDays: Record<string, number> = { hourly: 2, daily: 3, weekly: 10, monthly: 40, quarterly: 100, yearly: 400 };

const built = asOf();
const runs = await query(`
  WITH latest AS (
    SELECT * FROM ${table("fetch_runs")}
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1
  ), good AS (
    SELECT * FROM ${table("fetch_runs")} WHERE status IN ('ok', 'unchanged')
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1
  ), captures AS (
    SELECT source_id, max(retrieved_at) AS data_as_of, count(*)::INTEGER AS captures FROM ${table("snapshots")} GROUP BY ALL
  )
  SELECT s.source_id, s.title, s.kind, s.cadence, s.licence, s.attribution, s.enabled,
         l.run_id, l.status, l.started_at::VARCHAR AS started_at, l.finished_at::VARCHAR AS finished_at,
         l.records, l.new_rows, l.updated_rows, l.rejected, left(l.message, 300) AS message,
         g.finished_at::VARCHAR AS last_ok_at, coalesce(g.from_snapshot, false) AS from_snapshot, g.snapshot_reason,
         c.data_as_of::VARCHAR AS data_as_of, c.data_as_of::VARCHAR AS retrieved_at, c.captures,
         date_diff('day', c.data_as_of::DATE, DATE '${built}')::INTEGER AS age_days
    FROM ${table("sources")} s
    LEFT JOIN latest l USING (source_id) LEFT JOIN good g USING (source_id) LEFT JOIN captures c USING (source_id)
   ORDER BY s.kind, s.source_id`);

for (const r of runs) {
  const limit = maxAgeDays[String(r.cadence)];
  r.fresh = r.data_as_of == null ? false : limit == null ? null : Number(r.age_days) <= limit;
}
const newest = runs.map((r) => r.data_as_of as string | null).filter(Boolean).sort().at(-1) ?? null;
emit("runs", { as_of: built, newest_capture: newest, max_age_days: maxAgeDays, runs }, ["runs"]);
