// Shared by the data loaders: query the public Parquet exports with an in-memory DuckDB.
// Loaders read the exports, never the live warehouse file (DESIGN.md rule 4).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";

export const exportsDir =
  process.env.OBSERVATORY_EXPORTS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../data/exports");

/** Path of an exported table, quoted for SQL. */
export function table(name: string): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`bad table name ${name}`);
  return `'${path.join(exportsDir, `${name}.parquet`).replaceAll("'", "''")}'`;
}

export async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Writes JSON to stdout; refuses to publish an empty dataset (a blank chart hides a broken run). */
export function emit(name: string, data: Record<string, unknown[] | unknown>, required: string[]): void {
  for (const key of required) {
    const value = data[key];
    if (!Array.isArray(value) || value.length === 0) {
      console.error(`${name}: "${key}" is empty; is ${exportsDir} populated? Run the pipeline first.`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(data));
}
