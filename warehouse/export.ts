// Public exports for researchers: per public table a zstd Parquet file and a CSV twin, both sorted and
// byte-for-byte reproducible, described by a Frictionless Data Package (datapackage.json) built from
// warehouse/metadata.yaml. Written to a temporary folder and swapped in whole, so readers never see half
// an export; once the swap has succeeded, the same files are kept as a dated release under
// releases/<YYYY-MM-DD>/.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, sqlIdent, sqlString, withMemoryLimit } from "./db.js";
import { checkAgainstSchema, citationFor, defaultMetadataFile, licenceOf, loadMetadata, type Licence, type Metadata } from "./metadata.js";
import { recordTableNames } from "./tables.js";
import { exportMemoryLimit } from "../temporal.config.js";

export interface PublicTable {
  /** ORDER BY of the written rows. Every column follows as a tie-breaker, so equal keys cannot reorder bytes. */
  orderBy: string;
  /**
   * A query exported instead of the bare table; its columns are what metadata.yaml must describe. A
   * function gets the export's UTC date, for views that judge "now" (overdue measures) by the build date.
   */
  from?: string | ((date: string) => string);
  /** A record table whose sources' licences this table carries too (an aggregate of it: share-alike applies). */
  licencesOf?: string;
  /**
   * For run bookkeeping, which gains rows at every run: the part of its rows the site's pages show, a query
   * over the exported rows (`rows`). The site's inputs (ExportResult.siteInputs) count this instead of the
   * whole table, so a run that changes only bookkeeping the pages do not show leaves the site as it is.
   */
  siteShows?: (rows: string) => string;
}

// The pages show each source's latest run (status, day, records, set aside, from the snapshot or not) and
// its last good one's day (index, methodology), and the latest quality run's checks by day
// (methodology): not the run ids, the times within the day or the older runs.
const latestRunPerSource = (rows: string) => `
  SELECT source_id, status, finished_at::DATE AS day, records, rejected, from_snapshot, snapshot_reason, message,
         (SELECT max(g.finished_at)::DATE FROM ${rows} g WHERE g.source_id = r.source_id AND g.status IN ('ok', 'unchanged')) AS last_ok_day
    FROM ${rows} r
  QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1`;
const latestQualityRun = (rows: string) => `
  SELECT check_name, severity, status, failing_count, examples, checked_at::DATE AS day FROM ${rows}
   WHERE run_id = (SELECT arg_max(run_id, checked_at) FROM ${rows})`;

// Each value carries its indicator's name and unit so observations.parquet reads on its own: the row's own
// source's definition, else (a source that gave values but no definition) any source's for the code.
// Only published rows: analyst-sheet values once approved, no rejected value (migration 007).
const observationsWithUnits = `
  WITH own AS (
    SELECT indicator_code, source_id, name, unit FROM indicators
    QUALIFY row_number() OVER (PARTITION BY indicator_code, source_id ORDER BY retrieved_at DESC, name, unit) = 1
  ), any_source AS (
    SELECT indicator_code, name, unit FROM indicators
    QUALIFY row_number() OVER (PARTITION BY indicator_code ORDER BY unit IS NULL, source_id, retrieved_at DESC, name) = 1
  )
  SELECT o.indicator_code, coalesce(own.name, a.name) AS indicator_name, o.country_iso3, o.period, o.value,
         coalesce(own.unit, a.unit) AS unit, o.* EXCLUDE (indicator_code, country_iso3, period, value)
    FROM v_observations_published o
    LEFT JOIN own ON own.indicator_code = o.indicator_code AND own.source_id = o.source_id
    LEFT JOIN any_source a ON a.indicator_code = o.indicator_code`;

