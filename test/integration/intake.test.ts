// The public incident intake end to end, on a real Temporal dev server, a real DuckDB warehouse, the real
// Framework build and Chromium: a report made through the site's form reaches the review queue, is
// classified by one analyst and published by another, and the reporter sees its status on the site; the
// contact detail reaches no export and no page. Floods, spam, oversized and malformed bodies, a spoofed
// Host and impersonation are each refused.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProvinces } from "../../activities/intake.js";
import type { Activities } from "../../activities/index.js";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { startConsole, type RunningConsole } from "../../scripts/lib/console-server.js";
import { startIntake, type RunningIntake } from "../../scripts/lib/intake-server.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import { decide, listReviews, reviewState } from "../../scripts/lib/review-client.js";
import { serveStatic } from "../../scripts/lib/static-server.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, sqlString, withMemoryDb, withWarehouse } from "../../warehouse/db.js";
import { publish } from "../../workflows/index.js";
import { launchChromium } from "../browser-launch.js";
import { offlineExport, repoRoot, tempConfig, testAnalysts, testClock, until, withSharedBundle } from "../helpers.js";
import { rawRequest } from "../http-request.js";

const run = promisify(execFile);
const CONTACT = "reporter-7781@example.org, +855 12 000 781";
const WHAT =
  "A video of a Ministry official was faked with AI and shared on Telegram to ask people in Battambang to pay a fee for a fake land title.";

let dir: string;
let config: ObservatoryConfig;
let env: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
let activities: Activities;
let intake: RunningIntake;
let browser: Browser;
let team: Awaited<ReturnType<typeof testAnalysts>>;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits as `until` does, up to 30000 ms unless told otherwise. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000) => until(what, fn, timeoutMs);

/** The reports in the intake's store (none before the first). */
const stored = async () => (await fs.readdir(config.intake.dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"));

/** Every file under `root` whose text contains `needle`. */
async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.readFile(file)).includes(needle)) hits.push(file);
  }
  return hits;
}

beforeAll(async () => {
  installRuntime("WARN");
  const cliPath = (await provisionTemporalCli({ log: () => undefined })).path;
  const port = await freePort();
  ({ config, dir } = await tempConfig({
    OBSERVATORY_INTAKE_PORT: String(port),
    OBSERVATORY_INTAKE_URL: `http://127.0.0.1:${port}/report`,
  }));
  team = await testAnalysts(dir, { sokha: "analyst", dara: "analyst", vanna: "editor" });
  // The offline snapshot through the real activities: the export and the site the reporter opens.
  activities = await offlineExport(config, "intake-test", testClock("2026-11-25T06:00:00Z"));
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: "existing-path", path: cliPath }, dbFilename: path.join(dir, "temporal.sqlite") },
  });
  worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(config), { log: () => undefined });
  workerRun = worker.run();
  const provinces = await loadProvinces(path.join(repoRoot, "sources", "provinces.yaml"));
  intake = await startIntake({ client: env.client, config, provinces, log: () => undefined });
  browser = await launchChromium();
  // The offline run and the Temporal server take minutes on a busy two-core machine.
}, 1_500_000);

