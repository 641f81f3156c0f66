import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { withTempWarehouse } from "../helpers.js";
import { curateObservation } from "../../warehouse/curation.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { observationsAsOf } from "../../warehouse/history.js";
import { loadStages, type RunReport } from "../../warehouse/load.js";
import { readStage, writeStage } from "../../warehouse/staging.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-history-");

const source = {
  source_id: "wb",
  title: "WB",
  kind: "indicator",
  parser: "worldbank-v2",
  urls: ["https://x/"],
  cadence: "monthly",
  licence: "CC BY 4.0",
  attribution: "World Bank",
  enabled: true,
};
type Value = [code: string, period: string, value: number | null];

async function load(db: DuckDBConnection, name: string, sha: string, retrievedAt: string, loadedAt: string, values: Value[]) {
  const prov = { source_id: "wb", snapshot_sha256: sha.repeat(64), retrieved_at: retrievedAt };
  const stageDir = path.join(temp.dir(), "staged", name);
  await writeStage(
    stageDir,
    "wb",
    {
      observations: values.map(([indicator_code, period, value]) => ({
        indicator_code,
        country_iso3: "KHM",
        period,
        value,
        source_url: "https://x/",
        ...prov,
      })),
    },
    [{ url: "https://x/", sha256: prov.snapshot_sha256, status: 200, retrievedAt, bytes: 1, origin: "snapshot" }],
    [],
  );
  const report: RunReport = { sourceId: "wb", status: "ok", fetched: 1, records: values.length, rejected: 0, fromSnapshot: true, stageDir };
  await loadStages(db, {
    runId: name,
    loadedAt,
    sources: [source],
    reports: [report],
    manifests: new Map([["wb", await readStage(stageDir)]]),
  });
}

/** The open rows right after a load, read straight from the table: the state as_of must reproduce. */
const utc = (c: string) => `strftime(timezone('UTC', ${c}), '%Y-%m-%dT%H:%M:%S.%gZ') AS ${c}`;
const currentState = (db: DuckDBConnection) =>
  queryRows(
    db,
    `SELECT indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, ${utc("retrieved_at")}, ${utc("valid_from")}
       FROM observations WHERE valid_to IS NULL ORDER BY indicator_code, country_iso3, period, source_id`,
  );

const T1 = "2026-01-01T00:00:00.000Z";
const T2 = "2026-02-01T00:00:00.000Z";
const T3 = "2026-03-01T00:00:00.000Z";

async function threeLoads(db: DuckDBConnection) {
  const states = [];
  await load(db, "run-1", "a", "2025-12-31T23:00:00Z", T1, [
    ["SP.POP.TOTL", "2022", 17201724],
    ["SP.POP.TOTL", "2023", 17423880],
    ["SP.POP.TOTL", "2024", null],
    ["IT.NET.USER.ZS", "2022", 56.7],
  ]);
  states.push(await currentState(db));
  // A revision, a value arriving where there was none, and an unchanged row.
  await load(db, "run-2", "b", "2026-01-31T23:00:00Z", T2, [
    ["SP.POP.TOTL", "2022", 17201724],
    ["SP.POP.TOTL", "2023", 17400000],
    ["SP.POP.TOTL", "2024", 17638801],
    ["IT.NET.USER.ZS", "2022", 56.7],
  ]);
  states.push(await currentState(db));
  // The first revision revised again, and a new period.
  await load(db, "run-3", "c", "2026-02-28T23:00:00Z", T3, [
    ["SP.POP.TOTL", "2022", 17201724],
    ["SP.POP.TOTL", "2023", 17410000],
    ["SP.POP.TOTL", "2024", 17638801],
    ["IT.NET.USER.ZS", "2022", 56.7],
    ["IT.NET.USER.ZS", "2023", 60.7],
  ]);
  states.push(await currentState(db));
  return states;
}

