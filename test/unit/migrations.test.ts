import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { listMigrations, migrate, queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport } from "../../warehouse/load.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { loadRegistry } from "../../sources/registry.js";
import { repoRoot, withTempWarehouse } from "../helpers.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-migrations-");

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const sourceRow = (source_id: string, kind: string) => ({
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

/** A warehouse as the code before migration 003 left it: migrations 001-002 only, with data loaded. */
async function oldWarehouse(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const db = await instance.connect();
  try {
    await db.run("SET TimeZone = 'UTC'");
    expect(
      await migrate(
        db,
        (await listMigrations()).filter((m) => m.version <= 2),
      ),
    ).toEqual([1, 2]);
    await loadOnce(db);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

async function loadOnce(db: DuckDBConnection) {
  const prov = (source_id: string) => ({ source_id, snapshot_sha256: "a".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" });
  const stages = {
    wb: {
      indicators: [{ indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, source_note: null, ...prov("wb") }],
      observations: [
        { indicator_code: "SP.POP.TOTL", country_iso3: "KHM", period: "2023", value: 17423880, source_url: "https://x/", ...prov("wb") },
        { indicator_code: "SP.POP.TOTL", country_iso3: "KHM", period: "2024", value: 17638801, source_url: "https://x/", ...prov("wb") },
      ],
    },
    feed: {
      news_items: [
        {
          item_key: "a1",
          canonical_url: "https://news.example.org/a1",
          title: "Deepfake video of minister used in online scam",
          summary: null,
          published_at: "2025-07-02T08:00:00Z",
          outlet: "x",
          language: "en",
          categories: [],
          kind: "news",
          ...prov("feed"),
        },
      ],
    },
  };
  const reports: RunReport[] = [];
  const manifests = new Map();
  for (const [sourceId, rows] of Object.entries(stages)) {
    const stageDir = path.join(temp.dir(), "staged", sourceId);
    await writeStage(
      stageDir,
      sourceId,
      rows,
      [{ url: "https://x/", sha256: "a".repeat(64), status: 200, retrievedAt: "2026-01-01T00:00:00Z", bytes: 1, origin: "snapshot" }],
      [],
    );
    manifests.set(sourceId, await readStage(stageDir));
    reports.push({ sourceId, status: "ok", fetched: 1, records: 1, rejected: 0, fromSnapshot: true, stageDir });
  }
  await loadStages(db, {
    runId: "run-1",
    loadedAt: "2026-01-01T00:00:00Z",
    sources: [sourceRow("wb", "indicator"), sourceRow("feed", "news")],
    reports,
    manifests,
    taxonomyFile,
  });
}

const factTables = ["sources", "fetch_runs", "snapshots", "observations", "indicators", "news_items", "item_tags", "incident_candidates"];
const dump = async (db: DuckDBConnection) =>
  Object.fromEntries(await Promise.all(factTables.map(async (t) => [t, await queryRows(db, `SELECT * FROM ${t} ORDER BY ALL`)] as const)));

describe("Migrations", () => {
  it("upgrades a warehouse built by migrations 001-002 without touching its data, adding the new tables and views", async () => {
    const file = path.join(temp.dir(), "w.duckdb");
    await oldWarehouse(file);
    const instance = await DuckDBInstance.create(file);
    const before = await instance.connect().then(async (db) => {
      await db.run("SET TimeZone = 'UTC'");
      const rows = await dump(db);
      db.closeSync();
      return rows;
    });
    instance.closeSync();
    expect(before.observations).toHaveLength(2);
    expect(before.item_tags.length).toBeGreaterThan(0);

    const all = await listMigrations();
    await withWarehouse(file, async (db) => {
      expect(await queryRows(db, "SELECT version FROM schema_migrations ORDER BY version")).toEqual(
        all.map((m) => ({ version: m.version })),
      );
      // Later migrations may add columns (null on the old rows, as 010 does to snapshots); the old columns are untouched.
      const after = await dump(db);
      for (const t of factTables) {
        const old = new Set(before[t].flatMap((r) => Object.keys(r)));
        expect(
          after[t].map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => old.has(k)))),
          t,
        ).toEqual(before[t]);
        expect(
          after[t]
            .flatMap((r) =>
              Object.entries(r)
                .filter(([k]) => !old.has(k))
                .map(([, v]) => v),
            )
            .every((v) => v === null),
          t,
        ).toBe(true);
      }

      const objects = await queryRows(db, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'");
      const has = (name: string, type: string) => expect(objects, name).toContainEqual({ table_name: name, table_type: type });
      for (const t of [
        "geographies",
        "indicator_metadata",
        "curation_log",
        "curated_observations",
        "curated_classifications",
        "curated_rejections",
        "measure_status",
      ]) {
        has(t, "BASE TABLE");
      }
      for (const v of [
        "v_observations_current",
        "v_indicator_latest",
        "v_news_public",
        "v_publications_public",
        "v_incidents_public",
        "v_item_tags_effective",
        "v_publications_by_year",
        "v_publications_by_institution",
        "v_incidents_by_year_harm",
        "v_news_by_month_priority",
        "v_measures_status",
        "v_measures_by_status_timeframe",
      ]) {
        has(v, "VIEW");
        await queryRows(db, `SELECT * FROM ${v}`);
      }
      const macros = await queryRows(
        db,
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table_macro', 'macro') AND NOT internal ORDER BY 1",
      );
      expect(macros.map((m) => m.function_name)).toEqual(
        expect.arrayContaining([
          "measures_by_status_timeframe_as_of",
          "measures_status_as_of",
          "observations_as_of",
          "observations_effective_as_of",
          "period_start",
        ]),
      );

      // The old rows read through the new views.
      expect(await queryRows(db, "SELECT period, value, value_source FROM v_observations_current ORDER BY period")).toEqual([
        { period: "2023", value: 17423880, value_source: "source" },
        { period: "2024", value: 17638801, value_source: "source" },
      ]);
      expect(await queryRows(db, "SELECT latest_period, previous_period, change FROM v_indicator_latest")).toEqual([
        { latest_period: "2024", previous_period: "2023", change: 214921 },
      ]);
      expect(await queryRows(db, "SELECT item_key FROM v_news_public")).toEqual([{ item_key: "a1" }]);
    });

    // Opening again applies nothing and seeds nothing twice.
    await withWarehouse(file, async (db) => {
      expect(await migrate(db)).toEqual([]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM geographies")).toEqual([{ n: 11 }]);
    });
  });

  it("seeds the ASEAN members and metadata for every World Bank code the registry fetches", async () => {
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const codes = registry.flatMap((s) => (s.parser === "worldbank-v2" ? (s.indicators ?? []) : [])).sort();
    expect(codes).toHaveLength(10);
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const meta = await queryRows(
        db,
        "SELECT indicator_code, ram_dimension, nais_priority, length(definition) > 20 AS defined FROM indicator_metadata ORDER BY indicator_code",
      );
      expect(meta.map((m) => m.indicator_code)).toEqual(codes);
      expect(meta.every((m) => m.defined)).toBe(true);
      const geos = await queryRows(db, "SELECT iso3 FROM geographies WHERE asean_member ORDER BY iso3");
      expect(geos.map((g) => g.iso3)).toEqual(["BRN", "IDN", "KHM", "LAO", "MMR", "MYS", "PHL", "SGP", "THA", "TLS", "VNM"]);
    });
  });
});
