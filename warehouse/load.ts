// The single writer (docs/architecture.md rule 4): merges every source's staged Parquet into the warehouse in
// one transaction. Loading the same stage twice changes nothing; a failure rolls everything back, and a
// source whose own stage cannot be loaded is set aside so that every other source still loads.
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { bulkInsert, inTransaction, isOutOfMemory, queryRows, sqlIdent, sqlString, withMemoryLimit } from "./db.js";
import { deriveTables } from "./derive.js";
import type { StageManifest } from "./staging.js";
import { columnsOf, recordTableNames, recordTables, type RecordTable } from "./tables.js";
import { loadMemoryLimit } from "../temporal.config.js";

/** The sources table's columns and their DuckDB types. */
export const sourceColumns = {
  source_id: "VARCHAR",
  title: "VARCHAR",
  kind: "VARCHAR",
  parser: "VARCHAR",
  urls: "VARCHAR[]",
  cadence: "VARCHAR",
  licence: "VARCHAR",
  attribution: "VARCHAR",
  enabled: "BOOLEAN",
} as const;

export interface SourceRow {
  source_id: string;
  title: string;
  kind: string;
  parser: string;
  urls: string[];
  cadence: string;
  licence: string;
  attribution: string;
  enabled: boolean;
}

/** What one source's ingest reported, successful or not. */
export interface RunReport {
  sourceId: string;
  /** ok: staged and loaded; unchanged: nothing new to load; skipped: no offline copy; failed: its own error. */
  status: "ok" | "unchanged" | "skipped" | "failed";
  startedAt?: string;
  finishedAt?: string;
  fetched: number;
  records: number;
  rejected: number;
  fromSnapshot: boolean;
  snapshotReason?: string;
  message?: string;
  /** Present when status is ok. */
  stageDir?: string;
}

export interface LoadCounts {
  newRows: number;
  updatedRows: number;
  /** Set when this source's stage could not be loaded: why. It was set aside and the others loaded. */
  error?: string;
}

/** Key equality between a staged row and a warehouse row. Staged keys are never null (stageProblem), so `=` matches as `IS NOT DISTINCT FROM` would. */
const keyEquals = (table: RecordTable, a: string, b: string) =>
  ["source_id", ...recordTables[table].key].map((k) => `${a}.${sqlIdent(k)} = ${b}.${sqlIdent(k)}`).join(" AND ");

/**
 * Merges one staged table, set-based: the staged rows are joined once to the rows they would replace
 * (the open version, for a versioned table), and the counts, the closing or removal of changed rows and
 * the insert of new versions all read that one join. Returns the new and updated rows, the retracted
 * ones (rows these captures gave before that they no longer give) among the updated.
 */
