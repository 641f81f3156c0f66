import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRegistry } from "../../sources/registry.js";
import { worldBankOptionsSchema } from "../../sources/worldbank.js";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { deriveTables } from "../../warehouse/derive.js";
import {
  formatQualityReport,
  freshnessAllowance,
  parseQualityRules,
  runQualityChecks,
  type Cadence,
  type QualityInput,
  type QualityResult,
} from "../../warehouse/quality.js";
import { columnsOf, recordTableNames, recordTables, type RecordTable } from "../../warehouse/tables.js";
import { repoRoot } from "../helpers.js";

let dir: string;
let rulesFile: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-quality-"));
  rulesFile = path.join(dir, "rules.yaml");
  await fs.writeFile(rulesFile, testRules);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// The tests' own rules, so an analyst's edit of warehouse/quality-rules.yaml cannot break them.
const testRules = `
default:
  severity: error
indicators:
  IT.NET.USER.ZS: { unit: "% of population", min: 0, max: 100 }
  NY.GDP.MKTP.CD: { unit: current US$, greater_than: 0 }
  SP.POP.TOTL:
    greater_than: 0
    countries:
      KHM: { min: 1000000, max: 100000000 }
  IT.NET.BBND.P2: { unit: per 100 people, min: 0, max: 100, severity: warning }
`;

const NOW = "2026-11-22T12:00:00Z";
const hoursBefore = (h: number) => new Date(Date.parse(NOW) - h * 3_600_000).toISOString();
const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const prov = (source_id: string) => ({ source_id, snapshot_sha256: "f".repeat(64), retrieved_at: "2026-11-01T00:00:00Z", row_hash: "h" });

async function insert(db: DuckDBConnection, table: RecordTable, rows: Array<Record<string, unknown>>) {
  const columns: Record<string, string> = Object.fromEntries(columnsOf(table));
  if (recordTables[table].mode === "versioned") Object.assign(columns, { valid_from: "TIMESTAMPTZ", valid_to: "TIMESTAMPTZ" });
  const full = rows.map((r) =>
    Object.fromEntries(Object.keys(columns).map((c) => [c, r[c] ?? (c === "valid_from" ? "2026-11-01T00:00:00Z" : null)])),
  );
  await bulkInsert(db, table, columns, full);
}

const obs = (indicator_code: string, period: string, value: number | null, extra: Record<string, unknown> = {}) => ({
  indicator_code,
  country_iso3: "KHM",
  period,
  value,
  source_url: "https://api.worldbank.org/",
  ...prov("wb"),
  ...extra,
});

async function fetchRun(db: DuckDBConnection, runId: string, sourceId: string, status: string, finishedAt: string | null) {
  await db.run(
    `INSERT INTO fetch_runs VALUES ($run, $sid, $status, $at::TIMESTAMPTZ, $at::TIMESTAMPTZ, 1, 1, 0, 0, 0, false, NULL, NULL)`,
    { run: runId, sid: sourceId, status, at: finishedAt },
  );
}

/** A small warehouse on which every check passes. */
async function seed(db: DuckDBConnection) {
  await insert(db, "indicators", [
    { indicator_code: "IT.NET.USER.ZS", name: "Individuals using the Internet (% of population)", unit: "% of population", ...prov("wb") },
    { indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, ...prov("wb") },
    { indicator_code: "NY.GDP.MKTP.CD", name: "GDP (current US$)", unit: "current US$", ...prov("wb") },
    { indicator_code: "XX.OTHER", name: "An indicator without a rule", unit: "widgets", ...prov("wb") },
  ]);
  await insert(db, "observations", [
    // A closed version is history: its out-of-range value and the duplicate key it shares are not checked.
    obs("IT.NET.USER.ZS", "2021", 160, { valid_to: "2026-11-01T00:00:00Z", valid_from: "2026-10-01T00:00:00Z" }),
    obs("IT.NET.USER.ZS", "2021", 52.4),
    obs("IT.NET.USER.ZS", "2023", 60.7171),
    obs("SP.POP.TOTL", "2023", 17423880),
    obs("SP.POP.TOTL", "2023", 71801279, { country_iso3: "THA" }),
    obs("SP.POP.TOTL", "2024", null),
    obs("NY.GDP.MKTP.CD", "2023", 31772759998.85713),
    obs("XX.OTHER", "2023", -5),
  ]);
  const news = (item_key: string, title: string) => ({
    item_key,
    canonical_url: `https://news.example.org/${item_key}`,
    title,
    published_at: "2026-11-02T08:00:00Z",
    outlet: "feed",
    language: "en",
    categories: [],
    kind: "news",
    ...prov("feed"),
  });
  await insert(db, "news_items", [
    news("a1", "Deepfake video of minister used in online scam, ministry warns"),
    news("c1", "New bridge opens over the Mekong"),
  ]);
  await insert(db, "publications", [
    { pub_key: "openalex:W1", doi: "10.1234/khmer.1", title: "A Khmer language model", year: 2025, authors: [], ...prov("openalex") },
  ]);
  await insert(db, "incidents", [{ incident_key: "i1", title: "Deepfake scam video of a minister", ...prov("sheet") }]);
  await deriveTables(db, { taxonomyFile, derivedAt: "2026-11-02T00:00:00Z" });
  await fetchRun(db, "run-0", "wb", "ok", hoursBefore(1));
  await fetchRun(db, "run-0", "feed", "unchanged", hoursBefore(1));
  await fetchRun(db, "run-0", "sheet", "ok", "2020-01-01T00:00:00Z");
}

