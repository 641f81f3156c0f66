// Fault: an archived body is damaged on disk (truncated gzip, or bytes that no longer match their sha256).
// Every read is checked; the bad copy is quarantined and restored from the repository file, the bundled
// snapshot or a fresh fetch, and the warehouse ends with the same rows as a run on an undamaged archive.
import fs from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApplicationFailure } from "@temporalio/common";
import { createActivities, type CaptureRef } from "../../activities/index.js";
import { Archive } from "../../activities/archive.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import type { RunReport } from "../../warehouse/load.js";
import { fixture, repoRoot, tempConfig } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

let server: LoopbackServer;
const dirs: string[] = [];

async function registry(dir: string): Promise<string> {
  const file = path.join(dir, "registry.yaml");
  const real = await fs.readFile(path.join(repoRoot, "sources", "registry.yaml"), "utf8");
  const pick = (id: string) => real.slice(real.indexOf(`  - id: ${id}\n`)).split(/\n\n/)[0];
  await fs.writeFile(
    file,
    `sources:\n${pick("news-digest")}\n\n${pick("worldbank-wdi")}\n\n  - id: feed\n    title: feed (test)\n    kind: news\n    parser: rss\n` +
      `    urls: ["${server.origin}/feed"]\n` +
      `    cadence: hourly\n    licence: test\n    attribution: test\n    fetch: { min_interval_ms: 0 }\n`,
  );
  return file;
}

async function world(): Promise<{ config: ObservatoryConfig; registryFile: string; logs: string[] }> {
  const { config, dir } = await tempConfig();
  dirs.push(dir);
  return { config, registryFile: await registry(dir), logs: [] };
}

function activitiesOf(w: Awaited<ReturnType<typeof world>>) {
  return createActivities({
    config: w.config,
    projectRoot: repoRoot,
    registryFile: w.registryFile,
    log: (m) => w.logs.push(m),
    fetchSettings: fetchSettingsFor(server),
  });
}

async function ingest(w: Awaited<ReturnType<typeof world>>, sourceId: string, offline = false) {
  const acts = activitiesOf(w);
  const fetched = await acts.fetchSource({ sourceId, offline });
  const parsed = await acts.parseSource({ sourceId, runKey: "fault", captures: fetched.captures });
  return { fetched, parsed };
}

async function load(w: Awaited<ReturnType<typeof world>>, parsedBy: Array<Awaited<ReturnType<typeof ingest>>>) {
  const reports: RunReport[] = parsedBy.map(({ fetched, parsed }) => ({
    sourceId: fetched.sourceId,
    status: "ok",
    fetched: fetched.captures.length,
    records: parsed.records,
    rejected: parsed.rejected,
    fromSnapshot: fetched.fromSnapshot,
    stageDir: parsed.stageDir,
  }));
  await activitiesOf(w).loadStaged({ runId: "pipeline/fault", reports });
  return withWarehouse(w.config.paths.warehouse, async (db) => ({
    news: await queryRows(db, "SELECT * EXCLUDE (retrieved_at) FROM news_items ORDER BY source_id, item_key"),
    observations: await queryRows(db, "SELECT * EXCLUDE (retrieved_at, valid_from) FROM observations ORDER BY indicator_code, period"),
  }));
}

const bodyFile = (config: ObservatoryConfig, sha: string) => path.join(config.paths.archive, "bodies", sha.slice(0, 2), `${sha}.gz`);
const quarantined = async (config: ObservatoryConfig) =>
  fs.readdir(path.join(config.paths.archive, "quarantine")).catch(() => [] as string[]);

beforeAll(async () => {
  const feed = await fixture("rss", "wordpress.xml");
  server = await startLoopbackServer({
    "/robots.txt": { body: "User-agent: *\nAllow: /\n" },
    "/feed": (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304).end();
      res.writeHead(200, { "content-type": "application/rss+xml", etag: '"v1"' });
      res.end(feed);
    },
  });
});