async function mergeTable(
  db: DuckDBConnection,
  table: RecordTable,
  parquet: string,
  manifest: StageManifest,
  loadedAt: string,
): Promise<LoadCounts> {
  const spec = recordTables[table];
  const sourceId = manifest.sourceId;
  const cols = columnsOf(table)
    .map(([c]) => sqlIdent(c))
    .join(", ");
  const t = sqlIdent(table);
  const current = spec.mode === "versioned" ? " AND t.valid_to IS NULL" : "";
  // A source's first load into this table (a new source, a first backfill): nothing to join with, close,
  // replace or retract, so the stage goes in as it is. stageProblem has checked its keys and source already.
  const [{ held }] = await queryRows<{ held: boolean }>(db, `SELECT EXISTS (SELECT 1 FROM ${t} WHERE source_id = $sid) AS held`, {
    sid: sourceId,
  });
  if (!held) {
    const versions = spec.mode === "versioned" ? ", valid_from, valid_to" : "";
    const inserted = await db.run(
      `INSERT INTO ${t} (${cols}${versions}) SELECT ${cols}${versions ? ", $at::TIMESTAMPTZ, NULL" : ""} FROM read_parquet(${sqlString(parquet)})`,
      versions ? { at: loadedAt } : undefined,
    );
    return { newRows: inserted.rowsChanged, updatedRows: 0 };
  }
  await db.run(
    `CREATE OR REPLACE TEMP TABLE staged AS
       SELECT ${columnsOf(table)
         .map(([c]) => `s.${sqlIdent(c)}`)
         .join(", ")}, t.row_hash AS old_hash, t.snapshot_sha256 AS old_sha
         FROM read_parquet(${sqlString(parquet)}) s LEFT JOIN ${t} t ON ${keyEquals(table, "t", "s")}${current}`,
  );
  const shas = [...new Set(manifest.captures.map((c) => c.sha256))];
  const inShas = (column: string) => (shas.length === 0 ? "FALSE" : `${column} IN (${shas.map(sqlString).join(", ")})`);
  const [counts] = await queryRows<{
    rows: number;
    staged: number;
    other: number;
    new_rows: number;
    updated_rows: number;
    produced_here: number;
  }>(
    db,
    `SELECT count(*)::INTEGER AS rows, (SELECT count(*) FROM read_parquet(${sqlString(parquet)}))::INTEGER AS staged,
            count(*) FILTER (WHERE source_id IS DISTINCT FROM $sid)::INTEGER AS other,
            count(*) FILTER (WHERE old_hash IS NULL)::INTEGER AS new_rows,
            count(*) FILTER (WHERE old_hash <> row_hash)::INTEGER AS updated_rows,
            count(*) FILTER (WHERE CASE WHEN old_hash IS NULL OR old_hash <> row_hash THEN ${inShas("snapshot_sha256")} ELSE ${inShas("old_sha")} END)::INTEGER AS produced_here
       FROM staged`,
    { sid: sourceId },
  );
  if (counts.other > 0) throw new Error(`staged ${table} for ${sourceId} holds rows of another source`);
  if (counts.rows !== counts.staged) throw new Error(`${table} holds more than one current row for some of ${sourceId}'s staged keys`);
  const changed = "s.old_hash <> s.row_hash";

  if (spec.mode === "snapshot" || spec.mode === "upsert") {
    // Remove rows that changed (and, for a snapshot, rows the source no longer lists), then add what is
    // not already there.
    if (spec.mode === "snapshot")
      await db.run(
        `DELETE FROM ${t} t WHERE t.source_id = $sid
           AND NOT EXISTS (SELECT 1 FROM staged s WHERE ${keyEquals(table, "s", "t")} AND s.row_hash = t.row_hash)`,
        { sid: sourceId },
      );
    else if (counts.updated_rows > 0)
      await db.run(
        `DELETE FROM ${t} t WHERE t.source_id = $sid AND EXISTS (SELECT 1 FROM staged s WHERE ${keyEquals(table, "s", "t")} AND ${changed})`,
        {
          sid: sourceId,
        },
      );
    if (counts.new_rows + counts.updated_rows > 0)
      await db.run(`INSERT INTO ${t} (${cols}) SELECT ${cols} FROM staged s WHERE s.old_hash IS NULL OR ${changed}`);
    await db.run("DROP TABLE staged");
    return { newRows: counts.new_rows, updatedRows: counts.updated_rows };
  }

  // Close the open version of each revised row, then open a version for every new or revised one.
  if (counts.updated_rows > 0)
    await db.run(
      `UPDATE ${t} t SET valid_to = $at::TIMESTAMPTZ WHERE t.source_id = $sid AND t.valid_to IS NULL
         AND EXISTS (SELECT 1 FROM staged s WHERE ${keyEquals(table, "s", "t")} AND ${changed})`,
      { sid: sourceId, at: loadedAt },
    );
  if (counts.new_rows + counts.updated_rows > 0)
    await db.run(
      `INSERT INTO ${t} (${cols}, valid_from, valid_to) SELECT ${cols}, $at::TIMESTAMPTZ, NULL FROM staged s
        WHERE s.old_hash IS NULL OR ${changed}`,
      { at: loadedAt },
    );
  // Every staged key now has one open version; those from these captures are `produced_here`. Any other
  // open version from these captures is a row they no longer give (retractUnproduced), closed here.
  const [{ open }] = await queryRows<{ open: number }>(
    db,
    `SELECT count(*)::INTEGER AS open FROM ${t} t WHERE t.source_id = $sid AND t.valid_to IS NULL AND ${inShas("t.snapshot_sha256")}`,
    { sid: sourceId },
  );
  let retracted = 0;
  if (open !== counts.produced_here) {
    const where = `t.source_id = $sid AND t.valid_to IS NULL AND ${inShas("t.snapshot_sha256")}
        AND NOT EXISTS (SELECT 1 FROM staged s WHERE ${keyEquals(table, "s", "t")})`;
    const [{ n }] = await queryRows<{ n: number }>(db, `SELECT count(*)::INTEGER AS n FROM ${t} t WHERE ${where}`, { sid: sourceId });
    if (n > 0) await db.run(`UPDATE ${t} t SET valid_to = $at::TIMESTAMPTZ WHERE ${where}`, { sid: sourceId, at: loadedAt });
    retracted = n;
  }
  await db.run("DROP TABLE staged");
  return { newRows: counts.new_rows, updatedRows: counts.updated_rows + retracted };
}

