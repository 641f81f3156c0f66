// Fault: a whole run against hostile sources, on a real Temporal dev server: an OpenAlex cursor that repeats
// with work W91 on two pages, a World Bank series claiming 999999 pages, titles with bidi controls, a gzip
// bomb, billion-laughs XML, and redirects to 169.254.169.254 and 127.0.0.2. The run must end partial, never
// failed; the sound sources' rows must equal a run of those sources alone; the export must go out. Then an
// export folder that cannot be replaced: the run keeps its summary and says why in one line.
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import { defaultMaxPages } from "../../sources/registry.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import type { RunReport } from "../../warehouse/load.js";
import { pipeline, type PipelineSummary } from "../../workflows/index.js";
import { fixture, repoRoot, tempConfig, withSharedBundle } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

let env: TestWorkflowEnvironment;
let server: LoopbackServer;
let worker: Worker;
let workerRun: Promise<void>;
let config: ObservatoryConfig;
let registryFile: string;
const dirs: string[] = [];

const sound = ["nais", "oa", "wb", "feed"];
const hostile = ["bomb", "laughs", "metadata", "loopback"];

const send = (res: ServerResponse, body: string | Uint8Array, headers: Record<string, string>) => {
  res.writeHead(200, headers);
  res.end(body);
};

function registry(origin: string): string {
  const entry = (id: string, kind: string, parser: string, url: string, extra = "", options = "") =>
    `  - { id: ${id}, title: ${id}, kind: ${kind}, parser: ${parser}, urls: ["${origin}${url}"], cadence: daily, licence: CC BY 4.0, attribution: ` +
    `t, fetch: { min_interval_ms: 0${extra} }${options} }`;
  return [
    "sources:",
    `  - { id: nais, title: NAIS, kind: strategy, parser: nais-strategy, urls: ["repo:sources/strategy/nais.yaml"], cadence: manual, licence: ` +
      `CC BY 4.0, attribution: t }`,
    entry("oa", "publication", "openalex-works", "/oa?cursor=*"),
    // Units are stated in the registry (the API's names are not read for them), as the quality rules expect.
    entry("wb", "indicator", "worldbank-v2", "/wb?format=json", "", `, options: { units: { IT.NET.USER.ZS: "% of population" } }`),
    entry("feed", "news", "rss", "/feed"),
    entry("bomb", "news", "rss", "/bomb", ", max_bytes: 1048576"),
    entry("laughs", "news", "rss", "/laughs"),
    entry("metadata", "news", "rss", "/to-metadata"),
    entry("loopback", "news", "rss", "/to-loopback"),
    "",
  ].join("\n");
}

const factsSql: Record<string, string> = {
  publications: "SELECT * EXCLUDE (retrieved_at) FROM publications",
  observations: "SELECT * EXCLUDE (retrieved_at, valid_from, valid_to) FROM observations",
  indicators: "SELECT * EXCLUDE (retrieved_at) FROM indicators",
  news_items: "SELECT * EXCLUDE (retrieved_at) FROM news_items",
  strategy_measures: "SELECT * EXCLUDE (retrieved_at) FROM strategy_measures",
};

async function facts(warehouse: string): Promise<Record<string, unknown[]>> {
  return withWarehouse(warehouse, async (db) => {
    const out: Record<string, unknown[]> = {};
    for (const [table, sql] of Object.entries(factsSql)) out[table] = await queryRows(db, `${sql} ORDER BY ALL`);
    return out;
  });
}

async function tree(folder: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of (await fs.readdir(folder, { recursive: true, withFileTypes: true })).filter((x) => x.isFile())) {
    const file = path.join(e.parentPath, e.name);
    out[path.relative(folder, file)] = (await fs.stat(file)).mtimeMs;
  }
  return out;
}

beforeAll(async () => {
  installRuntime("ERROR");
  const wbTemplate = JSON.parse(Buffer.from(await fixture("worldbank", "it-net-user-page1.json")).toString("utf8")) as [
    Record<string, unknown>,
    Array<Record<string, unknown>>,
  ];
  const oa1 = JSON.parse(Buffer.from(await fixture("openalex", "page1.json")).toString("utf8")) as {
    meta: Record<string, unknown>;
    results: Array<Record<string, unknown>>;
  };
  const feed = Buffer.from(await fixture("rss", "wordpress.xml"))
    .toString("utf8")
    .replace("<title>Ministry condemns AI deepfake video</title>", "<title>Ministry condemns AI \u202Eoediv\u202C video</title>");
  const laughs =
    `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c ` +
    `"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f ` +
    `"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i ` +
    `"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]><rss ` +
    `version="2.0"><channel><title>x</title><item><title>&i;</title><link>https://news.example.kh/laughs</link></item></channel></rss>`;
  server = await startLoopbackServer({
    "/robots.txt": { body: "User-agent: *\nAllow: /\n" },
    "/oa": (req, res) => {
      const cursor = new URL(req.url ?? "/", "http://x").searchParams.get("cursor");
      const w91 = { ...oa1.results[0], id: "https://openalex.org/W91" };
      const results = cursor === "*" ? [oa1.results[1], w91] : [w91, oa1.results[2]];
      send(res, JSON.stringify({ meta: { ...oa1.meta, next_cursor: "again" }, results }), { "content-type": "application/json" });
    },
    "/wb": (req, res) => {
      const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page") ?? "1");
      const rows = wbTemplate[1].slice(1).map((r) => ({ ...r, date: String(1000 + page), value: 50 }));
      send(res, JSON.stringify([{ ...wbTemplate[0], page, pages: 999999 }, rows]), { "content-type": "application/json" });
    },
    "/feed": (_req, res) => send(res, feed, { "content-type": "application/rss+xml" }),
    "/bomb": (_req, res) =>
      send(res, gzipSync(Buffer.alloc(32 * 1024 * 1024)), { "content-type": "application/rss+xml", "content-encoding": "gzip" }),
    "/laughs": (_req, res) => send(res, laughs, { "content-type": "application/rss+xml" }),
    "/to-metadata": { status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } },
  });
  server.route("/to-loopback", { status: 302, headers: { location: `http://127.0.0.2:${server.port}/feed` } });
  const cli = await provisionTemporalCli({ log: () => undefined });
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: "existing-path", path: cli.path } } });
  const made = await tempConfig();
  dirs.push(made.dir);
  const fast = { maximumAttempts: 2, initialInterval: "100ms", backoffCoefficient: 2, maximumInterval: "200ms" };
  config = { ...made.config, activities: { ...made.config.activities, fetch: { ...made.config.activities.fetch, retry: fast } } };
  registryFile = path.join(made.dir, "registry.yaml");
  await fs.writeFile(registryFile, registry(server.origin));
  worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(config), {
    registryFile,
    log: () => undefined,
    fetchSettings: { ...fetchSettingsFor(server), maxAttempts: 1 },
  });
  workerRun = worker.run();
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
  await server?.close();
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const run = (runKey: string): Promise<PipelineSummary> =>
  env.client.workflow.execute(pipeline, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `pipeline/${runKey}`,
    args: [{ runKey, offline: false, buildSite: false, activities: config.activities }],
  });

