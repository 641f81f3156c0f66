// Child process for test/unit/crash.test.ts: runs the real loadStages on a large stage and is killed by
// the parent inside that load's transaction. It never lets the transaction commit, and prints one line,
// `in-transaction {...}`, once uncommitted rows have reached the database file on disk.
//
// Usage: tsx test/crash-load-child.ts <warehouse.duckdb> <stageDir> <runId> <loadedAt>
import fs from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, withWarehouse } from "../warehouse/db.js";
import { loadStages } from "../warehouse/load.js";
import { readStage } from "../warehouse/staging.js";

const SAFETY_EXIT_MS = 300_000;
const CHURN_ROUNDS = 20;

const [file, stageDir, runId, loadedAt] = process.argv.slice(2);
if (!file || !stageDir || !runId || !loadedAt) {
  process.stderr.write("usage: crash-load-child.ts <warehouse> <stageDir> <runId> <loadedAt>\n");
  process.exit(2);
}

// If the parent never kills us, leave without committing rather than hang a test run.
setTimeout(() => {
  process.stderr.write(`crash-load-child: not killed within ${SAFETY_EXIT_MS} ms\n`);
  process.exit(3);
}, SAFETY_EXIT_MS);

let signalled = false;

async function signal(db: DuckDBConnection, bytesAtOpen: number): Promise<void> {
  signalled = true;
  // Read inside the open transaction: what it has written that no other process may ever see.
  const [seen] = await queryRows(
    db,
    "SELECT count(*)::INTEGER AS observations, count(*) FILTER (WHERE valid_to IS NOT NULL)::INTEGER AS closed FROM observations",
  );
  const bytesNow = (await fs.stat(file)).size;
  process.stdout.write(`in-transaction ${JSON.stringify({ ...seen, bytesAtOpen, bytesNow })}\n`);
}

/**
 * Runs in place of COMMIT: keeps the transaction writing. DuckDB holds a modest insert in memory but
 * writes big appends to the database file before commit (optimistic writes), so the signal waits until
 * the file has grown: the kill then lands while uncommitted blocks sit in the file and more are being
 * written. After CHURN_ROUNDS without growth it signals anyway and the line says so.
 */
async function churn(db: DuckDBConnection, bytesAtOpen: number): Promise<never> {
  for (let round = 0; round < CHURN_ROUNDS; round++) {
    await db.run(
      `INSERT INTO observations SELECT * REPLACE (period || '-churn-' || ${round} AS period) FROM observations WHERE valid_to IS NULL LIMIT 200000`,
    );
    if (!signalled && (await fs.stat(file)).size > bytesAtOpen) await signal(db, bytesAtOpen);
  }
  if (!signalled) await signal(db, bytesAtOpen);
  return new Promise<never>(() => undefined);
}

/**
 * The connection loadStages gets: every call goes to DuckDB unchanged except COMMIT, which never reaches
 * it. So however slow the machine, the parent's kill lands inside loadStages' own transaction, after all
 * of its writes (the revised rows closed, 200k rows inserted, captures and fetch_runs recorded).
 */
function intercept(real: DuckDBConnection, bytesAtOpen: number): DuckDBConnection {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "run") {
        return async (sql: string, values?: unknown) => {
          if (/^\s*COMMIT\b/i.test(sql)) return churn(target, bytesAtOpen);
          return target.run(sql, values as never);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

await withWarehouse(file, async (db) => {
  const bytesAtOpen = (await fs.stat(file)).size;
  const manifest = await readStage(stageDir);
  const source = {
    source_id: manifest.sourceId,
    title: "Crash test",
    kind: "indicator",
    parser: "worldbank-v2",
    urls: ["https://x/"],
    cadence: "monthly",
    licence: "CC BY 4.0",
    attribution: "test",
    enabled: true,
  };
  const rows = Object.values(manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
  await loadStages(intercept(db, bytesAtOpen), {
    runId,
    loadedAt,
    sources: [source],
    reports: [{ sourceId: manifest.sourceId, status: "ok", fetched: 1, records: rows, rejected: 0, fromSnapshot: false, stageDir }],
    manifests: new Map([[manifest.sourceId, manifest]]),
  });
});
process.stderr.write("crash-load-child: the load returned, which the interception should make impossible\n");
process.exit(4);