/**
 * Rows that earlier loads took from these very captures but that the parser no longer produces from them
 * (a parser fix now refuses an aggregate, drops a lost entry's stand-in…): a versioned row's open version
 * is closed, a snapshot row is deleted. Rows from other captures are left alone, since a feed that no
 * longer lists an item does not unpublish it. Upsert tables (publications, news, incidents) keep such rows:
 * analysts' curation points at them. Tables the stage holds were done by their merge (mergeTable); this
 * is for the others, which these captures no longer give any row of.
 */
async function retractUnproduced(db: DuckDBConnection, manifest: StageManifest, loadedAt: string): Promise<number> {
  const shas = [...new Set(manifest.captures.map((c) => c.sha256))];
  if (shas.length === 0) return 0;
  let retracted = 0;
  // A warehouse from before a table's migration (an upgrade in progress) has nothing of it to retract.
  const existing = new Set((await queryRows(db, "SELECT table_name FROM information_schema.tables")).map((r) => String(r.table_name)));
  for (const table of recordTableNames) {
    const spec = recordTables[table];
    if (spec.mode === "upsert" || !existing.has(table) || manifest.tables[table]) continue;
    const t = sqlIdent(table);
    const where = `t.source_id = $sid AND t.snapshot_sha256 IN (${shas.map(sqlString).join(", ")})`;
    const [{ n }] = await queryRows(
      db,
      `SELECT count(*)::INTEGER AS n FROM ${t} t WHERE ${where}${spec.mode === "versioned" ? " AND t.valid_to IS NULL" : ""}`,
      {
        sid: manifest.sourceId,
      },
    );
    if (Number(n) > 0) {
      await db.run(
        spec.mode === "versioned"
          ? `UPDATE ${t} t SET valid_to = $at::TIMESTAMPTZ WHERE t.valid_to IS NULL AND ${where}`
          : `DELETE FROM ${t} t WHERE ${where}`,
        { sid: manifest.sourceId, ...(spec.mode === "versioned" ? { at: loadedAt } : {}) },
      );
      retracted += Number(n);
    }
  }
  return retracted;
}