/** Public tables and the order their rows are written in; titles and descriptions are in metadata.yaml. */
export const publicTables: Record<string, PublicTable> = {
  sources: { orderBy: "source_id" },
  fetch_runs: { orderBy: "run_id, source_id", siteShows: latestRunPerSource },
  snapshots: { orderBy: "retrieved_at, url, sha256" },
  rejections: { orderBy: "run_id, source_id, record" },
  quality_results: { orderBy: "run_id, check_name", siteShows: latestQualityRun },
  strategy_priorities: { orderBy: "priority_id" },
  strategy_measures: { orderBy: "priority_id, seq" },
  strategy_flagships: { orderBy: "priority_id, flagship_id" },
  strategy_sector_directions: { orderBy: "direction_id" },
  measure_status_history: { orderBy: "measure_id, as_of, log_id", from: "SELECT * FROM measure_status" },
  measures_status: {
    orderBy: "priority_id, seq, measure_id",
    from: (date) => `SELECT * FROM measures_status_as_of(DATE ${sqlString(date)})`,
  },
  measures_by_status_timeframe: {
    orderBy: "end_year NULLS LAST, start_year NULLS LAST, timeframe, status",
    from: (date) => `SELECT * FROM measures_by_status_timeframe_as_of(DATE ${sqlString(date)})`,
  },
  measures_quarterly: {
    orderBy: "quarter, priority_id, seq, measure_id",
    from: (date) => `SELECT * FROM measures_quarterly_as_of(DATE ${sqlString(date)})`,
  },
  measures_quarterly_summary: {
    orderBy: "quarter, priority_id, progress",
    from: (date) => `SELECT * FROM measures_quarterly_summary_as_of(DATE ${sqlString(date)})`,
  },
  events: { orderBy: "date_start NULLS LAST, event_id" },
  event_outcomes: { orderBy: "event_id, log_id" },
  events_progress: {
    orderBy: "due_on NULLS LAST, event_id",
    from: (date) => `SELECT * FROM events_progress_as_of(DATE ${sqlString(date)})`,
  },
  intake_status: { orderBy: "tracking_code", from: "SELECT * FROM v_intake_status" },
  geographies: { orderBy: "iso3" },
  indicator_metadata: { orderBy: "indicator_code" },
  indicators: { orderBy: "indicator_code, source_id" },
  observations: { orderBy: "indicator_code, country_iso3, period, source_id, valid_from", from: observationsWithUnits },
  observations_current: {
    orderBy: "indicator_code, country_iso3, period, source_id NULLS FIRST",
    from: "SELECT * FROM v_observations_current",
  },
  indicator_latest: { orderBy: "indicator_code, country_iso3", from: "SELECT * FROM v_indicator_latest" },
  // The item tables are their public views: analysts' rejections applied, their tags in force.
  publications: { orderBy: "pub_key, source_id", from: "SELECT * FROM v_publications_public" },
  publication_works: { orderBy: "work_key, pub_key, source_id" },
  publications_by_year: { orderBy: "year NULLS LAST", from: "SELECT * FROM v_publications_by_year" },
  publications_by_institution: { orderBy: "works DESC, institution", from: "SELECT * FROM v_publications_by_institution" },
  news_items: { orderBy: "published_at NULLS LAST, item_key, source_id", from: "SELECT * FROM v_news_public" },
  news_stories: { orderBy: "story_key, item_key" },
  news_by_month_priority: { orderBy: "month NULLS LAST, priority_id NULLS LAST", from: "SELECT * FROM v_news_by_month_priority" },
  incidents: { orderBy: "occurred_on NULLS LAST, incident_key, source_id", from: "SELECT * FROM v_incidents_public" },
  incidents_by_year_harm: {
    orderBy: "year NULLS LAST, harm_type NULLS LAST",
    from: "SELECT * FROM v_incidents_by_year_harm",
    licencesOf: "incidents",
  },
  documents: { orderBy: "document_id, source_id" },
  ai_use_cases: { orderBy: "use_case_id, source_id" },
  sheet_figures: { orderBy: "indicator_code, country_iso3, period, source_id" },
  strategy_figures: { orderBy: "figure_kind DESC, indicator_code, country_iso3, period", from: "SELECT * FROM v_strategy_figures" },
  incident_matches: {
    orderBy: "match_key",
    from: "SELECT match_key, kept_key, duplicate_key, similarity, days_apart, detected_at, decision, decided_by, decided_at, reason FROM v_incident_matches_in_force",
  },
  aiid_asean_incidents: { orderBy: "incident_id, source_id" },
  aiid_asean_by_year_harm: {
    orderBy: "year NULLS LAST, country_iso3, harm_type NULLS LAST",
    from: "SELECT * FROM v_aiid_asean_by_year_harm",
    licencesOf: "aiid_asean_incidents",
  },
  item_tags: { orderBy: "item_kind, item_key, dimension, tag, made_by", from: "SELECT * FROM v_item_tags_effective" },
  curation_log: { orderBy: "log_id" },
  // incident_candidates is deliberately absent: candidates are unreviewed and never published; an
  // approved one reaches `incidents` through reviewed_incidents (migration 007).
};

/** Internal load bookkeeping, never published. */
const internalColumns = new Set(["row_hash"]);

export interface ExportOptions {
  /**
   * The catalogue the data package is built from.
   * @default warehouse/metadata.yaml
   */
  metadataFile?: string;
  /**
   * Also keep this export as the dated release `releases/<UTC date of builtAt>/` (a second export on the
   * same day replaces that day's release) and rewrite `releases/index.json`.
   * @default true
   */
  release?: boolean;
  /**
   * DuckDB's memory limit while the tables are evaluated and written (a DuckDB size such as `512MB`), so
   * the export spills its sorts and temporary tables to disk instead of holding them; null: no limit of
   * its own.
   * @default OBSERVATORY_EXPORT_MEMORY_LIMIT (temporal.config.ts)
   */
  memoryLimit?: string | null;
}

interface FileInfo {
  sha256: string;
  bytes: number;
}

export interface ExportResult {
  dir: string;
  /** Per table: exported rows, and the Parquet file's sha256 and size; `csv` is its twin's. */
  tables: Record<string, { rows: number; sha256: string; bytes: number; csv: FileInfo }>;
  /** The dated release folder written, when releases are on. */
  release?: string;
  /** Tables whose files were written anew; the others' content was unchanged and their files were kept. */
  changed: string[];
  /**
   * A digest of everything the site's pages show from this export: every table's content (for run
   * bookkeeping, the part the pages show: PublicTable.siteShows) and the export's UTC date, which the pages
   * judge freshness and overdue measures by. Equal digests, equal pages: the site build is skipped.
   */
  siteInputs: string;
}

