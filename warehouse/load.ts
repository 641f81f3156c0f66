// The single writer (docs/architecture.md rule 4): merges every source's staged Parquet into the warehouse in
// one transaction. Loading the same stage twice changes nothing; a failure rolls everything back, and a
// source whose own stage cannot be loaded is set aside so that every other source still loads.
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { bulkInsert, inTransaction, queryRows, sqlIdent, sqlString } from "./db.js";
import { deriveTables } from "./derive.js";
import type { StageManifest } from "./staging.js";
import { columnsOf, recordTableNames, recordTables, type RecordTable } from "./tables.js";

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

const keyMatch = (table: RecordTable, a: string, b: string) =>
  ["source_id", ...recordTables[table].key].map((k) => `${a}.${sqlIdent(k)} IS NOT DISTINCT FROM ${b}.${sqlIdent(k)}`).join(" AND ");

async function mergeTable(
  db: DuckDBConnection,
  table: RecordTable,
  parquet: string,
  sourceId: string,
  loadedAt: string,
): Promise<LoadCounts> {
  const spec = recordTables[table];
  const cols = columnsOf(table)
    .map(([c]) => sqlIdent(c))
    .join(", ");
  const t = sqlIdent(table);
  await db.run(`CREATE OR REPLACE TEMP TABLE staged AS SELECT ${cols} FROM read_parquet(${sqlString(parquet)})`);
  const bad = await queryRows(db, "SELECT count(*) AS n FROM staged WHERE source_id <> $sid", { sid: sourceId });
  if (Number(bad[0].n) > 0) throw new Error(`staged ${table} for ${sourceId} holds rows of another source`);
  const current = spec.mode === "versioned" ? "t.valid_to IS NULL" : "TRUE";

  const [counts] = await queryRows(
    db,
    `SELECT count(*) FILTER (WHERE t.row_hash IS NULL) AS new_rows,
            count(*) FILTER (WHERE t.row_hash IS NOT NULL AND t.row_hash <> s.row_hash) AS updated_rows
       FROM staged s LEFT JOIN ${t} t ON ${keyMatch(table, "t", "s")} AND ${current}`,
  );

  if (spec.mode === "snapshot" || spec.mode === "upsert") {
    // Remove rows that changed (and, for a snapshot, rows the source no longer lists), then add what is
    // not already there.
    const stale =
      spec.mode === "snapshot"
        ? `NOT EXISTS (SELECT 1 FROM staged s WHERE ${keyMatch(table, "s", "t")} AND s.row_hash = t.row_hash)`
        : `EXISTS (SELECT 1 FROM staged s WHERE ${keyMatch(table, "s", "t")} AND s.row_hash <> t.row_hash)`;
    await db.run(`DELETE FROM ${t} t WHERE t.source_id = $sid AND ${stale}`, { sid: sourceId });
    await db.run(
      `INSERT INTO ${t} (${cols}) SELECT ${cols} FROM staged s
        WHERE NOT EXISTS (SELECT 1 FROM ${t} t WHERE ${keyMatch(table, "t", "s")})`,
    );
  } else {
    // Close the open version of each revised row, then open a version for every key without one.
    await db.run(
      `UPDATE ${t} t SET valid_to = $at::TIMESTAMPTZ WHERE t.source_id = $sid AND t.valid_to IS NULL
         AND EXISTS (SELECT 1 FROM staged s WHERE ${keyMatch(table, "s", "t")} AND s.row_hash <> t.row_hash)`,
      { sid: sourceId, at: loadedAt },
    );
    await db.run(
      `INSERT INTO ${t} (${cols}, valid_from, valid_to) SELECT ${cols}, $at::TIMESTAMPTZ, NULL FROM staged s
        WHERE NOT EXISTS (SELECT 1 FROM ${t} t WHERE ${keyMatch(table, "t", "s")} AND t.valid_to IS NULL)`,
      { at: loadedAt },
    );
  }
  await db.run("DROP TABLE staged");
  return { newRows: Number(counts.new_rows), updatedRows: Number(counts.updated_rows) };
}

/**
 * Rows that earlier loads took from these very captures but that the parser no longer produces from them
 * (a parser fix now refuses an aggregate, drops a lost entry's stand-in…): a versioned row's open version
 * is closed, a snapshot row is deleted. Rows from other captures are left alone, since a feed that no
 * longer lists an item does not unpublish it. Upsert tables (publications, news, incidents) keep such rows:
 * analysts' curation points at them.
 */
async function retractUnproduced(db: DuckDBConnection, manifest: StageManifest, stageDir: string, loadedAt: string): Promise<number> {
  const shas = [...new Set(manifest.captures.map((c) => c.sha256))];
  if (shas.length === 0) return 0;
  let retracted = 0;
  // A warehouse from before a table's migration (an upgrade in progress) has nothing of it to retract.
  const existing = new Set((await queryRows(db, "SELECT table_name FROM information_schema.tables")).map((r) => String(r.table_name)));
  for (const table of recordTableNames) {
    const spec = recordTables[table];
    if (spec.mode === "upsert" || !existing.has(table)) continue;
    const t = sqlIdent(table);
    const info = manifest.tables[table];
    const keys = ["source_id", ...spec.key].map(sqlIdent).join(", ");
    await db.run(
      info
        ? `CREATE OR REPLACE TEMP TABLE produced AS SELECT DISTINCT ${keys} FROM read_parquet(${sqlString(path.join(stageDir, info.file))})`
        : `CREATE OR REPLACE TEMP TABLE produced AS SELECT ${keys} FROM ${t} LIMIT 0`,
    );
    const where = `t.source_id = $sid AND t.snapshot_sha256 IN (${shas.map(sqlString).join(", ")})
        AND NOT EXISTS (SELECT 1 FROM produced s WHERE ${keyMatch(table, "s", "t")})`;
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
    await db.run("DROP TABLE produced");
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
      const [other] = await queryRows(db, `SELECT count(*) AS n FROM read_parquet(${file}) WHERE source_id IS DISTINCT FROM $sid`, {
        sid: report.sourceId,
      });
      if (Number(other.n) > 0) return `staged ${table} holds ${other.n} row(s) of another source`;
      const [nulls] = await queryRows(
        db,
        `SELECT count(*) AS n FROM read_parquet(${file}) WHERE ${key.map((k) => `${sqlIdent(k)} IS NULL`).join(" OR ")}`,
      );
      if (Number(nulls.n) > 0) return `staged ${table} has ${nulls.n} row(s) with a null in its key (${key.join(", ")})`;
      const dups = await queryRows(
        db,
        `SELECT ${key.map(sqlIdent).join(" || '/' || ")} AS k, count(*) AS n FROM read_parquet(${file}) GROUP BY ALL HAVING count(*) > 1 ORDER BY k LIMIT 3`,
      );
      if (dups.length > 0) return `staged ${table} repeats key(s) ${dups.map((d) => `${String(d.k)} (${d.n} times)`).join(", ")}`;
    } catch (error) {
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
      if (culprit === undefined || setAside.has(culprit)) throw error;
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
          const c = await mergeTable(db, table, path.join(report.stageDir, info.file), report.sourceId, input.loadedAt);
          counts.newRows += c.newRows;
          counts.updatedRows += c.updatedRows;
        }
        counts.updatedRows += await retractUnproduced(db, manifest, report.stageDir, input.loadedAt);
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
