// The latest pipeline run per source: when, and whether the data came from the bundled offline snapshot.
import { emit, query, table } from "../components/exports.js";

const runs = await query(`
  SELECT DISTINCT ON (r.source_id) r.source_id, s.title, s.kind, s.cadence, s.licence, s.attribution, r.run_id, r.status,
         r.finished_at::VARCHAR AS finished_at, r.started_at::VARCHAR AS started_at, r.from_snapshot, r.snapshot_reason,
         (SELECT max(retrieved_at)::VARCHAR FROM ${table("snapshots")} c WHERE c.source_id = r.source_id) AS retrieved_at
    FROM ${table("fetch_runs")} r JOIN ${table("sources")} s USING (source_id)
   ORDER BY r.source_id, r.run_id DESC`);
emit("runs", { runs }, ["runs"]);
