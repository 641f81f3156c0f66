// Fault: one source's data breaks a key. The stage rejects every repeated key, and a stage that still
// cannot load is set aside with its reason while every other source loads (real DuckDB files).
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withTempWarehouse } from "../helpers.js";
import { queryRows, sqlString, withMemoryDb, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport, type SourceRow } from "../../warehouse/load.js";
import { readStage, writeStage, type StageManifest } from "../../warehouse/staging.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-fault-load-");

const at = "2026-03-01T00:00:00Z";
const sourceRow = (id: string, kind: string): SourceRow => ({
  source_id: id,
  title: id,
  kind,
  parser: "test",
  urls: ["https://x/"],
  cadence: "daily",
  licence: "CC0 1.0",
  attribution: "test",
  enabled: true,
});
const capture = (url: string, sha: string) => ({ url, sha256: sha, status: 200, retrievedAt: at, bytes: 1, origin: "live" });
const shaA = "a".repeat(64);
const shaB = "b".repeat(64);

const work = (id: string, title: string, sha: string) => ({
  pub_key: `openalex:${id}`,
  doi: null,
  arxiv_id: null,
  openalex_id: id,
  title,
  abstract: null,
  year: 2024,
  published_on: null,
  venue: null,
  authors: ["A. Author"],
  institutions: [],
  institution_countries: ["KH"],
  topics: [],
  language: "en",
  open_access: null,
  oa_status: null,
  cited_by: 0,
  url: `https://openalex.org/${id}`,
  source_id: "openalex",
  snapshot_sha256: sha,
  retrieved_at: at,
});

const observation = (period: string, value: number) => ({
  indicator_code: "SP.POP.TOTL",
  country_iso3: "KHM",
  period,
  value,
  source_url: "https://x/",
  source_id: "wb",
  snapshot_sha256: shaA,
  retrieved_at: at,
});

async function stageWorldBank(): Promise<{ report: RunReport; manifest: StageManifest }> {
  const stageDir = path.join(temp.dir(), "staged", "wb");
  const manifest = await writeStage(
    stageDir,
    "wb",
    { observations: [observation("2023", 17), observation("2024", 18)] },
    [capture("https://x/", shaA)],
    [],
  );
  return { report: { sourceId: "wb", status: "ok", fetched: 1, records: 2, rejected: 0, fromSnapshot: false, stageDir }, manifest };
}

/** A stage written by hand rather than by writeStage (an older worker, an edited folder): its Parquet repeats a key. */
async function handWrittenStage(sourceId: string, sql: string, table: string): Promise<{ report: RunReport; manifest: StageManifest }> {
  const stageDir = path.join(temp.dir(), "staged", sourceId);
  await fs.mkdir(stageDir, { recursive: true });
  await withMemoryDb((db) => db.run(`COPY (${sql}) TO ${sqlString(path.join(stageDir, `${table}.parquet`))} (FORMAT parquet)`));
  const manifest: StageManifest = {
    sourceId,
    tables: { [table]: { file: `${table}.parquet`, rows: 2 } },
    captures: [capture("https://y/", shaB)],
    rejections: [],
  };
  await fs.writeFile(path.join(stageDir, "manifest.json"), JSON.stringify(manifest));
  return { report: { sourceId, status: "ok", fetched: 1, records: 2, rejected: 0, fromSnapshot: false, stageDir }, manifest };
}

