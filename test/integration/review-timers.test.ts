// The review timers at their real durations (a reminder after 3 days, an escalation after 7: the
// defaults of temporal.config.ts) on Temporal's time-skipping test server: the server's clock jumps to
// each timer when nothing else is pending, so a week of waiting takes seconds, and the workflow code,
// the activities and the real DuckDB warehouse are the production ones. The server is the Java SDK's
// test server from Maven Central (test/temporal-test-server.ts), since the SDK's download cannot run here;
// provisionTestServer() fetches what the cache lacks, and offline with nothing cached fails naming `npm run test:provision`.
import fs from "node:fs/promises";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signDecision, signProposal } from "../../activities/analysts.js";
import { createActivities } from "../../activities/index.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { approveSignal, review, reviewStateQuery, type ReviewState } from "../../workflows/index.js";
import { provisionTestServer } from "../temporal-test-server.js";
import { repoRoot, tempConfig, testAnalysts, testClock, withSharedBundle } from "../helpers.js";

const DAY = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let config: ObservatoryConfig;
let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
let serverProblem: Error | undefined;

/** Loads only the NAIS strategy (offline, from the repository) so a measure review has its measure. */
async function loadStrategy(): Promise<void> {
  const activities = createActivities({ config, projectRoot: repoRoot, log: () => undefined, now: testClock("2026-11-20T08:00:00Z") });
  const sourceId = "nais-strategy";
  const fetched = await activities.fetchSource({ sourceId, offline: true });
  const parsed = await activities.parseSource({ sourceId, runKey: "timers", captures: fetched.captures });
  const report = {
    sourceId,
    status: "ok" as const,
    fetched: fetched.captures.length,
    records: parsed.records,
    rejected: parsed.rejected,
    fromSnapshot: fetched.fromSnapshot,
    snapshotReason: fetched.snapshotReason,
    stageDir: parsed.stageDir,
  };
  await activities.loadStaged({ runId: "pipeline/timers", reports: [report] });
}

beforeAll(async () => {
  installRuntime("WARN");
  ({ config, dir } = await tempConfig());
  team = await testAnalysts(dir, { vanna: "editor", dara: "analyst" });
  await loadStrategy();
  // A server that cannot be had fails the test below with its message (a failing beforeAll would report it skipped).
  const launcher = await provisionTestServer().catch((error: unknown) => {
    serverProblem = error instanceof Error ? error : new Error(String(error));
  });
  if (!launcher) return;
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: "existing-path", path: launcher } } });
  worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(config), {
    log: () => undefined,
    now: testClock("2026-11-20T09:00:00Z"),
  });
  workerRun = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === "RUNNING") {
    worker.shutdown();
    await workerRun;
  }
  await env?.teardown();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("review timers on Temporal's time-skipping test server", () => {
  it("uses 3 and 7 days unless configured otherwise, reminds after 3 days and escalates after 7, logging both, and a later decision still lands", async () => {
    if (serverProblem) throw serverProblem;
    expect(config.review).toMatchObject({ remindAfterMs: 3 * DAY, escalateAfterMs: 7 * DAY });
    const key = "5.7/2026-11-01";
    const id = `review/measure/${key}`;
    const proposal = {
      status: "in_progress",
      as_of: "2026-11-01",
      note: "Incident intake is live",
      evidence: "https://example.org/evidence/5-7",
    };
    const handle = await env.client.workflow.start(review, {
      taskQueue: config.temporal.taskQueue,
      workflowId: id,
      args: [
        {
          kind: "measure",
          key,
          proposal: signProposal(team.signers.vanna, id, proposal),
          remindAfterMs: config.review.remindAfterMs,
          escalateAfterMs: config.review.escalateAfterMs,
          activities: config.activities,
        },
      ],
    });
    const started = Number(await env.currentTimeMs());
    const wall = performance.now();

    // Just short of the reminder: nothing sent yet.
    await env.sleep(3 * DAY - 60_000);
    const before = await handle.query(reviewStateQuery);
    expect(before).toMatchObject({ status: "waiting", overdue: false });
    expect([before.remindedAt, before.escalatedAt]).toEqual([undefined, undefined]);
    await env.sleep(2 * 60_000);
    const reminded = await handle.query(reviewStateQuery);
    expect(reminded).toMatchObject({ status: "waiting", overdue: false });
    expect(reminded.escalatedAt).toBeUndefined();
    // Sent when the timer fired: 3 days after opening, give or take the workflow task that ran it.
    const sinceOpen = (at: string | undefined, state: ReviewState) => Date.parse(at!) - Date.parse(state.openedAt);
    expect(sinceOpen(reminded.remindedAt, reminded)).toBeGreaterThanOrEqual(3 * DAY);
    expect(sinceOpen(reminded.remindedAt, reminded)).toBeLessThan(3 * DAY + 60_000);

    // Just short of the escalation, then past it.
    await env.sleep(4 * DAY - 2 * 60_000);
    expect((await handle.query(reviewStateQuery)).escalatedAt).toBeUndefined();
    await env.sleep(2 * 60_000);
    const escalated = await handle.query(reviewStateQuery);
    expect(escalated).toMatchObject({ status: "waiting", overdue: true });
    expect(sinceOpen(escalated.escalatedAt, escalated)).toBeGreaterThanOrEqual(7 * DAY);
    expect(sinceOpen(escalated.escalatedAt, escalated)).toBeLessThan(7 * DAY + 60_000);
    expect(Number(await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(7 * DAY);

    const log = (await fs.readFile(config.review.eventsLog, "utf8")).trim().split("\n");
    const events = log.map((l) => JSON.parse(l) as { reviewId: string; event: string; at: string });
    expect(events.filter((e) => e.reviewId === id).map((e) => [e.event, e.at])).toEqual([
      ["reminder", reminded.remindedAt],
      ["escalation", escalated.escalatedAt],
    ]);

    const reason = "evidence checked a week late";
    await handle.signal(approveSignal, { reason, ...signDecision(team.signers.dara, id, "approve", reason) });
    const decided = (await handle.result()) as ReviewState;
    expect(decided.status).toBe("decided");
    expect(decided.outcome?.effect).toContain("measure 5.7 recorded as in_progress");
    // A week of timers in well under a minute of the machine's time.
    expect((performance.now() - wall) / 1000).toBeLessThan(60);
  }, 120_000);
});
