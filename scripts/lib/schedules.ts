// Temporal Schedules from the registry's cadences: one schedule per cadence, running the pipeline
// over that cadence's sources. Applying is idempotent (create or update to the same description), and
// a run still going when the next is due is skipped, never stacked (overlap policy SKIP).
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from "@temporalio/client";
import type { ObservatoryConfig, ScheduledCadence } from "../../temporal.config.js";
import type { SourceEntry } from "../../sources/registry.js";
import type { PipelineInput } from "../../workflows/index.js";

export const schedulePrefix = "observatory-";

export interface PlannedSchedule {
  scheduleId: string;
  cadence: ScheduledCadence;
  cron: string;
  sources: string[];
}

/** Which schedules the registry asks for: enabled sources grouped by cadence, `manual` left out. */
export function planSchedules(registry: SourceEntry[], config: ObservatoryConfig): PlannedSchedule[] {
  const byCadence = new Map<ScheduledCadence, string[]>();
  for (const s of registry) {
    if (!s.enabled || s.cadence === "manual") continue;
    const list = byCadence.get(s.cadence) ?? [];
    list.push(s.id);
    byCadence.set(s.cadence, list);
  }
  return [...byCadence]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cadence, sources]) => ({
      scheduleId: `${schedulePrefix}${cadence}`,
      cadence,
      cron: config.schedules.cron[cadence],
      sources: sources.sort(),
    }));
}

function scheduleOptions(plan: PlannedSchedule, config: ObservatoryConfig): ScheduleOptions {
  const input: PipelineInput = { offline: false, sources: plan.sources, buildSite: true, activities: config.activities };
  return {
    scheduleId: plan.scheduleId,
    spec: { cronExpressions: [plan.cron], timezone: config.schedules.timezone },
    action: {
      type: "startWorkflow",
      workflowType: "pipeline",
      // Temporal appends the scheduled time, so each run's id still says what it is.
      workflowId: `pipeline/${plan.cadence}`,
      taskQueue: config.temporal.taskQueue,
      args: [input],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: "1h" },
    memo: { cadence: plan.cadence, sources: plan.sources.join(",") },
  };
}

export type ApplyOutcome = { scheduleId: string; action: "created" | "updated" | "deleted" };

/** Creates or updates one schedule per planned cadence and deletes observatory schedules no longer planned. */
export async function applySchedules(client: Client, plans: PlannedSchedule[], config: ObservatoryConfig): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  for (const plan of plans) {
    const options = scheduleOptions(plan, config);
    const handle = client.schedule.getHandle(plan.scheduleId);
    try {
      await handle.describe();
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
      outcomes.push({ scheduleId: plan.scheduleId, action: "updated" });
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      await client.schedule.create(options);
      outcomes.push({ scheduleId: plan.scheduleId, action: "created" });
    }
  }
  const wanted = new Set(plans.map((p) => p.scheduleId));
  for (const existing of await listScheduleIds(client)) {
    if (wanted.has(existing)) continue;
    // Temporal lists schedules from its visibility store, which lags behind creates and deletes: one deleted
    // a moment ago may still be listed, and is gone already.
    const gone = await client.schedule
      .getHandle(existing)
      .delete()
      .then(() => false)
      .catch((error: unknown) => {
        if (error instanceof ScheduleNotFoundError) return true;
        throw error;
      });
    if (!gone) outcomes.push({ scheduleId: existing, action: "deleted" });
  }
  return outcomes;
}

export async function listScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(schedulePrefix)) ids.push(s.scheduleId);
  return ids.sort();
}

export interface ScheduleStatus {
  scheduleId: string;
  paused: boolean;
  note?: string;
  cadence: string;
  sources: string;
  nextRun?: string;
  recentRuns: number;
}

export async function describeSchedules(client: Client): Promise<ScheduleStatus[]> {
  const out: ScheduleStatus[] = [];
  for (const id of await listScheduleIds(client)) {
    // Still listed (the list lags behind deletes) but deleted: not a schedule any more.
    const d = await client.schedule
      .getHandle(id)
      .describe()
      .catch((error: unknown) => {
        if (error instanceof ScheduleNotFoundError) return undefined;
        throw error;
      });
    if (d === undefined) continue;
    const action = d.action as { args?: Array<{ sources?: string[] }> };
    out.push({
      scheduleId: id,
      paused: d.state.paused,
      note: d.state.note,
      cadence: String(d.memo?.cadence ?? ""),
      sources: (action.args?.[0]?.sources ?? []).join(", "),
      nextRun: d.info.nextActionTimes[0]?.toISOString(),
      recentRuns: d.info.recentActions.length,
    });
  }
  return out;
}

/** Pauses or unpauses the named observatory schedules (all of them when none are named). */
export async function setPaused(client: Client, paused: boolean, ids: string[], note: string): Promise<string[]> {
  const targets = ids.length > 0 ? ids : await listScheduleIds(client);
  for (const id of targets) {
    const handle = client.schedule.getHandle(id);
    if (paused) await handle.pause(note);
    else await handle.unpause(note);
  }
  return targets;
}