afterAll(async () => {
  await server?.close();
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe("Fault: a corrupt archive body", () => {
  it("names the file and the sha when a body's gzip is truncated, and quarantines it", async () => {
    const w = await world();
    const archive = new Archive(w.config.paths.archive);
    const capture = await archive.put(new TextEncoder().encode("some body"), {
      url: "repo:x",
      status: 200,
      headers: {},
      retrievedAt: "2026-01-01T00:00:00Z",
      origin: "repo",
    });
    const file = bodyFile(w.config, capture.sha256);
    const gz = await fs.readFile(file);
    await fs.writeFile(file, gz.subarray(0, gz.length - 6));
    await expect(archive.read(capture.sha256)).rejects.toThrow(
      `archive body ${file} (sha256 ${capture.sha256}) is unreadable: not a complete gzip stream`,
    );
    expect(await quarantined(w.config)).toEqual([expect.stringMatching(new RegExp(`^${capture.sha256}\\.`))]);
  });

  it("heals a truncated repository body on the next fetch (Archive.put no longer trusts a stored body), and loads the same rows", async () => {
    const clean = await world();
    const expected = await load(clean, [await ingest(clean, "news-digest")]);
    expect(expected.news.length).toBeGreaterThan(0);

    const w = await world();
    const first = await ingest(w, "news-digest");
    const sha = first.fetched.captures[0].sha256;
    const gz = await fs.readFile(bodyFile(w.config, sha));
    await fs.writeFile(bodyFile(w.config, sha), gz.subarray(0, Math.floor(gz.length / 2)));
    const started = performance.now();
    const again = await ingest(w, "news-digest");
    const seconds = (performance.now() - started) / 1000;
    expect(again.fetched.captures[0].sha256).toBe(sha);
    expect(again.parsed.records).toBe(first.parsed.records);
    expect(await quarantined(w.config)).toHaveLength(1);
    expect(await load(w, [again])).toEqual(expected);
    console.error(`fault corrupt-archive (repo file): healed by the next fetch in ${seconds.toFixed(2)} s`);
  });

  it("restores a corrupt copy of a snapshot body from the bundled snapshot during the parse", async () => {
    const clean = await world();
    const expected = await load(clean, [await ingest(clean, "worldbank-wdi", true)]);

    const w = await world();
    const acts = activitiesOf(w);
    const fetched = await acts.fetchSource({ sourceId: "worldbank-wdi", offline: true });
    const victim = fetched.captures[3];
    // Valid gzip, wrong bytes: only the sha256 check can tell.
    await fs.writeFile(bodyFile(w.config, victim.sha256), gzipSync(Buffer.from('[{"page":1,"pages":1,"per_page":1,"total":0},[]]')));
    const started = performance.now();
    const parsed = await acts.parseSource({ sourceId: "worldbank-wdi", runKey: "fault", captures: fetched.captures });
    const seconds = (performance.now() - started) / 1000;
    expect(w.logs).toContainEqual(
      expect.stringMatching(
        new RegExp(`^worldbank-wdi: .*${victim.sha256}.* its bytes hash to [0-9a-f]{64}.*; restored from the bundled snapshot$`),
      ),
    );
    expect(await load(w, [{ fetched, parsed }])).toEqual(expected);
    console.error(`fault corrupt-archive (snapshot body): restored during the parse in ${seconds.toFixed(2)} s`);
  });

  it("names the file, sha, source and URL when no copy exists, and the next fetch fetches the body whole (no 304) and heals it", async () => {
    const clean = await world();
    const expected = await load(clean, [await ingest(clean, "feed")]);

    const w = await world();
    const acts = activitiesOf(w);
    const fetched = await acts.fetchSource({ sourceId: "feed", offline: false });
    const capture: CaptureRef = fetched.captures[0];
    const file = bodyFile(w.config, capture.sha256);
    await fs.writeFile(file, gzipSync(Buffer.from("<rss>tampered</rss>")));
    const failure = await acts.parseSource({ sourceId: "feed", runKey: "fault", captures: fetched.captures }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: "ArchiveCorrupt", nonRetryable: true });
    const message = (failure as Error).message;
    for (const part of ["feed: ", `${server.origin}/feed`, file, capture.sha256]) expect(message).toContain(part);

    // What ingestSource does on ArchiveCorrupt: fetch again, then parse.
    const started = performance.now();
    const before = server.requestsTo("/feed").length;
    const again = await acts.fetchSource({ sourceId: "feed", offline: false });
    expect(
      server
        .requestsTo("/feed")
        .slice(before)
        .map((r) => r.headers["if-none-match"]),
    ).toEqual([undefined]);
    const parsed = await acts.parseSource({ sourceId: "feed", runKey: "fault", captures: again.captures });
    const seconds = (performance.now() - started) / 1000;
    expect(again.captures[0].sha256).toBe(capture.sha256);
    expect(await load(w, [{ fetched: again, parsed }])).toEqual(expected);
    console.error(`fault corrupt-archive (live body): re-fetched and parsed in ${seconds.toFixed(2)} s`);
  });
});