describe("Fault: a run against hostile sources", () => {
  let first: PipelineSummary;

  it("ends partial, loads every sound source exactly as a run of those alone would, and exports", async () => {
    const t0 = performance.now();
    first = await run("hostile-1");
    const seconds = (performance.now() - t0) / 1000;
    const s = Object.fromEntries(first.sources.map((x) => [x.sourceId, x]));
    for (const id of sound) expect(s[id].status, `${id}: ${s[id].error ?? ""}`).toBe("ok");
    for (const id of hostile) expect(s[id].status, id).toBe("failed");
    expect(s.bomb.error).toMatch(/bomb: .*\/bomb.*decoded from gzip/);
    expect(s.metadata.error).toMatch(/redirect to http:\/\/169\.254\.169\.254\/latest\/meta-data\/ refused/);
    expect(s.loopback.error).toMatch(/redirect to http:\/\/127\.0\.0\.2:\d+\/feed refused/);
    expect(s.laughs.error).toContain(`${server.origin}/laughs`);
    expect(first.partial).toBe(true);
    expect(first.exportBlocked).toBe(false);
    expect(first.exportError).toBeUndefined();
    expect(first.exportedTables.publications).toBeGreaterThan(0);
    expect(s.oa).toMatchObject({ fetched: 2, rejected: 1, warnings: [expect.stringContaining("was already fetched in this run")] });
    expect(s.wb).toMatchObject({ fetched: defaultMaxPages, warnings: [expect.stringContaining(`cap of ${defaultMaxPages} pages`)] });

    // The same sound sources, alone, through the same activities into a fresh warehouse.
    const clean = await tempConfig();
    dirs.push(clean.dir);
    const acts = createActivities({
      config: clean.config,
      projectRoot: repoRoot,
      registryFile,
      log: () => undefined,
      fetchSettings: fetchSettingsFor(server),
    });
    const reports: RunReport[] = [];
    for (const sourceId of sound) {
      const fetched = await acts.fetchSource({ sourceId, offline: false });
      const parsed = await acts.parseSource({ sourceId, runKey: "clean", captures: fetched.captures });
      reports.push({
        sourceId,
        status: "ok",
        fetched: fetched.captures.length,
        records: parsed.records,
        rejected: parsed.rejected,
        fromSnapshot: false,
        stageDir: parsed.stageDir,
      });
    }
    await acts.loadStaged({ runId: "pipeline/clean", reports });
    const expected = await facts(clean.config.paths.warehouse);
    expect(expected.indicators).toHaveLength(1);
    expect(await facts(config.paths.warehouse)).toEqual(expected);
    const exported = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        `SELECT count(*)::INTEGER AS n FROM read_parquet('${path.join(config.paths.exports, "publications.parquet")}') WHERE pub_key = 'openalex:W91'`,
      ),
    );
    expect(exported).toEqual([{ n: 1 }]);
    console.error(`fault hostile-run: ${first.sources.length} sources (${hostile.length} hostile) in ${seconds.toFixed(1)} s`);
  }, 240_000);

  it("keeps the per-source summary and says in one line why, when the export folder cannot be replaced, leaving the export as it was", async () => {
    expect(first).toBeDefined();
    const exportsDir = config.paths.exports;
    const before = await tree(exportsDir);
    const root = process.getuid?.() === 0;
    if (root) execFileSync("chattr", ["+i", exportsDir]);
    else await fs.chmod(path.dirname(exportsDir), 0o555);
    let second: PipelineSummary;
    try {
      second = await run("hostile-2");
    } finally {
      if (root) execFileSync("chattr", ["-i", exportsDir]);
      else await fs.chmod(path.dirname(exportsDir), 0o755);
    }
    expect(second.partial).toBe(true);
    expect(second.exportError).toMatch(/^export not published: .*(EPERM|EACCES).*and its releases are unchanged$/);
    expect(second.exportDir).toBeUndefined();
    expect(second.sources.map((x) => [x.sourceId, x.status])).toEqual(
      first.sources.map((x) => [x.sourceId, x.status === "ok" ? "unchanged" : x.status]),
    );
    expect(await tree(exportsDir)).toEqual(before);
  }, 240_000);
});
