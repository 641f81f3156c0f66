// Human review on a real Temporal dev server (its state in a SQLite file) and a real DuckDB warehouse:
// the pipeline opens reviews after its load, reviews remind and escalate on short real timers (their real
// 3 and 7 days are checked on the time-skipping server in review-timers.test.ts), analysts'
// decisions (through signals, the CLI and the console) land in the warehouse with their log entries and
// reach the exports, and a waiting review survives a worker restart and a server restart.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime, workflowsPath } from "../../worker/index.js";
import { startConsole, type RunningConsole } from "../../scripts/lib/console-server.js";
import { decide, listReviews, proposeEventOutcome, reviewState } from "../../scripts/lib/review-client.js";
import { loadConfig, type ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, sqlString, withMemoryDb, withWarehouse } from "../../warehouse/db.js";
import { loadQualityRules } from "../../warehouse/quality.js";
import { pendingReviews, reviewId } from "../../warehouse/review.js";
import { approveSignal, pipeline, publish, review, type PipelineSummary, type ReviewState } from "../../workflows/index.js";
import { launchChromium } from "../browser-launch.js";
import { signDecision, signProposal } from "../../activities/analysts.js";
import { repoRoot, testAnalysts, testClock, until, withSharedBundle } from "../helpers.js";

const run = promisify(execFile);

let cliPath: string;
let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let config: ObservatoryConfig;
let configEnv: Record<string, string>;
let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
const dbFile = () => path.join(dir, "temporal.sqlite");
/**
 * The activities' clock: decisions, loads and exports are dated from here, so the views judged on fixed
 * dates below (events_progress_as_of 2026-12-01) hold on any day the suite runs. Review timers are the dev
 * server's and stay real.
 */
const activityClock = testClock("2026-11-20T08:00:00Z");

async function startEnv(): Promise<void> {
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: "existing-path", path: cliPath }, dbFilename: dbFile() },
  });
}

async function startWorker(): Promise<void> {
  worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(config), {
    log: () => undefined,
    now: activityClock,
  });
  workerRun = worker.run();
}

async function stopWorker(): Promise<void> {
  worker.shutdown();
  await workerRun;
}

beforeAll(async () => {
  installRuntime("WARN");
  cliPath = (await provisionTemporalCli({ log: () => undefined })).path;
  dir = await fs.mkdtemp(path.join((await import("node:os")).tmpdir(), "observatory-review-"));
  configEnv = {
    OBSERVATORY_DATA_DIR: dir,
    OBSERVATORY_WAREHOUSE: path.join(dir, "observatory.duckdb"),
    OBSERVATORY_ARCHIVE_DIR: path.join(dir, "archive"),
    OBSERVATORY_STAGED_DIR: path.join(dir, "staged"),
    OBSERVATORY_EXPORTS_DIR: path.join(dir, "exports"),
    OBSERVATORY_SITE_OUTPUT: path.join(dir, "site"),
    OBSERVATORY_REVIEW_EVENTS: path.join(dir, "review-events.jsonl"),
    // Short real timers: the dev server runs on the machine's clock (no time skipping with it).
    OBSERVATORY_REVIEW_REMIND_AFTER: "2s",
    OBSERVATORY_REVIEW_ESCALATE_AFTER: "4s",
    TEMPORAL_TASK_QUEUE: `test-review-${path.basename(dir)}`,
  };
  config = loadConfig(configEnv);
  // Named accounts in the test's own data folder (config.analysts.file): every decision below is signed.
  team = await testAnalysts(dir, { sokha: "analyst", dara: "analyst", vanna: "editor", chanthou: "analyst" });
  await startEnv();
  await startWorker();
});

afterAll(async () => {
  if (worker?.getState() === "RUNNING") await stopWorker();
  await env?.teardown();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function runPipeline(runKey: string): Promise<PipelineSummary> {
  return env.client.workflow.execute(pipeline, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `pipeline/${runKey}`,
    args: [{ runKey, offline: true, buildSite: false, activities: config.activities }],
  });
}

async function runPublish(runKey: string) {
  return env.client.workflow.execute(publish, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `publish/${runKey}`,
    args: [{ runKey, activities: config.activities }],
  });
}