/** One entry of releases/index.json. */
export interface ReleaseEntry {
  date: string;
  created: string;
  path: string;
  tables: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------
// Types: DuckDB → Frictionless Table Schema, and how each is written in the CSV twin.

/** The Table Schema type of a DuckDB column type; undefined for a type the exports do not publish. */
export function tableSchemaType(duckdbType: string): string | undefined {
  if (duckdbType.endsWith("[]")) return "array";
  if (duckdbType === "VARCHAR") return "string";
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/.test(duckdbType)) return "integer";
  if (/^(DOUBLE|FLOAT|DECIMAL\(\d+,\d+\))$/.test(duckdbType)) return "number";
  if (duckdbType === "BOOLEAN") return "boolean";
  if (duckdbType === "DATE") return "date";
  if (duckdbType === "TIMESTAMP WITH TIME ZONE") return "datetime";
  return undefined;
}

// Spreadsheets run a cell that starts with one of these as a formula; scraped text must stay inert
// (docs/architecture.md rule 7), so the CSV twin prefixes such text with an apostrophe, as OWASP advises for CSV
// meant for spreadsheets. The Parquet files keep the text exactly.
// Matched by the first character's code point (ascii() reads it without building a one-character string
// per row, as left() does); the empty string's is 0.
const FORMULA_START = ["=", "+", "-", "@", "\t", "\r"].map((c) => c.codePointAt(0)).join(", ");

function csvExpression(column: string, type: string): string {
  const c = sqlIdent(column);
  if (type.endsWith("[]")) return `to_json(${c})`;
  if (type === "TIMESTAMP WITH TIME ZONE") {
    return `replace(strftime(timezone('UTC', ${c}), '%Y-%m-%dT%H:%M:%S.%fZ'), '.000000Z', 'Z')`;
  }
  if (type === "VARCHAR") return `CASE WHEN ascii(${c}) IN (${FORMULA_START}) THEN '''' || ${c} ELSE ${c} END`;
  return c;
}

const csvDialect = { header: true, delimiter: ",", lineTerminator: "\r\n", quoteChar: '"', doubleQuote: true } as const;

// ---------------------------------------------------------------------------------------------------

interface Column {
  name: string;
  type: string;
}

function relationOf(table: string, date: string): string {
  const from = publicTables[table].from;
  if (typeof from === "function") return from(date);
  return from ?? `SELECT * FROM ${sqlIdent(table)}`;
}

async function exportedColumns(db: DuckDBConnection, table: string, date: string): Promise<Column[]> {
  const rows = await queryRows(db, `DESCRIBE SELECT * FROM (${relationOf(table, date)})`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) })).filter((c) => !internalColumns.has(c.name));
}

/**
 * The exported columns of every public table, as metadata.yaml must describe them. `date` only feeds the
 * views that judge "now"; their columns do not depend on it, so any date describes them.
 */
export async function describePublicTables(db: DuckDBConnection, date = "2025-01-01"): Promise<Record<string, Column[]>> {
  const out: Record<string, Column[]> = {};
  for (const table of Object.keys(publicTables)) out[table] = await exportedColumns(db, table, date);
  return out;
}

/** sha256 and size of a file, read as a stream: an export file may be larger than is worth holding in memory. */
async function fileInfo(file: string): Promise<FileInfo> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * `to` as a second name of `from`, or a copy where the file system cannot link. Export files are never
 * rewritten in place (every export writes new files and renames folders), so two names of one file are safe
 * and cost nothing, where a copy of a million-row table costs a full read and write.
 */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch {
    await fs.copyFile(from, to);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** A declared primary key must hold, or the data package would promise what the data breaks. `rows` is the table's materialised rows. */
async function checkPrimaryKey(db: DuckDBConnection, table: string, key: readonly string[], rows: string): Promise<void> {
  const cols = key.map(sqlIdent).join(", ");
  const nulls = await queryRows(db, `SELECT count(*) AS n FROM ${rows} WHERE ${key.map((k) => `${sqlIdent(k)} IS NULL`).join(" OR ")}`);
  if (Number(nulls[0].n) > 0) throw new Error(`export of ${table}: ${nulls[0].n} rows have a null in the primary key (${key.join(", ")})`);
  const dups = await queryRows(db, `SELECT ${cols}, count(*) AS n FROM ${rows} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 3`);
  if (dups.length > 0) {
    const examples = dups.map((d) => key.map((k) => String(d[k])).join("/")).join("; ");
    throw new Error(`export of ${table}: primary key (${key.join(", ")}) is not unique, e.g. ${examples}`);
  }
}

function dedupeLicences(licences: Licence[]): Licence[] {
  const seen = new Map<string, Licence>();
  // The first of each licence is kept (the observatory's own title, when it shares one with a source);
  // unspecified terms differ by their words, so those are told apart by title.
  for (const l of licences) {
    const key = l.name === "notspecified" ? `${l.name}|${l.title}` : `${l.name}|${l.path ?? ""}`;
    if (!seen.has(key)) seen.set(key, l);
  }
  return [...seen.values()];
}

// The export's own record of what each table's files hold (not published: no release or site copies it),
// so an unchanged table is not written again (issue 17). It moves with the export, so it always describes
// the files beside it.
const FINGERPRINTS = ".table-fingerprints.json";

interface TableFingerprint {
  /**
   * What the rows are made from (dependencyKey): their columns, DuckDB's plan for them and the content of
   * every table the plan reads. Equal keys, equal rows, without evaluating the table. Absent when the
   * plan reads something other than tables.
   */
  sources?: string;
  /** The columns and an order-independent hash of every row (count and sum of row hashes). */
  content: string;
  rows: number;
  parquet: FileInfo;
  csv: FileInfo;
}

async function readFingerprints(dir: string): Promise<Record<string, TableFingerprint>> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, FINGERPRINTS), "utf8")) as Record<string, TableFingerprint>;
  } catch {
    return {}; // no export yet, or one from before fingerprints: every table is written
  }
}

