// Fault: values that are not what they claim. A World Bank page with numbers beyond the double range,
// and a news feed whose titles carry bidirectional controls (U+202E, U+2066) that reorder what a reader
// sees. Through the real fetch layer, parsers, stage and DuckDB load: the numbers are rejected with a
// reason, the controls leave titles and stay in bodies only as escaped text, and every other value loads.
import fs from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import type { RunReport } from "../../warehouse/load.js";
import { fixture, repoRoot, tempConfig } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

let server: LoopbackServer;
let config: ObservatoryConfig;
let dir: string;

const RLO = "\u202E";
const LRI = "\u2066";
const PDI = "\u2069";

const send = (res: ServerResponse, body: string | Uint8Array, type: string) => {
  res.writeHead(200, { "content-type": type });
  res.end(body);
};

beforeAll(async () => {
  // The fixture page (hand-written in the API's format), with two values written as JSON numbers no double can hold.
  const wb = Buffer.from(await fixture("worldbank", "it-net-user-page1.json"))
    .toString("utf8")
    .replace('"pages": 2', '"pages": 1')
    .replace('"value": null', '"value": 1e309')
    .replace('"value": 60.7171', '"value": -1e309');
  const wbPage = wb.replace(
    /\]\s*\]\s*$/,
    `, {"indicator": {"id": "IT.NET.USER.ZS", "value": "Individuals using the Internet (% of population)"}, "countryiso3code": "KHM", "date": ` +
      `"2022", "value": 56.7}]]`,
  );
  const feed = Buffer.from(await fixture("rss", "wordpress.xml"))
    .toString("utf8")
    .replace("<title>Ministry condemns AI deepfake video</title>", `<title>Ministry condemns AI ${RLO}oediv ekafpeed${PDI} video</title>`)
    .replace("which imitates a senior official", `which imitates a ${LRI}senior${PDI} official`);
  server = await startLoopbackServer({
    "/robots.txt": { body: "User-agent: *\nAllow: /\n" },
    "/wb": (_req, res) => send(res, wbPage, "application/json"),
    "/feed": (_req, res) => send(res, feed, "application/rss+xml"),
  });
  ({ config, dir } = await tempConfig());
  await fs.writeFile(
    path.join(dir, "registry.yaml"),
    `sources:
  - { id: wb, title: wb, kind: indicator, parser: worldbank-v2, urls: ["${server.origin}/wb?format=json"], cadence: daily, licence: CC BY ` +
      `4.0, attribution: t, fetch: { min_interval_ms: 0 } }
  - { id: feed, title: feed, kind: news, parser: rss, urls: ["${server.origin}/feed"], cadence: daily, licence: t, attribution: t, fetch: { ` +
      `min_interval_ms: 0 }, options: { outlet: "Example ${RLO}sweN${PDI}", language: en } }
`,
  );
});

afterAll(async () => {
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("Fault: hostile values", () => {
  it("rejects World Bank numbers beyond the double range with a reason, strips bidi controls from titles and names, escapes them in bodies, and loads the rest", async () => {
    const acts = createActivities({
      config,
      projectRoot: repoRoot,
      registryFile: path.join(dir, "registry.yaml"),
      log: () => undefined,
      fetchSettings: fetchSettingsFor(server),
    });
    const reports: RunReport[] = [];
    for (const sourceId of ["wb", "feed"]) {
      const fetched = await acts.fetchSource({ sourceId, offline: false });
      const parsed = await acts.parseSource({ sourceId, runKey: "hostile", captures: fetched.captures });
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
    const load = await acts.loadStaged({ runId: "pipeline/hostile", reports });
    expect(load.counts.wb.error).toBeUndefined();
    expect(load.counts.feed.error).toBeUndefined();
    const facts = await withWarehouse(config.paths.warehouse, async (db) => ({
      observations: await queryRows(db, "SELECT period, value FROM observations ORDER BY period"),
      rejections: await queryRows(db, "SELECT source_id, record, reason FROM rejections ORDER BY record"),
      news: await queryRows(db, "SELECT title, summary, outlet FROM news_items ORDER BY published_at"),
      anyBidi: await queryRows(
        db,
        `SELECT count(*)::INTEGER AS n FROM news_items WHERE regexp_matches(title || coalesce(summary, '') || outlet, ` +
          `'[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]')`,
      ),
    }));
    expect(facts.observations).toEqual([{ period: "2022", value: 56.7 }]);
    expect(facts.rejections).toEqual([
      {
        source_id: "wb",
        record: "IT.NET.USER.ZS/KHM/2023",
        reason: "value is outside the range of a double (beyond ±1.8e308, read as -Infinity)",
      },
      {
        source_id: "wb",
        record: "IT.NET.USER.ZS/KHM/2024",
        reason: "value is outside the range of a double (beyond ±1.8e308, read as Infinity)",
      },
    ]);
    expect(facts.anyBidi).toEqual([{ n: 0 }]);
    const deepfake = facts.news.find((n) => String(n.title).startsWith("Ministry condemns"))!;
    expect(deepfake.title).toBe("Ministry condemns AI oediv ekafpeed video");
    expect(deepfake.outlet).toBe("Example sweN");
    expect(deepfake.summary).toContain("imitates a \\u2066senior\\u2069 official");
    // Every item of the feed is there: the hostile one changed no other row.
    expect(facts.news).toHaveLength(
      (
        Buffer.from(await fixture("rss", "wordpress.xml"))
          .toString("utf8")
          .match(/<item>/g) ?? []
      ).length,
    );
  });
});
