// Every kind of source, live, through the real fetch layer and a real Temporal dev server: a loopback
// server plays the World Bank, OpenAlex, arXiv, news feeds, the ministry's pages and the AI Incident
// Database with fixtures in each API's format (the World Bank ones hand-written: test/fixtures/worldbank/README.md),
// plus a failing, a malformed and a robots-forbidden source.
// Then a second run (conditional requests, nothing re-parsed) and an offline replay of the archive
// into a fresh warehouse, which must give the same rows.
import fs from "node:fs/promises";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { pipeline, type PipelineSummary } from "../../workflows/index.js";
import { fixture, tempConfig, withSharedBundle } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

let env: TestWorkflowEnvironment;
let server: LoopbackServer;
let config: ObservatoryConfig;
let dir: string;
const workers: Array<{ worker: Worker; run: Promise<void> }> = [];

function send(res: ServerResponse, body: Uint8Array, headers: Record<string, string> = {}) {
  res.writeHead(200, { "content-type": "application/octet-stream", ...headers });
  res.end(body);
}

const query = (req: IncomingMessage) => new URL(req.url ?? "/", "http://x").searchParams;

async function routes(): Promise<Parameters<typeof startLoopbackServer>[0]> {
  const f = async (...p: string[]) => fixture(...p);
  const [wb1, wb2, oa1, oa2, ax1, ax2, rssEn, rssKm, rssXss, rssBad, list, detailEn, detailKm, aiid] = await Promise.all([
    f("worldbank", "it-net-user-page1.json"),
    f("worldbank", "it-net-user-page2.json"),
    f("openalex", "page1.json"),
    f("openalex", "page2.json"),
    f("arxiv", "page1.xml"),
    f("arxiv", "page2.xml"),
    f("rss", "wordpress.xml"),
    f("rss", "khmer.xml"),
    f("rss", "xss.xml"),
    f("rss", "truncated.xml"),
    f("mptc", "list-loopback.html"),
    f("mptc", "detail-en.html"),
    f("mptc", "detail-km.html"),
    f("aiid", "incidents.json"),
  ]);
  return {
    "/robots.txt": { body: "User-agent: *\nDisallow: /private/\n" },
    "/wb/v2/country/KHM/indicator/IT.NET.USER.ZS": (req, res) => send(res, query(req).get("page") === "2" ? wb2 : wb1),
    "/openalex/works": (req, res) => send(res, query(req).get("cursor") === "*" ? oa1 : oa2),
    "/arxiv/api/query": (req, res) => send(res, query(req).get("start") === "2" ? ax2 : ax1),
    // ETag and Last-Modified, so the second run's conditional requests can be answered 304.
    "/feeds/en": (req, res) => {
      if (req.headers["if-none-match"] === '"en-v1"') return void res.writeHead(304).end();
      send(res, rssEn, { etag: '"en-v1"', "content-type": "application/rss+xml" });
    },
    "/feeds/km": (req, res) => {
      if (req.headers["if-modified-since"] === "Wed, 02 Jul 2025 09:00:00 GMT") return void res.writeHead(304).end();
      send(res, rssKm, { "last-modified": "Wed, 02 Jul 2025 09:00:00 GMT", "content-type": "application/rss+xml" });
    },
    "/feeds/xss": (_req, res) => send(res, rssXss),
    "/feeds/truncated": (_req, res) => send(res, rssBad),
    "/feeds/down": { status: 500, body: "internal error" },
    "/private/feed": (_req, res) => send(res, rssEn),
    "/mptc/en/news/": (_req, res) => send(res, list, { "content-type": "text/html" }),
    "/mptc/en/2024/12/press-release-ai-public-sector": (_req, res) => send(res, detailEn, { "content-type": "text/html" }),
    "/mptc/km/2025/04/press-release-ai-governance": (_req, res) => send(res, detailKm, { "content-type": "text/html" }),
    "/aiid/graphql": (_req, res) => send(res, aiid, { "content-type": "application/json" }),
  };
}

function registryYaml(origin: string): string {
  const entry = (id: string, kind: string, parser: string, url: string, extra = "") => `
  - id: ${id}
    title: ${id} (test)
    kind: ${kind}
    parser: ${parser}
    urls: ["${origin}${url}"]
    cadence: daily
    licence: test
    attribution: test
    fetch: { min_interval_ms: 0 }${extra}`;
  return `sources:${[
    entry("wb", "indicator", "worldbank-v2", "/wb/v2/country/KHM/indicator/IT.NET.USER.ZS?format=json&per_page=2"),
    entry(
      "openalex",
      "publication",
      "openalex-works",
      "/openalex/works?filter=authorships.institutions.country_code:KH&per_page=2&cursor=*",
    ),
    entry("arxiv", "publication", "arxiv-atom", "/arxiv/api/query?search_query=all:Khmer&start=0&max_results=2"),
    entry("feed-en", "news", "rss", "/feeds/en", "\n    options: { outlet: Example News, language: en }"),
    entry("feed-km", "news", "rss", "/feeds/km"),
    entry("feed-xss", "news", "rss", "/feeds/xss"),
    entry("feed-truncated", "news", "rss", "/feeds/truncated"),
    entry("feed-down", "news", "rss", "/feeds/down"),
    entry("feed-forbidden", "news", "rss", "/private/feed"),
    entry("mptc", "news", "mptc", "/mptc/en/news/"),
    entry("aiid", "incident", "aiid-graphql", "/aiid/graphql"),
  ].join("\n")}
  - id: incident-sheet
    title: curated incidents
    kind: incident
    parser: incident-sheet
    urls: ["repo:sources/curated/incidents.yaml"]
    cadence: manual
    licence: test
    attribution: test
`;
}

