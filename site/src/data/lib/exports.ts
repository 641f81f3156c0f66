// Shared by the data loaders: query the public Parquet exports with an in-memory DuckDB.
// Loaders read the exports, never the live warehouse file (docs/architecture.md rule 4).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

export const exportsDir =
  process.env.OBSERVATORY_EXPORTS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../data/exports");

/** The repository's root: the loaders read analyst-owned configuration (the taxonomy) from sources/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

function checkName(name: string): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`bad table name ${name}`);
  return name;
}

/** Path of an exported table, quoted for SQL. */
export function table(name: string): string {
  return `'${path.join(exportsDir, `${checkName(name)}.parquet`).replaceAll("'", "''")}'`;
}

/** Whether the export holds this table: some tables (measure_status, quality_results…) arrive later. */
export function hasTable(name: string): boolean {
  return existsSync(path.join(exportsDir, `${checkName(name)}.parquet`));
}

/**
 * A loader the site build runs inside its loader host (lib/host.ts), a process it shares with other
 * loaders, rather than as a script of its own: the arguments Framework would pass it and where its output
 * goes. Unset when Framework, a test or a person runs the loader as a script.
 */
export interface HostedRun {
  args: string[];
  write: (text: string) => void;
}

let hosted: HostedRun | undefined;

/** Sets (or, with undefined, clears) the loader run that the host is about to import. */
export function hostRun(run: HostedRun | undefined): void {
  hosted = run;
}

/** Why a loader gave up, thrown instead of ending the process when the loader runs in the host. */
export class LoaderFailure extends Error {
  override name = "LoaderFailure";
}

/** Ends the loader with a one-line reason: as a script, on stderr with exit code 1; in the host, as a LoaderFailure. */
export function fail(message: string): never {
  if (hosted) throw new LoaderFailure(message);
  console.error(message);
  process.exit(1);
}

export async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface DataPackageResource {
  name: string;
  path: string;
  description?: string;
  title?: string;
  rows?: number;
  bytes?: number;
  hash?: string;
  licenses?: Array<{ name?: string; title?: string; path?: string }>;
  [key: string]: unknown;
}

export interface DataPackage {
  name?: string;
  title?: string;
  description?: string;
  created: string;
  licenses?: Array<{ name?: string; title?: string; path?: string }>;
  citation?: string;
  resources: DataPackageResource[];
  [key: string]: unknown;
}

/** The export's datapackage.json: the catalogue, and (`created`) the moment the data was built. */
export function dataPackage(): DataPackage {
  const file = path.join(exportsDir, "datapackage.json");
  if (!existsSync(file)) fail(`${file} is missing; run the pipeline first.`);
  const pkg = JSON.parse(readFileSync(file, "utf8")) as DataPackage;
  if (!pkg.created || Number.isNaN(Date.parse(pkg.created)) || !Array.isArray(pkg.resources))
    fail(`${file} has no valid "created" date or "resources" list.`);
  return pkg;
}

/**
 * The data's "today": the day the export was built (UTC). Overdue measures and slipped events are judged
 * against it rather than the reader's clock, so a page says the same thing whenever it is opened.
 */
export function asOf(): string {
  return dataPackage().created.slice(0, 10);
}

/** A parameterised loader's `--name=value` arguments (Framework passes the route's parameters so). */
export function loaderParams(names: string[]): Record<string, string> {
  const { values } = parseArgs({
    args: hosted?.args ?? process.argv.slice(2),
    options: Object.fromEntries(names.map((n) => [n, { type: "string" as const }])),
    strict: false,
  });
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = values[n];
    if (typeof v !== "string" || v === "") fail(`missing --${n}=… parameter`);
    out[n] = v;
  }
  return out;
}

/** Writes JSON to stdout (or the host's run); refuses to publish an empty dataset (a blank chart hides a broken run). */
export function emit(name: string, data: Record<string, unknown[] | unknown>, required: string[]): void {
  for (const key of required) {
    const value = data[key];
    if (!Array.isArray(value) || value.length === 0) fail(`${name}: "${key}" is empty; is ${exportsDir} populated? Run the pipeline first.`);
  }
  const text = JSON.stringify(data);
  if (hosted) hosted.write(text);
  else process.stdout.write(text);
}
