// Builds the bundled offline snapshot (sources/snapshot/) from real published values only:
// World Bank API v2-shaped responses assembled from shared/reference/indicators.csv, one per
// series in the registry. Each observation keeps the URL its value was published at. Run once by a
// developer when the reference file changes: `npx tsx scripts/build-snapshot.ts [indicators.csv]`.
import path from "node:path";
import { Archive } from "../activities/archive.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { loadRegistry, startUrls } from "../sources/registry.js";
import { queryRows, sqlString, withMemoryDb } from "../warehouse/db.js";

const csvFile = path.resolve(process.argv[2] ?? path.join(projectRoot, "..", "shared", "reference", "indicators.csv"));
const config = loadConfig();
const snapshot = new Archive(config.paths.snapshot);
const builtAt = new Date().toISOString();

const rows = await withMemoryDb((db) =>
  queryRows(
    db,
    `SELECT indicator_code, indicator_name, year, value, source_url, notes
       FROM read_csv(${sqlString(csvFile)}, header = true, all_varchar = true)
      ORDER BY indicator_code, year DESC`,
  ),
);
for (const source of (await loadRegistry(path.join(projectRoot, "sources", "registry.yaml"))).filter((s) => s.parser === "worldbank-v2")) {
  const urls = startUrls(source);
  for (const [i, code] of source.indicators!.entries()) {
    const series = rows.filter((r) => r.indicator_code === code);
    if (series.length === 0) {
      console.error(`no reference values for ${code}; no snapshot written`);
      continue;
    }
    const observations = series.map((r) => ({
      indicator: { id: code, value: String(r.indicator_name) },
      country: { id: "KH", value: "Cambodia" },
      countryiso3code: "KHM",
      date: String(r.year),
      value: Number(r.value),
      unit: "",
      obs_status: "",
      decimal: 0,
      // Not an API field: where this value was actually published (the reference's source URL).
      source_url: String(r.source_url),
    }));
    const paging = { page: 1, pages: 1, per_page: 100, total: observations.length, sourceid: "2", lastupdated: null };
    const body = new TextEncoder().encode(`${JSON.stringify([paging, observations], null, 1)}\n`);
    const capture = await snapshot.put(body, {
      url: urls[i],
      status: 200,
      headers: { "content-type": "application/json;charset=utf-8" },
      retrievedAt: builtAt,
      origin: "snapshot",
      note:
        `API-shaped response assembled ${builtAt.slice(0, 10)} from shared/reference/indicators.csv (${series.length} values); ` +
        "each observation's source_url is where the value was published; lastupdated is unknown and left null",
    });
    console.error(`${code}: ${series.length} values → ${capture.sha256.slice(0, 12)}`);
  }
}
