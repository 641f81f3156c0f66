import fs from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { bytesOf, withTempWarehouse } from "../helpers.js";
import { listMigrations, queryRows, withWarehouse } from "../../warehouse/db.js";
import { exportPublicTables } from "../../warehouse/export.js";
import { loadStages, type RunReport } from "../../warehouse/load.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { columnsOf, recordTableNames } from "../../warehouse/tables.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-wh-");

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

async function stageObservations(name: string, values: Array<[string, number | null]>, sha = "a".repeat(64)) {
  const prov = { source_id: "wb", snapshot_sha256: sha, retrieved_at: "2026-01-01T00:00:00Z" };
  const rows = {
    observations: values.map(([period, value]) => ({
      indicator_code: "SP.POP.TOTL",
      country_iso3: "KHM",
      period,
      value,
      source_url: "https://x/",
      ...prov,
    })),
    indicators: [{ indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, source_note: null, ...prov }],
  };
  const stageDir = path.join(temp.dir(), "staged", name);
  const captures = [{ url: "https://x/", sha256: sha, status: 200, retrievedAt: prov.retrieved_at, bytes: 10, origin: "snapshot" }];
  await writeStage(stageDir, "wb", rows, captures, [{ url: "https://x/", record: "SP.POP.TOTL/1999", reason: "test rejection" }]);
  return stageDir;
}

async function load(db: DuckDBConnection, stageDir: string, runId: string, loadedAt: string) {
  const report: RunReport = { sourceId: "wb", status: "ok", fetched: 1, records: 3, rejected: 1, fromSnapshot: true, stageDir };
  return loadStages(db, { runId, loadedAt, sources: [source], reports: [report], manifests: new Map([["wb", await readStage(stageDir)]]) });
}

