import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { classifyItem, curateObservation, recordMeasureStatus, rejectItem } from "../../warehouse/curation.js";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { columnsOf, type RecordTable } from "../../warehouse/tables.js";
import { testClock, withTempWarehouse } from "../helpers.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2026-01-20T09:00:00Z") };

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-views-");

const prov = (source_id: string, retrieved_at = "2026-01-01T00:00:00Z") => ({
  source_id,
  snapshot_sha256: "f".repeat(64),
  retrieved_at,
  row_hash: "h",
});

/** Rows straight into a record table (every column present, null where not given). */
async function insert(db: DuckDBConnection, table: RecordTable, rows: Array<Record<string, unknown>>, extra: Record<string, string> = {}) {
  const columns = { ...Object.fromEntries(columnsOf(table)), ...extra };
  await bulkInsert(
    db,
    table,
    columns,
    rows.map((r) => Object.fromEntries(Object.keys(columns).map((c) => [c, r[c] ?? null]))),
  );
}

const withDb = <T>(fn: (db: DuckDBConnection) => Promise<T>) => withWarehouse(path.join(temp.dir(), "w.duckdb"), fn);
const analyst = { curatedBy: "analyst:sokha", reason: "test" };

describe("Dashboard views", () => {
  it("gives the latest value per indicator and country with the change since the previous period that has a value", async () => {
    await withDb(async (db) => {
      await insert(db, "indicators", [
        {
          indicator_code: "IT.NET.USER.ZS",
          name: "Individuals using the Internet (% of population)",
          unit: "% of population",
          ...prov("wb"),
        },
        { indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, ...prov("wb") },
      ]);
      const obs = (
        indicator_code: string,
        country_iso3: string,
        period: string,
        value: number | null,
        source_id = "wb",
        retrieved_at?: string,
      ) => ({
        indicator_code,
        country_iso3,
        period,
        value,
        source_url: "https://x/",
        ...prov(source_id, retrieved_at),
        valid_from: "2026-01-01T00:00:00Z",
        valid_to: null,
      });
      await insert(
        db,
        "observations",
        [
          obs("IT.NET.USER.ZS", "KHM", "2021", 50),
          obs("IT.NET.USER.ZS", "KHM", "2022", 56.7),
          obs("IT.NET.USER.ZS", "KHM", "2023", null), // no value yet: the latest is 2022
          obs("IT.NET.USER.ZS", "THA", "2022", 85.3),
          // Two sources for one period: the more recently retrieved wins.
          obs("SP.POP.TOTL", "KHM", "2023", 17423880, "wb", "2026-01-01T00:00:00Z"),
          obs("SP.POP.TOTL", "KHM", "2023", 17400000, "sheet", "2026-02-01T00:00:00Z"),
          obs("SP.POP.TOTL", "KHM", "2024", 17638801),
          // Closed rows are history, not current.
          { ...obs("SP.POP.TOTL", "KHM", "2025", 1), valid_to: "2026-01-15T00:00:00Z" },
        ],
        { valid_from: "TIMESTAMPTZ", valid_to: "TIMESTAMPTZ" },
      );
      const latest = await queryRows(
        db,
        `SELECT indicator_code, country_iso3, country_name, latest_period, latest_value, previous_period, previous_value,
                round(change, 6) AS change, round(pct_change, 6) AS pct_change, unit, source_id, value_source, ram_dimension, nais_priority
           FROM v_indicator_latest`,
      );
      expect(latest).toEqual([
        {
          indicator_code: "IT.NET.USER.ZS",
          country_iso3: "KHM",
          country_name: "Cambodia",
          latest_period: "2022",
          latest_value: 56.7,
          previous_period: "2021",
          previous_value: 50,
          change: 6.7,
          pct_change: 13.4,
          unit: "% of population",
          source_id: "wb",
          value_source: "source",
          ram_dimension: "technical_infrastructural",
          nais_priority: 2,
        },
        {
          indicator_code: "IT.NET.USER.ZS",
          country_iso3: "THA",
          country_name: "Thailand",
          latest_period: "2022",
          latest_value: 85.3,
          previous_period: null,
          previous_value: null,
          change: null,
          pct_change: null,
          unit: "% of population",
          source_id: "wb",
          value_source: "source",
          ram_dimension: "technical_infrastructural",
          nais_priority: 2,
        },
        {
          indicator_code: "SP.POP.TOTL",
          country_iso3: "KHM",
          country_name: "Cambodia",
          latest_period: "2024",
          latest_value: 17638801,
          previous_period: "2023",
          previous_value: 17400000,
          change: 238801,
          pct_change: round6((238801 / 17400000) * 100),
          unit: null,
          source_id: "wb",
          value_source: "source",
          ram_dimension: "social_cultural",
          nais_priority: null,
        },
      ]);

      // An analyst's value takes over the latest period.
      await curateObservation(
        db,
        {
          indicatorCode: "SP.POP.TOTL",
          countryIso3: "KHM",
          period: "2024",
          value: 17700000,
          unit: "people",
          sourceUrl: "https://example.org/",
          ...analyst,
        },
        clock,
      );
      expect(
        await queryRows(
          db,
          "SELECT latest_value, unit, source_id, value_source FROM v_indicator_latest WHERE indicator_code = 'SP.POP.TOTL'",
        ),
      ).toEqual([{ latest_value: 17700000, unit: "people", source_id: null, value_source: "analyst" }]);
    });
  });

  it("orders quarterly and monthly periods by their dates, whichever way the source spells them", async () => {
    await withDb(async (db) => {
      const starts = await queryRows(
        db,
        `SELECT p, period_start(p)::VARCHAR AS d FROM (VALUES ('2023'), ('2023Q3'), ('2023-Q4'), ('2024-02'), ('2024M11'), ('2024-13'), ` +
          `('soon')) t(p) ORDER BY p`,
      );
      expect(starts).toEqual([
        { p: "2023", d: "2023-01-01" },
        { p: "2023-Q4", d: "2023-10-01" },
        { p: "2023Q3", d: "2023-07-01" },
        { p: "2024-02", d: "2024-02-01" },
        { p: "2024-13", d: null },
        { p: "2024M11", d: "2024-11-01" },
        { p: "soon", d: null },
      ]);
    });
  });

  it("counts a paper found by two sources once, per year and per institution", async () => {
    await withDb(async (db) => {
      const pub = (pub_key: string, source_id: string, year: number, institutions: string[], open_access: boolean | null = null) => ({
        pub_key,
        title: pub_key,
        year,
        institutions,
        authors: [],
        open_access,
        ...prov(source_id),
      });
      await insert(db, "publications", [
        pub("openalex:W1", "openalex", 2024, ["Royal University of Phnom Penh", "Institute of Technology of Cambodia"], true),
        pub("arxiv:2401.00001", "arxiv", 2024, ["Royal University of Phnom Penh"]),
        pub("openalex:W2", "openalex", 2025, ["Royal University of Phnom Penh"]),
        pub("openalex:W3", "openalex", 2025, ["Institute of Technology of Cambodia"]),
        pub("openalex:W4", "openalex", 2025, []),
      ]);
      await bulkInsert(db, "publication_works", { pub_key: "VARCHAR", source_id: "VARCHAR", work_key: "VARCHAR" }, [
        { pub_key: "openalex:W1", source_id: "openalex", work_key: "doi:10.1/w1" },
        { pub_key: "arxiv:2401.00001", source_id: "arxiv", work_key: "doi:10.1/w1" },
        { pub_key: "openalex:W2", source_id: "openalex", work_key: "doi:10.1/w2" },
        { pub_key: "openalex:W3", source_id: "openalex", work_key: "doi:10.1/w3" },
        { pub_key: "openalex:W4", source_id: "openalex", work_key: "doi:10.1/w4" },
      ]);
      expect(await queryRows(db, "SELECT * FROM v_publications_by_year")).toEqual([
        { year: 2024, works: 1, open_access_works: 1 },
        { year: 2025, works: 3, open_access_works: 0 },
      ]);
      expect(await queryRows(db, "SELECT * FROM v_publications_by_institution")).toEqual([
        { institution: "Institute of Technology of Cambodia", works: 2, first_year: 2024, last_year: 2025 },
        { institution: "Royal University of Phnom Penh", works: 2, first_year: 2024, last_year: 2025 },
      ]);
      await rejectItem(db, { itemKind: "publication", itemKey: "openalex:W3", ...analyst }, clock);
      expect(await queryRows(db, "SELECT institution, works FROM v_publications_by_institution")).toEqual([
        { institution: "Royal University of Phnom Penh", works: 2 },
        { institution: "Institute of Technology of Cambodia", works: 1 },
      ]);
    });
  });

  it("counts incidents per year and harm type, keeping incidents with no harm type recorded", async () => {
    await withDb(async (db) => {
      const incident = (incident_key: string, occurred_on: string | null, harm_types: string[] | null, source_id = "incident-sheet") => ({
        incident_key,
        occurred_on,
        harm_types,
        title: incident_key,
        ...prov(source_id),
      });
      await insert(db, "incidents", [
        incident("deepfake-pm-2024", "2024-03-01", ["deepfake", "scam"]),
        incident("voice-clone-2024", "2024-11-20", ["scam"]),
        incident("aiid-1", "2025-01-05", [], "aiid"),
        incident("undated", null, ["fraud"]),
        incident("rejected-2025", "2025-02-01", ["bias"]),
      ]);
      await rejectItem(db, { itemKind: "incident", itemKey: "rejected-2025", ...analyst }, clock);
      expect(await queryRows(db, "SELECT * FROM v_incidents_by_year_harm")).toEqual([
        { year: 2024, harm_type: "deepfake", incidents: 1 },
        { year: 2024, harm_type: "scam", incidents: 2 },
        { year: 2025, harm_type: null, incidents: 1 },
        { year: null, harm_type: "fraud", incidents: 1 },
      ]);
    });
  });

  it("counts news per Cambodian calendar month and NAIS priority from the tags in force", async () => {
    await withDb(async (db) => {
      await insert(db, "strategy_priorities", [
        { priority_id: 1, title: "Human Resource Development", short_label: "Skills", ...prov("nais") },
        { priority_id: 2, title: "Data, Infrastructure, and Key Technologies", short_label: "Data & infrastructure", ...prov("nais") },
      ]);
      const news = (item_key: string, published_at: string, source_id = "feed-a") => ({
        item_key,
        title: item_key,
        published_at,
        ...prov(source_id),
      });
      await insert(db, "news_items", [
        news("a", "2025-07-10T03:00:00Z"),
        news("b", "2025-07-31T20:00:00Z"), // already 1 August in Phnom Penh
        news("b2", "2025-08-01T01:00:00Z", "feed-b"), // the same story from another outlet
        news("c", "2025-08-15T03:00:00Z"),
        news("d", "2025-08-16T03:00:00Z"),
      ]);
      await bulkInsert(db, "news_stories", { item_key: "VARCHAR", story_key: "VARCHAR" }, [
        { item_key: "a", story_key: "a" },
        { item_key: "b", story_key: "b" },
        { item_key: "b2", story_key: "b" },
        { item_key: "c", story_key: "c" },
        { item_key: "d", story_key: "d" },
      ]);
      const tag = (item_key: string, t: string) => ({
        item_kind: "news",
        item_key,
        dimension: "priority",
        tag: t,
        matched: "x",
        made_by: "rule",
        made_at: "2026-01-01T00:00:00Z",
      });
      await bulkInsert(
        db,
        "item_tags",
        {
          item_kind: "VARCHAR",
          item_key: "VARCHAR",
          dimension: "VARCHAR",
          tag: "VARCHAR",
          matched: "VARCHAR",
          made_by: "VARCHAR",
          made_at: "TIMESTAMPTZ",
        },
        [tag("a", "1"), tag("b", "1"), tag("b2", "1"), tag("c", "1"), tag("c", "2"), tag("d", "2")],
      );
      await classifyItem(db, { itemKind: "news", itemKey: "c", dimension: "priority", tag: "1", action: "remove", ...analyst }, clock);
      await classifyItem(db, { itemKind: "news", itemKey: "a", dimension: "priority", tag: "2", action: "add", ...analyst }, clock);
      await rejectItem(db, { itemKind: "news", itemKey: "d", ...analyst }, clock);
      expect(await queryRows(db, "SELECT * FROM v_news_by_month_priority")).toEqual([
        { month: "2025-07", priority_id: 1, priority_label: "Skills", items: 1, stories: 1 },
        { month: "2025-07", priority_id: 2, priority_label: "Data & infrastructure", items: 1, stories: 1 },
        { month: "2025-08", priority_id: 1, priority_label: "Skills", items: 2, stories: 1 },
        { month: "2025-08", priority_id: 2, priority_label: "Data & infrastructure", items: 1, stories: 1 },
      ]);
    });
  });

  it("gives each measure its status on a date, flags overdue ones, and counts them by status and timeframe", async () => {
    await withDb(async (db) => {
      const measure = (measure_id: string, seq: number, timeframe: string, start_year: number, end_year: number, ongoing = false) => ({
        measure_id,
        priority_id: 1,
        seq,
        text: `Measure ${measure_id}`,
        timeframe,
        start_year,
        end_year,
        ongoing,
        lead_bodies: ["MPTC"],
        participating_bodies: [],
        ...prov("nais"),
      });
      await insert(db, "strategy_measures", [
        measure("1.1", 1, "Continually (2025-2030)", 2025, 2030, true),
        measure("1.2", 2, "2025-2027", 2025, 2027),
        measure("1.3", 3, "2025-2027", 2025, 2027),
        measure("1.4", 4, "2026", 2026, 2026),
      ]);
      const record = (measureId: string, status: "in_progress" | "done" | "cancelled", asOf: string, recordedAt: string) =>
        recordMeasureStatus(
          db,
          {
            measureId,
            status,
            asOf,
            note: `${measureId} ${status}`,
            evidenceUrls: ["https://example.org/evidence"],
            recordedBy: "analyst:sokha",
          },
          { now: () => new Date(recordedAt) },
        );
      await record("1.2", "in_progress", "2025-09-01", "2025-09-05T00:00:00Z");
      await record("1.2", "done", "2027-06-30", "2027-07-02T00:00:00Z");
      await record("1.4", "in_progress", "2026-03-01", "2026-03-02T00:00:00Z");
      // Recorded late, but it holds from the date given.
      await record("1.3", "cancelled", "2026-01-15", "2026-04-01T00:00:00Z");

      const statusOn = (d: string) =>
        queryRows(db, `SELECT measure_id, status, status_as_of::VARCHAR AS status_as_of, overdue FROM measures_status_as_of('${d}'::DATE)`);
      expect(await statusOn("2025-08-01")).toEqual([
        { measure_id: "1.1", status: "not_started", status_as_of: null, overdue: false },
        { measure_id: "1.2", status: "not_started", status_as_of: null, overdue: false },
        { measure_id: "1.3", status: "not_started", status_as_of: null, overdue: false },
        { measure_id: "1.4", status: "not_started", status_as_of: null, overdue: false },
      ]);
      expect(await statusOn("2026-12-31")).toEqual([
        { measure_id: "1.1", status: "not_started", status_as_of: null, overdue: false },
        { measure_id: "1.2", status: "in_progress", status_as_of: "2025-09-01", overdue: false },
        { measure_id: "1.3", status: "cancelled", status_as_of: "2026-01-15", overdue: false },
        { measure_id: "1.4", status: "in_progress", status_as_of: "2026-03-01", overdue: false },
      ]);
      expect(await statusOn("2027-01-01")).toContainEqual({
        measure_id: "1.4",
        status: "in_progress",
        status_as_of: "2026-03-01",
        overdue: true,
      });
      expect(await statusOn("2028-01-01")).toEqual([
        { measure_id: "1.1", status: "not_started", status_as_of: null, overdue: false },
        { measure_id: "1.2", status: "done", status_as_of: "2027-06-30", overdue: false },
        { measure_id: "1.3", status: "cancelled", status_as_of: "2026-01-15", overdue: false },
        { measure_id: "1.4", status: "in_progress", status_as_of: "2026-03-01", overdue: true },
      ]);
      expect(
        await queryRows(db, "SELECT evidence_urls, status_note FROM measures_status_as_of('2028-01-01'::DATE) WHERE measure_id = '1.2'"),
      ).toEqual([{ evidence_urls: ["https://example.org/evidence"], status_note: "1.2 done" }]);

      expect(
        await queryRows(
          db,
          "SELECT timeframe, status, measures, overdue, as_of_date::VARCHAR AS as_of_date FROM measures_by_status_timeframe_as_of('2028-01-01'::DATE)",
        ),
      ).toEqual([
        { timeframe: "2026", status: "in_progress", measures: 1, overdue: 1, as_of_date: "2028-01-01" },
        { timeframe: "2025-2027", status: "cancelled", measures: 1, overdue: 0, as_of_date: "2028-01-01" },
        { timeframe: "2025-2027", status: "done", measures: 1, overdue: 0, as_of_date: "2028-01-01" },
        { timeframe: "Continually (2025-2030)", status: "not_started", measures: 1, overdue: 0, as_of_date: "2028-01-01" },
      ]);

      // The v_ views are the macros on the database's current date, whatever that is when the test runs.
      const [{ same }] = await queryRows(
        db,
        `SELECT (SELECT list(measure_id || status || overdue::VARCHAR ORDER BY measure_id) FROM v_measures_status)
              = (SELECT list(measure_id || status || overdue::VARCHAR ORDER BY measure_id) FROM measures_status_as_of(current_date)) AS same`,
      );
      expect(same).toBe(true);
      expect(await queryRows(db, "SELECT DISTINCT as_of_date = current_date AS today FROM v_measures_by_status_timeframe")).toEqual([
        { today: true },
      ]);
    });
  });
});

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