describe("Observation history", () => {
  it("reproduces exactly what the warehouse said between three loads with revisions", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const [s1, s2, s3] = await threeLoads(db);
      expect(s1).not.toEqual(s2);
      expect(s2).not.toEqual(s3);

      expect(await observationsAsOf(db, "2025-12-31T23:59:59.999Z")).toEqual([]);
      expect(await observationsAsOf(db, T1)).toEqual(s1);
      expect(await observationsAsOf(db, "2026-01-15")).toEqual(s1);
      expect(await observationsAsOf(db, "2026-02-01T06:59:59.999+07:00")).toEqual(s1);
      expect(await observationsAsOf(db, T2)).toEqual(s2);
      expect(await observationsAsOf(db, "2026-02-20T12:00:00Z")).toEqual(s2);
      expect(await observationsAsOf(db, T3)).toEqual(s3);
      expect(await observationsAsOf(db, "2030-01-01")).toEqual(s3);

      const pop2023 = async (t: string) =>
        (await observationsAsOf(db, t, { indicatorCode: "SP.POP.TOTL", countryIso3: "KHM" })).find((r) => r.period === "2023")?.value;
      expect([await pop2023("2026-01-10"), await pop2023("2026-02-10"), await pop2023("2026-03-10")]).toEqual([
        17423880, 17400000, 17410000,
      ]);
      expect((await observationsAsOf(db, "2026-02-10", { indicatorCode: "IT.NET.USER.ZS" })).map((r) => r.period)).toEqual(["2022"]);
      expect(await observationsAsOf(db, "2026-02-10", { sourceId: "other" })).toEqual([]);
    });
  });

  it("answers the same through the observations_as_of table macro that researchers can call", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await threeLoads(db);
      for (const t of ["2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z"]) {
        const viaSql = await queryRows(
          db,
          `SELECT indicator_code, period, value FROM observations_as_of('${t}') ORDER BY indicator_code, period`,
        );
        const viaTs = (await observationsAsOf(db, t)).map(({ indicator_code, period, value }) => ({ indicator_code, period, value }));
        expect(viaSql, t).toEqual(viaTs);
      }
    });
  });

  it("applies an analyst's value only from the moment it was curated", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await threeLoads(db);
      await curateObservation(
        db,
        {
          indicatorCode: "SP.POP.TOTL",
          countryIso3: "KHM",
          period: "2023",
          value: 17399999,
          sourceUrl: "https://example.org/census",
          curatedBy: "analyst:sokha",
          reason: "Census final count",
        },
        { now: () => new Date("2026-02-10T00:00:00Z") },
      );
      const pop2023 = async (t: string) =>
        (await observationsAsOf(db, t, { indicatorCode: "SP.POP.TOTL", curated: true }))
          .filter((r) => r.period === "2023")
          .map(({ value, value_source, source_id, curated_by }) => ({ value, value_source, source_id, curated_by }));
      expect(await pop2023("2026-02-09")).toEqual([{ value: 17400000, value_source: "source", source_id: "wb", curated_by: null }]);
      expect(await pop2023("2026-02-10")).toEqual([
        { value: 17399999, value_source: "analyst", source_id: null, curated_by: "analyst:sokha" },
      ]);
      expect(await pop2023("2026-03-10")).toEqual([
        { value: 17399999, value_source: "analyst", source_id: null, curated_by: "analyst:sokha" },
      ]);
      // Without `curated`, the sources' own history is untouched by the analyst.
      expect((await observationsAsOf(db, "2026-03-10", { indicatorCode: "SP.POP.TOTL" })).find((r) => r.period === "2023")?.value).toBe(
        17410000,
      );
    });
  });

  it("refuses a moment without a time zone, which would read differently on another machine", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await expect(observationsAsOf(db, "2026-02-01T00:00:00")).rejects.toThrow(/asOf/);
      await expect(observationsAsOf(db, "last tuesday")).rejects.toThrow(/asOf/);
    });
  });
});
