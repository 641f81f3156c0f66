// Temporal Schedules from the registry's cadences, on a real dev server: applying twice changes
// nothing, overlapping runs are skipped, and pause/unpause reach every observatory schedule.
import path from "node:path";
import { ScheduleOverlapPolicy } from "@temporalio/client";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { installRuntime } from "../../worker/index.js";
import { applySchedules, describeSchedules, listScheduleIds, planSchedules, setPaused } from "../../scripts/lib/schedules.js";
import { loadRegistry } from "../../sources/registry.js";
import { loadConfig } from "../../temporal.config.js";
import { repoRoot, until } from "../helpers.js";

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  installRuntime("WARN");
  const cli = await provisionTemporalCli({ log: () => undefined });
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: "existing-path", path: cli.path } } });
});

afterAll(async () => {
  await env?.teardown();
});

describe("Schedules", () => {
  it("make one schedule per cadence of the enabled sources, leaving manual sources out", async () => {
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const plans = planSchedules(registry, loadConfig({}));
    const scheduled = plans.flatMap((p) => p.sources);
    for (const s of registry) expect(scheduled.includes(s.id), s.id).toBe(s.enabled && s.cadence !== "manual");
    expect(plans.find((p) => p.cadence === "weekly")?.sources).toEqual(expect.arrayContaining(["arxiv", "openalex"]));
  });

  it("apply idempotently, skip overlapping runs, and pause and unpause together", async () => {
    const config = loadConfig({ TEMPORAL_TASK_QUEUE: "schedules-test" });
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const plans = planSchedules(registry, config);

    const first = await applySchedules(env.client, plans, config);
    expect(first.map((o) => o.action)).toEqual(plans.map(() => "created"));
    const second = await applySchedules(env.client, plans, config);
    expect(second.map((o) => o.action)).toEqual(plans.map(() => "updated"));
    // Listing (and so pausing every schedule) reads the visibility store, which catches up with creates a moment later.
    const everyPlan = plans.map((p) => p.scheduleId).sort();
    const listedAll = await until(
      "every created schedule in the list",
      async () => {
        const ids = await listScheduleIds(env.client);
        return ids.length === everyPlan.length ? ids : undefined;
      },
      10_000,
    );
    expect(listedAll).toEqual(everyPlan);

    const daily = await env.client.schedule.getHandle("observatory-daily").describe();
    expect(daily.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(daily.spec.timezone).toBe("Asia/Phnom_Penh");

    await setPaused(env.client, true, [], "test pause");
    expect((await describeSchedules(env.client)).every((s) => s.paused)).toBe(true);
    await setPaused(env.client, false, ["observatory-daily"], "test unpause");
    const states = Object.fromEntries((await describeSchedules(env.client)).map((s) => [s.scheduleId, s.paused]));
    expect(states["observatory-daily"]).toBe(false);
    expect(states["observatory-weekly"]).toBe(true);

    // A cadence no source uses any more is removed on the next apply.
    const fewer = plans.filter((p) => p.cadence !== "hourly");
    const third = await applySchedules(env.client, fewer, config);
    expect(third).toContainEqual({ scheduleId: "observatory-hourly", action: "deleted" });
    // The list comes from Temporal's visibility store, which catches up with a delete a moment later.
    const listed = await until(
      "the deleted schedule to leave the list",
      async () => {
        const ids = await listScheduleIds(env.client);
        return ids.includes("observatory-hourly") ? undefined : ids;
      },
      10_000,
    );
    expect(listed).toEqual(fewer.map((p) => p.scheduleId).sort());
  });
});
