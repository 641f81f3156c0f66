// One measurement of `npm run bench`, run in a child process of its own so that its peak resident memory
// (process.resourceUsage().maxRSS) is that stage's alone (derive runs in a child of its own, apart from its
// setup). Argument: a JSON `Measure`. Prints one JSON line, a `Measured`. Generation of the data is not
// timed; only the stage (or its bare baseline) is.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import RssParser from "rss-parser";
import type { DuckDBConnection } from "@duckdb/node-api";
import { parseRss } from "../sources/rss.js";
import { loadMemoryLimit } from "../temporal.config.js";
import { inTransaction, queryRows, sqlString, withMemoryLimit, withWarehouse } from "../warehouse/db.js";
import { deriveTables } from "../warehouse/derive.js";
import { exportPublicTables } from "../warehouse/export.js";
import { loadStages, type RunReport, type SourceRow } from "../warehouse/load.js";
import { buildStage, writeStage, type StagedCapture, type StageManifest } from "../warehouse/staging.js";
import { newsItems, observationPages, observations, provenance, rssFeed, type Density } from "./generate.js";

export type Measure =
  | { stage: "rss" | "rss-bare"; items: number }
  | { stage: "stage-load" | "load-bare" | "export" | "export-bare"; observations: number }
  | { stage: "derive"; items: number; density: Density }
  /** derive's own part, in a process of its own so its peak RSS is not the setup's: derive on a loaded warehouse file. */
  | { stage: "derive-loaded"; items: number; warehouse: string }
  | { stage: "run"; observations: number; items: number };

export interface Measured {
  /** Seconds of the stage itself (for `run`: the cold run). */
  seconds: number;
  /** Rows or items the stage handled. */
  count: number;
  /** Peak resident memory of this process, MiB. */
  peakRssMiB: number;
  /** Parts of the stage, seconds (stage-load: stage, load; run: unchanged). */
  parts?: Record<string, number>;
  /** Things the stage counted that are not times (run: tables rewritten when unchanged). */
  counts?: Record<string, number>;
}

const taxonomyFile = path.resolve(import.meta.dirname, "../sources/taxonomy.yaml");
const loadedAt = "2026-01-02T00:00:00Z";

function source(kind: "indicator" | "news"): SourceRow {
  return {
    source_id: "bench",
    title: "Generated benchmark rows (not real)",
    kind,
    parser: kind === "news" ? "rss" : "worldbank-v2",
    urls: ["https://example.org/"],
    cadence: "manual",
    licence: "CC BY 4.0",
    attribution: "generated",
    enabled: true,
  } as SourceRow;
}

const capture: StagedCapture = {
  url: "https://example.org/",
  sha256: provenance.snapshot_sha256,
  status: 200,
  retrievedAt: provenance.retrieved_at,
  bytes: 1,
  origin: "snapshot",
};

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [(performance.now() - start) / 1000, result];
}

/**
 * The median of three runs in this process, as a worker parses one feed after another: the first run
 * also pays for compiling the parser, and one run alone moves with whatever else the machine is doing.
 * Used for the parse and its bare library alike.
 */
async function medianOf3<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const runs: Array<[number, T]> = [];
  for (let i = 0; i < 3; i++) runs.push(await timed(fn));
  return runs.sort((a, b) => a[0] - b[0])[1];
}

/** Rows to stage: every table's at once, or a function that stages them itself (a page at a time). */
type BenchRows = Parameters<typeof writeStage>[2] | ((stageDir: string) => Promise<StageManifest>);

async function stageAndLoad(
  db: DuckDBConnection,
  dir: string,
  rows: BenchRows,
  kind: "indicator" | "news",
  runId: string,
  taxonomy: boolean,
) {
  const stageDir = path.join(dir, `stage-${runId}`);
  const [stageSeconds, manifest] = await timed(() =>
    typeof rows === "function" ? rows(stageDir) : writeStage(stageDir, "bench", rows, [capture], []),
  );
  const records = Object.values(manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
  const report: RunReport = { sourceId: "bench", status: "ok", fetched: 1, records, rejected: 0, fromSnapshot: false, stageDir };
  const [loadSeconds] = await timed(() =>
    loadStages(db, {
      runId,
      loadedAt,
      sources: [source(kind)],
      reports: [report],
      manifests: new Map([["bench", manifest]]),
      ...(taxonomy ? { taxonomyFile } : {}),
    }),
  );
  return { stageSeconds, loadSeconds, stageDir };
}

async function inWarehouse<T>(fn: (db: DuckDBConnection, dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-bench-"));
  try {
    return await withWarehouse(path.join(dir, "bench.duckdb"), (db) => fn(db, dir));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const obsColumns = "indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, retrieved_at, row_hash";

const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Runs one measurement in a child process of this script and reads its one JSON line. */
function inChild(m: Measure): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, JSON.stringify(m)], {
      cwd: path.resolve(import.meta.dirname, ".."), // where `--import tsx` resolves
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as Measured) : reject(new Error(`${m.stage} exited with ${code}`)),
    );
  });
}

