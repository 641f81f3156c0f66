import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queryRows, sqlString, withMemoryDb } from "../../warehouse/db.js";
import { neutraliseBidi, rowHash, writeStage } from "../../warehouse/staging.js";

const prov = { source_id: "strategy", snapshot_sha256: "a".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
const later = { ...prov, snapshot_sha256: "c".repeat(64) };
const captures = [
  { url: "https://example.org/a", sha256: prov.snapshot_sha256, status: 200, retrievedAt: prov.retrieved_at, bytes: 1, origin: "snapshot" },
  {
    url: "https://example.org/c",
    sha256: later.snapshot_sha256,
    status: 200,
    retrievedAt: prov.retrieved_at,
    bytes: 1,
    origin: "snapshot",
  },
];

// Every column type a record table has, Khmer and escapes in text, a bidirectional control in a title and a body.
const measures = [
  {
    measure_id: "M1",
    priority_id: 1,
    seq: 1,
    text: 'ផែនការ \u202Eevil\t"quoted"\nline',
    timeframe: "2025–2026",
    start_year: 2025,
    end_year: null,
    ongoing: true,
    lead_bodies: ["MPTC", "\u202Egpj.exe"],
    participating_bodies: [],
    entities_text: null,
    note: "ok",
    ...prov,
  },
  { measure_id: "M2", priority_id: 2, seq: 2, text: "two", ongoing: false, lead_bodies: null, ...prov },
  { measure_id: "M1", priority_id: 9, seq: 1, text: "again", ongoing: true, ...later },
  { measure_id: "M2", priority_id: 2, seq: 2, text: "two", ongoing: false, lead_bodies: null, ...prov },
];

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-staging-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("writeStage", () => {
  it("stages each row with the row_hash rowHash gives its neutralised row, typed as the table says", async () => {
    const manifest = await writeStage(dir, "strategy", { strategy_measures: measures.slice(0, 2) }, captures, []);
    expect(manifest.tables.strategy_measures).toEqual({ file: "strategy_measures.parquet", rows: 2 });
    const staged = await withMemoryDb((db) =>
      queryRows(
        db,
        `SELECT measure_id, priority_id, text, ongoing, lead_bodies, end_year, retrieved_at::VARCHAR AS at, row_hash
           FROM read_parquet(${sqlString(path.join(dir, "strategy_measures.parquet"))}) ORDER BY measure_id`,
      ),
    );
    expect(staged).toEqual([
      {
        measure_id: "M1",
        priority_id: 1,
        text: 'ផែនការ \\u202Eevil\t"quoted"\nline',
        ongoing: true,
        lead_bodies: ["MPTC", "gpj.exe"],
        end_year: null,
        at: "2026-01-01 00:00:00+00",
        row_hash: rowHash("strategy_measures", neutraliseBidi("strategy_measures", measures[0])),
      },
      {
        measure_id: "M2",
        priority_id: 2,
        text: "two",
        ongoing: false,
        lead_bodies: null,
        end_year: null,
        at: "2026-01-01 00:00:00+00",
        row_hash: rowHash("strategy_measures", measures[1]),
      },
    ]);
  });

  it("keeps the first row of a repeated key and rejects each later one, naming both captures", async () => {
    const manifest = await writeStage(dir, "strategy", { strategy_measures: measures }, captures, []);
    expect(manifest.tables.strategy_measures?.rows).toBe(2);
    expect(manifest.rejections).toEqual([
      {
        url: "https://example.org/c",
        record: "strategy_measures M1",
        reason: "duplicate key: the source already gave M1 in https://example.org/a with different values; the first is kept",
      },
      {
        url: "https://example.org/a",
        record: "strategy_measures M2",
        reason: "duplicate key: the source already gave M2 earlier in this capture (identical)",
      },
    ]);
    const [{ text }] = await withMemoryDb((db) =>
      queryRows(db, `SELECT text FROM read_parquet(${sqlString(path.join(dir, "strategy_measures.parquet"))}) WHERE measure_id = 'M1'`),
    );
    expect(text).toBe('ផែនការ \\u202Eevil\t"quoted"\nline');
  });

  it("tells keys apart by their parts, not by their joined text, and finds repeats of a many-part key", async () => {
    const obs = (indicator_code: string, country_iso3: string, period: string, value: number) => ({
      indicator_code,
      country_iso3,
      period,
      value,
      source_url: "https://example.org/a",
      ...prov,
    });
    // "A/KHM" + "2020" and "A" + "KHM/2020" join to one text; they are two keys.
    const rows = [obs("A/KHM", "2020", "2021", 1), obs("A", "KHM/2020", "2021", 2), obs("A", "KHM", "2020", 3), obs("A", "KHM", "2020", 4)];
    const manifest = await writeStage(dir, "strategy", { observations: rows }, captures, []);
    expect(manifest.tables.observations?.rows).toBe(3);
    expect(manifest.rejections).toEqual([
      {
        url: "https://example.org/a",
        record: "observations A/KHM/2020",
        reason: "duplicate key: the source already gave A/KHM/2020 earlier in this capture with different values; the first is kept",
      },
    ]);
    const values = await withMemoryDb((db) =>
      queryRows(db, `SELECT value FROM read_parquet(${sqlString(path.join(dir, "observations.parquet"))}) ORDER BY value`),
    );
    expect(values.map((v) => v.value)).toEqual([1, 2, 3]);
  });

  it("reads rows from any iterable, once", async () => {
    function* rows() {
      for (let i = 0; i < 5; i++) yield { measure_id: `M${i}`, priority_id: i, ...prov };
    }
    const manifest = await writeStage(dir, "strategy", { strategy_measures: rows() }, captures, []);
    expect(manifest.tables.strategy_measures?.rows).toBe(5);
  });
});