describe("Warehouse", () => {
  it("creates every record table with exactly the columns of warehouse/tables.ts", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      for (const table of recordTableNames) {
        const cols = await queryRows(
          db,
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position",
          { t: table },
        );
        const expected = columnsOf(table).map(([name, type]) => [name, type === "TIMESTAMPTZ" ? "TIMESTAMP WITH TIME ZONE" : type]);
        const actual = cols.map((c) => [c.column_name, c.data_type]).filter(([name]) => name !== "valid_from" && name !== "valid_to");
        expect(actual, table).toEqual(expected);
      }
    });
  });

  it("applies each migration once, recorded in schema_migrations", async () => {
    const file = path.join(temp.dir(), "w.duckdb");
    await withWarehouse(file, async () => undefined);
    const rows = await withWarehouse(file, (db) => queryRows(db, "SELECT version, name FROM schema_migrations ORDER BY version"));
    // Every file in warehouse/migrations, so the test stays true as migrations are added.
    const expected = (await listMigrations()).map(({ version, name }) => ({ version, name }));
    expect(expected.slice(0, 2)).toEqual([
      { version: 1, name: "init" },
      { version: 2, name: "publications_news_incidents" },
    ]);
    expect(rows).toEqual(expected);
  });

  it("loads the same stage twice without changing anything the second time", async () => {
    const stage = await stageObservations("one", [
      ["2022", 17201724],
      ["2023", 17423880],
      ["2024", null],
    ]);
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      expect(await load(db, stage, "run-1", "2026-01-01T00:00:00Z")).toEqual({ wb: { newRows: 4, updatedRows: 0 } });
      const before = await queryRows(db, "SELECT * FROM observations ORDER BY period");
      expect(await load(db, stage, "run-2", "2026-02-01T00:00:00Z")).toEqual({ wb: { newRows: 0, updatedRows: 0 } });
      expect(await queryRows(db, "SELECT * FROM observations ORDER BY period")).toEqual(before);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM indicators")).toEqual([{ n: 1 }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM snapshots")).toEqual([{ n: 1 }]);
    });
  });

  it("closes the old row when a value is revised, so the earlier value stays queryable", async () => {
    const first = await stageObservations("first", [
      ["2023", 17423880],
      ["2024", null],
    ]);
    const revised = await stageObservations(
      "revised",
      [
        ["2023", 17400000],
        ["2024", 17638801],
      ],
      "b".repeat(64),
    );
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, first, "run-1", "2026-01-01T00:00:00Z");
      expect(await load(db, revised, "run-2", "2026-03-01T00:00:00Z")).toEqual({ wb: { newRows: 0, updatedRows: 2 } });
      const rows = await queryRows(
        db,
        "SELECT period, value, valid_from::VARCHAR AS valid_from, valid_to::VARCHAR AS valid_to FROM observations ORDER BY period, valid_from",
      );
      expect(rows).toEqual([
        { period: "2023", value: 17423880, valid_from: "2026-01-01 00:00:00+00", valid_to: "2026-03-01 00:00:00+00" },
        { period: "2023", value: 17400000, valid_from: "2026-03-01 00:00:00+00", valid_to: null },
        { period: "2024", value: null, valid_from: "2026-01-01 00:00:00+00", valid_to: "2026-03-01 00:00:00+00" },
        { period: "2024", value: 17638801, valid_from: "2026-03-01 00:00:00+00", valid_to: null },
      ]);
      // What the warehouse said in February: the value before the revision.
      const asOf = await queryRows(
        db,
        "SELECT value FROM observations WHERE period = '2023' AND valid_from <= '2026-02-01' AND (valid_to IS NULL OR valid_to > '2026-02-01')",
      );
      expect(asOf).toEqual([{ value: 17423880 }]);
    });
  });

  it("closes a row that a reparse of the same capture no longer produces, and leaves rows of other captures", async () => {
    const first = await stageObservations("first", [
      ["2023", 17423880],
      ["2024", null],
    ]);
    const reparsed = await stageObservations("reparsed", [["2023", 17423880]]);
    const later = await stageObservations("later", [["2025", 1]], "c".repeat(64));
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, first, "run-1", "2026-01-01T00:00:00Z");
      expect(await load(db, reparsed, "run-2", "2026-03-01T00:00:00Z")).toEqual({ wb: { newRows: 0, updatedRows: 1 } });
      // A capture that never held 2023 does not close it.
      await load(db, later, "run-3", "2026-04-01T00:00:00Z");
      const rows = await queryRows(db, "SELECT period, valid_to::VARCHAR AS valid_to FROM observations ORDER BY period");
      expect(rows).toEqual([
        { period: "2023", valid_to: null },
        { period: "2024", valid_to: "2026-03-01 00:00:00+00" },
        { period: "2025", valid_to: null },
      ]);
    });
  });

  it("leaves the warehouse's rows exactly as they were when a source's stage cannot be loaded, and records the source as failed", async () => {
    const good = await stageObservations("good", [["2023", 17423880]]);
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, good, "run-1", "2026-01-01T00:00:00Z");
      const before = await queryRows(db, "SELECT * FROM observations");
      const broken = await stageObservations(
        "broken",
        [
          ["2023", 1],
          ["2025", 2],
        ],
        "c".repeat(64),
      );
      await fs.writeFile(path.join(broken, "observations.parquet"), "not parquet");
      const counts = await load(db, broken, "run-2", "2026-02-01T00:00:00Z");
      expect(counts.wb).toMatchObject({ newRows: 0, updatedRows: 0, error: expect.stringContaining("staged observations cannot be read") });
      expect(await queryRows(db, "SELECT * FROM observations")).toEqual(before);
      expect(await queryRows(db, "SELECT run_id, status FROM fetch_runs ORDER BY run_id")).toEqual([
        { run_id: "run-1", status: "ok" },
        { run_id: "run-2", status: "failed" },
      ]);
    });
  });

  it("never sets a source aside for DuckDB running out of memory, and loads it all under a limit too small for the load", async () => {
    const periods = Array.from({ length: 20_000 }, (_, i): [string, number] => [String(1000 + i), i]);
    const stage = await stageObservations("many", periods);
    const manifests = new Map([["wb", await readStage(stage)]]);
    const report: RunReport = {
      sourceId: "wb",
      status: "ok",
      fetched: 1,
      records: 20_001,
      rejected: 1,
      fromSnapshot: true,
      stageDir: stage,
    };
    const input = { runId: "run-1", loadedAt: "2026-01-01T00:00:00Z", sources: [source], reports: [report], manifests };
    // Under 16MB with no way back, the load runs out of memory: the error is the load's, and nothing is written.
    await withWarehouse(path.join(temp.dir(), "tight.duckdb"), async (db) => {
      await db.run("SET memory_limit = '16MB'");
      await expect(loadStages(db, { ...input, memoryLimit: null })).rejects.toThrow(/^Out of Memory Error/);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM fetch_runs")).toEqual([{ n: 0 }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM observations")).toEqual([{ n: 0 }]);
    });
    // Given 16MB as the load's own limit, it runs again under the connection's limit and loads every row.
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      const [{ limit }] = await queryRows<{ limit: string }>(db, "SELECT current_setting('memory_limit') AS limit");
      const logs: string[] = [];
      expect(await loadStages(db, { ...input, memoryLimit: "16MB", log: (m) => logs.push(m) })).toEqual({
        wb: { newRows: 20_001, updatedRows: 0 },
      });
      expect(logs).toEqual([
        expect.stringMatching(/^load: DuckDB ran out of memory under 16MB \(Out of Memory Error: .*\); running again under /),
      ]);
      expect(await queryRows(db, "SELECT status FROM fetch_runs")).toEqual([{ status: "ok" }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n, sum(value)::DOUBLE AS total FROM observations")).toEqual([
        { n: 20_000, total: (19_999 * 20_000) / 2 },
      ]);
      // Set back as DuckDB shows it, to a tenth of its unit: at most that much lower, never the load's own.
      const [{ limit: after }] = await queryRows<{ limit: string }>(db, "SELECT current_setting('memory_limit') AS limit");
      expect(bytesOf(after)).toBeGreaterThanOrEqual(bytesOf(limit) - 0.1 * 1024 ** 3);
      expect(bytesOf(after)).toBeLessThanOrEqual(bytesOf(limit));
    });
  });

  it("exports every public table as Parquet with a datapackage listing rows and checksums", async () => {
    const stage = await stageObservations("one", [["2023", 17423880]]);
    const exportsDir = path.join(temp.dir(), "exports");
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await load(db, stage, "run-1", "2026-01-01T00:00:00Z");
      const result = await exportPublicTables(db, exportsDir, "2026-01-01T00:00:00Z");
      expect(result.tables.observations.rows).toBe(1);
      const back = await queryRows(db, `SELECT indicator_code, value, source_url FROM read_parquet('${exportsDir}/observations.parquet')`);
      expect(back).toEqual([{ indicator_code: "SP.POP.TOTL", value: 17423880, source_url: "https://x/" }]);
      const cols = await queryRows(db, `SELECT name FROM parquet_schema('${exportsDir}/observations.parquet') WHERE name = 'row_hash'`);
      expect(cols).toEqual([]);
    });
    const pkg = JSON.parse(await fs.readFile(path.join(exportsDir, "datapackage.json"), "utf8"));
    const obs = pkg.resources.find((r: { name: string }) => r.name === "observations");
    expect(obs).toMatchObject({ path: "observations.parquet", rows: 1, format: "parquet" });
    expect(obs.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
