// Test helpers: fixture reading and throwaway data folders.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createActivities, type Activities } from "../activities/index.js";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach } from "vitest";
import { loadConfig, type ObservatoryConfig } from "../temporal.config.js";
import { loadStages, type LoadCounts, type RunReport, type SourceRow } from "../warehouse/load.js";
import { readStage, writeStage } from "../warehouse/staging.js";
import { oncePerRun, testRunDir } from "./once-per-run.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function fixture(...parts: string[]): Promise<Uint8Array> {
  return fs.readFile(path.join(repoRoot, "test", "fixtures", ...parts));
}

/** A config whose data/, warehouse, archive, staging, exports and built site all live in a fresh temp folder. */
export async function tempConfig(extra: Record<string, string> = {}): Promise<{ config: ObservatoryConfig; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-test-"));
  return { config: configIn(dir, extra), dir };
}

/**
 * The config of a data folder `dir` made by tempConfig. Within a test run, Framework's bundled npm modules
 * are kept in the run's folder, so the site builds of one run bundle them once, not once each.
 */
export function configIn(dir: string, extra: Record<string, string> = {}): ObservatoryConfig {
  const run = testRunDir();
  return loadConfig({
    OBSERVATORY_DATA_DIR: dir,
    OBSERVATORY_WAREHOUSE: path.join(dir, "observatory.duckdb"),
    OBSERVATORY_ARCHIVE_DIR: path.join(dir, "archive"),
    OBSERVATORY_STAGED_DIR: path.join(dir, "staged"),
    OBSERVATORY_EXPORTS_DIR: path.join(dir, "exports"),
    OBSERVATORY_SITE_OUTPUT: path.join(dir, "site"),
    OBSERVATORY_REVIEW_EVENTS: path.join(dir, "review-events.jsonl"),
    TEMPORAL_TASK_QUEUE: `test-${path.basename(dir)}`,
    ...(run ? { OBSERVATORY_SITE_MODULE_CACHE: path.join(run, "site-modules") } : {}),
    ...extra,
  });
}

/**
 * The workflow bundle of workflows/, made once per test run: each worker a test starts would otherwise
 * bundle the workflows again (seconds of webpack). Returns the bundle's file.
 */
export async function sharedWorkflowBundle(): Promise<string> {
  return oncePerRun("workflow-bundle", async (dir) => {
    const { bundleWorkflowCode } = await import("@temporalio/worker");
    const { workflowsPath } = await import("../worker/index.js");
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLog });
    const file = path.join(dir, "workflows.js");
    await fs.writeFile(file, code);
    return file;
  });
}

const quietBundlerLog = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

/** `config` with the run's shared workflow bundle, for a worker a test starts. */
export async function withSharedBundle(config: ObservatoryConfig): Promise<ObservatoryConfig> {
  return { ...config, worker: { ...config.worker, workflowBundle: await sharedWorkflowBundle() } };
}

/**
 * Runs every source offline (the bundled snapshot and the repository's sheets) through fetch, parse,
 * load and export with the real activities, without Temporal, into the temp folders of `config`. `now` is
 * the activities' clock: it dates the export, and so which quarterly reports the site has.
 */
export async function offlineExport(config: ObservatoryConfig, runKey: string, now: () => Date): Promise<Activities> {
  const activities = createActivities({ config, projectRoot: repoRoot, log: () => undefined, now });
  const reports: RunReport[] = [];
  for (const sourceId of await activities.listSources()) {
    const fetched = await activities.fetchSource({ sourceId, offline: true });
    const parsed = await activities.parseSource({ sourceId, runKey, captures: fetched.captures });
    reports.push({
      sourceId,
      status: "ok",
      fetched: fetched.captures.length,
      records: parsed.records,
      rejected: parsed.rejected,
      fromSnapshot: fetched.fromSnapshot,
      snapshotReason: fetched.snapshotReason,
      stageDir: parsed.stageDir,
    });
  }
  await activities.loadStaged({ runId: `pipeline/${runKey}`, reports });
  await activities.exportTables();
  return activities;
}

/**
 * A clock for the code under test: it starts at `startIso` and moves on `stepMs` at every reading, so
 * decisions made in one test keep their order and no test depends on the machine's clock.
 */
export function testClock(startIso: string, stepMs = 1000): () => Date {
  const start = Date.parse(startIso);
  if (Number.isNaN(start)) throw new Error(`testClock: ${JSON.stringify(startIso)} is not a date`);
  let readings = 0;
  return () => new Date(start + stepMs * readings++);
}

/**
 * Analyst accounts for a test, in its own folder: a real account file (scrypt keys) and each analyst's
 * signer, so decisions in tests are signed the way the console and the CLI sign them.
 */