async function startWorker(cfg: ObservatoryConfig, registryFile: string): Promise<void> {
  const worker = await createObservatoryWorker(env.nativeConnection, await withSharedBundle(cfg), {
    registryFile,
    log: () => undefined,
    // The fixture server's own address is the only private one let in; short in-activity retries.
    fetchSettings: { ...fetchSettingsFor(server), maxAttempts: 2, backoffBaseMs: 10, maxBackoffMs: 50 },
  });
  workers.push({ worker, run: worker.run() });
}

function withFastRetries(cfg: ObservatoryConfig): ObservatoryConfig {
  const fast = { maximumAttempts: 2, initialInterval: "100ms", backoffCoefficient: 2, maximumInterval: "200ms" };
  return { ...cfg, activities: { ...cfg.activities, fetch: { ...cfg.activities.fetch, retry: fast } } };
}

beforeAll(async () => {
  // The broken sources fail on purpose; the SDK would log each failed attempt at WARN.
  installRuntime("ERROR");
  server = await startLoopbackServer(await routes());
  const cli = await provisionTemporalCli({ log: () => undefined });
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: "existing-path", path: cli.path } } });
  const made = await tempConfig();
  dir = made.dir;
  config = withFastRetries(made.config);
  await fs.writeFile(path.join(dir, "registry.yaml"), registryYaml(server.origin));
  await startWorker(config, path.join(dir, "registry.yaml"));
});

afterAll(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.run));
  await env?.teardown();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function run(cfg: ObservatoryConfig, runKey: string, offline = false): Promise<PipelineSummary> {
  return env.client.workflow.execute(pipeline, {
    taskQueue: cfg.temporal.taskQueue,
    workflowId: `pipeline/${runKey}`,
    args: [{ runKey, offline, buildSite: false, activities: cfg.activities }],
  });
}

const byId = (summary: PipelineSummary) => Object.fromEntries(summary.sources.map((s) => [s.sourceId, s]));

const factTables = {
  observations: "indicator_code, period",
  publications: "source_id, pub_key",
  news_items: "source_id, item_key",
  incidents: "source_id, incident_key",
};

async function facts(warehouse: string): Promise<Record<string, unknown[]>> {
  return withWarehouse(warehouse, async (db) => {
    const out: Record<string, unknown[]> = {};
    for (const [table, order] of Object.entries(factTables)) {
      // retrieved_at says when the bytes were last fetched, which a later run's revalidation moves on;
      // the bytes themselves (snapshot_sha256) and everything parsed from them must be identical.
      const exclude = table === "observations" ? " EXCLUDE (valid_from, valid_to, retrieved_at)" : " EXCLUDE (retrieved_at)";
      out[table] = await queryRows(db, `SELECT *${exclude} FROM ${table} ORDER BY ${order}`);
    }
    return out;
  });
}

