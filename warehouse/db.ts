// The one module that opens the DuckDB warehouse. Migrations in warehouse/migrations/ are applied
// in order on open, each in its own transaction, and recorded in schema_migrations.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { seedIndicatorMetadata } from "./indicator-metadata.js";

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");
const viewsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "views");

/** Quotes a string as a SQL literal, for the few places DuckDB takes no parameter (COPY paths). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe identifier: ${name}`);
  return `"${name}"`;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function listMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: await fs.readFile(path.join(dir, file), "utf8"),
    })),
  );
}

/** The view and macro definitions, warehouse/views/*.sql in name order (a file uses only what earlier ones define). */
export async function listViews(dir = viewsDir): Promise<Array<{ name: string; sql: string }>> {
  const files = (await fs.readdir(dir)).filter((f) => /^\d{2}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(files.map(async (file) => ({ name: file, sql: await fs.readFile(path.join(dir, file), "utf8") })));
}

/**
 * (Re-)creates every view and macro from warehouse/views/ (CREATE OR REPLACE), in one transaction. Runs
 * after the migrations on every open, so the definitions in force are always the files' (migrations hold
 * tables and data changes only), and a view that selects * is rebound to its tables' current columns.
 */
export async function createViews(connection: DuckDBConnection): Promise<void> {
  const views = await listViews();
  await inTransaction(connection, async () => {
    for (const v of views) {
      try {
        await connection.run(v.sql);
      } catch (error) {
        throw new Error(`warehouse/views/${v.name} failed: ${(error as Error).message}`);
      }
    }
  });
}

/**
 * Applies pending migrations; returns the versions applied now. Given no list (every migration), it then
 * seeds the indicator metadata (warehouse/indicator-metadata.ts) and re-creates the views; given a list
 * (a test building an old warehouse), the views are left as they are.
 */
export async function migrate(connection: DuckDBConnection, migrations?: Migration[]): Promise<number[]> {
  await connection.run(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
  );
  const done = new Set((await queryRows<{ version: number }>(connection, "SELECT version FROM schema_migrations")).map((r) => r.version));
  const applied: number[] = [];
  for (const m of migrations ?? (await listMigrations())) {
    if (done.has(m.version)) continue;
    try {
      await inTransaction(connection, async () => {
        await connection.run(m.sql);
        await connection.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, now())", {
          version: m.version,
          name: m.name,
        });
      });
    } catch (error) {
      throw new Error(`migration ${m.version}_${m.name} failed: ${(error as Error).message}`);
    }
    applied.push(m.version);
  }
  if (migrations === undefined) {
    await inTransaction(connection, () => seedIndicatorMetadata(connection));
    await createViews(connection);
  }
  return applied;
}

// DuckDB lets one process hold a database file for writing (docs/architecture.md rule 4). Activities of one
// worker share the process, so their opens are queued here rather than failing on the file lock;
// across workers, the load runs once per pipeline and the lock is DuckDB's own.
const queues = new Map<string, Promise<unknown>>();

/** Opens the warehouse file (creating and migrating it as needed), runs fn, and always closes it. */
export async function withWarehouse<T>(file: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const key = path.resolve(file);
  const previous = queues.get(key) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => openAndRun(key, fn));
  queues.set(key, current);
  try {
    return await current;
  } finally {
    if (queues.get(key) === current) queues.delete(key);
  }
}