/** What a table's files hold: its columns (names, types, order) and the content of its rows, read from `rows`. */
async function contentFingerprint(db: DuckDBConnection, columns: Column[], rows: string): Promise<string> {
  const select = columns.map((c) => sqlIdent(c.name)).join(", ");
  const [{ f }] = await queryRows(db, `SELECT count(*) || ':' || coalesce(sum(hash(${select})::HUGEINT), 0) AS f FROM ${rows}`);
  return `${JSON.stringify(columns.map((c) => [c.name, c.type]))}|${String(f)}`;
}

// Plan nodes that read nothing but their children or their own arguments (which the key holds through
// the relation's SQL and the definitions): intermediate results, constants, and series of numbers or dates.
const innerScans = /^(COLUMN_DATA|DELIM|CTE|DUMMY|CHUNK)_SCAN$/;
const seriesFunctions = new Set(["GENERATE_SERIES", "RANGE", "UNNEST"]);

function readsNothingElse(name: string, info: Record<string, unknown>): boolean {
  if ("Function" in info) return seriesFunctions.has(String(info.Function));
  return !/SCAN/.test(name) || innerScans.test(name);
}

interface PlanNode {
  name: string;
  extra_info?: Record<string, unknown>;
  children?: PlanNode[];
}

/**
 * Content fingerprints of the warehouse's tables, each computed once per export (a table is read by
 * several public tables), keyed by the name DuckDB's plans give them (catalog.schema.table).
 */
class TableHashes {
  private readonly hashes = new Map<string, Promise<string>>();
  private tables?: Promise<Map<string, string[]>>;
  constructor(private readonly db: DuckDBConnection) {}

  /** The fingerprint of a table a plan scans; undefined for a name that is no table of the catalogue. */
  async of(name: string): Promise<string | undefined> {
    this.tables ??= queryRows<{ name: string; column_name: string }>(
      this.db,
      `SELECT database_name || '.' || schema_name || '.' || table_name AS name, column_name
         FROM duckdb_columns() WHERE NOT internal ORDER BY name, column_index`,
    ).then((rows) => {
      const byTable = new Map<string, string[]>();
      for (const r of rows) byTable.set(r.name, [...(byTable.get(r.name) ?? []), r.column_name]);
      return byTable;
    });
    const columns = (await this.tables).get(name);
    if (!columns) return undefined;
    let hash = this.hashes.get(name);
    if (!hash) {
      const quote = (part: string) => `"${part.replaceAll('"', '""')}"`;
      const [catalog, schema, ...table] = name.split(".");
      const from = [catalog, schema, table.join(".")].map(quote).join(".");
      hash = queryRows<{ f: string }>(
        this.db,
        `SELECT count(*) || ':' || coalesce(sum(hash(${columns.map(quote).join(", ")})::HUGEINT), 0) AS f FROM ${from}`,
      ).then(([{ f }]) => String(f));
      this.hashes.set(name, hash);
    }
    return hash;
  }
}

/**
 * What a public table's rows are made from, cheaply: the exported columns, DuckDB's physical plan for the
 * rows (which carries the views' and macros' logic as bound, the export date of the views that take it,
 * and the planner's choices from the tables' statistics), the definitions of every view and macro, and a
 * content fingerprint of each table the plan scans. Rows are a function of these, so an equal key means
 * equal rows and the table need not be evaluated to know it is unchanged. Undefined (evaluate the rows)
 * when the plan reads anything but tables, such as a table function.
 */
