// Test helpers: fixture reading and throwaway data folders.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createActivities, type Activities } from "../activities/index.js";
import { loadConfig, type ObservatoryConfig } from "../temporal.config.js";
import type { RunReport } from "../warehouse/load.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function fixture(...parts: string[]): Promise<Uint8Array> {
  return fs.readFile(path.join(repoRoot, "test", "fixtures", ...parts));
}

/** A config whose data/, warehouse, archive, staging, exports and built site all live in a fresh temp folder. */
export async function tempConfig(extra: Record<string, string> = {}): Promise<{ config: ObservatoryConfig; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-test-"));
  const config = loadConfig({
    OBSERVATORY_DATA_DIR: dir,
    OBSERVATORY_WAREHOUSE: path.join(dir, "observatory.duckdb"),
    OBSERVATORY_ARCHIVE_DIR: path.join(dir, "archive"),
    OBSERVATORY_STAGED_DIR: path.join(dir, "staged"),
    OBSERVATORY_EXPORTS_DIR: path.join(dir, "exports"),
    OBSERVATORY_SITE_OUTPUT: path.join(dir, "site"),
    OBSERVATORY_REVIEW_EVENTS: path.join(dir, "review-events.jsonl"),
    TEMPORAL_TASK_QUEUE: `test-${path.basename(dir)}`,
    ...extra,
  });
  return { config, dir };
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
    reports.push({ sourceId, status: "ok", fetched: fetched.captures.length, records: parsed.records, rejected: parsed.rejected, fromSnapshot: fetched.fromSnapshot, snapshotReason: fetched.snapshotReason, stageDir: parsed.stageDir });
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