describe("Fault: a source's records repeat a key", () => {
  it("rejects the repeated OpenAlex work W91 once per repeat at the stage, naming both pages, and loads one row", async () => {
    const page1 = "https://api.openalex.org/works?cursor=*";
    const page2 = "https://api.openalex.org/works?cursor=IlsxNjk";
    const stageDir = path.join(temp.dir(), "staged", "openalex");
    await writeStage(
      stageDir,
      "openalex",
      {
        publications: [
          work("W90", "First", shaA),
          work("W91", "Khmer speech", shaA),
          work("W91", "Khmer speech", shaB),
          work("W91", "Khmer speech (v2)", shaB),
        ],
      },
      [capture(page1, shaA), capture(page2, shaB)],
      [],
    );
    const manifest = await readStage(stageDir);
    expect(manifest.tables.publications?.rows).toBe(2);
    expect(manifest.rejections).toEqual([
      {
        url: page2,
        record: "publications openalex:W91",
        reason: `duplicate key: the source already gave openalex:W91 in ${page1} (identical)`,
      },
      {
        url: page2,
        record: "publications openalex:W91",
        reason: `duplicate key: the source already gave openalex:W91 in ${page1} with different values; the first is kept`,
      },
    ]);
    const report: RunReport = { sourceId: "openalex", status: "ok", fetched: 2, records: 2, rejected: 2, fromSnapshot: false, stageDir };
    const counts = await withWarehouse(path.join(temp.dir(), "w.duckdb"), (db) =>
      loadStages(db, {
        runId: "r1",
        loadedAt: at,
        sources: [sourceRow("openalex", "publication")],
        reports: [report],
        manifests: new Map([["openalex", manifest]]),
      }),
    );
    expect(counts.openalex).toEqual({ newRows: 2, updatedRows: 0 });
    const rows = await withWarehouse(path.join(temp.dir(), "w.duckdb"), (db) =>
      queryRows(db, "SELECT pub_key, title FROM publications ORDER BY pub_key"),
    );
    expect(rows).toEqual([
      { pub_key: "openalex:W90", title: "First" },
      { pub_key: "openalex:W91", title: "Khmer speech" },
    ]);
  });

  it("sets aside a stage that repeats a key or cannot be merged, reports it failed, and loads every other source whole", async () => {
    const wb = await stageWorldBank();
    const dup = await handWrittenStage(
      "openalex",
      `SELECT 'openalex:W91' AS pub_key, NULL::VARCHAR AS doi, NULL::VARCHAR AS arxiv_id, 'W91' AS openalex_id, 't' AS title,
         NULL::VARCHAR AS abstract, 2024 AS year, NULL::DATE AS published_on, NULL::VARCHAR AS venue, ['a'] AS authors, []::VARCHAR[] AS institutions,
         ['KH'] AS institution_countries, []::VARCHAR[] AS topics, 'en' AS language, NULL::BOOLEAN AS open_access, NULL::VARCHAR AS oa_status, 0 AS cited_by,
         'https://openalex.org/W91' AS url, 'openalex' AS source_id, '${shaB}' AS snapshot_sha256, TIMESTAMPTZ '${at}' AS retrieved_at, 'h' AS row_hash
         FROM range(2)`,
      "publications",
    );
    // Sound keys, but a column the warehouse expects is missing: only the merge itself finds out.
    const broken = await handWrittenStage(
      "sheet",
      `SELECT 'X.Y' AS indicator_code, 'KHM' AS country_iso3, '2020' AS period, 1.0 AS value, 'sheet' AS source_id, '${shaB}' AS snapshot_sha256,
         TIMESTAMPTZ '${at}' AS retrieved_at, 'h' AS row_hash`,
      "observations",
    );
    const file = path.join(temp.dir(), "w.duckdb");
    const counts = await withWarehouse(file, (db) =>
      loadStages(db, {
        runId: "r1",
        loadedAt: at,
        sources: [sourceRow("wb", "indicator"), sourceRow("openalex", "publication"), sourceRow("sheet", "indicator")],
        reports: [dup.report, wb.report, broken.report],
        manifests: new Map([
          ["wb", wb.manifest],
          ["openalex", dup.manifest],
          ["sheet", broken.manifest],
        ]),
      }),
    );
    expect(counts.wb).toEqual({ newRows: 2, updatedRows: 0 });
    expect(counts.openalex.error).toBe("staged publications repeats key(s) openalex/openalex:W91 (2 times)");
    expect(counts.sheet.error).toMatch(/^its stage could not be loaded: .*source_url/);
    // Nothing of the set-aside sources is in the warehouse, and all of the sound one is.
    const facts = await withWarehouse(file, async (db) => ({
      observations: await queryRows(db, "SELECT source_id, period, value FROM observations ORDER BY source_id, period"),
      publications: await queryRows(db, "SELECT count(*)::INTEGER AS n FROM publications"),
      snapshots: await queryRows(db, "SELECT source_id FROM snapshots ORDER BY source_id"),
      runs: await queryRows(db, "SELECT source_id, status, message FROM fetch_runs ORDER BY source_id"),
    }));
    expect(facts.observations).toEqual([
      { source_id: "wb", period: "2023", value: 17 },
      { source_id: "wb", period: "2024", value: 18 },
    ]);
    expect(facts.publications).toEqual([{ n: 0 }]);
    expect(facts.snapshots).toEqual([{ source_id: "wb" }]);
    expect(facts.runs).toEqual([
      {
        source_id: "openalex",
        status: "failed",
        message: "openalex: set aside at the load: staged publications repeats key(s) openalex/openalex:W91 (2 times)",
      },
      {
        source_id: "sheet",
        status: "failed",
        message: expect.stringMatching(/^sheet: set aside at the load: its stage could not be loaded/),
      },
      { source_id: "wb", status: "ok", message: null },
    ]);
  });
});