export async function testAnalysts(dir: string, names: Record<string, "analyst" | "editor">) {
  const { AnalystStore, signerFromToken, signDecision } = await import("../activities/analysts.js");
  const { reviewId } = await import("../warehouse/review.js");
  const store = new AnalystStore(path.join(dir, "analysts.json"));
  const tokens: Record<string, string> = {};
  const signers: Record<string, Awaited<ReturnType<typeof signerFromToken>>> = {};
  for (const [name, role] of Object.entries(names)) {
    tokens[name] = await store.add(name, role, new Date("2026-01-01T00:00:00Z"));
    signers[name] = await signerFromToken(tokens[name]);
  }
  /** A decision signed by `name`, as recordReviewDecision receives it from the decision activity. */
  const decision = (
    name: string,
    ref: { kind: Parameters<typeof reviewId>[0]; key: string },
    action: "approve" | "reject" | "edit",
    reason: string,
    fields?: Record<string, string>,
  ) => ({ action, reason, fields, ...signDecision(signers[name], reviewId(ref.kind, ref.key), action, reason, fields ?? {}) });
  return { store, tokens, signers, decision };
}

/** Polls `fn` every 250 ms until it returns a value (errors count as "not yet"); fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A fresh temporary folder for every test of the calling file, removed after the test; `warehouse()` is a
 * DuckDB file inside it. Call at the top of a test file (it registers beforeEach and afterEach).
 */
export function withTempWarehouse(prefix = "observatory-test-"): { dir: () => string; warehouse: () => string } {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const current = () => {
    if (!dir) throw new Error("withTempWarehouse: the folder exists only while a test runs");
    return dir;
  };
  return { dir: current, warehouse: () => path.join(current(), "w.duckdb") };
}

/** The provenance the parse activity stamps on every staged row. */
export interface StageProvenance {
  source_id: string;
  snapshot_sha256: string;
  retrieved_at: string;
}

type StageRows = Parameters<typeof writeStage>[2];

/** One source's staged rows, as the parse activity would leave them, with one capture of a made-up body. */
export interface StageSpec {
  sourceId: string;
  /** Rows of each record table without their provenance, or a function of it; the provenance is added to each row. */
  rows: Record<string, Array<Record<string, unknown>>> | ((prov: StageProvenance) => StageRows);
  /** One hex digit repeated, or a full sha256. @default "b" */
  sha?: string;
  /** @default "2026-01-01T00:00:00Z" */
  retrievedAt?: string;
  url?: string;
  rejections?: Parameters<typeof writeStage>[4];
  /** What the run report says was parsed and rejected. @default records 1, rejected 0 */
  records?: number;
  rejected?: number;
  /** Folder name under `<dir>/staged/<runId>/`. @default sourceId */
  name?: string;
}

/** Writes one stage under `dir` and returns the run report that points at it. */
export async function stageSource(dir: string, runId: string, spec: StageSpec): Promise<RunReport> {
  const sha = (spec.sha ?? "b").length === 64 ? spec.sha! : (spec.sha ?? "b").repeat(64);
  const prov: StageProvenance = {
    source_id: spec.sourceId,
    snapshot_sha256: sha,
    retrieved_at: spec.retrievedAt ?? "2026-01-01T00:00:00Z",
  };
  const rows: StageRows =
    typeof spec.rows === "function"
      ? spec.rows(prov)
      : Object.fromEntries(Object.entries(spec.rows).map(([table, rs]) => [table, rs.map((r) => ({ ...r, ...prov }))]));
  const url = spec.url ?? "https://example.org/";
  const stageDir = path.join(dir, "staged", runId, spec.name ?? spec.sourceId);
  const capture = { url, sha256: sha, status: 200, retrievedAt: prov.retrieved_at, bytes: 1, origin: "snapshot" as const };
  await writeStage(stageDir, spec.sourceId, rows, [capture], spec.rejections ?? []);
  return {
    sourceId: spec.sourceId,
    status: "ok",
    fetched: 1,
    records: spec.records ?? 1,
    rejected: spec.rejected ?? 0,
    fromSnapshot: true,
    stageDir,
  };
}

/** Stages each source under `dir` and loads them all in the real single-transaction load. */
export async function stageAndLoad(
  db: DuckDBConnection,
  dir: string,
  load: { runId: string; loadedAt: string; sources: SourceRow[]; stages: StageSpec[]; taxonomyFile?: string },
): Promise<Record<string, LoadCounts>> {
  const reports: RunReport[] = [];
  for (const spec of load.stages) reports.push(await stageSource(dir, load.runId, spec));
  const manifests = new Map(await Promise.all(reports.map(async (r) => [r.sourceId, await readStage(r.stageDir!)] as const)));
  return loadStages(db, {
    runId: load.runId,
    loadedAt: load.loadedAt,
    sources: load.sources,
    reports,
    manifests,
    taxonomyFile: load.taxonomyFile,
  });
}

/** Bytes of a size as DuckDB shows one, e.g. `current_setting('memory_limit')`'s "18.7 GiB". */
export const bytesOf = (size: string): number => {
  const [, n, unit] = /^([\d.]+) (\w+)$/.exec(size)!;
  return Number(n) * 1024 ** ["bytes", "KiB", "MiB", "GiB", "TiB"].indexOf(unit);
};