async function recordCaptures(db: DuckDBConnection, manifest: StageManifest, runId: string): Promise<void> {
  const captures = manifest.captures.map((c) => ({
    sha256: c.sha256,
    url: c.url,
    source_id: manifest.sourceId,
    status: c.status,
    retrieved_at: c.retrievedAt,
    bytes: c.bytes,
    origin: c.origin,
    note: c.note ?? null,
    producer: c.producer ?? null,
    licence: c.licence ?? null,
    retrieved_from_url: c.retrievedFrom?.[0]?.url ?? null,
    mirror: c.retrievedFrom?.[0]?.mirror ?? null,
    mirror_repository: c.retrievedFrom?.[0]?.repository ?? null,
    mirror_commit: c.retrievedFrom?.[0]?.commit ?? null,
  }));
  await db.run("CREATE OR REPLACE TEMP TABLE staged_snapshots AS SELECT * FROM snapshots LIMIT 0");
  // A warehouse from before migration 010 has no provenance columns yet: write the columns it has.
  const present = new Set(
    (await queryRows(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'staged_snapshots'")).map((r) =>
      String(r.column_name),
    ),
  );
  const columns = Object.fromEntries(Object.entries(snapshotColumns).filter(([name]) => present.has(name)));
  await bulkInsert(db, "staged_snapshots", columns, captures);
  const names = Object.keys(columns).map(sqlIdent).join(", ");
  await db.run(`INSERT INTO snapshots (${names}) SELECT DISTINCT ${names} FROM staged_snapshots ON CONFLICT DO NOTHING`);
  await db.run("DROP TABLE staged_snapshots");
  await db.run("DELETE FROM rejections WHERE run_id = $run AND source_id = $sid", { run: runId, sid: manifest.sourceId });
  await bulkInsert(
    db,
    "rejections",
    { run_id: "VARCHAR", source_id: "VARCHAR", url: "VARCHAR", record: "VARCHAR", reason: "VARCHAR" },
    manifest.rejections.map((r) => ({ run_id: runId, source_id: manifest.sourceId, url: r.url, record: r.record, reason: r.reason })),
  );
}

const snapshotColumns = {
  sha256: "VARCHAR",
  url: "VARCHAR",
  source_id: "VARCHAR",
  status: "INTEGER",
  retrieved_at: "TIMESTAMPTZ",
  bytes: "BIGINT",
  origin: "VARCHAR",
  note: "VARCHAR",
  producer: "VARCHAR",
  licence: "VARCHAR",
  retrieved_from_url: "VARCHAR",
  mirror: "VARCHAR",
  mirror_repository: "VARCHAR",
  mirror_commit: "VARCHAR",
} as const;

async function replaceSources(db: DuckDBConnection, sources: SourceRow[]): Promise<void> {
  await db.run("DELETE FROM sources");
  await bulkInsert(
    db,
    "sources",
    sourceColumns,
    sources.map((s) => ({ ...s })),
  );
}

export interface LoadInput {
  runId: string;
  loadedAt: string;
  sources: SourceRow[];
  reports: RunReport[];
  manifests: Map<string, StageManifest>;
  /** The analyst-editable keyword taxonomy the derived tags and candidates are computed from. */
  taxonomyFile?: string;
  /**
   * DuckDB's memory limit for the load (null: DuckDB's own); its joins and temporary tables spill to disk
   * under it. Should a statement find too little memory, the load runs again under the previous limit.
   * @default OBSERVATORY_LOAD_MEMORY_LIMIT (temporal.config.ts)
   */
  memoryLimit?: string | null;
  /** Told of what the caller should log: a load run again under more memory. */
  log?: (message: string) => void;
}

/**
 * Why a source's stage cannot be merged, found before the transaction so it never aborts the others:
 * a key given twice (the warehouse's keys are the source id plus the table's key), a null in a key, or
 * rows of another source. Undefined when the stage is sound.
 */
export async function stageProblem(db: DuckDBConnection, report: RunReport, manifest: StageManifest): Promise<string | undefined> {
  for (const [table, info] of Object.entries(manifest.tables) as Array<[RecordTable, { file: string }]>) {
    const file = sqlString(path.join(report.stageDir!, info.file));
    const key = ["source_id", ...recordTables[table].key];
    try {
      const [found] = await queryRows<{ other: number; nulls: number }>(
        db,
        `SELECT count(*) FILTER (WHERE source_id IS DISTINCT FROM $sid)::INTEGER AS other,
                count(*) FILTER (WHERE ${key.map((k) => `${sqlIdent(k)} IS NULL`).join(" OR ")})::INTEGER AS nulls
           FROM read_parquet(${file})`,
        { sid: report.sourceId },
      );
      if (found.other > 0) return `staged ${table} holds ${found.other} row(s) of another source`;
      if (found.nulls > 0) return `staged ${table} has ${found.nulls} row(s) with a null in its key (${key.join(", ")})`;
      // The key's text only for keys given twice, not for every row.
      const dups = await queryRows(
        db,
        `WITH twice AS (SELECT ${key.map(sqlIdent).join(", ")}, count(*) AS n FROM read_parquet(${file}) GROUP BY ALL HAVING count(*) > 1)
         SELECT ${key.map(sqlIdent).join(" || '/' || ")} AS k, n FROM twice ORDER BY k LIMIT 3`,
      );
      if (dups.length > 0) return `staged ${table} repeats key(s) ${dups.map((d) => `${String(d.k)} (${d.n} times)`).join(", ")}`;
    } catch (error) {
      if (isOutOfMemory(error)) throw error; // the memory limit's doing, not the stage's
      return `staged ${table} cannot be read: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/**
 * Merges all stages in one transaction and returns new/updated counts per source. A stage that fails
 * its checks, or whose merge fails, is set aside with the reason (`error` in its counts, `failed` in
 * fetch_runs): the transaction is rolled back and run again without it, so one source's data never
 * stops the others. Failures that belong to no one source (the derived tables) still fail the load.
 */
export async function loadStages(db: DuckDBConnection, input: LoadInput): Promise<Record<string, LoadCounts>> {
  const limit = input.memoryLimit === undefined ? loadMemoryLimit() : input.memoryLimit;
  return withMemoryLimit(
    db,
    limit,
    () => loadWithin(db, input),
    (message) => input.log?.(`load: ${message}`),
  );
}

async function loadWithin(db: DuckDBConnection, input: LoadInput): Promise<Record<string, LoadCounts>> {
  const setAside = new Map<string, string>();
  for (const report of input.reports) {
    const manifest = input.manifests.get(report.sourceId);
    if (report.status !== "ok" || !manifest || !report.stageDir) continue;
    const problem = await stageProblem(db, report, manifest);
    if (problem) setAside.set(report.sourceId, problem);
  }
  for (;;) {
    const progress: { merging?: string } = {};
    try {
      return await loadOnce(db, input, setAside, progress);
    } catch (error) {
      const culprit = progress.merging;
      // Too little memory is no one source's fault: withMemoryLimit runs the whole load again.
      if (culprit === undefined || setAside.has(culprit) || isOutOfMemory(error)) throw error;
      setAside.set(culprit, `its stage could not be loaded: ${(error as Error).message.split("\n")[0]}`);
    }
  }
}

async function loadOnce(
  db: DuckDBConnection,
  input: LoadInput,
  setAside: Map<string, string>,
  progress: { merging?: string },
): Promise<Record<string, LoadCounts>> {
  const result: Record<string, LoadCounts> = {};
  await inTransaction(db, async () => {
    await replaceSources(db, input.sources);
    for (const report of input.reports) {
      const counts: LoadCounts = { newRows: 0, updatedRows: 0 };
      const manifest = input.manifests.get(report.sourceId);
      const error = setAside.get(report.sourceId);
      if (error) {
        counts.error = error;
      } else if (report.status === "ok" && manifest && report.stageDir) {
        progress.merging = report.sourceId;
        for (const [table, info] of Object.entries(manifest.tables) as Array<[RecordTable, { file: string }]>) {
          const c = await mergeTable(db, table, path.join(report.stageDir, info.file), manifest, input.loadedAt);
          counts.newRows += c.newRows;
          counts.updatedRows += c.updatedRows;
        }
        counts.updatedRows += await retractUnproduced(db, manifest, input.loadedAt);
        await recordCaptures(db, manifest, input.runId);
        progress.merging = undefined;
      }
      await db.run(
        `INSERT OR REPLACE INTO fetch_runs VALUES ($run, $sid, $status, $started::TIMESTAMPTZ, $finished::TIMESTAMPTZ,
           $fetched, $records, $new, $updated, $rejected, $snap, $reason, $message)`,
        {
          run: input.runId,
          sid: report.sourceId,
          status: error ? "failed" : report.status,
          started: report.startedAt ?? null,
          finished: report.finishedAt ?? null,
          fetched: report.fetched,
          records: report.records,
          new: counts.newRows,
          updated: counts.updatedRows,
          rejected: report.rejected,
          snap: report.fromSnapshot,
          reason: report.snapshotReason ?? null,
          message: error ? `${report.sourceId}: set aside at the load: ${error}` : (report.message ?? null),
        },
      );
      result[report.sourceId] = counts;
    }
    if (input.taxonomyFile) await deriveTables(db, { taxonomyFile: input.taxonomyFile, derivedAt: input.loadedAt });
  });
  return result;
}
