// `npm run bench`: the warehouse's speed claims, measured as ratios within one run so a noisy shared
// machine moves both sides alike. Works on generated rows in a temporary folder; nothing it makes is
// published or kept.
//   1. bulk load of staged Parquet (the pipeline's path) vs row-by-row INSERTs of the same rows;
//   2. reloading an unchanged stage vs the first load (idempotent loads should cost little);
//   3. the export: Parquet vs CSV bytes for the same table.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { queryRows, withWarehouse } from "../warehouse/db.js";
import { exportPublicTables } from "../warehouse/export.js";
import { loadStages, type RunReport } from "../warehouse/load.js";
import { readStage, writeStage } from "../warehouse/staging.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "20000" }, "row-by-row": { type: "string", default: "2000" } } });
const ROWS = Number(values.rows);
const ROW_BY_ROW = Number(values["row-by-row"]);
if (!Number.isInteger(ROWS) || ROWS < 100 || !Number.isInteger(ROW_BY_ROW) || ROW_BY_ROW < 100) {
  throw new Error("--rows and --row-by-row must be whole numbers of at least 100");
}

const source = { source_id: "bench", title: "Benchmark rows", kind: "indicator", parser: "worldbank-v2", urls: ["https://example.org/"], cadence: "manual", licence: "CC BY 4.0", attribution: "bench", enabled: true };
const prov = { source_id: "bench", snapshot_sha256: "b".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };

function observations(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    indicator_code: `BENCH.${i % 50}`,
    country_iso3: "KHM",
    period: String(1960 + Math.floor(i / 50)),
    value: i * 1.5,
    source_url: "https://example.org/",
    ...prov,
  }));
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [(performance.now() - start) / 1000, result];
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-bench-"));
try {
  const rows = observations(ROWS);
  const stageDir = path.join(dir, "stage");
  console.error(`staging ${ROWS} observations…`);
  await writeStage(stageDir, "bench", { observations: rows }, [{ url: "https://example.org/", sha256: prov.snapshot_sha256, status: 200, retrievedAt: prov.retrieved_at, bytes: 1, origin: "snapshot" }], []);
  const manifest = await readStage(stageDir);
  const report: RunReport = { sourceId: "bench", status: "ok", fetched: 1, records: ROWS, rejected: 0, fromSnapshot: false, stageDir };
  const load = (db: Parameters<typeof loadStages>[0], runId: string) =>
    loadStages(db, { runId, loadedAt: "2026-01-02T00:00:00Z", sources: [source], reports: [report], manifests: new Map([["bench", manifest]]) });

  const file = path.join(dir, "bench.duckdb");
  const result = await withWarehouse(file, async (db) => {
    console.error("first load…");
    const [first] = await timed(() => load(db, "run-1"));
    console.error("reload of the same stage…");
    const [again, counts] = await timed(() => load(db, "run-2"));
    const [{ n }] = await queryRows(db, "SELECT count(*) AS n FROM observations");
    if (Number(n) !== ROWS || counts.bench.newRows !== 0) throw new Error(`bench: expected ${ROWS} rows and no new ones on reload, got ${n} and ${counts.bench.newRows}`);
    console.error(`${ROW_BY_ROW} row-by-row INSERTs…`);
    await db.run("CREATE TABLE bench_rows AS SELECT * FROM observations LIMIT 0");
    const [single] = await timed(async () => {
      await db.run("BEGIN TRANSACTION");
      for (const r of rows.slice(0, ROW_BY_ROW)) {
        await db.run(
          `INSERT INTO bench_rows (indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, retrieved_at, row_hash, valid_from)
           VALUES ($c, $k, $p, $v, $u, $s, $h, $r::TIMESTAMPTZ, 'x', $r::TIMESTAMPTZ)`,
          { c: r.indicator_code, k: r.country_iso3, p: r.period, v: r.value, u: r.source_url, s: r.source_id, h: r.snapshot_sha256, r: r.retrieved_at },
        );
      }
      await db.run("COMMIT");
    });
    await db.run("DROP TABLE bench_rows");
    console.error("export…");
    const [exportSeconds, exported] = await timed(() => exportPublicTables(db, path.join(dir, "exports"), "2026-01-03T00:00:00Z", { release: false }));
    return { first, again, single, exportSeconds, obs: exported.tables.observations };
  });

  const bulkPerRow = result.first / ROWS;
  const singlePerRow = result.single / ROW_BY_ROW;
  const rss = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  console.log(`rows: ${ROWS} (row-by-row sample ${ROW_BY_ROW})`);
  console.log(`bulk load from staged Parquet: ${result.first.toFixed(2)} s (${(bulkPerRow * 1e6).toFixed(1)} µs/row)`);
  console.log(`row-by-row INSERT:             ${result.single.toFixed(2)} s (${(singlePerRow * 1e6).toFixed(1)} µs/row)`);
  console.log(`ratio row-by-row / bulk per row: ${(singlePerRow / bulkPerRow).toFixed(1)}`);
  console.log(`reload of an unchanged stage: ${result.again.toFixed(2)} s; ratio reload / first load: ${(result.again / result.first).toFixed(2)}`);
  console.log(`export of every public table: ${result.exportSeconds.toFixed(2)} s`);
  console.log(`observations: Parquet ${result.obs.bytes} B, CSV ${result.obs.csv.bytes} B; ratio CSV / Parquet bytes: ${(result.obs.csv.bytes / result.obs.bytes).toFixed(1)}`);
  console.log(`peak resident memory of this process: ${rss.toFixed(0)} MiB`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
