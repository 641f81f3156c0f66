import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { readIndicatorMetadata, seedIndicatorMetadata } from "../../warehouse/indicator-metadata.js";
import { loadRegistry } from "../../sources/registry.js";
import { repoRoot } from "../helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-indicator-metadata-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("indicator metadata, kept in one file", () => {
  it("marks for the warehouse exactly the World Bank codes the registry fetches, and describes the analysts' codes for the site", async () => {
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const worldBank = registry.flatMap((s) => (s.parser === "worldbank-v2" ? (s.indicators ?? []) : [])).sort();
    const file = readIndicatorMetadata();
    const inWarehouse = Object.entries(file.indicators)
      .filter(([, e]) => e.warehouse)
      .map(([code]) => code)
      .sort();
    expect(inWarehouse).toEqual(worldBank);
    expect(Object.keys(file.indicators)).toContain("RAM.GERD.PCT_GDP");
    expect(file.indicators["RAM.GERD.PCT_GDP"].warehouse).toBe(false);
  });

  it("carries an edit of the file into indicator_metadata on the next open", async () => {
    const warehouse = path.join(dir, "w.duckdb");
    await withWarehouse(warehouse, async () => undefined);
    const edited = readIndicatorMetadata();
    edited.indicators["SP.POP.TOTL"].definition = "Everyone living in the country at mid-year (edited).";
    const editedFile = path.join(dir, "indicator-metadata.json");
    await fs.writeFile(editedFile, JSON.stringify(edited));
    await withWarehouse(warehouse, async (db) => {
      await seedIndicatorMetadata(db, editedFile);
      const rows = await queryRows<{ definition: string; curated_by: string }>(
        db,
        "SELECT definition, curated_by FROM indicator_metadata WHERE indicator_code = 'SP.POP.TOTL'",
      );
      expect(rows).toEqual([
        {
          definition: "Everyone living in the country at mid-year (edited).",
          curated_by: "observatory (warehouse/indicator-metadata.json)",
        },
      ]);
      const count = await queryRows<{ n: number }>(db, "SELECT count(*)::INTEGER AS n FROM indicator_metadata");
      expect(count).toEqual([{ n: 10 }]);
    });
  });

  it("refuses a file whose entry has an unknown RAM dimension, naming the entry", async () => {
    const broken = readIndicatorMetadata() as unknown as { indicators: Record<string, { ram_dimension: string }> };
    broken.indicators["IT.NET.USER.ZS"].ram_dimension = "spiritual";
    const brokenFile = path.join(dir, "broken.json");
    await fs.writeFile(brokenFile, JSON.stringify(broken));
    expect(() => readIndicatorMetadata(brokenFile)).toThrow(/indicators\.IT\.NET\.USER\.ZS\.ram_dimension/);
  });
});