async function dependencyKey(
  db: DuckDBConnection,
  rel: string,
  columns: Column[],
  definitions: string,
  hashes: TableHashes,
): Promise<{ key: string; scans: string[] } | undefined> {
  const [{ explain_value: plan }] = await queryRows(db, `EXPLAIN (FORMAT json) SELECT * FROM (${rel})`);
  const scans = new Set<string>();
  let tablesOnly = true;
  const walk = (node: PlanNode) => {
    const info = node.extra_info ?? {};
    if (typeof info.Table === "string") scans.add(info.Table);
    else if (!readsNothingElse(node.name, info)) tablesOnly = false;
    for (const child of node.children ?? []) walk(child);
  };
  for (const node of JSON.parse(String(plan)) as PlanNode[]) walk(node);
  if (!tablesOnly) return undefined;
  const contents: Array<[string, string]> = [];
  for (const name of [...scans].sort()) {
    const hash = await hashes.of(name);
    if (hash === undefined) return undefined;
    contents.push([name, hash]);
  }
  const key = createHash("sha256")
    .update(JSON.stringify({ columns: columns.map((c) => [c.name, c.type]), rel, plan: String(plan), definitions, contents }))
    .digest("hex");
  return { key, scans: [...scans] };
}

/** A digest of every view and macro definition in force, part of each dependencyKey. */
async function definitionsDigest(db: DuckDBConnection): Promise<string> {
  const rows = await queryRows(
    db,
    `SELECT 'view ' || schema_name || '.' || view_name || ' ' || sql AS d FROM duckdb_views() WHERE NOT internal
     UNION ALL
     SELECT 'macro ' || schema_name || '.' || function_name || ' ' || coalesce(macro_definition, '') || ' ' || coalesce(parameters::VARCHAR, '')
       FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal
     ORDER BY d`,
  );
  return createHash("sha256")
    .update(rows.map((r) => String(r.d)).join("\n"))
    .digest("hex");
}

/** What the site shows of a table: its content, or for run bookkeeping the fingerprint of the part the pages show. */
async function siteFingerprint(db: DuckDBConnection, table: string, content: string, date: string): Promise<string> {
  const shows = publicTables[table].siteShows;
  if (!shows) return content;
  const [{ f }] = await queryRows(
    db,
    `SELECT count(*) || ':' || coalesce(sum(hash(s)::HUGEINT), 0) AS f FROM (${shows(`(${relationOf(table, date)})`)}) s`,
  );
  return `shown|${String(f)}`;
}

// The digest of the site's inputs, beside the export it describes; the site build copies it into the built
// site (activities/site.ts), so the next export can tell whether the site already shows what it holds.
export const SITE_INPUTS = ".site-inputs";

/**
 * Runs `fn`, which may ask (`materialise`) for v_observations_current read once into a temporary table of
 * the same name, which the views built on it (v_indicator_latest, v_strategy_figures) and the
 * observations_current export then read, as DuckDB looks a name up in the temporary schema first: each
 * would otherwise evaluate the whole bitemporal view again. It is built at the first table to evaluate that
 * reads observations, so an export whose observations are unchanged does not read them at all. The
 * temporary table is this connection's only and is dropped afterwards, so the warehouse's views are as
 * they were.
 */
async function withCurrentObservations<T>(db: DuckDBConnection, fn: (materialise: () => Promise<void>) => Promise<T>): Promise<T> {
  let built = false;
  const materialise = async () => {
    if (built) return;
    built = true;
    await db.run("CREATE OR REPLACE TEMP TABLE v_observations_current AS SELECT * FROM main.v_observations_current");
  };
  try {
    return await fn(materialise);
  } finally {
    if (built) await db.run("DROP TABLE IF EXISTS temp.v_observations_current");
  }
}

/**
 * The live export's files of an unchanged table, linked into the staging folder; undefined (write it
 * anew) when the live files are not the ones recorded.
 */
async function reuseTable(previous: TableFingerprint, table: string, dir: string, staging: string): Promise<TableFingerprint | undefined> {
  const files: Array<[string, FileInfo]> = [
    [`${table}.parquet`, previous.parquet],
    [`${table}.csv`, previous.csv],
  ];
  for (const [name, info] of files) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (!stat || stat.size !== info.bytes) return undefined;
  }
  for (const [name] of files) await linkOrCopy(path.join(dir, name), path.join(staging, name));
  return previous;
}

// The rows of the table being written, sorted once; both files and the checks read them.
const ROWS = "export_rows";

/**
 * The ORDER BY of a table's rows. Every column follows as a tie-breaker, so equal keys cannot reorder
 * bytes; but where the ORDER BY names every column of the declared primary key, which writeTable checks
 * before anything is written, no two rows tie and the tie-breakers (the widest part of the sort) would
 * not move a row.
 */
function orderOf(table: string, columns: Column[], key: readonly string[] | undefined): string {
  const orderBy = publicTables[table].orderBy;
  const named = new Set(orderBy.split(",").map((term) => term.trim().split(/\s+/)[0]));
  if (key && key.length > 0 && key.every((k) => named.has(k))) return orderBy;
  return [orderBy, ...columns.map((c) => sqlIdent(c.name))].join(", ");
}

