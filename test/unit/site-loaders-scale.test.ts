// The indicators and news loaders against the bundled export and against the same export made larger than
// a page may carry: at the bundled size nothing is left out; larger, each ships at most its cap and says how
// much the export holds (the page links to the full tables on the Data page).
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { offlineExport, repoRoot, tempConfig, testClock } from "../helpers.js";

let config: ObservatoryConfig;
let dir: string;
let larger: string;

/** Each row of the named exports `copies` times, the copies under new keys (test data, in the temp folder only). */
async function multiply(from: string, to: string, tables: Record<string, { key: string; copies: number; shift?: string }>) {
  await fs.cp(from, to, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    for (const [table, { key, copies, shift }] of Object.entries(tables)) {
      const file = (d: string) => `'${path.join(d, `${table}.parquet`)}'`;
      const moved = shift ? `, ${shift} - k * INTERVAL 7 MINUTE AS ${shift}` : "";
      await db.run(
        `COPY (SELECT * REPLACE (CASE WHEN k = 0 THEN ${key} ELSE ${key} || '.copy' || k END AS ${key}${moved})
                 FROM read_parquet(${file(from)}), range(${copies}) r(k)) TO ${file(to)} (FORMAT parquet)`,
      );
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

function runLoader(loader: string, exportsDir: string): Record<string, unknown> {
  const result = spawnSync(path.join(repoRoot, "node_modules", ".bin", "tsx"), [path.join(repoRoot, "site", "src", "data", loader)], {
    env: { ...process.env, OBSERVATORY_EXPORTS_DIR: exportsDir },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${loader} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  ({ config, dir } = await tempConfig());
  await offlineExport(config, "scale-test", testClock("2026-11-25T06:00:00Z"));
  larger = path.join(dir, "larger-exports");
  await multiply(config.paths.exports, larger, {
    observations_current: { key: "indicator_code", copies: 4 },
    news_items: { key: "item_key", copies: 200, shift: "published_at" },
  });
}, 600_000);

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

type Series = Array<{ indicator_code: string }>;

describe("the indicators and news loaders at scale", () => {
  it("ship every value and item of the bundled export", () => {
    const indicators = runLoader("indicators.json.ts", config.paths.exports);
    expect((indicators.series as Series).length).toBe(indicators.total_values);
    const news = runLoader("news.json.ts", config.paths.exports);
    expect((news.items as unknown[]).length).toBe(news.total_items);
  });

  it("cap the values and items of a larger export, keeping the bundled indicators and the newest items, and say how many there are", () => {
    const small = runLoader("indicators.json.ts", config.paths.exports);
    const indicators = runLoader("indicators.json.ts", larger);
    const series = indicators.series as Series;
    expect(indicators.total_values).toBe((small.total_values as number) * 4);
    expect(series.length).toBeLessThanOrEqual(2300);
    expect(series.length).toBeLessThan(indicators.total_values as number);
    // The described indicators (the bundled ones) come first; every charted code has its definition.
    expect(new Set(series.map((s) => s.indicator_code))).toEqual(new Set((small.series as Series).map((s) => s.indicator_code)));
    const defined = new Set((indicators.indicators as Series).map((i) => i.indicator_code));
    expect(series.every((s) => defined.has(s.indicator_code))).toBe(true);

    const smallNews = runLoader("news.json.ts", config.paths.exports);
    const news = runLoader("news.json.ts", larger);
    const items = news.items as Array<{ published_at: string }>;
    expect(news.total_items).toBe((smallNews.total_items as number) * 200);
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(1500);
    expect(Buffer.byteLength(JSON.stringify(items))).toBeLessThanOrEqual(650_000 + items.length + 1);
    const dates = items.map((i) => i.published_at);
    expect(dates).toEqual([...dates].sort().reverse());
  });
});