async function openAndRun<T>(file: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    // Pinned so timestamps read the same on every machine (ICU is built in but loads after open).
    await connection.run("SET TimeZone = 'UTC'");
    await migrate(connection);
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A throwaway in-memory DuckDB for staging and for reading Parquet. */
export async function withMemoryDb<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A query's parameters: DuckDB binds these JSON-like values by name ($name). */
export type QueryParams = Record<string, string | number | boolean | null>;

/**
 * The rows of a query as JSON values (BIGINT and DECIMAL as strings, lists as arrays). `T` names the
 * columns the SQL selects, so callers read typed fields instead of casting each one; the type is the
 * caller's promise about its own SQL, checked where a row leaves the process (a zod schema there).
 */
export async function queryRows<T extends object = Record<string, unknown>>(
  connection: DuckDBConnection,
  sql: string,
  params?: QueryParams,
): Promise<T[]> {
  const reader = await connection.runAndReadAll(sql, params as never);
  return reader.getRowObjectsJson() as unknown as T[];
}

/** The first row of a query, or undefined when it selects none. */
export async function queryOne<T extends object = Record<string, unknown>>(
  connection: DuckDBConnection,
  sql: string,
  params?: QueryParams,
): Promise<T | undefined> {
  return (await queryRows<T>(connection, sql, params))[0];
}

/** A count(*) query's number (DuckDB returns BIGINT, read as a string). */
export async function queryCount(connection: DuckDBConnection, sql: string, params?: QueryParams): Promise<number> {
  const row = await queryOne<{ n: string | number }>(connection, sql, params);
  return Number(row?.n ?? 0);
}

// Connections with a transaction open here: a write called inside another (a review decision that
// curates a value) joins the outer transaction, so both commit or roll back together.
const inTransactionNow = new WeakSet<DuckDBConnection>();

/** Runs fn in one transaction, or inside the caller's when one of these is already open on db. The only BEGIN/COMMIT. */
export async function inTransaction<T>(db: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  if (inTransactionNow.has(db)) return fn();
  await db.run("BEGIN TRANSACTION");
  inTransactionNow.add(db);
  try {
    const result = await fn();
    inTransactionNow.delete(db);
    await db.run("COMMIT");
    return result;
  } catch (error) {
    inTransactionNow.delete(db);
    await db.run("ROLLBACK");
    throw error;
  }
}

/**
 * The tables that hold the items analysts tag, reject and restore, by item kind, with each one's key
 * column. Curation writes to the first three; the quality checks look for tags of any of them.
 */
export const itemTables = {
  news: { table: "news_items", key: "item_key" },
  publication: { table: "publications", key: "pub_key" },
  incident: { table: "incidents", key: "incident_key" },
  // AI Incident Database incidents naming an ASEAN member, tagged for the regional counts (migration 011).
  aiid_asean: { table: "aiid_asean_incidents", key: "incident_id" },
} as const satisfies Record<string, { table: string; key: string }>;

/** `{ 'name': 'TYPE', ... }` for read_json's `columns`, so staged files read with the warehouse's types. */
export function jsonColumns(columns: Readonly<Record<string, string>>): string {
  return `{${Object.entries(columns)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(", ")}}`;
}

/**
 * Inserts many rows in one statement: written to a temporary NDJSON file and read back with DuckDB's
 * JSON reader under the given column types (a bulk path; no row-by-row inserts).
 */
export async function bulkInsert(
  connection: DuckDBConnection,
  table: string,
  columns: Readonly<Record<string, string>>,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  if (rows.length === 0) return;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-bulk-"));
  const file = path.join(dir, `${table}.ndjson`);
  try {
    await fs.writeFile(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const names = Object.keys(columns).map(sqlIdent).join(", ");
    await connection.run(
      `INSERT INTO ${sqlIdent(table)} (${names})
       SELECT ${names} FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${jsonColumns(columns)})`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Whether DuckDB failed for want of memory: the statement's fault is the limit's, not the data's. */
export const isOutOfMemory = (error: unknown): boolean => /^Out of Memory Error/.test((error as Error).message);

/**
 * Runs `fn` under DuckDB memory limit `limit` (null: as it is), then sets the limit back to what it was
 * (as DuckDB shows it, to a tenth of a GiB: RESET would show the default again but leave the buffer pool
 * at the lower limit). Sorts, joins, aggregates and temporary tables spill to disk under it; should a
 * statement still find too little memory, `fn` is run again under the previous limit rather than failing
 * for a setting that only saves memory. So `fn` must be safe to run twice (a transaction that rolls back).
 */
export async function withMemoryLimit<T>(
  db: DuckDBConnection,
  limit: string | null,
  fn: () => Promise<T>,
  /** Told when `fn` runs again, so a run that took twice as long says why. */
  onRetry: (message: string) => void = () => {},
): Promise<T> {
  if (limit === null) return fn();
  const [{ before }] = await queryRows(db, "SELECT current_setting('memory_limit') AS before");
  const restore = () => db.run(`SET memory_limit = ${sqlString(String(before))}`);
  try {
    await db.run(`SET memory_limit = ${sqlString(limit)}`);
  } catch (error) {
    // DuckDB refuses a limit below what it holds already and cannot free, and may keep the limit anyway.
    if (!isOutOfMemory(error)) throw error;
    await restore();
    return fn();
  }
  try {
    return await fn();
  } catch (error) {
    if (!isOutOfMemory(error)) throw error;
    await restore();
    onRetry(`DuckDB ran out of memory under ${limit} (${(error as Error).message.split("\n")[0]}); running again under ${String(before)}`);
    return await fn();
  } finally {
    await restore();
  }
}
