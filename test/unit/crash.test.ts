import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport } from "../../warehouse/load.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { repoRoot, withTempWarehouse } from "../helpers.js";

// Large enough that the load takes a while and its inserts span more than one of DuckDB's row groups
// (122 880 rows each).
const BIG = 200_000;
const FIRST = 1_000;
const CHILD_TIMEOUT_MS = 240_000;

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-crash-");

const source = {
  source_id: "wb",
  title: "Crash test",
  kind: "indicator",
  parser: "worldbank-v2",
  urls: ["https://x/"],
  cadence: "monthly",
  licence: "CC BY 4.0",
  attribution: "test",
  enabled: true,
};

/** n synthetic observations (test data, never shown as real); `revision` changes every value. */
async function stage(name: string, n: number, revision: number): Promise<string> {
  const prov = { source_id: "wb", snapshot_sha256: String(revision).repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
  const observations = Array.from({ length: n }, (_, i) => ({
    indicator_code: `TEST.CRASH.${i % 100}`,
    country_iso3: "KHM",
    period: String(100000 + Math.floor(i / 100)),
    value: i + revision / 10,
    source_url: "https://x/",
    ...prov,
  }));
  const indicators = Array.from({ length: 100 }, (_, i) => ({
    indicator_code: `TEST.CRASH.${i}`,
    name: `Crash test ${i}`,
    unit: "units",
    source_note: null,
    ...prov,
  }));
  const stageDir = path.join(temp.dir(), "staged", name);
  const captures = [
    { url: "https://x/", sha256: prov.snapshot_sha256, status: 200, retrievedAt: prov.retrieved_at, bytes: 10, origin: "live" },
  ];
  await writeStage(stageDir, "wb", { observations, indicators }, captures, []);
  return stageDir;
}

function load(file: string, stageDir: string, runId: string, loadedAt: string) {
  return withWarehouse(file, async (db) => {
    const report: RunReport = { sourceId: "wb", status: "ok", fetched: 1, records: 0, rejected: 0, fromSnapshot: false, stageDir };
    return loadStages(db, {
      runId,
      loadedAt,
      sources: [source],
      reports: [report],
      manifests: new Map([["wb", await readStage(stageDir)]]),
    });
  });
}

/** Every table of the database: its row count and an order-independent checksum of its rows. */
function fingerprint(file: string) {
  return withWarehouse(file, async (db) => {
    const tables = await queryRows(
      db,
      "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' ORDER BY table_name",
    );
    const out: Record<string, unknown> = {};
    for (const { table_name } of tables) {
      const [row] = await queryRows(
        db,
        `SELECT count(*)::INTEGER AS n, md5(coalesce(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR), '')) AS md5 FROM "${String(table_name)}" t`,
      );
      out[String(table_name)] = row;
    }
    return out;
  });
}

interface ChildOutcome {
  line: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Starts the child load, waits for its in-transaction line (never for a fixed time), and SIGKILLs it. */
function killMidLoad(file: string, stageDir: string): Promise<ChildOutcome> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "test", "crash-load-child.ts"), file, stageDir, "run-2", "2026-02-01T00:00:00Z"],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise<ChildOutcome>((resolve, reject) => {
    let line: string | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the child did not reach its transaction within ${CHILD_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, CHILD_TIMEOUT_MS);
    createInterface({ input: child.stdout }).on("line", (text) => {
      if (line === undefined && text.startsWith("in-transaction ")) {
        line = text;
        child.kill("SIGKILL");
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (line === undefined)
        reject(new Error(`the child exited (code ${code}, signal ${signal}) before its transaction; stderr:\n${stderr}`));
      else resolve({ line, code, signal });
    });
  });
}

describe("A crash mid-load", () => {
  it("leaves the previous state intact when the loading process is killed inside its transaction, and the next load works", async () => {
    const file = path.join(temp.dir(), "w.duckdb");
    expect(await load(file, await stage("first", FIRST, 1), "run-1", "2026-01-01T00:00:00Z")).toEqual({
      wb: { newRows: FIRST + 100, updatedRows: 0 },
    });
    const before = await fingerprint(file);
    expect(before.observations).toMatchObject({ n: FIRST });

    // The same keys revised and many more: the load first closes the revised rows, then inserts.
    const big = await stage("big", BIG, 2);
    const outcome = await killMidLoad(file, big);
    expect(outcome.signal).toBe("SIGKILL");
    // Inside its transaction the child had closed every revised row and inserted the new ones, and its
    // uncommitted blocks had reached the database file (DuckDB writes big appends before commit).
    const seen = JSON.parse(outcome.line.slice("in-transaction ".length)) as Record<string, number>;
    expect(seen).toMatchObject({ closed: FIRST });
    expect(seen.observations).toBeGreaterThanOrEqual(BIG + FIRST);
    expect(seen.bytesNow, "uncommitted writes never reached the file, so the kill tests less than it should").toBeGreaterThan(
      seen.bytesAtOpen,
    );

    expect(await fingerprint(file)).toEqual(before);

    // No lock or log left behind: the same load now runs normally and its result survives a reopen.
    expect(await load(file, big, "run-2", "2026-02-01T00:00:00Z")).toEqual({ wb: { newRows: BIG - FIRST, updatedRows: FIRST } });
    const after = await withWarehouse(file, (db) =>
      queryRows(
        db,
        "SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE valid_to IS NULL)::INTEGER AS open, (SELECT list(run_id ORDER BY run_id) FROM " +
          "fetch_runs) AS runs FROM observations",
      ),
    );
    expect(after).toEqual([{ n: BIG + FIRST, open: BIG, runs: ["run-1", "run-2"] }]);
  }, 600_000);
});