const cadences: Record<string, Cadence> = { wb: "monthly", feed: "daily", sheet: "manual" };
const input = (extra: Partial<QualityInput> = {}): QualityInput => ({
  runId: "run-1",
  checkedAt: NOW,
  now: NOW,
  rulesFile,
  cadences,
  ...extra,
});

async function withSeeded<T>(fn: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  return withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
    await seed(db);
    return fn(db);
  });
}

const byCheck = (results: QualityResult[], check: string): QualityResult => {
  const found = results.find((r) => r.check === check);
  if (!found) throw new Error(`no result for ${check}; have ${results.map((r) => r.check).join(", ")}`);
  return found;
};

describe("Quality checks", () => {
  it("pass on clean data, and every check is stored under the run", async () => {
    await withSeeded(async (db) => {
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM incident_candidates")).toEqual([{ n: 1 }]);
      const report = await runQualityChecks(db, input());
      expect(report.results.filter((r) => r.status === "fail")).toEqual([]);
      expect(report.passed).toBe(true);
      expect(report.results.map((r) => r.check)).toEqual(
        expect.arrayContaining([
          "unit/IT.NET.USER.ZS",
          "range/IT.NET.USER.ZS",
          "range/SP.POP.TOTL",
          "range/default",
          "orphans/observations.indicator_code",
          "orphans/item_tags.item_key",
          "orphans/publication_works.pub_key",
          "orphans/news_stories.item_key",
          "orphans/incident_candidates.item_key",
          ...recordTableNames.map((t) => `duplicates/${t}`),
          "freshness/wb",
          "freshness/feed",
          "freshness/sheet",
        ]),
      );
      const stored = await queryRows(
        db,
        "SELECT run_id, checked_at::VARCHAR AS checked_at, check_name, severity, status, failing_count, examples FROM quality_results ORDER BY check_name",
      );
      expect(stored).toHaveLength(report.results.length);
      expect(stored[0]).toMatchObject({
        run_id: "run-1",
        checked_at: "2026-11-22 12:00:00+00",
        status: "pass",
        failing_count: 0,
        examples: [],
      });
    });
  });

  it("fail an indicator's range on a current value and name the row", async () => {
    await withSeeded(async (db) => {
      await insert(db, "observations", [obs("IT.NET.USER.ZS", "2024", 160.2)]);
      const report = await runQualityChecks(db, input());
      expect(report.passed).toBe(false);
      expect(byCheck(report.results, "range/IT.NET.USER.ZS")).toEqual({
        check: "range/IT.NET.USER.ZS",
        severity: "error",
        status: "fail",
        count: 1,
        examples: ["observations IT.NET.USER.ZS/KHM/2024 value 160.2 > max 100 (source wb)"],
      });
      expect(report.results.filter((r) => r.status === "fail").map((r) => r.check)).toEqual(["range/IT.NET.USER.ZS"]);
    });
  });

  it("hold a country to its own bounds: a Cambodian population of 500 000 fails, a small other country passes", async () => {
    await withSeeded(async (db) => {
      await insert(db, "observations", [obs("SP.POP.TOTL", "2022", 500000), obs("SP.POP.TOTL", "2022", 400000, { country_iso3: "BRN" })]);
      const result = byCheck((await runQualityChecks(db, input())).results, "range/SP.POP.TOTL");
      expect(result).toMatchObject({
        status: "fail",
        count: 1,
        examples: ["observations SP.POP.TOTL/KHM/2022 value 500000 < min 1000000 (source wb)"],
      });
    });
  });

  it("fail a value equal to an exclusive lower bound and a value under a minimum", async () => {
    await withSeeded(async (db) => {
      await insert(db, "observations", [obs("NY.GDP.MKTP.CD", "2024", 0), obs("IT.NET.USER.ZS", "2024", -1)]);
      const { results } = await runQualityChecks(db, input());
      expect(byCheck(results, "range/NY.GDP.MKTP.CD").examples).toEqual([
        "observations NY.GDP.MKTP.CD/KHM/2024 value 0 is not > 0 (source wb)",
      ]);
      expect(byCheck(results, "range/IT.NET.USER.ZS").examples).toEqual([
        "observations IT.NET.USER.ZS/KHM/2024 value -1 < min 0 (source wb)",
      ]);
    });
  });

  it("hold indicators without a rule to finite values under the default rule", async () => {
    await withSeeded(async (db) => {
      await db.run(
        "INSERT INTO observations SELECT * REPLACE ('2024' AS period, 'NaN'::DOUBLE AS value) FROM observations WHERE indicator_code = 'XX.OTHER'",
      );
      await db.run(
        "INSERT INTO observations SELECT * REPLACE ('2025' AS period, 'Infinity'::DOUBLE AS value) FROM observations WHERE indicator_code = " +
          "'IT.NET.USER.ZS' AND period = '2023'",
      );
      const { results, passed } = await runQualityChecks(db, input());
      expect(passed).toBe(false);
      expect(byCheck(results, "range/default")).toMatchObject({
        status: "fail",
        severity: "error",
        examples: ["observations XX.OTHER/KHM/2024 value NaN is not a finite number (source wb)"],
      });
      expect(byCheck(results, "range/IT.NET.USER.ZS").examples).toEqual([
        "observations IT.NET.USER.ZS/KHM/2025 value Infinity is not a finite number (source wb)",
      ]);
    });
  });

  it("fail the unit check when the indicators table carries another unit", async () => {
    await withSeeded(async (db) => {
      await db.run("UPDATE indicators SET unit = 'per 100 people' WHERE indicator_code = 'IT.NET.USER.ZS'");
      await db.run("UPDATE indicators SET unit = NULL WHERE indicator_code = 'NY.GDP.MKTP.CD'");
      const { results } = await runQualityChecks(db, input());
      expect(byCheck(results, "unit/IT.NET.USER.ZS")).toMatchObject({
        status: "fail",
        count: 1,
        examples: ['indicators IT.NET.USER.ZS (source wb) unit "per 100 people", expected "% of population"'],
      });
      expect(byCheck(results, "unit/NY.GDP.MKTP.CD").examples).toEqual([
        'indicators NY.GDP.MKTP.CD (source wb) unit NULL, expected "current US$"',
      ]);
    });
  });

  it("report a failed warning-severity rule without blocking the export", async () => {
    await withSeeded(async (db) => {
      await insert(db, "indicators", [
        { indicator_code: "IT.NET.BBND.P2", name: "Fixed broadband subscriptions (per 100 people)", unit: "per 100 people", ...prov("wb") },
      ]);
      await insert(db, "observations", [obs("IT.NET.BBND.P2", "2023", 120)]);
      const report = await runQualityChecks(db, input());
      expect(byCheck(report.results, "range/IT.NET.BBND.P2")).toMatchObject({ severity: "warning", status: "fail", count: 1 });
      expect(report.passed).toBe(true);
    });
  });

  it.each([
    {
      check: "orphans/observations.indicator_code",
      severity: "error",
      sql: "UPDATE observations SET source_id = 'other' WHERE indicator_code = 'XX.OTHER'",
      example: "observations XX.OTHER/KHM/2023 (source other): no indicators row XX.OTHER in that source",
    },
    {
      check: "orphans/item_tags.item_key",
      severity: "error",
      sql: "INSERT INTO item_tags VALUES ('publication', 'openalex:W404', 'sector', 'education', NULL, 'analyst:sokha', '2026-11-22T01:00:00Z')",
      example: "item_tags publication/openalex:W404 (sector/education, by analyst:sokha): no publications row openalex:W404",
    },
    {
      check: "orphans/publication_works.pub_key",
      severity: "error",
      sql: "INSERT INTO publication_works VALUES ('openalex:W1', 'arxiv', 'doi:10.1234/khmer.1')",
      example: "publication_works openalex:W1 (source arxiv, work doi:10.1234/khmer.1): no publications row",
    },
    {
      check: "orphans/news_stories.item_key",
      severity: "error",
      sql: "INSERT INTO news_stories VALUES ('gone', 'a1')",
      example: "news_stories gone (story a1): no news_items row",
    },
    {
      check: "orphans/incident_candidates.item_key",
      severity: "warning",
      sql: "UPDATE incident_candidates SET item_key = 'gone'",
      example: "incident_candidates news:a1: no news_items row gone",
    },
  ])("fail $check on a row pointing at nothing, naming it", async ({ check, severity, sql, example }) => {
    await withSeeded(async (db) => {
      await db.run(sql);
      const report = await runQualityChecks(db, input());
      expect(byCheck(report.results, check)).toEqual({ check, severity, status: "fail", count: 1, examples: [example] });
      expect(report.results.filter((r) => r.status === "fail").map((r) => r.check)).toEqual([check]);
      expect(report.passed).toBe(severity !== "error");
    });
  });

  it("fail the duplicate-key check of every record table that holds two current rows for one key", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      for (const table of recordTableNames) {
        const key = Object.fromEntries(
          recordTables[table].key.map((k) => [k, columnsOf(table).find(([c]) => c === k)![1] === "INTEGER" ? 7 : `k-${k}`]),
        );
        await insert(db, table, [
          { ...key, ...prov("src") },
          { ...key, ...prov("src") },
          { ...key, ...prov("other-src") },
        ]);
      }
      const report = await runQualityChecks(db, input({ cadences: {} }));
      expect(report.passed).toBe(false);
      for (const table of recordTableNames) {
        const keyText = recordTables[table].key
          .map((k) => (columnsOf(table).find(([c]) => c === k)![1] === "INTEGER" ? "7" : `k-${k}`))
          .join("/");
        const rows = recordTables[table].mode === "versioned" ? "open rows" : "rows";
        expect(byCheck(report.results, `duplicates/${table}`), table).toEqual({
          check: `duplicates/${table}`,
          severity: "error",
          status: "fail",
          count: 1,
          examples: [`${table} ${keyText} (source src): 2 ${rows}`],
        });
      }
    });
  });

  it("count only open rows as duplicates of a versioned observation", async () => {
    await withSeeded(async (db) => {
      // The seed already holds a closed and an open row for IT.NET.USER.ZS/KHM/2021.
      expect(byCheck((await runQualityChecks(db, input())).results, "duplicates/observations").status).toBe("pass");
      await insert(db, "observations", [obs("IT.NET.USER.ZS", "2021", 52.4)]);
      expect(byCheck((await runQualityChecks(db, input())).results, "duplicates/observations").examples).toEqual([
        "observations IT.NET.USER.ZS/KHM/2021 (source wb): 2 open rows",
      ]);
    });
  });

  const timed = (Object.entries(freshnessAllowance) as Array<[Cadence, number | null]>).filter(
    (e): e is [Cadence, number] => e[1] !== null,
  );
  it.each(timed)("warn when a %s source's last successful fetch is older than its cadence allows", async (cadence, allowedMs) => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      const hours = allowedMs / 3_600_000;
      await fetchRun(db, "run-a", "fresh", "ok", hoursBefore(hours - 1));
      await fetchRun(db, "run-a", "stale", "ok", hoursBefore(hours + 1));
      // A later failed run is no proof of life; an "unchanged" answer is.
      await fetchRun(db, "run-b", "stale", "failed", hoursBefore(0.5));
      await fetchRun(db, "run-a", "revived", "ok", hoursBefore(hours + 1));
      await fetchRun(db, "run-b", "revived", "unchanged", hoursBefore(0.5));
      const report = await runQualityChecks(db, input({ cadences: { fresh: cadence, stale: cadence, revived: cadence } }));
      expect(byCheck(report.results, "freshness/fresh")).toMatchObject({ status: "pass", count: 0 });
      expect(byCheck(report.results, "freshness/revived")).toMatchObject({ status: "pass", count: 0 });
      const stale = byCheck(report.results, "freshness/stale");
      expect(stale).toMatchObject({ severity: "warning", status: "fail", count: 1 });
      expect(stale.examples[0]).toMatch(
        new RegExp(`^stale \\(${cadence}\\): last successful fetch ${hoursBefore(hours + 1).replace(".", "\\.")}, .* ago; allowed `),
      );
      expect(report.passed).toBe(true);
    });
  });

  it("never call a manual source stale, and warn about a source with no successful fetch", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await fetchRun(db, "run-a", "sheet", "ok", "2001-01-01T00:00:00Z");
      await fetchRun(db, "run-a", "down", "failed", hoursBefore(1));
      const report = await runQualityChecks(db, input({ cadences: { sheet: "manual", down: "hourly", never: "yearly" } }));
      expect(byCheck(report.results, "freshness/sheet").status).toBe("pass");
      expect(byCheck(report.results, "freshness/down").examples).toEqual(["down (hourly): no successful fetch recorded"]);
      expect(byCheck(report.results, "freshness/never").examples).toEqual(["never (yearly): no successful fetch recorded"]);
      expect(report.passed).toBe(true);
    });
  });

  it("store each run's results once: checking the same run again replaces its rows", async () => {
    await withSeeded(async (db) => {
      await insert(db, "observations", [obs("IT.NET.USER.ZS", "2024", 160.2)]);
      const first = await runQualityChecks(db, input());
      await runQualityChecks(db, input({ runId: "run-0" }));
      await db.run("DELETE FROM observations WHERE period = '2024' AND indicator_code = 'IT.NET.USER.ZS'");
      const again = await runQualityChecks(db, input({ checkedAt: "2026-11-22T13:00:00Z" }));
      expect(again.passed).toBe(true);
      const stored = await queryRows(
        db,
        "SELECT run_id, count(*)::INTEGER AS n, count(*) FILTER (WHERE status = 'fail')::INTEGER AS failed, min(checked_at)::VARCHAR AS at " +
          "FROM quality_results GROUP BY run_id ORDER BY run_id",
      );
      expect(stored).toEqual([
        { run_id: "run-0", n: first.results.length, failed: 1, at: "2026-11-22 12:00:00+00" },
        { run_id: "run-1", n: again.results.length, failed: 0, at: "2026-11-22 13:00:00+00" },
      ]);
    });
  });

  it("accept the repository's rules file and the published figures for Cambodia", async () => {
    const rules = parseQualityRules(await fs.readFile(path.join(repoRoot, "warehouse", "quality-rules.yaml"), "utf8"));
    expect(Object.keys(rules.indicators)).toEqual(
      expect.arrayContaining(["IT.NET.USER.ZS", "IT.CEL.SETS.P2", "SP.POP.TOTL", "GB.XPD.RSDV.GD.ZS", "IP.JRN.ARTC.SC"]),
    );
    // Names as the World Bank API gives them, units as the registry states them for the parser.
    const wdi = (await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"))).find((s) => s.id === "worldbank-wdi")!;
    const { units } = worldBankOptionsSchema.parse(wdi.options);
    const published: Array<[string, string, string, number]> = [
      ["IT.NET.USER.ZS", "Individuals using the Internet (% of population)", "2023", 60.7171],
      ["EG.ELC.ACCS.ZS", "Access to electricity (% of population)", "2023", 95],
      ["SE.TER.ENRR", "School enrollment, tertiary (% gross)", "2023", 17.43624],
      ["NY.GDP.MKTP.CD", "GDP (current US$)", "2023", 31772759998.85713],
      ["NY.GDP.PCAP.CD", "GDP per capita (current US$)", "2022", 1759.60802],
      ["SP.POP.TOTL", "Population, total", "2024", 17638801],
      ["IT.CEL.SETS.P2", "Mobile cellular subscriptions (per 100 people)", "2023", 120],
      ["GB.XPD.RSDV.GD.ZS", "Research and development expenditure (% of GDP)", "2015", 0.12],
    ];
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await insert(db, "indicators", [
        ...published.map(([code, name]) => ({ indicator_code: code, name, unit: units[code] ?? null, ...prov("wb") })),
        { indicator_code: "RAM.GERD.PCT_GDP", name: "Research and development expenditure", unit: "% of GDP", ...prov("indicator-sheet") },
      ]);
      await insert(db, "observations", [
        ...published.map(([code, , period, value]) => obs(code, period, value)),
        obs("RAM.GERD.PCT_GDP", "2025", 0.09, prov("indicator-sheet")),
      ]);
      const report = await runQualityChecks(db, input({ rulesFile: path.join(repoRoot, "warehouse", "quality-rules.yaml"), cadences: {} }));
      expect(report.results.filter((r) => r.status === "fail")).toEqual([]);
    });
  });

  it.each([
    ["indicators: [unclosed", /^bad\.yaml: not valid YAML/],
    [
      "indicators:\n  IT.NET.USER.ZS: { max: '100' }",
      /^bad\.yaml is invalid:\n {2}indicators\["IT\.NET\.USER\.ZS"\]\.max: Expected number, received string$/,
    ],
    ["indicators:\n  IT.NET.USER.ZS: { min: 100, max: 0 }", /indicators\["IT\.NET\.USER\.ZS"\]\.max: lower bound 100 is above max 0/],
    [
      "indicators:\n  NY.GDP.MKTP.CD: { min: 0, greater_than: 0 }",
      /indicators\["NY\.GDP\.MKTP\.CD"\]\.greater_than: give `min` or `greater_than`, not both/,
    ],
    ["indicators:\n  IT.NET.USER.ZS: { severity: fatal }", /indicators\["IT\.NET\.USER\.ZS"\]\.severity: Invalid enum value/],
    ["indicators:\n  IT.NET.USER.ZS: { maximum: 100 }", /indicators\["IT\.NET\.USER\.ZS"\]: Unrecognized key\(s\) in object: 'maximum'/],
    [
      "indicators:\n  SP.POP.TOTL: { countries: { Cambodia: { min: 1 } } }",
      /indicators\["SP\.POP\.TOTL"\]\.countries\.Cambodia: countries are ISO3 codes/,
    ],
    ["indicators:\n  SP.POP.TOTL: { countries: { KHM: { max: .inf } } }", /indicators\["SP\.POP\.TOTL"\]\.countries\.KHM\.max: /],
    ["default: { severity: warning }\nrules: {}", /\(top level\): Unrecognized key\(s\) in object: 'rules'/],
    ["indicators:\n  A.B: { min: 0 }\n  A.B: { min: 1 }", /^bad\.yaml: not valid YAML: Map keys must be unique/],
  ])("refuse a rules file that is wrong, naming the file and the field (%#)", (text, message) => {
    expect(() => parseQualityRules(text, "bad.yaml")).toThrow(message);
  });

  it("refuse a check run whose rules file is missing or whose time is not a time", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await expect(runQualityChecks(db, input({ rulesFile: path.join(dir, "missing.yaml") }))).rejects.toThrow(/missing\.yaml/);
      await expect(runQualityChecks(db, input({ now: "yesterday" }))).rejects.toThrow(
        "runQualityChecks: now is not a valid time: yesterday",
      );
    });
  });

  it("format a terminal report that lists errors before warnings, names the rows and says the export is blocked", () => {
    const text = formatQualityReport([
      { check: "freshness/aiid", severity: "warning", status: "fail", count: 1, examples: ["aiid (daily): no successful fetch recorded"] },
      {
        check: "range/IT.NET.USER.ZS",
        severity: "error",
        status: "fail",
        count: 3,
        examples: ["observations IT.NET.USER.ZS/KHM/2023 value 160.2 > max 100 (source wb)"],
      },
      { check: "duplicates/events", severity: "error", status: "pass", count: 0, examples: [] },
    ]);
    expect(text).toBe(
      [
        "Quality checks: 2 of 3 failed (1 error, 1 warning).",
        "  ERROR   range/IT.NET.USER.ZS: 3 failing",
        "      observations IT.NET.USER.ZS/KHM/2023 value 160.2 > max 100 (source wb)",
        "      ... and 2 more",
        "  WARNING freshness/aiid: 1 failing",
        "      aiid (daily): no successful fetch recorded",
        "Export blocked: 1 error-severity check failed; the previous export stays published.",
      ].join("\n"),
    );
    expect(formatQualityReport([{ check: "duplicates/events", severity: "error", status: "pass", count: 0, examples: [] }])).toBe(
      "Quality checks: all 1 passed.",
    );
  });
});
