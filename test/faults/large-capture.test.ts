// Fault: one capture gives more rows than a JavaScript call can take as arguments (about 120k here), as a
// World Bank bulk page or a feed's archive backfill can. Every row must reach the stage and the
// warehouse, and the stage must not hold the source's rows twice over. The page is generated here: the
// values are made up and stay in this test's temporary folder.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { repoRoot, tempConfig } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

const ROWS = 250_000;
const countries = ["KHM", "THA", "VNM", "LAO", "MMR", "MYS", "SGP", "IDN", "PHL", "BRN"];
let server: LoopbackServer;
let dir: string;
let config: ObservatoryConfig;

/** One page of the World Bank API's shape holding every row: 25,000 series of 10 countries, one year each. */
function page(): string {
  const records: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const code = `TEST.${Math.floor(i / 10)}`;
    records.push(
      `{"indicator":{"id":"${code}","value":"Series ${code}"},"countryiso3code":"${countries[i % 10]}","date":"2020","value":${i / 4}}`,
    );
  }
  return `[{"page":1,"pages":1,"per_page":${ROWS},"total":${ROWS}},[${records.join(",")}]]`;
}

beforeAll(async () => {
  const body = page();
  server = await startLoopbackServer({
    "/robots.txt": { body: "User-agent: *\nAllow: /\n" },
    "/bulk": { body, headers: { "content-type": "application/json" } },
  });
  ({ config, dir } = await tempConfig());
});

afterAll(async () => {
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("Fault: one capture of 250,000 rows", () => {
  it("stages and loads every row, each with its value", async () => {
    const registryFile = path.join(dir, "registry.yaml");
    await fs.writeFile(
      registryFile,
      `sources:\n  - id: bulk\n    title: bulk page (test)\n    kind: indicator\n    parser: worldbank-v2\n` +
        `    urls: ["${server.origin}/bulk"]\n    cadence: manual\n    licence: test\n    attribution: test\n` +
        `    fetch: { min_interval_ms: 0 }\n`,
    );
    const acts = createActivities({ config, projectRoot: repoRoot, registryFile, log: () => {}, fetchSettings: fetchSettingsFor(server) });
    const fetched = await acts.fetchSource({ sourceId: "bulk", offline: false });
    const parsed = await acts.parseSource({ sourceId: "bulk", runKey: "large", captures: fetched.captures });
    // 250,000 observations and one definition per series.
    expect({ records: parsed.records, rejected: parsed.rejected }).toEqual({ records: ROWS + ROWS / 10, rejected: 0 });
    await acts.loadStaged({
      runId: "pipeline/large",
      reports: [
        {
          sourceId: "bulk",
          status: "ok",
          fetched: 1,
          records: parsed.records,
          rejected: 0,
          fromSnapshot: false,
          stageDir: parsed.stageDir,
        },
      ],
    });
    const [counts] = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows<{ n: number; total: number; last: number }>(
        db,
        `SELECT count(*)::INTEGER AS n, sum(value) AS total,
                max(value) FILTER (WHERE indicator_code = 'TEST.24999' AND country_iso3 = 'BRN') AS last
           FROM observations WHERE source_id = 'bulk'`,
      ),
    );
    // Σ i/4 for i < 250,000, and the last row's own value.
    expect(counts).toEqual({ n: ROWS, total: ((ROWS - 1) * ROWS) / 8, last: (ROWS - 1) / 4 });
  });
});
