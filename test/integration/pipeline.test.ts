// The whole pipeline on a real Temporal dev server (provisioned by scripts/lib/provision-temporal.ts)
// against a temporary DuckDB file, twice: the second run must add no duplicate rows.
import fs from "node:fs/promises";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { curateObservation } from "../../warehouse/curation.js";
import { pipeline, type PipelineSummary } from "../../workflows/index.js";
import { tempConfig, testClock, withSharedBundle } from "../helpers.js";

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let config: ObservatoryConfig;
let dir: string;

beforeAll(async () => {
  installRuntime("WARN");
  const cli = await provisionTemporalCli({ log: () => undefined });
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: "existing-path", path: cli.path } } });
  ({ config, dir } = await tempConfig());
  worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(config), { log: () => undefined });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function runOnce(runKey: string): Promise<PipelineSummary> {
  return env.client.workflow.execute(pipeline, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `pipeline/${runKey}`,
    args: [{ runKey, offline: true, buildSite: false, activities: config.activities }],
  });
}

const countsSql = `
  SELECT (SELECT count(*) FROM strategy_priorities)::INTEGER AS priorities,
         (SELECT count(*) FROM strategy_measures)::INTEGER AS measures,
         (SELECT count(*) FROM strategy_flagships)::INTEGER AS flagships,
         (SELECT count(*) FROM strategy_sector_directions)::INTEGER AS directions,
         (SELECT count(*) FROM events)::INTEGER AS events,
         (SELECT count(*) FROM indicators)::INTEGER AS indicators,
         (SELECT count(*) FROM observations)::INTEGER AS observations,
         (SELECT count(*) FROM observations WHERE valid_to IS NULL)::INTEGER AS current_observations,
         (SELECT count(*) FROM publications)::INTEGER AS publications,
         (SELECT count(*) FROM news_items)::INTEGER AS news_items,
         (SELECT count(*) FROM incidents)::INTEGER AS incidents,
         (SELECT count(*) FROM incident_candidates)::INTEGER AS candidates`;

// Sources whose bundled snapshot or repo file exists, and those with no offline copy at all.
const replayable = [
  "aiid-incident-table",
  "arxiv",
  "documents",
  "governance-timeline",
  "incident-sheet",
  "indicator-sheet",
  "khmer-papers",
  "mptc-press",
  "nais-strategy",
  "news-digest",
  "use-cases",
  "worldbank-wdi",
];
const noOfflineCopy = ["aiid", "camboja-news", "camboja-news-km", "khmer-times", "openalex"];

