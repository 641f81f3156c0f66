// Staged records: what one source's parse produced, as one Parquet file per table plus a manifest,
// waiting for the single load (docs/architecture.md rule 4). Sources stage in parallel; only the load writes
// the warehouse.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { queryRows, sqlIdent, sqlString, withMemoryDb } from "./db.js";
import { BIDI_CONTROLS, escapeBidi, stripBidi } from "../sources/text.js";
import { recordTables, type RecordTable } from "./tables.js";

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

/** Rows of one record table, as a parser (or a test) gives them: an array, or any iterable read once. */
export type StagedRows = Iterable<Record<string, unknown> & Provenance>;

// Staged rows go to DuckDB as lines of text, one per row: `index<TAB>provenance number<TAB>content JSON`. The
// content JSON is exactly the text rowHash hashes, so DuckDB computes every row's hash, key and typed
// columns in SQL, and no JS object is made per row beyond what the caller passed in. JSON escapes tabs
// and line breaks inside values, so a line's fields never run into each other.
const LINE_BUFFER_BYTES = 1 << 23;
const DEFAULT_MAX_LINE = 2 * 1024 * 1024;
const BIDI_TEST = new RegExp(BIDI_CONTROLS.source);

/**
 * The line file of one table, written as batches of rows arrive: each batch is encoded and written before
 * the next is asked for, so the caller can let a capture's rows go once they are added.
 */
class TableLines {
  readonly columns: string[];
  // Lines are encoded straight into one reused buffer: joining millions of short strings first costs more than making them.
  private readonly buffer = Buffer.allocUnsafe(LINE_BUFFER_BYTES);
  private used = 0;
  count = 0;
  longest = 0;
  // A line names its provenance by its place in this list; rows of one capture mostly come together.
  readonly provenances: Provenance[] = [];
  private readonly provenanceIndex = new Map<string, number>();
  private last: Provenance | undefined;
  private provenance = 0;

  private constructor(
    readonly table: RecordTable,
    readonly file: string,
    private readonly handle: fs.FileHandle,
  ) {
    this.columns = Object.keys(recordTables[table].columns);
  }

  static async open(table: RecordTable, file: string): Promise<TableLines> {
    return new TableLines(table, file, await fs.open(file, "w"));
  }

  /** Adds rows; each carries its provenance, or `provenance` gives it for all of them. */
  async add(rows: Iterable<Record<string, unknown>>, provenance?: Provenance): Promise<void> {
    const { buffer, columns, table } = this;
    for (const row of rows) {
      let content = JSON.stringify(columns.map((c) => row[c] ?? null));
      if (BIDI_TEST.test(content)) {
        const neutral = neutraliseBidi(table, row);
        content = JSON.stringify(columns.map((c) => neutral[c] ?? null));
      }
      const line = `${this.count}\t${this.provenanceOf(provenance ?? (row as Record<string, unknown> & Provenance))}\t${content}\n`;
      this.count++;
      // At most three UTF-8 bytes per UTF-16 unit.
      const most = line.length * 3;
      if (most > this.longest) this.longest = most;
      if (most > buffer.length - this.used) await this.flush();
      if (most > buffer.length) await this.handle.write(line);
      else this.used += buffer.write(line, this.used);
    }
    await this.flush();
  }

  private provenanceOf(row: Provenance): number {
    const last = this.last;
    if (last && row.source_id === last.source_id && row.snapshot_sha256 === last.snapshot_sha256 && row.retrieved_at === last.retrieved_at)
      return this.provenance;
    this.last = { source_id: row.source_id, snapshot_sha256: row.snapshot_sha256, retrieved_at: row.retrieved_at };
    const id = JSON.stringify([row.source_id, row.snapshot_sha256, row.retrieved_at]);
    let index = this.provenanceIndex.get(id);
    if (index === undefined) {
      this.provenanceIndex.set(id, (index = this.provenances.length));
      this.provenances.push(this.last);
    }
    return (this.provenance = index);
  }

