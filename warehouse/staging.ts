// Staged records: what one source's parse produced, as one Parquet file per table plus a manifest,
// waiting for the single load (docs/architecture.md rule 4). Sources stage in parallel; only the load writes
// the warehouse.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { jsonColumns, sqlString, withMemoryDb } from "./db.js";
import { escapeBidi, stripBidi } from "../sources/text.js";
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
  /** How the parser decoded the body's text, e.g. `gbk (XML declaration)`; only for text documents. */
  encoding?: string;
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

// Long free text of a record: bidirectional controls there are kept, written out as escaped text.
// Every other text column (titles, names, outlets, keys, lists of names) loses them (sources/text.ts).
const bodyColumns = new Set(["abstract", "summary", "description", "text", "note", "entities_text", "source_note"]);

/** A staged row with bidirectional controls removed from titles and names and escaped in bodies (docs/architecture.md rule 7). */
export function neutraliseBidi(table: RecordTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const [column, type] of Object.entries(recordTables[table].columns)) {
    const v = row[column];
    const clean = bodyColumns.has(column) ? escapeBidi : stripBidi;
    if (type === "VARCHAR" && typeof v === "string") out[column] = clean(v);
    else if (type === "VARCHAR[]" && Array.isArray(v)) out[column] = v.map((x) => (typeof x === "string" ? clean(x) : x));
  }
  return out;
}

/** A table row's natural key within its source, as text for messages: "W91" or "SP.POP.TOTL/KHM/2023". */
export function rowKey(table: RecordTable, row: Record<string, unknown>): string {
  return recordTables[table].key.map((k) => String(row[k] ?? "null")).join("/");
}

/**
 * Keeps the first row of each natural key and turns every later one into a rejection naming both
 * captures. A source can really serve one record twice (an OpenAlex cursor repeats a work when the
 * index changes mid-paging); two staged rows with one key would break the warehouse's primary key and,
 * inside the single load transaction, every other source's load with it.
 */
export function dedupeStagedRows(
  rows: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>>,
  captures: Array<Pick<StagedCapture, "url" | "sha256">>,
): { rows: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>>; rejections: StagedRejection[] } {
  const urlOf = new Map(captures.map((c) => [c.sha256, c.url]));
  const out: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>> = {};
  const rejections: StagedRejection[] = [];
  for (const [table, tableRows] of Object.entries(rows) as Array<[RecordTable, Array<Record<string, unknown> & Provenance>]>) {
    const first = new Map<string, Record<string, unknown> & Provenance>();
    for (const row of tableRows ?? []) {
      const key = rowKey(table, row);
      const earlier = first.get(key);
      if (!earlier) {
        first.set(key, row);
        continue;
      }
      const here = urlOf.get(row.snapshot_sha256) ?? row.snapshot_sha256;
      const there = urlOf.get(earlier.snapshot_sha256) ?? earlier.snapshot_sha256;
      const same = rowHash(table, row) === rowHash(table, earlier);
      rejections.push({
        url: here,
        record: `${table} ${key}`,
        reason: `duplicate key: the source already gave ${key}${here === there ? " earlier in this capture" : ` in ${there}`}${same ? " (identical)" : " with different values; the first is kept"}`,
      });
    }
    out[table] = [...first.values()];
  }
  return { rows: out, rejections };
}

/**
 * Writes the staged rows of one source into `dir` (replacing what was there) and returns the manifest.
 * Rows repeating a key are rejected here (dedupeStagedRows), so a stage never holds a key twice.
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
  const neutral = Object.fromEntries(
    Object.entries(rows).map(([table, tableRows]) => [
      table,
      (tableRows ?? []).map((r) => neutraliseBidi(table as RecordTable, r) as typeof r),
    ]),
  ) as typeof rows;
  const deduped = dedupeStagedRows(neutral, captures);
  rows = deduped.rows;
  const manifest: StageManifest = { sourceId, tables: {}, captures, rejections: [...rejections, ...deduped.rejections] };
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