describe("pipeline() on a real Temporal dev server", () => {
  it("ingests all five kinds from the bundled snapshot into DuckDB offline, and a second run parses and adds nothing", async () => {
    const first = await runOnce("test-run-1");
    expect(first.sources.filter((s) => s.status === "failed")).toEqual([]);
    expect(first.partial).toBe(false);
    const statuses = Object.fromEntries(first.sources.map((s) => [s.sourceId, s.status]));
    expect(statuses).toEqual({
      ...Object.fromEntries(replayable.map((id) => [id, "ok"])),
      ...Object.fromEntries(noOfflineCopy.map((id) => [id, "skipped"])),
    });
    const wb = first.sources.find((s) => s.sourceId === "worldbank-wdi")!;
    expect(wb).toMatchObject({ fetched: 10, fromSnapshot: true, snapshotReason: "offline mode", rejected: 0 });
    expect(wb.snapshotAsOf).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(first.sources.find((s) => s.sourceId === "khmer-times")!.error).toContain("https://www.khmertimeskh.com/feed/");

    const expected = {
      priorities: 6,
      measures: 44,
      flagships: 30,
      directions: 10,
      events: 49,
      // Ten WDI series (five for all ten ASEAN members from the mirror file) and the sheet's twelve figures.
      indicators: 22,
      observations: 2298,
      current_observations: 2298,
      // The arXiv record and the 29 Khmer papers of the analysts' sheet.
      publications: 30,
      news_items: 16,
      // Five from the analysts' sheet and AIID #229, #918, #1127 and #1291.
      incidents: 9,
      candidates: 3,
    };
    const afterFirst = await withWarehouse(config.paths.warehouse, (db) => queryRows(db, countsSql));
    expect(afterFirst).toEqual([expected]);
    // ... plus 44 AIID incidents naming ASEAN members, 3 documents, 12 sheet figures and 9 use cases.
    expect(first.sources.reduce((n, s) => n + s.newRows, 0)).toBe(6 + 44 + 30 + 10 + 49 + 22 + 2298 + 30 + 16 + 9 + 44 + 3 + 12 + 9);

    // A real value lands with its unit and the URL it was published at.
    const internet = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        `SELECT o.value, i.unit, o.source_url FROM observations o JOIN indicators i USING (indicator_code, source_id)
          WHERE o.indicator_code = 'IT.NET.USER.ZS' AND o.country_iso3 = 'KHM' AND o.period = '2023'`,
      ),
    );
    expect(internet).toEqual([
      { value: 60.7171, unit: "% of population", source_url: expect.stringContaining("ddf--gapminder--systema_globalis") },
    ]);

    const second = await runOnce("test-run-2");
    expect(
      second.sources
        .filter((s) => s.status === "unchanged")
        .map((s) => s.sourceId)
        .sort(),
    ).toEqual(replayable);
    expect(second.sources.every((s) => s.newRows === 0 && s.updatedRows === 0 && s.records === 0)).toBe(true);
    const afterSecond = await withWarehouse(config.paths.warehouse, (db) => queryRows(db, countsSql));
    expect(afterSecond).toEqual([expected]);
    const runs = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(db, "SELECT run_id, count(*)::INTEGER AS sources FROM fetch_runs GROUP BY run_id ORDER BY run_id"),
    );
    expect(runs).toEqual([
      { run_id: "pipeline/test-run-1", sources: 17 },
      { run_id: "pipeline/test-run-2", sources: 17 },
    ]);

    // Child workflows carry business ids, so a repeated run is addressable and never a random duplicate.
    const child = await env.client.workflow.getHandle("ingest/worldbank-wdi/test-run-1").describe();
    expect(child.status.name).toBe("COMPLETED");

    const exported = JSON.parse(await fs.readFile(`${config.paths.exports}/datapackage.json`, "utf8"));
    const rows = (name: string) => exported.resources.find((r: { name: string }) => r.name === name)?.rows;
    expect([rows("strategy_measures"), rows("publications"), rows("news_items"), rows("incidents")]).toEqual([44, 30, 16, 8]);
    // AIID #1127 waits for its match review against the analysts' Hun Sen entry: not exported twice.
    expect(rows("incident_matches")).toBe(1);
    // Candidates are unreviewed: never exported.
    expect(rows("incident_candidates")).toBeUndefined();
  });

  it("blocks the export when an error-level quality check fails, naming the rows, and leaves the previous export published", async () => {
    const packageFile = `${config.paths.exports}/datapackage.json`;
    const before = await fs.readFile(packageFile, "utf8");
    // A rule no real Cambodian value meets: internet use in Cambodia capped at 1 % of the population.
    const strict = `${dir}/strict-rules.yaml`;
    await fs.writeFile(
      strict,
      "default: { severity: error }\nindicators:\n  IT.NET.USER.ZS: { min: 0, max: 100, severity: error, countries: { KHM: { min: 0, max: 1 } } }\n",
    );
    const queue = `${config.temporal.taskQueue}-strict`;
    const strictWorker = await createObservatoryWorker(
      env.nativeConnection,
      await withSharedBundle({ ...config, temporal: { ...config.temporal, taskQueue: queue } }),
      {
        log: () => undefined,
        qualityRulesFile: strict,
      },
    );
    const run = strictWorker.run();
    try {
      const blocked = await env.client.workflow.execute(pipeline, {
        taskQueue: queue,
        workflowId: "pipeline/test-run-strict",
        args: [{ runKey: "test-run-strict", offline: true, buildSite: false, activities: config.activities }],
      });
      expect(blocked).toMatchObject({ exportBlocked: true, partial: true, exportedTables: {} });
      expect(blocked.exportDir).toBeUndefined();
      const failure = blocked.qualityFailures.find((q) => q.check === "range/IT.NET.USER.ZS")!;
      expect(failure).toMatchObject({ severity: "error" });
      expect(failure.examples.join("\n")).toMatch(/IT\.NET\.USER\.ZS\/KHM\/\d{4} value [\d.]+ > max 1 \(source worldbank-wdi\)/);
    } finally {
      strictWorker.shutdown();
      await run;
    }
    expect(await fs.readFile(packageFile, "utf8")).toBe(before);
    const stored = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        "SELECT status, severity FROM quality_results WHERE run_id = 'pipeline/test-run-strict' AND check_name = 'range/IT.NET.USER.ZS'",
      ),
    );
    expect(stored).toEqual([{ status: "fail", severity: "error" }]);
  });

  it("builds the site, skips the build on a second run whose export shows the same, and builds again once the data changes", async () => {
    // Its own worker with a clock inside one UTC day: the export's date is part of what the site shows.
    const queue = `${config.temporal.taskQueue}-site`;
    const clock = testClock("2026-03-04T05:00:00Z");
    const siteWorker = await createObservatoryWorker(
      env.nativeConnection,
      await withSharedBundle({ ...config, temporal: { ...config.temporal, taskQueue: queue } }),
      { log: () => undefined, now: clock },
    );
    // The pages show each source's last run day, stamped by the workflow's clock (the dev server's real
    // time, which no test can set): the three runs start well inside one UTC day, or after the next midnight.
    const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
    if (toMidnight < 15 * 60_000) await new Promise((resolve) => setTimeout(resolve, toMidnight + 1000));
    const run = siteWorker.run();
    const runSite = (runKey: string) =>
      env.client.workflow.execute(pipeline, {
        taskQueue: queue,
        workflowId: `pipeline/${runKey}`,
        args: [{ runKey, offline: true, activities: config.activities }],
      });
    const index = `${config.paths.siteOutput}/index.html`;
    const built = async () => {
      const stat = await fs.stat(index);
      return { ino: stat.ino, mtimeMs: stat.mtimeMs, key: await fs.readFile(`${config.paths.siteOutput}/.site-inputs`, "utf8") };
    };
    try {
      const first = await runSite("test-run-site-1");
      expect(first).toMatchObject({ partial: false, siteDir: config.paths.siteOutput });
      expect(first.siteUnchanged).toBeUndefined();
      const afterFirst = await built();

      // Nothing new from any source: fetch_runs and quality_results gain this run's rows, which the pages do not show.
      const second = await runSite("test-run-site-2");
      expect(second.sources.filter((s) => s.status === "ok")).toEqual([]);
      expect(second).toMatchObject({ partial: false, siteUnchanged: true });
      expect(second.siteDir).toBeUndefined();
      expect(second.siteSeconds).toBeUndefined();
      expect(await built()).toEqual(afterFirst);

      // An analyst's value changes what the indicators page shows: the next run builds the site again.
      await withWarehouse(config.paths.warehouse, (db) =>
        curateObservation(
          db,
          {
            indicatorCode: "IT.NET.USER.ZS",
            countryIso3: "KHM",
            period: "2023",
            value: 61.5,
            sourceUrl: "https://example.org/survey-2023.pdf",
            curatedBy: "analyst@example.org",
            reason: "test: a value that differs from the source's",
          },
          { now: clock },
        ),
      );
      const third = await runSite("test-run-site-3");
      expect(third).toMatchObject({ partial: false, siteDir: config.paths.siteOutput });
      expect(third.siteUnchanged).toBeUndefined();
      const afterThird = await built();
      expect(afterThird.ino).not.toBe(afterFirst.ino);
      expect(afterThird.key).not.toBe(afterFirst.key);
    } finally {
      siteWorker.shutdown();
      await run;
    }
  }, 1_200_000);
});
