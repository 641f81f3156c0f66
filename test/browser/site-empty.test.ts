// The site when content is legitimately empty (no incidents, news or publications fetched yet) and when
// data that must exist is missing: the loaders publish empty lists for the first and fail loudly for the
// second, and the pages say plainly that a list is empty.
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "../../scripts/lib/static-server.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { launchChromium } from "../browser-launch.js";
import { createActivities } from "../../activities/index.js";
import { repoRoot, testClock } from "../helpers.js";
import { builtOn, copyOfSharedExport } from "../shared-site.js";

const emptied = [
  "incidents",
  "incidents_by_year_harm",
  "news_items",
  "news_stories",
  "news_by_month_priority",
  "publications",
  "publications_by_year",
  "publications_by_institution",
];

let config: ObservatoryConfig;
let dir: string;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

/** Replaces each named export with an empty table of the same columns. */
async function empty(exportsDir: string, tables: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    for (const table of tables) {
      const file = path.join(exportsDir, `${table}.parquet`);
      await db.run(`COPY (SELECT * FROM read_parquet('${file}') LIMIT 0) TO '${file}.tmp' (FORMAT parquet)`);
      await fs.rename(`${file}.tmp`, file);
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** Runs one data loader as Framework does, against the given exports. */
function runLoader(loader: string, exportsDir: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    path.join(repoRoot, "node_modules", ".bin", "tsx"),
    [path.join(repoRoot, "site", "src", "data", loader), ...args],
    {
      env: { ...process.env, OBSERVATORY_EXPORTS_DIR: exportsDir },
      encoding: "utf8",
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  // A copy of the run's shared offline export (test/shared-site.ts), emptied below.
  ({ config, dir } = await copyOfSharedExport());
  const activities = createActivities({ config, projectRoot: repoRoot, log: () => undefined, now: testClock(builtOn) });
  await empty(config.paths.exports, emptied);
  const { dir: dist } = await activities.buildSite();
  server = await serveStatic(dist);
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("The site with nothing to list", () => {
  it("publishes empty lists for incidents, news and publications", () => {
    for (const [loader, key] of [
      ["incidents.json.ts", "incidents"],
      ["news.json.ts", "items"],
      ["publications.json.ts", "works"],
      ["latest.json.ts", "news"],
    ] as const) {
      const { status, stdout, stderr } = runLoader(loader, config.paths.exports);
      expect(status, `${loader}: ${stderr}`).toBe(0);
      expect(JSON.parse(stdout)[key]).toEqual([]);
    }
  });

  it("says plainly on each page that the list is empty", async () => {
    for (const [route, text] of [
      ["incidents", "No reviewed incidents in this export"],
      ["news", "No policy news in this export"],
      ["publications", "No publications in this export"],
      ["", "No reviewed incidents in this export"],
    ] as const) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      try {
        await page.goto(new URL(route, server.url).href, { waitUntil: "networkidle" });
        // Wait for the page to have rendered its empty notice: errors are counted only after that.
        await page.locator(".empty", { hasText: text }).first().waitFor({ state: "visible", timeout: 30_000 });
        await expect(page.locator(".empty", { hasText: text }).count()).resolves.toBeGreaterThan(0);
        expect(await page.locator(".observablehq--error").count()).toBe(0);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    }
  });

  it("fails the strategy loader loudly when the strategy is missing, and a report loader given no quarter", async () => {
    const missing = path.join(dir, "no-strategy");
    await fs.cp(config.paths.exports, missing, { recursive: true });
    await empty(missing, ["strategy_measures"]);
    const strategy = runLoader("strategy.json.ts", missing);
    expect(strategy.status).not.toBe(0);
    expect(strategy.stderr).toContain('"measures" is empty');
    expect(strategy.stdout).toBe("");
    const reportLoader = path.join("reports", "[quarter].json.ts");
    const none = runLoader(reportLoader, config.paths.exports);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain("missing --quarter=… parameter");
    expect(none.stdout).toBe("");
    // And one given something that is not a quarter.
    const report = runLoader(reportLoader, config.paths.exports, ["--quarter=2025-Q5"]);
    expect(report.status).not.toBe(0);
    expect(report.stderr).toContain("not a quarter");
  });
});