  private async flush(): Promise<void> {
    if (this.used > 0) await this.handle.write(this.buffer, 0, this.used);
    this.used = 0;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const provenanceText = (v: unknown) =>
  v === null || v === undefined ? "NULL" : sqlString(v instanceof Date ? v.toISOString() : String(v));

/** One provenance field of a line, looked up by its number `p` in the list the lines were written with. */
const provenanceOf = (provenances: Provenance[], field: keyof Provenance) =>
  `[${provenances.map((v) => provenanceText(v[field])).join(", ")}][p + 1]`;

/** The SQL of each staged column, read from a line's `l` (the content as text, one element per column) and `p`. */
function typedColumns(table: RecordTable, provenances: Provenance[]): string[] {
  const content = Object.entries(recordTables[table].columns).map(([column, type], i) => {
    const value = `l[${i + 1}]`;
    const typed = type === "VARCHAR" ? value : type === "VARCHAR[]" ? `CAST(${value}::JSON AS VARCHAR[])` : `CAST(${value} AS ${type})`;
    return `${typed} AS ${sqlIdent(column)}`;
  });
  return [
    ...content,
    `${provenanceOf(provenances, "source_id")} AS source_id`,
    `${provenanceOf(provenances, "snapshot_sha256")} AS snapshot_sha256`,
    `CAST(${provenanceOf(provenances, "retrieved_at")} AS TIMESTAMPTZ) AS retrieved_at`,
    "left(sha256(c), 32) AS row_hash",
  ];
}

/**
 * Adds rows of one table to a stage being written: any iterable, read once, each row with its provenance or
 * `provenance` for all. The rows are on disk when the promise resolves, so a parser's output for one
 * capture can go then.
 */
export type AddRows = (table: RecordTable, rows: Iterable<Record<string, unknown>>, provenance?: Provenance) => Promise<void>;

/**
 * Writes the stage of one source into `dir` (replacing what was there), its rows added by `fill` a batch
 * at a time, and returns the manifest of the captures and rejections `fill` returns. Should `fill` fail,
 * the folder is removed: a stage that is not finished has no manifest and is never loaded.
 *
 * Bidirectional controls are neutralised (neutraliseBidi), each row gets its rowHash, and the first row of
 * each natural key is kept: every later one becomes a rejection naming both captures. A source can really
 * serve one record twice (an OpenAlex cursor repeats a work when the index changes mid-paging); two staged
 * rows with one key would break the warehouse's primary key and, inside the single load transaction, every
 * other source's load with it. Parquet is written by an in-memory DuckDB with the schema from warehouse/tables.ts.
 */
export async function buildStage(
  dir: string,
  sourceId: string,
  fill: (add: AddRows) => Promise<{ captures: StagedCapture[]; rejections: StagedRejection[] }>,
): Promise<StageManifest> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const tables = new Map<RecordTable, TableLines>();
  const add: AddRows = async (table, rows, provenance) => {
    let lines = tables.get(table);
    if (!lines) tables.set(table, (lines = await TableLines.open(table, path.join(dir, `${table}.lines`))));
    await lines.add(rows, provenance);
  };
  let filled: Awaited<ReturnType<typeof fill>>;
  try {
    filled = await fill(add);
  } catch (error) {
    await Promise.all([...tables.values()].map((t) => t.close().catch(() => undefined)));
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  try {
    await Promise.all([...tables.values()].map((t) => t.close()));
    return await finishStage(dir, sourceId, [...tables.values()], filled.captures, filled.rejections);
  } finally {
    // A stage that failed half-way leaves no line files behind (and no manifest, so it is never loaded).
    await Promise.all([...tables.values()].map((t) => fs.rm(t.file, { force: true })));
  }
}

/** Writes the staged rows of one source into `dir` at once (buildStage, one batch per table) and returns the manifest. */
export function writeStage(
  dir: string,
  sourceId: string,
  rows: Partial<Record<RecordTable, StagedRows>>,
  captures: StagedCapture[],
  rejections: StagedRejection[],
): Promise<StageManifest> {
  return buildStage(dir, sourceId, async (add) => {
    for (const [table, tableRows] of Object.entries(rows) as Array<[RecordTable, StagedRows | undefined]>)
      if (tableRows) await add(table, tableRows);
    return { captures, rejections };
  });
}

async function finishStage(
  dir: string,
  sourceId: string,
  tables: TableLines[],
  captures: StagedCapture[],
  rejections: StagedRejection[],
): Promise<StageManifest> {
  const urlOf = new Map(captures.map((c) => [c.sha256, c.url]));
  const duplicates: StagedRejection[] = [];
  const manifest: StageManifest = { sourceId, tables: {}, captures, rejections: [] };
  await withMemoryDb(async (db) => {
    for (const { table, file: linesFile, count, longest, provenances, columns } of tables) {
      if (count === 0) continue;
      const parquetFile = path.join(dir, `${table}.parquet`);
      const maxLine = Math.max(DEFAULT_MAX_LINE, longest + 1);
      const lines = (extract: string) =>
        `(SELECT i, p, c, ${extract} AS l FROM read_csv(${sqlString(linesFile)}, delim = '\t', quote = '', escape = '', header = false,
          auto_detect = false, columns = {'i': 'BIGINT', 'p': 'INTEGER', 'c': 'VARCHAR'},
          max_line_size = ${maxLine}, buffer_size = ${Math.max(16 * 1024 * 1024, 4 * maxLine)}))`;
      const paths = (names: readonly string[]) => sqlList(names.map((n) => `$[${columns.indexOf(n)}]`));
      // rowKey's text, "W91" or "SP.POP.TOTL/KHM/2023", from the content as written.
      const key = recordTables[table].key;
      const keyText = key.map((_, n) => `coalesce(l[${n + 1}], 'null')`).join(" || '/' || ");
      const keyPaths = lines(`json_extract_string(c, ${paths(key)})`);
      // Two streaming passes, so no table of every line is held: the 64-bit hashes of keys given twice (a
      // hash aggregate of one number a line, far cheaper than of the keys' text), then the Parquet. Only the
      // rows of those hashes are ever held, grouped by the key's parts, so two keys that share a hash are
      // told apart there and are not repeats; nor are "A/B"+"C" and "A"+"B/C", whose texts are alike.
      const keyParts = key.map((_, n) => `l[${n + 1}]`).join(", ");
      const keyHash = `hash(${keyParts})`;
      await db.run(
        `CREATE OR REPLACE TEMP TABLE twice AS SELECT h FROM (SELECT ${keyHash} AS h FROM ${keyPaths}) GROUP BY h HAVING count(*) > 1`,
      );
      const [{ candidates }] = await queryRows<{ candidates: number }>(db, "SELECT count(*)::INTEGER AS candidates FROM twice");
      let repeated: Array<{ k: string; sha: string; first_sha: string; same: boolean }> = [];
      if (candidates > 0) {
        await db.run(
          `CREATE OR REPLACE TEMP TABLE repeats AS
           WITH ranked AS (
                  SELECT i, l, ${keyText} AS k, ${provenanceOf(provenances, "snapshot_sha256")} AS sha, c
                    FROM ${keyPaths} WHERE ${keyHash} IN (SELECT h FROM twice)),
                ordered AS (
                  SELECT i, k, sha, first_value(sha) OVER w AS first_sha, first_value(c) OVER w = c AS same, row_number() OVER w AS n
                    FROM ranked WINDOW w AS (PARTITION BY ${keyParts} ORDER BY i))
           SELECT i, k, sha, first_sha, same FROM ordered WHERE n > 1`,
        );
        repeated = await queryRows(db, "SELECT k, sha, first_sha, same FROM repeats ORDER BY i");
      }
      for (const r of repeated) {
        const here = urlOf.get(r.sha) ?? r.sha;
        const there = urlOf.get(r.first_sha) ?? r.first_sha;
        duplicates.push({
          url: here,
          record: `${table} ${r.k}`,
          reason: `duplicate key: the source already gave ${r.k}${here === there ? " earlier in this capture" : ` in ${there}`}${r.same ? " (identical)" : " with different values; the first is kept"}`,
        });
      }
      const later = repeated.length > 0 ? " WHERE i NOT IN (SELECT i FROM repeats)" : "";
      await db.run(
        `COPY (SELECT ${typedColumns(table, provenances).join(", ")} FROM ${lines(`json_extract_string(c, ${paths(columns)})`)}${later})
         TO ${sqlString(parquetFile)} (FORMAT parquet)`,
      );
      await db.run("DROP TABLE twice; DROP TABLE IF EXISTS repeats");
      manifest.tables[table] = { file: `${table}.parquet`, rows: count - repeated.length };
    }
  });
  manifest.rejections = [...rejections, ...duplicates];
  await fs.writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

const sqlList = (items: string[]) => `[${items.map(sqlString).join(", ")}]`;

export async function readStage(dir: string): Promise<StageManifest> {
  return JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as StageManifest;
}