describe("Every kind of source through the fetch layer and a real Temporal server", () => {
  let first: PipelineSummary;

  it("loads indicators, publications, news, press releases and incidents, while broken sources fail alone with their URL", async () => {
    first = await run(config, "live-1");
    const s = byId(first);
    for (const id of ["wb", "openalex", "arxiv", "feed-en", "feed-km", "feed-xss", "mptc", "aiid", "incident-sheet"]) {
      expect(s[id].status, `${id}: ${s[id].error ?? ""}`).toBe("ok");
    }
    expect(first.partial).toBe(true);
    expect(s["feed-down"]).toMatchObject({ status: "failed", error: expect.stringMatching(/feed-down.*\/feeds\/down.*HTTP 500/) });
    expect(s["feed-truncated"]).toMatchObject({ status: "failed", error: expect.stringContaining(`${server.origin}/feeds/truncated`) });
    expect(s["feed-forbidden"]).toMatchObject({ status: "failed", error: expect.stringMatching(/robots\.txt/i) });
    expect(server.requestsTo("/private/feed")).toHaveLength(0);
    // Paged APIs were followed: two World Bank pages, two OpenAlex cursors, two arXiv slices.
    expect(s.wb.fetched).toBe(2);
    expect(s.openalex.fetched).toBe(2);
    expect(s.arxiv.fetched).toBe(2);
    // The list page and its two press releases.
    expect(s.mptc.fetched).toBe(3);
    // Three of xss.xml's four items are quarantined; the fourth is kept with its markup as text.
    expect(s["feed-xss"].rejected).toBe(3);

    const counts = await withWarehouse(config.paths.warehouse, (db) =>
      queryRows(
        db,
        `SELECT (SELECT count(*) FROM observations)::INTEGER AS observations,
                (SELECT count(*) FROM publications WHERE source_id = 'openalex')::INTEGER AS openalex,
                (SELECT count(*) FROM publications WHERE source_id = 'arxiv')::INTEGER AS arxiv,
                (SELECT count(DISTINCT work_key) FROM publication_works)::INTEGER AS works,
                (SELECT count(*) FROM publication_works)::INTEGER AS work_members,
                (SELECT count(*) FROM news_items WHERE source_id = 'mptc')::INTEGER AS press_releases,
                (SELECT count(*) FROM news_items WHERE language = 'km')::INTEGER AS khmer_items,
                (SELECT count(*) FROM incidents WHERE source_id = 'aiid')::INTEGER AS aiid,
                (SELECT count(*) FROM item_tags WHERE dimension = 'priority')::INTEGER AS priority_tags,
                (SELECT count(*) FROM incident_candidates)::INTEGER AS candidates,
                (SELECT count(*) FROM news_items WHERE title ILIKE '%<script%' OR summary ILIKE '%<script%')::INTEGER AS scripts`,
      ),
    );
    const c = counts[0];
    expect(c.observations).toBe(3); // 2024 (a null value, kept as missing) and 2023 on page 1, 2022 on page 2
    // Exact counts the fixtures fix: OpenAlex pages 1 and 2, arXiv slices 1 and 2, the feeds, the AIID page.
    expect(c.openalex).toBe(4);
    expect(c.arxiv).toBe(3);
    expect(c.work_members).toBe(Number(c.openalex) + Number(c.arxiv));
    expect(c.works).toBeLessThanOrEqual(Number(c.work_members));
    expect(c.works).toBe(5); // seven records, some of them the same work in both sources
    expect(c).toMatchObject({ press_releases: 2, scripts: 0 });
    expect(c.khmer_items).toBe(3);
    expect(c.aiid).toBe(2);
    expect(c.priority_tags).toBe(3);
    // "Ministry condemns AI deepfake video" pairs an AI term with a harm term: queued for review.
    expect(c.candidates).toBe(2);

    const ua = server.requestsTo("/feeds/en")[0].headers["user-agent"];
    expect(ua).toMatch(/^CambodiaAIObservatory\//);
  });

  it("sends conditional requests on the next run, honours 304, and parses nothing that did not change", async () => {
    expect(first).toBeDefined();
    const before = server.requests.length;
    const second = await run(config, "live-2");
    const s = byId(second);
    for (const id of ["wb", "openalex", "arxiv", "feed-en", "feed-km", "feed-xss", "mptc", "aiid", "incident-sheet"]) {
      expect(s[id], id).toMatchObject({ status: "unchanged", records: 0, newRows: 0, updatedRows: 0 });
    }
    const en = server.requestsTo("/feeds/en").at(-1)!;
    expect(en.headers["if-none-match"]).toBe('"en-v1"');
    expect(server.requestsTo("/feeds/km").at(-1)!.headers["if-modified-since"]).toBe("Wed, 02 Jul 2025 09:00:00 GMT");
    expect(server.requests.length).toBeGreaterThan(before);
  });

  it("replays the archive offline into a fresh warehouse with identical rows", async () => {
    expect(first).toBeDefined();
    const replayConfig: ObservatoryConfig = {
      ...config,
      temporal: { ...config.temporal, taskQueue: `${config.temporal.taskQueue}-replay` },
      paths: { ...config.paths, warehouse: path.join(dir, "replay.duckdb"), exports: path.join(dir, "replay-exports") },
    };
    await startWorker(replayConfig, path.join(dir, "registry.yaml"));
    const requestsBefore = server.requests.length;
    const replay = await run(replayConfig, "replay-1", true);
    expect(server.requests.length).toBe(requestsBefore);
    const s = byId(replay);
    for (const id of ["wb", "openalex", "arxiv", "feed-en", "feed-km", "feed-xss", "mptc", "aiid"]) {
      expect(s[id].status, id).toBe("ok");
      expect(s[id].snapshotReason, id).toMatch(/offline mode; replayed the archived capture/);
    }
    // Never fetched successfully, so nothing to replay.
    expect(s["feed-down"].status).toBe("skipped");
    expect(await facts(replayConfig.paths.warehouse)).toEqual(await facts(config.paths.warehouse));
  });
});
