// The Methodology page: every source with cadence, licence and last run; the classification scheme (tag
// dimensions and how many terms each tag has); the latest run's data-quality checks; and how many analyst
// decisions of each kind the curation log holds; and every capture of the bundled offline snapshot.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { asOf, emit, hasTable, query, repoRoot, table } from "./lib/exports.js";
import { taxonomy } from "./lib/taxonomy.js";

const built = asOf();
const sources = await query(`
  WITH latest AS (SELECT * FROM ${table("fetch_runs")} QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1)
  SELECT s.source_id, s.title, s.kind, s.parser, s.urls, s.cadence, s.licence, s.attribution, s.enabled,
         l.status, l.finished_at::VARCHAR AS finished_at, l.records::INTEGER AS records, l.rejected::INTEGER AS rejected, l.from_snapshot
    FROM ${table("sources")} s LEFT JOIN latest l USING (source_id) ORDER BY s.kind, s.source_id`);
const quality = hasTable("quality_results")
  ? await query(`
      SELECT run_id, checked_at::VARCHAR AS checked_at, check_name, severity, status, failing_count::INTEGER AS failing_count, examples
        FROM ${table("quality_results")}
       WHERE run_id = (SELECT arg_max(run_id, checked_at) FROM ${table("quality_results")})
       ORDER BY status = 'pass', severity, check_name`)
  : [];
const rejections = hasTable("rejections")
  ? await query(`SELECT source_id, count(*)::INTEGER AS records, any_value(reason) AS example FROM ${table("rejections")} GROUP BY source_id ORDER BY records DESC`)
  : [];
const curation = hasTable("curation_log")
  ? await query(`SELECT action, target_kind, count(*)::INTEGER AS decisions, max(logged_at)::VARCHAR AS latest FROM ${table("curation_log")} GROUP BY ALL ORDER BY decisions DESC`)
  : [];
// Every capture of the bundled offline snapshot, read from the snapshot folder itself (not only those a run used).
const snapshotDir = process.env.OBSERVATORY_SNAPSHOT_DIR ?? path.join(repoRoot, "sources", "snapshot");
interface SnapshotCapture {
  url: string;
  retrievedAt: string;
  sha256: string;
  bytes: number;
  note?: string;
  producer?: string;
  licence?: string;
  headers?: Record<string, string>;
  retrievedFrom?: Array<{ url: string; repository?: string; path?: string; commit?: string; mirror?: string }>;
}
const snapshotCaptures = readdirSync(path.join(snapshotDir, "captures"))
  .flatMap((dir) => readdirSync(path.join(snapshotDir, "captures", dir)).map((name) => JSON.parse(readFileSync(path.join(snapshotDir, "captures", dir, name), "utf8")) as SnapshotCapture))
  .map((c) => ({
    url: c.url,
    retrieved_at: c.retrievedAt,
    sha256: c.sha256,
    bytes: c.bytes,
    content_type: c.headers?.["content-type"] ?? null,
    producer: c.producer ?? null,
    licence: c.licence ?? null,
    note: c.note ?? null,
    retrieved_from: c.retrievedFrom ?? [],
  }))
  .sort((a, b) => a.url.localeCompare(b.url) || a.retrieved_at.localeCompare(b.retrieved_at));
const classification = (await taxonomy()).map((d) => ({ id: d.id, label: d.label, tags: d.tags.map((t) => ({ id: t.id, label: t.label, en_terms: t.en.length, km_terms: t.km.length, examples: [...t.en.slice(0, 3), ...t.km.slice(0, 1)] })) }));
emit("methodology", { as_of: built, sources, quality, rejections, curation, classification, snapshot_captures: snapshotCaptures }, ["sources", "classification", "snapshot_captures"]);
