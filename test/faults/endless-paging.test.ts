// Fault: a source whose paging never ends, repeats its cursor, or serves one page again and again. The
// real fetch layer, archive, parsers, stage and DuckDB load run against a loopback server; each run must
// stop at the registry's bounds with a warning and still load exactly the distinct records it fetched.
import fs from "node:fs/promises";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import { defaultMaxPages } from "../../sources/registry.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import type { RunReport } from "../../warehouse/load.js";
import { fixture, repoRoot, tempConfig } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer } from "../loopback-server.js";

let server: LoopbackServer;
let config: ObservatoryConfig;
let dir: string;

const query = (req: IncomingMessage) => new URL(req.url ?? "/", "http://x").searchParams;
const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/**
 * A World Bank page in the API's format (from the hand-written fixture, test/fixtures/worldbank/README.md): `pages: 999999`,
 * a new year on each page, out of range.
 */
function worldBankPage(template: unknown[], page: number): unknown[] {
  const [paging, rows] = template as [Record<string, unknown>, Array<Record<string, unknown>>];
  return [
    { ...paging, page, pages: 999999, total: 999999 * 2 },
    rows.slice(1).map((r) => ({ ...r, date: String(1000 + page), value: 150 })),
  ];
}

beforeAll(async () => {
  const wbTemplate = JSON.parse(Buffer.from(await fixture("worldbank", "it-net-user-page1.json")).toString("utf8")) as unknown[];
  const oa1 = JSON.parse(Buffer.from(await fixture("openalex", "page1.json")).toString("utf8")) as {
    meta: Record<string, unknown>;
    results: Array<Record<string, unknown>>;
  };
  const oaWork = oa1.results[0];
  server = await startLoopbackServer({
    "/robots.txt": { body: "User-agent: *\nAllow: /\n" },
    // Endless: every page says there are 999999.
    "/wb/endless": (req, res) => json(res, worldBankPage(wbTemplate, Number(query(req).get("page") ?? "1"))),
    // The same first page whatever page is asked for: the real "120 copies" case.
    "/wb/stuck": (_req, res) => json(res, worldBankPage(wbTemplate, 1)),
    // The cursor comes back unchanged after page 2, and work W91 is on both pages.
    "/openalex/repeat": (req, res) => {
      const cursor = query(req).get("cursor");
      const w91 = { ...oaWork, id: "https://openalex.org/W91", title: "Khmer speech recognition" };
      if (cursor === "*") return json(res, { meta: { ...oa1.meta, next_cursor: "c2" }, results: [oa1.results[1], w91] });
      return json(res, { meta: { ...oa1.meta, next_cursor: "c2" }, results: [w91, oa1.results[2]] });
    },
    // Fresh cursors for ever, each page ~5 KB: only the byte budget stops it.
    "/openalex/endless": (req, res) => {
      const n = Number((query(req).get("cursor") ?? "*").replace("*", "0").replace("c", ""));
      const works = [0, 1, 2].map((i) => ({ ...oaWork, id: `https://openalex.org/W${1000 + n * 3 + i}` }));
      return json(res, { meta: { ...oa1.meta, next_cursor: `c${n + 1}` }, results: works });
    },
  });
  ({ config, dir } = await tempConfig({ OBSERVATORY_REVIEW_MAX_PER_SOURCE: "3" }));
  const entry = (id: string, kind: string, parser: string, url: string, fetch = "") => `
  - id: ${id}
    title: ${id} (test)
    kind: ${kind}
    parser: ${parser}
    urls: ["${server.origin}${url}"]
    cadence: daily
    licence: CC BY 4.0
    attribution: test
    fetch: { min_interval_ms: 0${fetch} }`;
  await fs.writeFile(
    path.join(dir, "registry.yaml"),
    `sources:${[
      entry("wb-endless", "indicator", "worldbank-v2", "/wb/endless?format=json"),
      entry("wb-capped", "indicator", "worldbank-v2", "/wb/endless?format=json", ", max_pages: 7"),
      entry("wb-stuck", "indicator", "worldbank-v2", "/wb/stuck?format=json"),
      entry("oa-repeat", "publication", "openalex-works", "/openalex/repeat?cursor=*"),
      entry("oa-budget", "publication", "openalex-works", "/openalex/endless?cursor=*", ", max_run_bytes: 40000"),
    ].join("")}\n`,
  );
});