afterAll(async () => {
  await browser?.close();
  await intake?.close();
  if (worker?.getState() === "RUNNING") {
    worker.shutdown();
    await workerRun;
  }
  await env?.teardown();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const json = { "Content-Type": "application/json", Accept: "application/json" };
const report = (fields: Record<string, string>, headers: Record<string, string> = {}, url = intake.url) =>
  rawRequest(`${url}/report`, { method: "POST", headers: { ...json, Host: new URL(url).host, ...headers }, body: JSON.stringify(fields) });
const reportReviews = async () => (await listReviews(env.client, { kind: "report", includeClosed: true })).map((r) => r.id);

describe("the public incident intake", () => {
  it("takes a report from the site's form in Chromium, and after one analyst's classification and another's approval the status page shows it published; the contact is in no export and no page", async () => {
    const built = await activities.buildSite();
    const site = await serveStatic(built.dir);
    let code: string;
    try {
      const page = await browser.newPage();
      await page.goto(new URL("report", site.url).href);
      const form = page.locator("form.report-form");
      expect(await form.getAttribute("action")).toBe(config.intake.url);
      await form.locator("textarea[name=what]").fill(WHAT);
      await form.locator("select[name=province]").selectOption("Battambang");
      await form.locator("input[name=occurred]").fill("2026-05");
      await form.locator("textarea[name=links]").fill("https://example.org/news/fake-official-video");
      await form.locator("input[name=contact]").fill(CONTACT);
      await form.locator("button[type=submit]").click();
      await page.waitForSelector("#tracking-code");
      code = (await page.textContent("#tracking-code"))!.trim();
      expect(code).toMatch(/^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      await page.close();
    } finally {
      await site.close();
    }

    // The report's review is open and waiting, its public part registered, its contact only in the intake store.
    const id = `review/report/${code}`;
    const state = await waitFor("the report's review to wait", async () => {
      const s = await reviewState(env.client, id);
      return s.status === "waiting" ? s : undefined;
    });
    expect(state.item?.summary).toBe(WHAT);
    expect(state.item?.proposal).toMatchObject({ province: "Battambang", occurred_on: "2026-05" });
    expect(JSON.stringify(state)).not.toContain("reporter-7781");
    expect(await fs.readFile(path.join(config.intake.dir, `${code}.json`), "utf8")).toContain(CONTACT);
    expect((await fs.stat(path.join(config.intake.dir, `${code}.json`))).mode & 0o777).toBe(0o600);

    // Sokha classifies it (an amendment: a report needs a second analyst once an analyst has reworded it)...
    const amended = await decide(env.client, id, "edit", team.signers.sokha, {
      reason: "a deepfake used for a land-title scam",
      fields: {
        title: "Deepfake of an official used in a land-title scam in Battambang",
        harm_types: "deepfake,fraud",
        severity: "medium",
      },
    });
    expect(amended.outcome).toBe("amended");
    const ownApproval = await decide(env.client, id, "approve", team.signers.sokha, { reason: "looks right" });
    expect(ownApproval).toMatchObject({
      outcome: "refused",
      message: expect.stringContaining("four eyes: analyst:sokha amended this report review"),
    });
    // ...and Dara approves it through the console API, with Vanna's name typed in the body: it is Dara's.
    const consoleServer: RunningConsole = await startConsole({
      client: env.client,
      analysts: team.store,
      port: 0,
      archiveDir: config.paths.archive,
      log: () => undefined,
    });
    try {
      const approved = await fetch(`${consoleServer.url}/api/decide`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${team.tokens.dara}` },
        body: JSON.stringify({ id, action: "approve", by: "analyst:vanna", reason: "the outlet's video and the ministry's warning match" }),
      });
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({
        outcome: "recorded",
        by: "analyst:dara",
        effect: `published as incident report:${code}`,
      });
    } finally {
      await consoleServer.close();
    }

    const published = await env.client.workflow.execute(publish, {
      taskQueue: config.temporal.taskQueue,
      workflowId: "publish/intake-1",
      args: [{ runKey: "intake-1", activities: config.activities }],
    });
    expect(published.exportBlocked).toBe(false);
    const exported = (table: string, cols: string, where: string) =>
      withMemoryDb((db) =>
        queryRows(db, `SELECT ${cols} FROM read_parquet(${sqlString(path.join(config.paths.exports, `${table}.parquet`))}) WHERE ${where}`),
      );
    expect(await exported("intake_status", "tracking_code, status, incident_key, public_reason", "true")).toEqual([
      { tracking_code: code, status: "published", incident_key: `report:${code}`, public_reason: null },
    ]);
    expect(await exported("incidents", "title, province, harm_types, severity, source_id", `incident_key = 'report:${code}'`)).toEqual([
      {
        title: "Deepfake of an official used in a land-title scam in Battambang",
        province: "Battambang",
        harm_types: ["deepfake", "fraud"],
        severity: "medium",
        source_id: "public-intake",
      },
    ]);
    expect(
      await exported("curation_log", "actor, action", `target_key IN ('report:${code}', 'review/report/${code}') ORDER BY log_id`),
    ).toEqual([
      { actor: "analyst:sokha", action: "review_amend" },
      { actor: "analyst:dara", action: "review_approve" },
    ]);
    expect(await filesContaining(config.paths.exports, "reporter-7781")).toEqual([]);
    await withWarehouse(config.paths.warehouse, async (db) => {
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM intake_reports")).toEqual([{ n: 1 }]);
    });

    const rebuilt = await activities.buildSite();
    expect(await filesContaining(rebuilt.dir, "reporter-7781")).toEqual([]);
    const site2 = await serveStatic(rebuilt.dir);
    try {
      const page = await browser.newPage();
      await page.goto(new URL("report-status", site2.url).href);
      await page.fill(".status-form input[name=code]", code.toLowerCase());
      await page.waitForFunction(() => document.querySelector(".report-status")?.textContent?.includes("Published"));
      expect(await page.textContent(".report-status")).toContain(`Published as incident report:${code}`);
      await page.goto(new URL("report-status?code=R-0000-0000", site2.url).href);
      await page.waitForFunction(() => document.querySelector(".report-status")?.textContent?.includes("No report"));
      await page.goto(new URL("incidents", site2.url).href);
      await page.waitForFunction(() => document.body.textContent?.includes("land-title scam"));
      await page.close();
    } finally {
      await site2.close();
    }
  }, 1_200_000);

  it("refuses a flood from one address with 429 once the hourly cap is reached, storing only what it accepted", async () => {
    const provinces = await loadProvinces(path.join(repoRoot, "sources", "provinces.yaml"));
    const flooded = await startIntake({
      client: env.client,
      config: { ...config, intake: { ...config.intake, perHour: 3 } },
      provinces,
      port: 0,
      log: () => undefined,
    });
    try {
      const before = new Set(await stored());
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await report({ what: `${WHAT} (copy ${i})` }, {}, flooded.url)).status);
      expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
      expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
      const limited = await report({ what: WHAT }, {}, flooded.url);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      expect((await stored()).filter((f) => !before.has(f))).toHaveLength(3);
    } finally {
      await flooded.close();
    }
  });

  it("refuses a spam submission (honeypot filled) without storing it or opening a review, and says nothing about why", async () => {
    const provinces = await loadProvinces(path.join(repoRoot, "sources", "provinces.yaml"));
    const fresh = await startIntake({ client: env.client, config, provinces, port: 0, log: () => undefined });
    try {
      const files = (await stored()).length;
      // Every stored report's review is visible first, so a late-indexed one is not mistaken for the spam's.
      const reviews = await waitFor("every stored report's review to be listed", async () => {
        const n = (await reportReviews()).length;
        return n >= files ? n : undefined;
      });
      expect(reviews).toBe(files);
      const spam = await report(
        { what: "Cheap watches and crypto gains, visit my site now for the best deals!!", website: "https://spam.example" },
        {},
        fresh.url,
      );
      expect(spam.status).toBe(400);
      expect(spam.body).not.toContain("website");
      expect((await stored()).length).toBe(files);
      expect((await reportReviews()).length).toBe(reviews);
      const audit = (await fs.readFile(config.intake.auditLog, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string });
      expect(audit.map((a) => a.event)).toContain("spam_refused");
    } finally {
      await fresh.close();
    }
  });

  it("answers oversized bodies 413, malformed ones 400, bad fields 400 naming the field, and a spoofed Host 421", async () => {
    const provinces = await loadProvinces(path.join(repoRoot, "sources", "provinces.yaml"));
    const fresh = await startIntake({
      client: env.client,
      config: { ...config, intake: { ...config.intake, perHour: 100 } },
      provinces,
      port: 0,
      log: () => undefined,
    });
    try {
      const host = new URL(fresh.url).host;
      const files = (await stored()).length;
      const big = await rawRequest(`${fresh.url}/report`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Host: host },
        body: `what=${"a".repeat(2 * 1024 * 1024)}`,
      });
      expect(big.status).toBe(413);
      const bad = await rawRequest(`${fresh.url}/report`, { method: "POST", headers: { ...json, Host: host }, body: '{"what": ' });
      expect(bad.status).toBe(400);
      const cases: Array<[Record<string, string>, string]> = [
        [{ what: "too short" }, "what"],
        [{ what: "x".repeat(4001) }, "what"],
        [{ what: WHAT, province: "Atlantis" }, "province"],
        [{ what: WHAT, occurred: "2026-02-30" }, "occurred"],
        [{ what: WHAT, occurred: "2099-01" }, "occurred"],
        [{ what: WHAT, links: "javascript:alert(1)" }, "links"],
        [{ what: WHAT, links: Array.from({ length: 6 }, (_, i) => `https://example.org/${i}`).join("\n") }, "links"],
        [{ what: WHAT, contact: "c".repeat(201) }, "contact"],
      ];
      for (const [fields, field] of cases) {
        const res = await report(fields, {}, fresh.url);
        expect(res.status, JSON.stringify(fields).slice(0, 60)).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ field });
      }
      const spoofed = await report({ what: WHAT }, { Host: "evil.example" }, fresh.url);
      expect(spoofed.status).toBe(421);
      expect((await stored()).length).toBe(files);
    } finally {
      await fresh.close();
    }
  });

  it("refuses --by on the CLI and a CLI decision without an analyst token", async () => {
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const cliEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      OBSERVATORY_ANALYSTS_FILE: team.store.file,
      OBSERVATORY_ANALYST_TOKEN: "",
    };
    const by = await run(tsx, ["scripts/review.ts", "approve", "anything", "--by", "analyst:sokha", "--reason", "r"], {
      cwd: repoRoot,
      env: cliEnv,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(by).toMatchObject({ code: 2, stderr: expect.stringContaining("--by is gone") });
    const anonymous = await run(tsx, ["scripts/review.ts", "approve", "anything", "--reason", "r"], { cwd: repoRoot, env: cliEnv }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(anonymous).toMatchObject({ code: 2, stderr: expect.stringContaining("OBSERVATORY_ANALYST_TOKEN is not set") });
  });
});