/** Waits as `until` does, up to 20000 ms unless told otherwise. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000) => until(what, fn, timeoutMs);

const waiting = (id: string) =>
  waitFor(`${id} to wait`, async () => ((await reviewState(env.client, id)).status === "waiting" ? true : undefined));

async function exported(table: string, sql = "*", where = "true") {
  return withMemoryDb((db) =>
    queryRows(db, `SELECT ${sql} FROM read_parquet(${sqlString(path.join(config.paths.exports, `${table}.parquet`))}) WHERE ${where}`),
  );
}

const SHEET_REVIEW = "review/indicator/indicator-sheet/RAM.GERD.PCT_GDP/KHM/2025=0.09";

interface OpenedReviews {
  first: PipelineSummary;
  /** Every review id listed once the first run's reviews were open, in listing order. */
  ids: string[];
  /** The three incident candidates' review ids, sorted. */
  candidates: string[];
}
let opened: Promise<OpenedReviews> | undefined;

/**
 * The first pipeline run and the reviews it opened, run once for the file by whichever test needs it
 * first, so every test also runs alone (`-t`).
 */
function openedReviews(): Promise<OpenedReviews> {
  opened ??= (async () => {
    const first = await runPipeline("review-run-1");
    const open = await waitFor("the reviews to be listed", async () => {
      const rows = await listReviews(env.client);
      return rows.length >= first.reviews.pending ? rows : undefined;
    });
    const ids = open.map((r) => r.id);
    return { first, ids, candidates: ids.filter((id) => id.startsWith("review/incident/")).sort() };
  })();
  return opened;
}

