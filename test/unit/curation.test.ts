import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import {
  classifyItem,
  curateObservation,
  CurationInputError,
  recordMeasureStatus,
  rejectItem,
  restoreItem,
  withdrawObservationCuration,
} from "../../warehouse/curation.js";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport, type SourceRow } from "../../warehouse/load.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { columnsOf } from "../../warehouse/tables.js";
import { repoRoot, testClock, withTempWarehouse } from "../helpers.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2026-01-10T09:00:00Z") };

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-curation-");

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const sourceRow = (source_id: string, kind: string): SourceRow => ({
  source_id,
  title: source_id,
  kind,
  parser: "test",
  urls: ["https://example.org/"],
  cadence: "daily",
  licence: "CC BY 4.0",
  attribution: "test",
  enabled: true,
});
const sources = [
  sourceRow("wb", "indicator"),
  sourceRow("feed", "news"),
  sourceRow("openalex", "publication"),
  sourceRow("arxiv", "publication"),
];
const at = (iso: string) => () => new Date(iso);

type Rows = Parameters<typeof writeStage>[2];

/** Stages one source's rows as the parse activity would, with one capture of a made-up body. */
async function stage(
  name: string,
  sourceId: string,
  sha: string,
  rows: (prov: { source_id: string; snapshot_sha256: string; retrieved_at: string }) => Rows,
) {
  const prov = { source_id: sourceId, snapshot_sha256: sha.repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
  const stageDir = path.join(temp.dir(), "staged", name);
  await writeStage(
    stageDir,
    sourceId,
    rows(prov),
    [
      {
        url: "https://example.org/",
        sha256: prov.snapshot_sha256,
        status: 200,
        retrievedAt: prov.retrieved_at,
        bytes: 1,
        origin: "snapshot",
      },
    ],
    [],
  );
  return { sourceId, stageDir };
}

/** The real single-transaction load, with the derived tags rebuilt as the pipeline does. */
async function load(db: DuckDBConnection, stages: Array<{ sourceId: string; stageDir: string }>, runId: string, loadedAt: string) {
  const reports: RunReport[] = stages.map((s) => ({
    sourceId: s.sourceId,
    status: "ok",
    fetched: 1,
    records: 1,
    rejected: 0,
    fromSnapshot: true,
    stageDir: s.stageDir,
  }));
  const manifests = new Map(await Promise.all(stages.map(async (s) => [s.sourceId, await readStage(s.stageDir)] as const)));
  return loadStages(db, { runId, loadedAt, sources, reports, manifests, taxonomyFile });
}

const population = (name: string, sha: string, values: Array<[string, number | null]>) =>
  stage(name, "wb", sha, (prov) => ({
    indicators: [{ indicator_code: "SP.POP.TOTL", name: "Population, total", unit: "people", source_note: null, ...prov }],
    observations: values.map(([period, value]) => ({
      indicator_code: "SP.POP.TOTL",
      country_iso3: "KHM",
      period,
      value,
      source_url: "https://api.worldbank.org/x",
      ...prov,
    })),
  }));

const newsItem = (item_key: string, title: string, published_at: string) => ({
  item_key,
  canonical_url: `https://news.example.org/${item_key}`,
  title,
  summary: null,
  published_at,
  outlet: "Example Daily",
  language: "en",
  categories: [],
  kind: "news",
});

const feed = (name: string, sha: string, items: Array<ReturnType<typeof newsItem>>) =>
  stage(name, "feed", sha, (prov) => ({ news_items: items.map((i) => ({ ...i, ...prov })) }));

const curatedState = async (db: DuckDBConnection) => ({
  log: await queryRows(db, "SELECT * FROM curation_log ORDER BY log_id"),
  observations: await queryRows(db, "SELECT * FROM curated_observations ORDER BY log_id"),
  classifications: await queryRows(db, "SELECT * FROM curated_classifications ORDER BY log_id"),
  rejections: await queryRows(db, "SELECT * FROM curated_rejections ORDER BY log_id"),
});

const analyst = { curatedBy: "analyst:sokha", reason: "Census 2023 final count supersedes the estimate" };

describe("Curation", () => {
  it("keeps an analyst's value over a later automated revision of the same key, and leaves the curated rows and log untouched", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(
        db,
        [
          await population("first", "a", [
            ["2023", 17423880],
            ["2024", 17638801],
          ]),
        ],
        "run-1",
        "2026-01-01T00:00:00Z",
      );
      const receipt = await curateObservation(
        db,
        {
          indicatorCode: "SP.POP.TOTL",
          countryIso3: "KHM",
          period: "2023",
          value: 17400000,
          sourceUrl: "https://example.org/census-2023.pdf",
          ...analyst,
        },
        { now: at("2026-02-01T09:30:00Z") },
      );
      expect(receipt).toEqual({ logId: 1, at: "2026-02-01T09:30:00.000Z" });
      const before = await curatedState(db);

      // The source revises the same key afterwards: the automated history moves on, the analyst still wins.
      const revised = await population("revised", "b", [
        ["2023", 17500000],
        ["2024", 17638801],
      ]);
      expect(await load(db, [revised], "run-2", "2026-03-01T00:00:00Z")).toEqual({ wb: { newRows: 0, updatedRows: 1 } });

      expect(
        await queryRows(db, "SELECT value, valid_to IS NULL AS open FROM observations WHERE period = '2023' ORDER BY valid_from"),
      ).toEqual([
        { value: 17423880, open: false },
        { value: 17500000, open: true },
      ]);
      expect(
        await queryRows(
          db,
          "SELECT period, value, unit, source_id, curated, value_source, curated_by FROM v_observations_current ORDER BY period",
        ),
      ).toEqual([
        {
          period: "2023",
          value: 17400000,
          unit: "people",
          source_id: null,
          curated: true,
          value_source: "analyst",
          curated_by: "analyst:sokha",
        },
        { period: "2024", value: 17638801, unit: "people", source_id: "wb", curated: false, value_source: "source", curated_by: null },
      ]);
      expect(await curatedState(db)).toEqual(before);
      // ::VARCHAR because the Node client renders TIMESTAMPTZ in the process's zone, not the session's.
      expect(await queryRows(db, "SELECT * REPLACE (logged_at::VARCHAR AS logged_at) FROM curation_log")).toEqual([
        {
          log_id: "1",
          logged_at: "2026-02-01 09:30:00+00",
          actor: "analyst:sokha",
          action: "curate_observation",
          target_kind: "observation",
          target_key: "SP.POP.TOTL/KHM/2023",
          field: "value",
          old_value: "17423880",
          new_value: "17400000",
          reason: analyst.reason,
        },
      ]);
    });
  });

  it("hands a key back to the sources when the analyst withdraws the value, logging both steps", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, [await population("first", "a", [["2023", 17423880]])], "run-1", "2026-01-01T00:00:00Z");
      const key = { indicatorCode: "SP.POP.TOTL", countryIso3: "KHM", period: "2023" };
      await curateObservation(
        db,
        { ...key, value: 1, sourceUrl: "https://example.org/typo", ...analyst },
        { now: at("2026-02-01T00:00:00Z") },
      );
      await withdrawObservationCuration(
        db,
        { ...key, curatedBy: "analyst:dara", reason: "Typo: the census figure was never 1" },
        { now: at("2026-02-02T00:00:00Z") },
      );
      expect(await queryRows(db, "SELECT value, value_source FROM v_observations_current")).toEqual([
        { value: 17423880, value_source: "source" },
      ]);
      expect(await queryRows(db, "SELECT action, actor, old_value, new_value FROM curation_log ORDER BY log_id")).toEqual([
        { action: "curate_observation", actor: "analyst:sokha", old_value: "17423880", new_value: "1" },
        { action: "withdraw_observation", actor: "analyst:dara", old_value: "1", new_value: null },
      ]);
      await expect(withdrawObservationCuration(db, { ...key, ...analyst }, clock)).rejects.toThrow(/no curated value/);
    });
  });

  it("keeps a rejected news item out of the public views after the feed brings it back changed, until it is restored", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const items = [
        newsItem("a1", "Deepfake video of minister used in online scam, ministry warns", "2025-07-02T08:00:00Z"),
        newsItem("c1", "New bridge opens over the Mekong", "2025-07-03T10:00:00Z"),
      ];
      await load(db, [await feed("one", "a", items)], "run-1", "2026-01-01T00:00:00Z");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_item_tags_effective WHERE item_key = 'a1'")).not.toEqual([{ n: 0 }]);
      await rejectItem(
        db,
        { itemKind: "news", itemKey: "a1", curatedBy: "analyst:sokha", reason: "Satire site, not news" },
        { now: at("2026-01-02T00:00:00Z") },
      );
      const before = await curatedState(db);

      const changed = [{ ...items[0], title: "UPDATED: Deepfake video of minister used in online scam" }, items[1]];
      expect(await load(db, [await feed("two", "b", changed)], "run-2", "2026-01-03T00:00:00Z")).toEqual({
        feed: { newRows: 0, updatedRows: 1 },
      });
      expect(await queryRows(db, "SELECT title FROM news_items WHERE item_key = 'a1'")).toEqual([{ title: changed[0].title }]);
      expect(await queryRows(db, "SELECT item_key FROM v_news_public ORDER BY item_key")).toEqual([{ item_key: "c1" }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_item_tags_effective WHERE item_key = 'a1'")).toEqual([{ n: 0 }]);
      expect(await curatedState(db)).toEqual(before);

      await restoreItem(
        db,
        { itemKind: "news", itemKey: "a1", curatedBy: "analyst:dara", reason: "It is a real outlet" },
        { now: at("2026-01-04T00:00:00Z") },
      );
      expect(await queryRows(db, "SELECT item_key FROM v_news_public ORDER BY item_key")).toEqual([{ item_key: "a1" }, { item_key: "c1" }]);
      expect(await queryRows(db, "SELECT action, old_value, new_value FROM curation_log ORDER BY log_id")).toEqual([
        { action: "reject", old_value: "public", new_value: "rejected" },
        { action: "restore", old_value: "rejected", new_value: "public" },
      ]);
    });
  });

  it("applies an analyst's tag removal and addition over the rules, and a re-run of the rules keeps both", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const items = [
        newsItem("a1", "Deepfake video of minister used in online scam, ministry warns", "2025-07-02T08:00:00Z"),
        newsItem("c1", "New bridge opens over the Mekong", "2025-07-03T10:00:00Z"),
      ];
      await load(db, [await feed("one", "a", items)], "run-1", "2026-01-01T00:00:00Z");
      const ruleTags = await queryRows(
        db,
        "SELECT dimension, tag FROM item_tags WHERE item_key = 'a1' AND made_by = 'rule' ORDER BY dimension, tag",
      );
      expect(ruleTags).toContainEqual({ dimension: "harm", tag: "deepfake" });

      await classifyItem(
        db,
        {
          itemKind: "news",
          itemKey: "a1",
          dimension: "harm",
          tag: "deepfake",
          action: "remove",
          curatedBy: "analyst:sokha",
          reason: "The video was a cheap edit, not a deepfake",
        },
        clock,
      );
      await classifyItem(
        db,
        {
          itemKind: "news",
          itemKey: "c1",
          dimension: "priority",
          tag: "2",
          action: "add",
          curatedBy: "analyst:sokha",
          reason: "The bridge carries the new fibre backbone",
        },
        clock,
      );
      await load(db, [await feed("two", "b", items)], "run-2", "2026-01-03T00:00:00Z");

      const effective = await queryRows(
        db,
        "SELECT item_key, dimension, tag, tag_source FROM v_item_tags_effective ORDER BY item_key, dimension, tag",
      );
      expect(effective).not.toContainEqual(expect.objectContaining({ item_key: "a1", dimension: "harm", tag: "deepfake" }));
      expect(effective.filter((r) => r.item_key === "a1")).toEqual(
        ruleTags
          .filter((t) => !(t.dimension === "harm" && t.tag === "deepfake"))
          .map((t) => ({ item_key: "a1", ...t, tag_source: "rule" })),
      );
      expect(effective.filter((r) => r.item_key === "c1" && r.tag_source === "analyst")).toEqual([
        { item_key: "c1", dimension: "priority", tag: "2", tag_source: "analyst" },
      ]);
      // The rules' own rows are rebuilt unchanged: the analyst's decisions live beside them.
      expect(
        await queryRows(db, "SELECT dimension, tag FROM item_tags WHERE item_key = 'a1' AND made_by = 'rule' ORDER BY dimension, tag"),
      ).toEqual(ruleTags);
      expect(await queryRows(db, "SELECT field, old_value, new_value FROM curation_log ORDER BY log_id")).toEqual([
        { field: "harm/deepfake", old_value: "tagged", new_value: "untagged" },
        { field: "priority/2", old_value: "untagged", new_value: "tagged" },
      ]);
    });
  });

  it("hides every source's copy of a publication when its work is rejected", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const pub = (pub_key: string, doi: string | null) => ({
        pub_key,
        doi,
        arxiv_id: "2512.13552",
        title: "A Khmer model",
        year: 2025,
        authors: [],
        institutions: ["Example University"],
      });
      const openalex = await stage("openalex", "openalex", "a", (prov) => ({
        publications: [{ ...pub("openalex:W1", "10.1234/khmer.1"), ...prov }],
      }));
      const arxiv = await stage("arxiv", "arxiv", "b", (prov) => ({ publications: [{ ...pub("arxiv:2512.13552", null), ...prov }] }));
      await load(db, [openalex, arxiv], "run-1", "2026-01-01T00:00:00Z");
      expect(await queryRows(db, "SELECT year, works FROM v_publications_by_year")).toEqual([{ year: 2025, works: 1 }]);

      await rejectItem(
        db,
        { itemKind: "publication", itemKey: "doi:10.1234/khmer.1", curatedBy: "analyst:sokha", reason: "Retracted by the publisher" },
        clock,
      );
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_publications_public")).toEqual([{ n: 0 }]);
      expect(await queryRows(db, "SELECT * FROM v_publications_by_year")).toEqual([]);
      await load(db, [openalex, arxiv], "run-2", "2026-02-01T00:00:00Z");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_publications_public")).toEqual([{ n: 0 }]);
    });
  });

  it("refuses bad input with an error naming the field, and writes nothing", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(
        db,
        [
          await population("first", "a", [["2023", 17423880]]),
          await feed("one", "a", [newsItem("c1", "New bridge", "2025-07-03T10:00:00Z")]),
        ],
        "run-1",
        "2026-01-01T00:00:00Z",
      );
      const measure = Object.fromEntries(columnsOf("strategy_measures").map(([c]) => [c, null]));
      await bulkInsert(db, "strategy_measures", Object.fromEntries(columnsOf("strategy_measures")), [
        {
          ...measure,
          measure_id: "1.2",
          priority_id: 1,
          seq: 2,
          source_id: "nais",
          snapshot_sha256: "f".repeat(64),
          retrieved_at: "2026-01-01T00:00:00Z",
          row_hash: "h",
        },
      ]);
      const obs = {
        indicatorCode: "SP.POP.TOTL",
        countryIso3: "KHM",
        period: "2023",
        value: 1,
        sourceUrl: "https://example.org/",
        ...analyst,
      };
      const item = { itemKind: "news" as const, itemKey: "c1", dimension: "priority", tag: "2", action: "add" as const, ...analyst };
      const status = {
        measureId: "1.2",
        status: "done" as const,
        asOf: "2026-05-01",
        note: "Cohort graduated",
        evidenceUrls: ["https://example.org/news"],
        recordedBy: "analyst:sokha",
      };
      const cases: Array<[string, () => Promise<unknown>]> = [
        ["countryIso3", () => curateObservation(db, { ...obs, countryIso3: "kh" }, clock)],
        ["period", () => curateObservation(db, { ...obs, period: "2023-13" }, clock)],
        ["value", () => curateObservation(db, { ...obs, value: Number.NaN }, clock)],
        ["sourceUrl", () => curateObservation(db, { ...obs, sourceUrl: "javascript:alert(1)" }, clock)],
        ["reason", () => curateObservation(db, { ...obs, reason: " \u200b " }, clock)],
        ["curatedBy", () => curateObservation(db, { ...obs, curatedBy: "" }, clock)],
        ["indicatorCode", () => curateObservation(db, { ...obs, indicatorCode: "NO.SUCH.CODE" }, clock)],
        ["itemKind", () => classifyItem(db, { ...item, itemKind: "tweet" as never }, clock)],
        ["itemKey", () => classifyItem(db, { ...item, itemKey: "missing" }, clock)],
        ["dimension", () => classifyItem(db, { ...item, dimension: "mood" }, clock)],
        ["tag", () => classifyItem(db, { ...item, tag: "9" }, clock)],
        ["action", () => classifyItem(db, { ...item, action: "toggle" as never }, clock)],
        ["itemKey", () => rejectItem(db, { itemKind: "incident", itemKey: "c1", ...analyst }, clock)],
        ["itemKey", () => restoreItem(db, { itemKind: "news", itemKey: "c1", ...analyst }, clock)],
        ["measureId", () => recordMeasureStatus(db, { ...status, measureId: "9.9" }, clock)],
        ["status", () => recordMeasureStatus(db, { ...status, status: "finished" as never }, clock)],
        ["asOf", () => recordMeasureStatus(db, { ...status, asOf: "2026-02-30" }, clock)],
        ["evidenceUrls", () => recordMeasureStatus(db, { ...status, evidenceUrls: [] }, clock)],
        [
          "evidenceUrls[1]",
          () => recordMeasureStatus(db, { ...status, evidenceUrls: ["https://example.org/a", "ftp://example.org/b"] }, clock),
        ],
        ["note", () => recordMeasureStatus(db, { ...status, note: "" }, clock)],
      ];
      for (const [field, call] of cases) {
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, field).toBeInstanceOf(CurationInputError);
        expect((error as CurationInputError).field, field).toBe(field);
        expect((error as Error).message.startsWith(`${field} `), field).toBe(true);
      }
      expect(await curatedState(db)).toEqual({ log: [], observations: [], classifications: [], rejections: [] });
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM measure_status")).toEqual([{ n: 0 }]);
    });
  });

  it("writes neither the curated row nor its log entry when the second write fails", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, [await feed("one", "a", [newsItem("c1", "New bridge", "2025-07-03T10:00:00Z")])], "run-1", "2026-01-01T00:00:00Z");
      const first = await rejectItem(db, { itemKind: "news", itemKey: "c1", ...analyst }, clock);
      // Take the next log id's slot in curated_rejections so the curated insert fails after the log insert.
      await db.run(`INSERT INTO curated_rejections VALUES (${first.logId + 1}, 'news', 'x', 'reject', 'test', now(), 'blocker')`);
      await expect(restoreItem(db, { itemKind: "news", itemKey: "c1", ...analyst }, clock)).rejects.toThrow(/[Cc]onstraint/);
      expect(await queryRows(db, "SELECT log_id FROM curation_log")).toEqual([{ log_id: String(first.logId) }]);
      expect(await queryRows(db, "SELECT item_key FROM v_news_public")).toEqual([]);
    });
  });
});