/** The measurement; its peak RSS is this process's unless the stage measured it elsewhere. */
async function measure(m: Measure): Promise<Omit<Measured, "peakRssMiB"> & { peakRssMiB?: number }> {
  switch (m.stage) {
    case "rss": {
      const body = new TextEncoder().encode(rssFeed(m.items));
      const [seconds, result] = await medianOf3(async () => parseRss({ sourceId: "bench", url: "https://example.org/feed", body }));
      return { seconds, count: result.rows.news_items?.length ?? 0 };
    }
    case "rss-bare": {
      const xml = rssFeed(m.items);
      const [seconds, feed] = await medianOf3(() => new RssParser().parseString(xml));
      return { seconds, count: feed.items.length };
    }
    case "stage-load":
      return inWarehouse(async (db, dir) => {
        const rows = { observations: observations(m.observations) };
        const { stageSeconds, loadSeconds } = await stageAndLoad(db, dir, rows, "indicator", "run-1", false);
        return { seconds: stageSeconds + loadSeconds, count: m.observations, parts: { stage: stageSeconds, load: loadSeconds } };
      });
    case "load-bare":
      return inWarehouse(async (db, dir) => {
        const stageDir = path.join(dir, "stage");
        await writeStage(stageDir, "bench", { observations: observations(m.observations) }, [capture], []);
        const file = sqlString(path.join(stageDir, "observations.parquet"));
        const [seconds] = await timed(() =>
          db.run(
            `INSERT INTO observations (${obsColumns}, valid_from) SELECT ${obsColumns}, TIMESTAMPTZ '${loadedAt}' FROM read_parquet(${file})`,
          ),
        );
        return { seconds, count: m.observations };
      });
    case "export":
    case "export-bare":
      return inWarehouse(async (db, dir) => {
        await stageAndLoad(db, dir, { observations: observations(m.observations) }, "indicator", "run-1", false);
        const out = path.join(dir, "exports");
        const [seconds] = await timed(async () => {
          if (m.stage === "export") await exportPublicTables(db, out, "2026-01-03T00:00:00Z", { release: false });
          else await db.run(`COPY (SELECT * FROM observations) TO ${sqlString(`${out}-observations.parquet`)} (FORMAT parquet)`);
        });
        return { seconds, count: m.observations };
      });
    case "derive": {
      // Generating, staging and loading the items takes more memory than derive; so they are done here and
      // derive runs on the loaded warehouse in a child process, whose peak RSS is derive's own.
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-bench-"));
      try {
        const warehouse = path.join(dir, "bench.duckdb");
        await withWarehouse(warehouse, (db) =>
          stageAndLoad(db, dir, { news_items: newsItems(m.items, m.density) }, "news", "run-1", false),
        );
        return await inChild({ stage: "derive-loaded", items: m.items, warehouse });
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    case "derive-loaded":
      return withWarehouse(m.warehouse, async (db) => {
        // Under the load's DuckDB memory limit, as the pipeline runs derive (inside loadStages).
        const [seconds] = await timed(() =>
          withMemoryLimit(db, loadMemoryLimit(), () => inTransaction(db, () => deriveTables(db, { taxonomyFile, derivedAt: loadedAt }))),
        );
        const [{ n }] = await queryRows(db, "SELECT count(*) AS n FROM news_stories");
        if (Number(n) !== m.items) throw new Error(`derive: ${n} of ${m.items} items in stories`);
        return { seconds, count: m.items, peakRssMiB: peakRssMiB() };
      });
    case "run":
      return inWarehouse(async (db, dir) => {
        // The warehouse's part of a run; fetching (one conditional request per source), the worker and the site build are not in it.
        // Cold: the source's rows staged, loaded (with derive) and exported into an empty warehouse. Unchanged: as the
        // pipeline does for a source whose captures did not change (workflows/ ingestSource), no parse and no stage:
        // the load records the source as unchanged, derive and the export run.
        // As parseSource does: each page of rows staged as it is made and then let go, so the run never
        // holds every row at once. Making the rows is part of the cold run here, as parsing is in a real one.
        const rows = (stageDir: string) =>
          buildStage(stageDir, "bench", async (add) => {
            for (const page of observationPages(m.observations, 20_000)) await add("observations", page);
            await add("news_items", newsItems(m.items, "sparse"));
            return { captures: [capture], rejections: [] };
          });
        const start = performance.now();
        await stageAndLoad(db, dir, rows, "news", "run-1", true);
        await exportPublicTables(db, path.join(dir, "exports"), "2026-01-03T00:00:00Z", { release: false });
        const cold = (performance.now() - start) / 1000;
        const again = performance.now();
        const report: RunReport = { sourceId: "bench", status: "unchanged", fetched: 1, records: 0, rejected: 0, fromSnapshot: false };
        await loadStages(db, {
          runId: "run-2",
          loadedAt: "2026-01-04T00:00:00Z",
          sources: [source("news")],
          reports: [report],
          manifests: new Map(),
          taxonomyFile,
        });
        const exported = await exportPublicTables(db, path.join(dir, "exports"), "2026-01-04T00:00:00Z", { release: false });
        const unchanged = (performance.now() - again) / 1000;
        return {
          seconds: cold,
          count: m.observations + m.items,
          parts: { unchanged },
          counts: { "tables rewritten when unchanged": exported.changed.length },
        };
      });
  }
}

const result = await measure(JSON.parse(process.argv[2]) as Measure);
const measured: Measured = { ...result, peakRssMiB: result.peakRssMiB ?? peakRssMiB() };
process.stdout.write(`${JSON.stringify(measured)}\n`);
