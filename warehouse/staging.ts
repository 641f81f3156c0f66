// Staged records: what one source's parse produced, as one Parquet file per table plus a manifest,
// waiting for the single load (DESIGN.md rule 4). Sources stage in parallel; only the load writes
// the warehouse.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { jsonColumns, sqlString, withMemoryDb } from "./db.js";
import { columnsOf, recordTables, type RecordTable } from "./tables.js";

export interface Provenance {
  source_id: string;
  snapshot_sha256: string;
  retrieved_at: string;
}

export interface StagedCapture {
  url: string;
  sha256: string;
  status: number;
  retrievedAt: string;
  bytes: number;
  origin: string;
  note?: string;
  producer?: string;
  licence?: string;
  retrievedFrom?: Array<{ url: string; repository?: string; path?: string; commit?: string; mirror?: string }>;
}

export interface StagedRejection {
  url: string;
  record: string;
  reason: string;
}

export interface StageManifest {
  sourceId: string;
  tables: Partial<Record<RecordTable, { file: string; rows: number }>>;
  captures: StagedCapture[];
  rejections: StagedRejection[];
}

/** A stable hash of a row's content (not its provenance), so re-loading unchanged data is a no-op. */
export function rowHash(table: RecordTable, row: Record<string, unknown>): string {
  const content = Object.keys(recordTables[table].columns).map((c) => row[c] ?? null);
  return createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 32);
}

/**
 * Writes the staged rows of one source into `dir` (replacing what was there) and returns the manifest.
 * Parquet is written by an in-memory DuckDB with the schema from warehouse/tables.ts.
 */
export async function writeStage(
  dir: string,
  sourceId: string,
  rows: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>>,
  captures: StagedCapture[],
  rejections: StagedRejection[],
): Promise<StageManifest> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const manifest: StageManifest = { sourceId, tables: {}, captures, rejections };
  await withMemoryDb(async (db) => {
    for (const [table, tableRows] of Object.entries(rows) as Array<[RecordTable, Array<Record<string, unknown>>]>) {
      if (!tableRows || tableRows.length === 0) continue;
      const jsonFile = path.join(dir, `${table}.ndjson`);
      const parquetFile = path.join(dir, `${table}.parquet`);
      const lines = tableRows.map((r) => JSON.stringify({ ...r, row_hash: rowHash(table, r) }));
      await fs.writeFile(jsonFile, `${lines.join("\n")}\n`);
      const columns = jsonColumns(Object.fromEntries(columnsOf(table)));
      await db.run(
        `COPY (SELECT * FROM read_json(${sqlString(jsonFile)}, format = 'newline_delimited', columns = ${columns})) ` +
          `TO ${sqlString(parquetFile)} (FORMAT parquet)`,
      );
      await fs.rm(jsonFile);
      manifest.tables[table] = { file: `${table}.parquet`, rows: tableRows.length };
    }
  });
  await fs.writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export async function readStage(dir: string): Promise<StageManifest> {
  return JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as StageManifest;
}