/**
 * Evaluates a table into its rows sorted once into a temporary table (the view is evaluated once, not
 * once per file and check), fingerprints them, and keeps the live files when they hold the same content
 * (`kept`); otherwise writes the Parquet file and CSV twin. Only the Parquet COPY runs on one thread:
 * its row groups and pages are cut by the threads that write them, where the sort and the CSV writer
 * give the same bytes on any number of threads.
 */
async function evaluateTable(
  db: DuckDBConnection,
  table: string,
  columns: Column[],
  where: { dir: string; staging: string; previous: TableFingerprint | undefined },
  date: string,
  key: readonly string[] | undefined,
  threads: number,
): Promise<{ fingerprint: TableFingerprint; kept: boolean }> {
  const rel = relationOf(table, date);
  const parquet = path.join(where.staging, `${table}.parquet`);
  const csv = path.join(where.staging, `${table}.csv`);
  const select = columns.map((c) => sqlIdent(c.name)).join(", ");
  const [{ Count: n }] = await queryRows(
    db,
    `CREATE OR REPLACE TEMP TABLE ${ROWS} AS SELECT ${select} FROM (${rel}) ORDER BY ${orderOf(table, columns, key)}`,
  );
  try {
    const rows = Number(n);
    const content = await contentFingerprint(db, columns, ROWS);
    // A kept table passed its checks when it was written, and its content has not changed since.
    if (where.previous?.content === content) {
      const kept = await reuseTable(where.previous, table, where.dir, where.staging);
      if (kept) return { fingerprint: { ...kept, content }, kept: true };
    }
    if (key) await checkPrimaryKey(db, table, key, ROWS);
    await db.run("SET threads = 1");
    try {
      await db.run(`COPY ${ROWS} TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      await db.run(`SET threads = ${threads}`);
    }
    const csvSelect = columns.map((c) => `${csvExpression(c.name, c.type)} AS ${sqlIdent(c.name)}`).join(", ");
    const [{ Count: csvRows }] = await queryRows(
      db,
      `COPY (SELECT ${csvSelect} FROM ${ROWS}) TO ${sqlString(csv)}
         (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"', NEW_LINE '\\r\\n', NULLSTR '')`,
    );
    // Sanity check before anything is published: the Parquet file, read back, holds every row, and the CSV
    // writer wrote every row (reading a million-row CSV back would cost more than writing it).
    const [{ p }] = await queryRows(db, `SELECT num_rows AS p FROM parquet_file_metadata(${sqlString(parquet)})`);
    if (Number(p) !== rows || Number(csvRows) !== rows)
      throw new Error(`export of ${table}: ${rows} rows, but Parquet holds ${p} and CSV ${csvRows}`);
    return { fingerprint: { content, rows, parquet: await fileInfo(parquet), csv: await fileInfo(csv) }, kept: false };
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${ROWS}`);
  }
}

function fieldsOf(meta: Metadata["tables"][string], columns: Column[]) {
  return columns.map((c) => {
    const m = meta.columns[c.name];
    return { name: c.name, type: tableSchemaType(c.type)!, description: m.description, ...(m.unit ? { unit: m.unit } : {}) };
  });
}

/** Builds releases/index.json from the releases present, newest first. */
async function writeReleaseIndex(releasesDir: string): Promise<void> {
  const releases: ReleaseEntry[] = [];
  for (const name of (await fs.readdir(releasesDir))
    .filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n))
    .sort()
    .reverse()) {
    const pkgFile = path.join(releasesDir, name, "datapackage.json");
    if (!(await exists(pkgFile))) continue;
    const pkg = JSON.parse(await fs.readFile(pkgFile, "utf8")) as {
      created: string;
      resources: Array<{ name: string; format: string; rows: number }>;
    };
    releases.push({
      date: name,
      created: pkg.created,
      path: `${name}/datapackage.json`,
      tables: Object.fromEntries(pkg.resources.filter((r) => r.format === "parquet").map((r) => [r.name, r.rows])),
    });
  }
  const tmp = path.join(releasesDir, `.index.json.tmp-${process.pid}`);
  await fs.writeFile(tmp, `${JSON.stringify({ releases }, null, 2)}\n`);
  await fs.rename(tmp, path.join(releasesDir, "index.json"));
}

/**
 * Exports every public table to `dir` (Parquet, CSV twin, datapackage.json), keeps a dated release, and
 * swaps the whole folder in at the end. Fails, publishing nothing, when metadata.yaml does not describe
 * exactly the exported columns or a declared primary key does not hold.
 */
export async function exportPublicTables(
  db: DuckDBConnection,
  dir: string,
  builtAt: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const built = new Date(builtAt);
  if (Number.isNaN(built.getTime())) throw new Error(`exportPublicTables: builtAt "${builtAt}" is not a date-time`);
  const created = built.toISOString();
  const date = created.slice(0, 10);
  const metadata = await loadMetadata(options.metadataFile ?? defaultMetadataFile);
  const schema = await describePublicTables(db, date);
  checkAgainstSchema(
    metadata,
    Object.fromEntries(Object.entries(schema).map(([t, cols]) => [t, cols.map((c) => c.name)])),
    options.metadataFile ?? "warehouse/metadata.yaml",
  );
  for (const [table, cols] of Object.entries(schema)) {
    for (const c of cols)
      if (!tableSchemaType(c.type))
        throw new Error(`export of ${table}: column ${c.name} has type ${c.type}, which the exports do not publish`);
    // Metadata order is the published order, so a rebuilt warehouse table cannot reshuffle the files.
    const order = Object.keys(metadata.tables[table].columns);
    cols.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }

  const staging = `${dir}.tmp-${process.pid}`;
  try {
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
  } catch (error) {
    throw new ExportNotPublished(
      dir,
      (error as NodeJS.ErrnoException).code,
      `cannot create the staging folder ${staging} (${oneLine(error)})`,
    );
  }
  try {
    const tables: ExportResult["tables"] = {};
    const changed: string[] = [];
    const previous = await readFingerprints(dir);
    const fingerprints: Record<string, TableFingerprint> = {};
    const shown: Record<string, string> = {};
    // First what each table is made from, before the temporary table below exists, so the plans name the
    // warehouse's own tables, as they will in the next export.
    const definitions = await definitionsDigest(db);
    const hashes = new TableHashes(db);
    const sourcesOf: Record<string, Awaited<ReturnType<typeof dependencyKey>>> = {};
    for (const [table, cols] of Object.entries(schema))
      sourcesOf[table] = await dependencyKey(db, relationOf(table, date), cols, definitions, hashes);
    const [{ threads }] = await queryRows(db, "SELECT current_setting('threads') AS threads");
    const writeTables = () =>
      withCurrentObservations(db, async (materialise) => {
        changed.length = 0; // a second attempt (withMemoryLimit) starts over
        for (const [table, cols] of Object.entries(schema)) {
          const sources = sourcesOf[table];
          const before = previous[table];
          let fingerprint = sources && before?.sources === sources.key ? await reuseTable(before, table, dir, staging) : undefined;
          if (!fingerprint) {
            if (!sources || sources.scans.some((name) => name.endsWith(".main.observations"))) await materialise();
            const evaluated = await evaluateTable(
              db,
              table,
              cols,
              { dir, staging, previous: before },
              date,
              metadata.tables[table].primary_key,
              Number(threads),
            );
            if (!evaluated.kept) changed.push(table);
            fingerprint = evaluated.fingerprint;
          }
          fingerprint = { ...fingerprint, sources: sources?.key };
          tables[table] = { rows: fingerprint.rows, ...fingerprint.parquet, csv: fingerprint.csv };
          fingerprints[table] = fingerprint;
          shown[table] = await siteFingerprint(db, table, fingerprint.content, date);
        }
      });
    await withMemoryLimit(db, options.memoryLimit === undefined ? exportMemoryLimit() : options.memoryLimit, writeTables);
    await fs.writeFile(path.join(staging, FINGERPRINTS), `${JSON.stringify(fingerprints)}\n`);
    const siteInputs = createHash("sha256").update(JSON.stringify({ date, shown })).digest("hex");
    await fs.writeFile(path.join(staging, SITE_INPUTS), `${siteInputs}\n`);

    const sources = await queryRows(db, "SELECT source_id, title, urls, licence, attribution FROM sources ORDER BY source_id");
    const licenceBySource = new Map(sources.map((s) => [String(s.source_id), licenceOf(metadata, String(s.licence))]));
    const observatory = metadata.licences.observatory;
    const tableLicences = async (table: string): Promise<Licence[]> => {
      const from = (recordTableNames as string[]).includes(table) ? table : publicTables[table]?.licencesOf;
      if (!from) return [observatory];
      const ids = await queryRows(db, `SELECT DISTINCT source_id FROM ${sqlIdent(from)} ORDER BY source_id`);
      return dedupeLicences([
        observatory,
        ...ids.map((r) => licenceBySource.get(String(r.source_id))).filter((l): l is Licence => l !== undefined),
      ]);
    };

    const resources: unknown[] = [];
    for (const [table, cols] of Object.entries(schema)) {
      const meta = metadata.tables[table];
      const tableSchema = { fields: fieldsOf(meta, cols), ...(meta.primary_key ? { primaryKey: meta.primary_key } : {}) };
      const licenses = await tableLicences(table);
      const t = tables[table];
      resources.push({
        name: table,
        type: "table",
        path: `${table}.parquet`,
        format: "parquet",
        mediatype: "application/vnd.apache.parquet",
        title: meta.title,
        description: meta.description,
        bytes: t.bytes,
        hash: `sha256:${t.sha256}`,
        rows: t.rows,
        licenses,
        schema: tableSchema,
      });
      resources.push({
        name: `${table}-csv`,
        type: "table",
        path: `${table}.csv`,
        format: "csv",
        mediatype: "text/csv",
        encoding: "utf-8",
        title: `${meta.title} (CSV)`,
        description: `${meta.description} CSV twin of ${table}.parquet: lists are JSON arrays, times ISO 8601 UTC, empty fields are nulls, and text starting with = + - @ is prefixed with an apostrophe so spreadsheets do not run it.`,
        bytes: t.csv.bytes,
        hash: `sha256:${t.csv.sha256}`,
        rows: t.rows,
        licenses,
        dialect: csvDialect,
        schema: tableSchema,
      });
    }

    const datapackage = {
      $schema: "https://datapackage.org/profiles/2.0/datapackage.json",
      name: metadata.package.name,
      title: metadata.package.title,
      description: metadata.package.description,
      version: date,
      created,
      keywords: metadata.package.keywords,
      contributors: metadata.package.contributors,
      citation: citationFor(metadata, created),
      licenses: dedupeLicences([observatory, ...licenceBySource.values()]),
      sources: sources.map((s) => {
        const web = (s.urls as string[]).find((u) => /^https?:\/\//.test(u));
        return { title: String(s.title), ...(web ? { path: web } : {}), id: s.source_id, licence: s.licence, attribution: s.attribution };
      }),
      resources,
    };
    await fs.writeFile(path.join(staging, "datapackage.json"), `${JSON.stringify(datapackage, null, 2)}\n`);

    const release = options.release === false ? undefined : path.join(dir, "releases", date);
    await publish(staging, dir, release ? date : undefined);
    return { dir, tables, changed, siteInputs, ...(release ? { release } : {}) };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Copies the live export (every file but releases/) into releases/<date>/, replacing that day's release whole, and reindexes. */
async function writeRelease(live: string, releasesDir: string, date: string): Promise<void> {
  await fs.mkdir(releasesDir, { recursive: true });
  const tmp = path.join(releasesDir, `.${date}.tmp-${process.pid}`);
  const replaced = path.join(releasesDir, `.${date}.replaced-${process.pid}`);
  const target = path.join(releasesDir, date);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.rm(replaced, { recursive: true, force: true });
  await fs.mkdir(tmp);
  try {
    for (const f of await fs.readdir(live))
      if (f !== "releases" && f !== FINGERPRINTS && f !== SITE_INPUTS) await linkOrCopy(path.join(live, f), path.join(tmp, f));
    if (await exists(target)) await fs.rename(target, replaced);
    try {
      await fs.rename(tmp, target);
    } catch (error) {
      if (await exists(replaced)) await fs.rename(replaced, target);
      throw error;
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(replaced, { recursive: true, force: true });
  }
  await writeReleaseIndex(releasesDir);
}

/** The export could not be made live; the previous export and its releases are exactly as they were. */
export class ExportNotPublished extends Error {
  constructor(
    readonly dir: string,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`export not published: ${detail}; ${dir} and its releases are unchanged`);
    this.name = "ExportNotPublished";
  }
}

const oneLine = (error: unknown) => ((error as Error).message ?? String(error)).split("\n")[0];

/**
 * Makes the staged export live: swaps the folders, carries releases/ from the previous folder into the
 * new one, and only then writes the dated release, copied from the very files now live. A swap that
 * fails leaves the previous export and releases as they were (ExportNotPublished). releases/ is the
 * history: nothing here deletes it, and a releases/ stranded beside `dir` by an interrupted swap is put
 * back first.
 */
async function publish(staging: string, dir: string, date: string | undefined): Promise<void> {
  const liveReleases = path.join(dir, "releases");
  await recoverReleases(dir);
  const old = `${dir}.old-${process.pid}`;
  await fs.rm(old, { recursive: true, force: true });
  const hadDir = await exists(dir);
  try {
    if (hadDir) await fs.rename(dir, old);
  } catch (error) {
    throw new ExportNotPublished(dir, (error as NodeJS.ErrnoException).code, `cannot move the previous export aside (${oneLine(error)})`);
  }
  try {
    await fs.rename(staging, dir);
  } catch (error) {
    if (hadDir) await fs.rename(old, dir).catch(() => undefined);
    throw new ExportNotPublished(dir, (error as NodeJS.ErrnoException).code, `cannot move the new export into place (${oneLine(error)})`);
  }
  if (hadDir && (await exists(path.join(old, "releases")))) {
    try {
      await fs.rename(path.join(old, "releases"), liveReleases);
    } catch (error) {
      throw new Error(`export published, but releases/ is still in ${old} (the next export moves it back): ${oneLine(error)}`);
    }
  }
  await fs.rm(old, { recursive: true, force: true });
  if (date) await writeRelease(dir, liveReleases, date);
}

async function recoverReleases(dir: string): Promise<void> {
  const liveReleases = path.join(dir, "releases");
  if (await exists(liveReleases)) return;
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.old-`;
  const siblings = (await fs.readdir(parent).catch(() => [] as string[])).filter((n) => n.startsWith(prefix)).sort();
  for (const name of siblings) {
    const stranded = path.join(parent, name, "releases");
    if (!(await exists(stranded))) continue;
    await fs.mkdir(dir, { recursive: true });
    await fs.rename(stranded, liveReleases);
    await fs.rm(path.join(parent, name), { recursive: true, force: true });
    return;
  }
}
