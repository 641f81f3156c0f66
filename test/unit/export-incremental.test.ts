// The export rewrites only the tables whose content changed (issue 17): an export of an unchanged
// warehouse keeps every table's files (same bytes, same hashes in datapackage.json) and a changed value
// rewrites its table and the views made from it alone, with the new content in it.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bulkInsert, queryRows, sqlString, withWarehouse } from "../../warehouse/db.js";
import { exportPublicTables } from "../../warehouse/export.js";
import { sourceColumns } from "../../warehouse/load.js";
import { columnsOf } from "../../warehouse/tables.js";
import { bytesOf } from "../helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-export-inc-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const source = {
  source_id: "worldbank-wdi",
  title: "World Bank WDI",
  kind: "indicator",
  parser: "worldbank-v2",
  urls: ["https://api.worldbank.org/v2/"],
  cadence: "monthly",
  licence: "CC BY 4.0",
  attribution: "World Bank",
  enabled: true,
};
const observation = (period: string, value: number) => ({
  indicator_code: "IT.NET.USER.ZS",
  country_iso3: "KHM",
  period,
  value,
  source_url: "https://api.worldbank.org/v2/",
  source_id: "worldbank-wdi",
  snapshot_sha256: "a".repeat(64),
  retrieved_at: "2026-01-01T00:00:00Z",
  row_hash: `h${period}`,
  valid_from: "2026-01-01T00:00:00Z",
});

const packageHashes = async (exportsDir: string) => {
  const pkg = JSON.parse(await fs.readFile(path.join(exportsDir, "datapackage.json"), "utf8")) as {
    resources: Array<{ name: string; hash: string }>;
  };
  return Object.fromEntries(pkg.resources.map((r) => [r.name, r.hash]));
};

describe("Incremental export", () => {
  it("keeps every table of an unchanged warehouse, and rewrites only the tables whose content changed", async () => {
    const exportsDir = path.join(dir, "exports");
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await bulkInsert(db, "sources", sourceColumns, [source]);
      await bulkInsert(db, "observations", { ...Object.fromEntries(columnsOf("observations")), valid_from: "TIMESTAMPTZ" }, [
        observation("2023", 50.1),
        observation("2024", 56.7),
      ]);
      const first = await exportPublicTables(db, exportsDir, "2026-05-01T08:00:00Z", { release: false });
      expect(first.changed).toContain("observations");
      expect(first.changed.length).toBe(Object.keys(first.tables).length);
      const hashes = await packageHashes(exportsDir);
      const bytes = await fs.readFile(path.join(exportsDir, "observations.parquet"));

      const again = await exportPublicTables(db, exportsDir, "2026-05-01T09:00:00Z", { release: false });
      expect(again.changed).toEqual([]);
      expect(again.tables).toEqual(first.tables);
      expect(await packageHashes(exportsDir)).toEqual(hashes);
      expect(await fs.readFile(path.join(exportsDir, "observations.parquet"))).toEqual(bytes);

      await db.run("UPDATE observations SET value = 57.2 WHERE period = '2024'");
      const revised = await exportPublicTables(db, exportsDir, "2026-05-01T10:00:00Z", { release: false });
      // The observations and the two public views computed from them; nothing else.
      expect([...revised.changed].sort()).toEqual(["indicator_latest", "observations", "observations_current"]);
      expect((await packageHashes(exportsDir)).observations).not.toBe(hashes.observations);
      const rows = await queryRows(
        db,
        `SELECT period, value FROM read_parquet(${sqlString(path.join(exportsDir, "observations.parquet"))}) ORDER BY period`,
      );
      expect(rows).toEqual([
        { period: "2023", value: 50.1 },
        { period: "2024", value: 57.2 },
      ]);
    });
  });
  it("rewrites the tables a change reaches through a join, and knows an unchanged one without evaluating it again", async () => {
    const exportsDir = path.join(dir, "exports");
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await bulkInsert(db, "sources", sourceColumns, [source]);
      await bulkInsert(db, "observations", { ...Object.fromEntries(columnsOf("observations")), valid_from: "TIMESTAMPTZ" }, [
        observation("2023", 50.1),
      ]);
      await db.run(
        `INSERT INTO indicators (indicator_code, name, unit, source_id, snapshot_sha256, retrieved_at, row_hash)
         VALUES ('IT.NET.USER.ZS', 'Internet users', '% of population', 'worldbank-wdi', '${"a".repeat(64)}', TIMESTAMPTZ '2026-01-01 00:00:00+00', 'i1')`,
      );
      await exportPublicTables(db, exportsDir, "2026-05-01T08:00:00Z", { release: false });
      // observations carries the indicator's name, joined in from indicators: renaming it changes observations.parquet.
      await db.run("UPDATE indicators SET name = 'Individuals using the Internet'");
      const renamed = await exportPublicTables(db, exportsDir, "2026-05-01T09:00:00Z", { release: false });
      expect(renamed.changed).toContain("indicators");
      expect(renamed.changed).toContain("observations");
      expect(renamed.changed).not.toContain("sources");
      const [row] = await queryRows(
        db,
        `SELECT indicator_name FROM read_parquet(${sqlString(path.join(exportsDir, "observations.parquet"))})`,
      );
      expect(row).toEqual({ indicator_name: "Individuals using the Internet" });
      // Back to the first name: the content is the first export's again, and the tables say so.
      await db.run("UPDATE indicators SET name = 'Internet users'");
      const back = await exportPublicTables(db, exportsDir, "2026-05-01T10:00:00Z", { release: false });
      expect(back.changed).toContain("observations");
      const again = await exportPublicTables(db, exportsDir, "2026-05-01T11:00:00Z", { release: false });
      expect(again.changed).toEqual([]);
      expect(again.tables).toEqual(back.tables);
    });
  });

  it("writes the same files under a memory limit too small for the export, and leaves the connection's limit as it was", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await bulkInsert(db, "sources", sourceColumns, [source]);
      await bulkInsert(
        db,
        "observations",
        { ...Object.fromEntries(columnsOf("observations")), valid_from: "TIMESTAMPTZ" },
        Array.from({ length: 300 }, (_, i) => observation(String(1700 + i), i * 0.5)),
      );
      const [{ limit }] = await queryRows(db, "SELECT current_setting('memory_limit') AS limit");
      const free = await exportPublicTables(db, path.join(dir, "free"), "2026-05-01T08:00:00Z", { release: false, memoryLimit: null });
      // 1MB is below what DuckDB holds already (it refuses the setting); 24MB is taken and too little for some statements.
      for (const memoryLimit of ["1MB", "24MB"]) {
        const tight = await exportPublicTables(db, path.join(dir, memoryLimit), "2026-05-01T08:00:00Z", { release: false, memoryLimit });
        expect(tight.tables).toEqual(free.tables);
      }
      expect(free.tables.observations.rows).toBe(300);
      // DuckDB shows the limit cut to a tenth of its unit, and the export sets back the limit shown: at most
      // a tenth of the unit lower per export (two here), never the export's own.
      const [{ limit: after }] = await queryRows(db, "SELECT current_setting('memory_limit') AS limit");
      expect(bytesOf(String(after))).toBeGreaterThanOrEqual(bytesOf(String(limit)) - 0.2 * 1024 ** 3);
      expect(bytesOf(String(after))).toBeLessThanOrEqual(bytesOf(String(limit)));
    });
  });
});
