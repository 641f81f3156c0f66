// The whole pipeline on a real Temporal dev server (provisioned by scripts/lib/provision-temporal.ts)
// against a temporary DuckDB file, twice: the second run must add no duplicate rows.
import fs from "node:fs/promises";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime } from "../../scripts/lib/pipeline-runner.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { pipeline, type PipelineSummary } from "../../workflows/index.js";
import { tempConfig } from "../helpers.js";

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
  worker = await createObservatoryWorker(env.nativeConnection, config, { log: () => undefined });
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
         (SELECT count(*) FROM observations WHERE valid_to IS NULL)::INTEGER AS current_observations`;

describe("pipeline() on a real Temporal dev server", () => {
  it("ingests the strategy, the governance timeline and the World Bank snapshot into DuckDB, and a second run adds nothing", async () => {
    const first = await runOnce("test-run-1");
    expect(first.partial).toBe(false);
    expect(first.sources.map((s) => [s.sourceId, s.status]).sort()).toEqual([
      ["governance-timeline", "ok"],
      ["nais-strategy", "ok"],
      ["worldbank-wdi", "ok"],
    ]);
    const wb = first.sources.find((s) => s.sourceId === "worldbank-wdi")!;
    expect(wb).toMatchObject({ fetched: 10, fromSnapshot: true, snapshotReason: "offline mode", rejected: 0 });

    const expected = { priorities: 6, measures: 44, flagships: 30, directions: 10, events: 49, indicators: 10, observations: 71, current_observations: 71 };
    const afterFirst = await withWarehouse(config.paths.warehouse, (db) => queryRows(db, countsSql));
    expect(afterFirst).toEqual([expected]);
    expect(first.sources.reduce((n, s) => n + s.newRows, 0)).toBe(6 + 44 + 30 + 10 + 49 + 10 + 71);

    // A real value lands with its unit and the URL it was published at.
    const internet = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        `SELECT o.value, i.unit, o.source_url FROM observations o JOIN indicators i USING (indicator_code, source_id)
          WHERE o.indicator_code = 'IT.NET.USER.ZS' AND o.period = '2023'`,
      ),
    );
    expect(internet).toEqual([
      { value: 60.7171, unit: "% of population", source_url: expect.stringContaining("ddf--gapminder--systema_globalis") },
    ]);

    const second = await runOnce("test-run-2");
    expect(second.sources.every((s) => s.newRows === 0 && s.updatedRows === 0)).toBe(true);
    const afterSecond = await withWarehouse(config.paths.warehouse, (db) => queryRows(db, countsSql));
    expect(afterSecond).toEqual([expected]);
    const runs = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(db, "SELECT run_id, count(*)::INTEGER AS sources FROM fetch_runs GROUP BY run_id ORDER BY run_id"),
    );
    expect(runs).toEqual([
      { run_id: "pipeline/test-run-1", sources: 3 },
      { run_id: "pipeline/test-run-2", sources: 3 },
    ]);

    // Child workflows carry business ids, so a repeated run is addressable and never a random duplicate.
    const child = await env.client.workflow.getHandle("ingest/worldbank-wdi/test-run-1").describe();
    expect(child.status.name).toBe("COMPLETED");

    const exported = JSON.parse(await fs.readFile(`${config.paths.exports}/datapackage.json`, "utf8"));
    expect(exported.resources.find((r: { name: string }) => r.name === "strategy_measures").rows).toBe(44);
  });
});
