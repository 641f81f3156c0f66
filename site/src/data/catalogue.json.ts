// The Data page: every exported table from datapackage.json (description, rows, bytes, sha256, licences,
// columns) paired with its CSV twin, the citation, and the dated releases. The files themselves are copied
// into the built site under downloads/ by the site build (activities/index.ts buildSite).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataPackage, emit, exportsDir } from "./lib/exports.js";

interface Field { name: string; type?: string; description?: string; unit?: string }
const pkg = dataPackage();
const csvs = new Map(pkg.resources.filter((r) => r.path.endsWith(".csv")).map((r) => [r.path.replace(/\.csv$/, ""), r]));
const tables = pkg.resources
  .filter((r) => r.path.endsWith(".parquet"))
  .map((r) => {
    const csv = csvs.get(r.path.replace(/\.parquet$/, ""));
    const schema = (r.schema ?? {}) as { fields?: Field[]; primaryKey?: string[] };
    return {
      name: r.name,
      title: r.title ?? r.name,
      description: r.description ?? "",
      rows: r.rows ?? null,
      parquet: { path: r.path, bytes: r.bytes ?? null, hash: r.hash ?? null },
      csv: csv ? { path: csv.path, bytes: csv.bytes ?? null, hash: csv.hash ?? null } : null,
      licences: (r.licenses ?? []).map((l) => l.title ?? l.name ?? ""),
      primary_key: schema.primaryKey ?? [],
      fields: (schema.fields ?? []).map((f) => ({ name: f.name, type: f.type ?? null, unit: f.unit ?? null, description: f.description ?? "" })),
    };
  });
const releasesFile = path.join(exportsDir, "releases", "index.json");
const releases = existsSync(releasesFile)
  ? (JSON.parse(readFileSync(releasesFile, "utf8")) as { releases: Array<{ date: string; created: string }> }).releases.map(({ date, created }) => ({ date, created }))
  : [];
emit(
  "catalogue",
  { as_of: pkg.created.slice(0, 10), created: pkg.created, title: pkg.title ?? "", description: pkg.description ?? "", citation: pkg.citation ?? "", licences: pkg.licenses ?? [], tables, releases },
  ["tables"],
);