describe("review workflows on a real Temporal dev server", () => {
  it("opens one review per item needing a person after the load, keeps candidates and sheet values out of the exports, and a second run opens none", async () => {
    const { first, ids, candidates } = await openedReviews();
    expect(first.partial).toBe(false);
    expect(first.reviews.opened).toBe(first.reviews.pending);
    // One review per item: no id twice, and exactly the items the warehouse queues for a person.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(first.reviews.pending);
    const rules = await loadQualityRules(path.join(repoRoot, "warehouse", "quality-rules.yaml"));
    const queue = await withWarehouse(config.paths.warehouse, (db) => pendingReviews(db, { rules }));
    const queued = queue.map((p) => reviewId(p.kind, p.key));
    expect([...ids].sort()).toEqual([...queued].sort());
    expect(candidates).toHaveLength(3);
    expect(ids).toContain(SHEET_REVIEW);
    expect(ids.some((id) => id.startsWith("review/classification/news/"))).toBe(true);

    expect(await exported("incidents", "incident_key", "incident_key LIKE 'review:%'")).toEqual([]);
    expect(await exported("observations", "count(*)::INTEGER AS n", "source_id = 'indicator-sheet'")).toEqual([{ n: 0 }]);
    expect(await exported("observations_current", "count(*)::INTEGER AS n", "source_id = 'indicator-sheet'")).toEqual([{ n: 0 }]);

    const second = await runPipeline("review-run-2");
    expect(second.reviews).toEqual({ pending: first.reviews.pending, opened: 0 });
  }, 180_000);

  it("waits for a person, answers its query, sends its reminder and then escalates on its timers, logging both", async () => {
    const id = (await openedReviews()).candidates[2];
    const state = await waitFor("the escalation", async () => {
      const s = await reviewState(env.client, id);
      return s.escalatedAt ? s : undefined;
    });
    expect(state).toMatchObject({ id, kind: "incident", status: "waiting", overdue: true });
    expect(state.item?.title).toBeTruthy();
    expect(state.item?.url).toMatch(/^https?:\/\//);
    expect(Date.parse(state.remindedAt!) - Date.parse(state.openedAt)).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(state.escalatedAt!) - Date.parse(state.openedAt)).toBeGreaterThanOrEqual(4000);
    const events = (await fs.readFile(config.review.eventsLog, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { reviewId: string; event: string });
    expect(events.filter((e) => e.reviewId === id).map((e) => e.event)).toEqual(["reminder", "escalation"]);
    expect((await listReviews(env.client, { status: "overdue" })).map((r) => r.id)).toContain(id);
  });

  it("publishes an approved candidate as an incident with its classification, hides a rejected one for good, and logs who, when and why", async () => {
    const [approved, rejected] = (await openedReviews()).candidates;
    const yes = await decide(env.client, approved, "approve", team.signers.sokha, {
      reason: "confirmed with the outlet's report",
      fields: { severity: "high", province: "Phnom Penh", affected_groups: "bank customers,older people", harm_types: "scam,deepfake" },
    });
    expect(yes.outcome).toBe("recorded");
    const no = await decide(env.client, rejected, "reject", team.signers.dara, { reason: "not an AI incident: a generic scam warning" });
    expect(no.outcome).toBe("recorded");

    const published = await runPublish("review-publish-1");
    expect(published.exportBlocked).toBe(false);
    const approvedKey = approved.replace("review/incident/", "");
    const rejectedKey = rejected.replace("review/incident/", "");
    const rows = await exported(
      "incidents",
      "incident_key, severity, province, harmed_parties, harm_types, status",
      "incident_key LIKE 'review:%'",
    );
    expect(rows).toEqual([
      {
        incident_key: `review:${approvedKey}`,
        severity: "high",
        province: "Phnom Penh",
        harmed_parties: ["bank customers", "older people"],
        harm_types: ["scam", "deepfake"],
        status: "published",
      },
    ]);
    const log = await exported("curation_log", "actor, action, target_key, reason", "action LIKE 'review_%'");
    expect(log).toEqual(
      expect.arrayContaining([
        {
          actor: "analyst:sokha",
          action: "review_approve",
          target_key: `review:${approvedKey}`,
          reason: "confirmed with the outlet's report",
        },
        { actor: "analyst:dara", action: "review_reject", target_key: rejectedKey, reason: "not an AI incident: a generic scam warning" },
      ]),
    );
    // When: each entry is dated by the activities' clock (the test's, from 2026-11-20 08:00 UTC, never the
    // machine's), and Sokha's approval, sent first, is logged before Dara's rejection.
    const decidedKeys = `target_key IN (${sqlString(`review:${approvedKey}`)}, ${sqlString(rejectedKey)})`;
    const loggedAt = "strftime(timezone('UTC', logged_at), '%Y-%m-%dT%H:%M:%SZ') AS at";
    const when = await exported("curation_log", `action, ${loggedAt}`, `${decidedKeys} ORDER BY logged_at`);
    expect(when.map((w) => w.action)).toEqual(["review_approve", "review_reject"]);
    for (const w of when) expect(String(w.at)).toMatch(/^2026-11-20T08:\d\d:\d\dZ$/);

    // A later automated run neither overwrites the published incident nor reopens the rejected candidate.
    const third = await runPipeline("review-run-3");
    expect(third.reviews.opened).toBe(0);
    expect((await env.client.workflow.getHandle(rejected).describe()).status.name).toBe("COMPLETED");
    expect(await exported("incidents", "incident_key, severity", "incident_key LIKE 'review:%'")).toEqual([
      { incident_key: `review:${approvedKey}`, severity: "high" },
    ]);
    const statuses = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(db, "SELECT candidate_key, review_status FROM incident_candidates WHERE candidate_key IN ($a, $b) ORDER BY review_status", {
        a: approvedKey,
        b: rejectedKey,
      }),
    );
    expect(statuses).toEqual([
      { candidate_key: approvedKey, review_status: "approved" },
      { candidate_key: rejectedKey, review_status: "rejected" },
    ]);
  }, 120_000);

  it("approves a sheet value through the CLI, which signals the review, and the value reaches the exports only then", async () => {
    await openedReviews();
    const cliEnv = {
      ...process.env,
      ...configEnv,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: "default",
      OBSERVATORY_ANALYST_TOKEN: team.tokens.dara,
    };
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const list = await run(tsx, ["scripts/review.ts", "list", "--kind", "indicator"], { cwd: repoRoot, env: cliEnv });
    expect(list.stdout).toContain(SHEET_REVIEW);
    const refused = await run(tsx, ["scripts/review.ts", "approve", "RAM.GERD"], { cwd: repoRoot, env: cliEnv }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining("--reason is required") });
    const approved = await run(tsx, ["scripts/review.ts", "approve", "RAM.GERD", "--reason", "matches page 31 of the RAM report"], {
      cwd: repoRoot,
      env: cliEnv,
    });
    expect(approved.stdout).toContain("approved for publication");
    expect((await reviewState(env.client, SHEET_REVIEW)).decision).toMatchObject({ action: "approve", by: "analyst:dara" });
    await runPublish("review-publish-2");
    expect(await exported("observations_current", "indicator_code, value, value_source", "source_id = 'indicator-sheet'")).toEqual([
      { indicator_code: "RAM.GERD.PCT_GDP", value: 0.09, value_source: "source" },
    ]);
  }, 120_000);

  it("refuses an unauthenticated write with 401 and records an authenticated edit and approve from the console", async () => {
    const { candidates } = await openedReviews();
    const token = team.tokens.sokha;
    const { AnalystStore } = await import("../../activities/analysts.js");
    const nobody = new AnalystStore(path.join(dir, "no-analysts.json"));
    await expect(startConsole({ client: env.client, analysts: nobody, port: 0, archiveDir: config.paths.archive })).rejects.toThrow(
      /no analyst accounts/,
    );
    const consoleServer: RunningConsole = await startConsole({
      client: env.client,
      analysts: team.store,
      port: 0,
      archiveDir: config.paths.archive,
      log: () => undefined,
    });
    try {
      const classification = (await listReviews(env.client, { kind: "classification" }))[0].id;
      const body = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
      const form = { "Content-Type": "application/x-www-form-urlencoded" };
      const anonymous = await fetch(`${consoleServer.url}/review/decide`, {
        method: "POST",
        headers: form,
        body: body({ id: classification, action: "approve", by: "x", reason: "y" }),
      });
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(`${consoleServer.url}/api/decide`, {
        method: "POST",
        headers: { ...form, Authorization: "Bearer not-the-token-at-all" },
        body: body({ id: classification, action: "approve", by: "x", reason: "y" }),
      });
      expect(wrong.status).toBe(401);
      expect((await reviewState(env.client, classification)).status).toBe("waiting");

      // Signed in through the form: the session cookie alone is not enough, the page's CSRF value is needed.
      const login = await fetch(`${consoleServer.url}/login`, {
        method: "POST",
        headers: form,
        body: body({ name: "sokha", token }),
        redirect: "manual",
      });
      expect(login.status).toBe(303);
      const cookie = login.headers.get("set-cookie")!.split(";")[0];
      const reviewPage = await (
        await fetch(`${consoleServer.url}/review?id=${encodeURIComponent(classification)}`, { headers: { Cookie: cookie } })
      ).text();
      expect(reviewPage).not.toMatch(/<script/i);
      const csrf = /name="csrf" value="([^"]+)"/.exec(reviewPage)![1];
      const noCsrf = await fetch(`${consoleServer.url}/review/decide`, {
        method: "POST",
        headers: { ...form, Cookie: cookie },
        body: body({ id: classification, action: "edit", by: "analyst:sokha", reason: "r", f_add: "priority/3" }),
      });
      expect(noCsrf.status).toBe(403);
      const edited = await fetch(`${consoleServer.url}/review/decide`, {
        method: "POST",
        headers: { ...form, Cookie: cookie, Origin: consoleServer.url },
        body: body({
          id: classification,
          action: "edit",
          by: "analyst:sokha",
          reason: "about AI skills: priority 3",
          f_add: "priority/3",
          csrf,
        }),
      });
      expect(edited.status).toBe(200);
      expect(await edited.text()).toContain("Recorded: tags changed");
      const itemKey = classification.replace("review/classification/news/", "");
      const tags = await withWarehouse(config.paths.warehouse, (db) =>
        queryRows(
          db,
          "SELECT dimension, tag, tag_source FROM v_item_tags_effective WHERE item_kind = 'news' AND item_key = $k AND dimension = 'priority'",
          { k: itemKey },
        ),
      );
      expect(tags).toEqual([{ dimension: "priority", tag: "3", tag_source: "analyst" }]);

      // A script with Vanna's token in a header approves the last candidate; the log has Vanna.
      const candidate = candidates[2];
      const approved = await fetch(`${consoleServer.url}/api/decide`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${team.tokens.vanna}` },
        body: JSON.stringify({
          id: candidate,
          action: "approve",
          by: "analyst:vanna",
          reason: "two outlets report it",
          fields: { severity: "medium" },
        }),
      });
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({
        outcome: "recorded",
        effect: expect.stringContaining("published as incident review:"),
      });
      const log = await withWarehouse(config.paths.warehouse, (db) =>
        queryRows(db, "SELECT actor, action, reason FROM curation_log WHERE target_key = $k ORDER BY log_id", {
          k: `review:${candidate.replace("review/incident/", "")}`,
        }),
      );
      expect(log).toEqual([{ actor: "analyst:vanna", action: "review_approve", reason: "two outlets report it" }]);

      // The same sign-in and form in real Chromium: its own Origin, cookie and referrer handling, not
      // hand-made headers (a no-referrer policy once made Chromium send "Origin: null" and the form failed).
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${consoleServer.url}/login`);
        await page.fill("input[name=name]", "chanthou");
        await page.fill("input[name=token]", team.tokens.chanthou);
        await page.click("button");
        await page.waitForURL(`${consoleServer.url}/`);
        const open = (await listReviews(env.client)).find((r) => r.id.startsWith("review/classification/"));
        expect(open, "a classification review still waiting").toBeDefined();
        await page.goto(`${consoleServer.url}/review?id=${encodeURIComponent(open!.id)}`);
        const reject = page.locator("form", { has: page.locator("button[value=reject]") });
        await reject.locator("textarea[name=reason]").fill("not about AI policy in Cambodia");
        await reject.locator("button[value=reject]").click();
        await page.waitForLoadState();
        expect(await page.textContent("body")).toContain("Recorded:");
        expect(await reviewState(env.client, open!.id)).toMatchObject({
          status: "decided",
          decision: { action: "reject", by: "analyst:chanthou" },
        });
      } finally {
        await browser.close();
      }
    } finally {
      await consoleServer.close();
    }
  });

  it("records what happened to a governance activity once a second analyst approves the proposal, and the timeline counts it done and late", async () => {
    const eventId = "cambodian-ai-governance-ethics-guidelines-draft-2025-05";
    const id = await proposeEventOutcome(env.client, config, team.signers.sokha, {
      eventId,
      outcome: "happened",
      onDate: "2025-06-20",
      note: "First draft circulated to ministries",
      evidence: ["https://example.org/evidence/guidelines-draft"],
    });
    expect(id).toBe(`review/event/${eventId}/happened-2025-06-20`);
    await waiting(id);
    const state = await reviewState(env.client, id);
    expect(state.item?.title).toContain("happened on 2025-06-20");
    const before = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(db, `SELECT state FROM events_progress_as_of(DATE '2026-12-01') WHERE event_id = ${sqlString(eventId)}`),
    );
    expect(before).toEqual([{ state: "slipped" }]);
    const result = await decide(env.client, id, "approve", team.signers.dara, { reason: "checked the circular" });
    expect(result.outcome).toBe("recorded");
    const after = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        `SELECT state, days_late, recorded_by FROM events_progress_as_of(DATE '2026-12-01') WHERE event_id = ${sqlString(eventId)}`,
      ),
    );
    expect(after).toEqual([{ state: "done", days_late: 21, recorded_by: "analyst:dara" }]);
  }, 60_000);

  it("keeps a waiting review across a worker restart and a dev server restart from its SQLite file, and the later decision lands", async () => {
    const started = performance.now();
    const proposal = (asOf: string) => ({
      status: "in_progress",
      as_of: asOf,
      note: "Incident intake is live in the observatory",
      evidence: "https://example.org/evidence/5-7",
    });
    const open = (key: string) =>
      env.client.workflow.start(review, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `review/measure/${key}`,
        args: [
          {
            kind: "measure",
            key,
            proposal: signProposal(team.signers.vanna, `review/measure/${key}`, proposal(key.split("/")[1])),
            remindAfterMs: 3_600_000,
            escalateAfterMs: 7_200_000,
            activities: config.activities,
          },
        ],
      });
    const signed = (id: string, name: "dara" | "sokha", reason: string) => ({
      reason,
      ...signDecision(team.signers[name], id, "approve", reason),
    });
    const first = await open("5.7/2026-11-01");
    await waiting(first.workflowId);
    await stopWorker();
    await startWorker();
    await first.signal(approveSignal, signed(first.workflowId, "dara", "evidence checked"));
    const decided = (await first.result()) as ReviewState;
    expect(decided.outcome?.effect).toContain("measure 5.7 recorded as in_progress");
    const workerRestart = (performance.now() - started) / 1000;

    const second = await open("5.7/2026-12-01");
    await waiting(second.workflowId);
    await stopWorker();
    await env.teardown();
    await startEnv();
    await startWorker();
    const survivor = await reviewState(env.client, second.workflowId);
    expect(survivor).toMatchObject({ status: "waiting", kind: "measure" });
    await env.client.workflow
      .getHandle(second.workflowId)
      .signal(approveSignal, signed(second.workflowId, "sokha", "second quarter's evidence"));
    const after = (await env.client.workflow.getHandle(second.workflowId).result()) as ReviewState;
    expect(after.status).toBe("decided");
    const statuses = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(db, "SELECT status, as_of::VARCHAR AS as_of, recorded_by FROM measure_status WHERE measure_id = '5.7' ORDER BY as_of"),
    );
    expect(statuses).toEqual([
      { status: "in_progress", as_of: "2026-11-01", recorded_by: "analyst:dara" },
      { status: "in_progress", as_of: "2026-12-01", recorded_by: "analyst:sokha" },
    ]);
    // The recorded histories replay on today's workflow code: no non-determinism crept in.
    await openedReviews();
    for (const id of [second.workflowId, "pipeline/review-run-1"]) {
      await Worker.runReplayHistory({ workflowsPath }, await env.client.workflow.getHandle(id).fetchHistory());
    }
    console.error(
      `durability: worker restart round trip ${workerRestart.toFixed(1)} s, whole test ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