afterAll(async () => {
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function activities() {
  return createActivities({
    config,
    projectRoot: repoRoot,
    registryFile: path.join(dir, "registry.yaml"),
    log: () => undefined,
    fetchSettings: fetchSettingsFor(server),
  });
}

async function ingest(sourceId: string) {
  const acts = activities();
  const started = performance.now();
  const fetched = await acts.fetchSource({ sourceId, offline: false });
  const parsed = await acts.parseSource({ sourceId, runKey: "fault", captures: fetched.captures });
  const report: RunReport = {
    sourceId,
    status: "ok",
    fetched: fetched.captures.length,
    records: parsed.records,
    rejected: parsed.rejected,
    fromSnapshot: false,
    stageDir: parsed.stageDir,
  };
  return { fetched, parsed, report, seconds: (performance.now() - started) / 1000 };
}

describe("Fault: paging that never ends", () => {
  it("stops a World Bank series claiming 999999 pages at the default cap, with a warning, and stages one indicators row", async () => {
    const { fetched, parsed, seconds } = await ingest("wb-endless");
    expect(fetched.captures).toHaveLength(defaultMaxPages);
    expect(server.requestsTo("/wb/endless")).toHaveLength(defaultMaxPages);
    expect(fetched.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^paging stopped at the cap of ${defaultMaxPages} pages per run \\(fetch.max_pages\\); 1 page\\(s\\) not fetched, the first ` +
            `.*page=${defaultMaxPages + 1}`,
        ),
      ),
    ]);
    expect(parsed).toMatchObject({ records: defaultMaxPages + 1, rejected: 0 });
    console.error(`fault endless-paging: ${defaultMaxPages} pages then stopped in ${seconds.toFixed(1)} s`);
  });

  it("honours a per-source page cap, and opens at most the bounded number of range reviews for the flood of bad values", async () => {
    const { fetched, report } = await ingest("wb-capped");
    expect(fetched.captures.map((c) => new URL(c.url).searchParams.get("page"))).toEqual([null, "2", "3", "4", "5", "6", "7"]);
    const acts = activities();
    const load = await acts.loadStaged({ runId: "pipeline/fault", reports: [report] });
    expect(load.counts["wb-capped"]).toEqual({ newRows: 8, updatedRows: 0 });
    const rows = await withWarehouse(config.paths.warehouse, async (db) => ({
      indicators: await queryRows(db, "SELECT indicator_code FROM indicators WHERE source_id = 'wb-capped'"),
      periods: await queryRows(db, "SELECT list(period ORDER BY period) AS p FROM observations WHERE source_id = 'wb-capped'"),
    }));
    expect(rows.indicators).toEqual([{ indicator_code: "IT.NET.USER.ZS" }]);
    expect(rows.periods).toEqual([{ p: ["1001", "1002", "1003", "1004", "1005", "1006", "1007"] }]);
    // Seven values of 150 % fail the range rule: three reviews open (OBSERVATORY_REVIEW_MAX_PER_SOURCE=3), four wait, counted.
    const pending = await acts.listPendingReviews();
    const ranges = pending.items.filter((i) => i.kind === "range");
    expect(ranges.map((i) => i.key)).toEqual(["1001", "1002", "1003"].map((p) => `wb-capped/IT.NET.USER.ZS/KHM/${p}=150`));
    expect(pending.held).toEqual([{ kind: "range", sourceId: "wb-capped", count: 4 }]);
  });

  it("ends paging when a page repeats an earlier page's body, so the same rows are not staged again", async () => {
    const { fetched, parsed } = await ingest("wb-stuck");
    expect(fetched.captures).toHaveLength(1);
    expect(server.requestsTo("/wb/stuck")).toHaveLength(2);
    expect(fetched.warnings).toEqual([expect.stringMatching(/^paging stopped: .*page=2 returned the same body as an earlier page/)]);
    expect(parsed).toMatchObject({ records: 2, rejected: 0 });
  });

  it("ends paging on a repeated OpenAlex cursor and rejects the work W91 that two pages both served", async () => {
    const { fetched, parsed } = await ingest("oa-repeat");
    expect(fetched.captures).toHaveLength(2);
    expect(fetched.warnings).toEqual([
      expect.stringMatching(/^paging stopped: .*cursor=c2 was already fetched in this run \(a repeated cursor or link\)$/),
    ]);
    expect(parsed).toMatchObject({ records: 3, rejected: 1 });
    const manifest = JSON.parse(await fs.readFile(path.join(parsed.stageDir, "manifest.json"), "utf8")) as {
      rejections: Array<{ record: string; url: string }>;
    };
    expect(manifest.rejections).toEqual([
      expect.objectContaining({ record: "publications openalex:W91", url: expect.stringContaining("cursor=c2") }),
    ]);
  });

  it("stops a source with fresh cursors for ever at its byte budget", async () => {
    const { fetched, parsed } = await ingest("oa-budget");
    const bytes = fetched.captures.reduce((n, c) => n + c.bytes, 0);
    const last = fetched.captures.at(-1)!.bytes;
    // Stopped at the first page after the budget was spent: everything before it was within budget.
    expect(bytes).toBeGreaterThanOrEqual(40000);
    expect(bytes - last).toBeLessThan(40000);
    expect(fetched.warnings).toEqual([
      expect.stringMatching(/^paging stopped: the run's budget of 40000 bytes \(fetch.max_run_bytes\) is spent/),
    ]);
    expect(parsed).toMatchObject({ records: fetched.captures.length * 3, rejected: 0 });
  });
});
