import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDocumentList } from "../../sources/document-list.js";
import { parseIndicatorSheet } from "../../sources/indicator-sheet.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport, type SourceRow } from "../../warehouse/load.js";
import { observationReviewKey, pendingReviews, recordReviewDecision } from "../../warehouse/review.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { repoRoot, testAnalysts } from "../helpers.js";

let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-figures-unit-"));
  team = await testAnalysts(dir, { sokha: "analyst" });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sourceRow = (source_id: string, parser: string): SourceRow => ({
  source_id,
  title: source_id,
  kind: "indicator",
  parser,
  urls: ["repo:x"],
  cadence: "manual",
  licence: "CC BY 4.0",
  attribution: "test",
  enabled: true,
});

/** The shipped sheet and documents list, parsed by their parsers and loaded. */
async function load(db: DuckDBConnection) {
  const read = (f: string) => fs.readFile(path.join(repoRoot, "sources", "curated", f));
  const parsed = {
    "indicator-sheet": parseIndicatorSheet({
      sourceId: "indicator-sheet",
      url: "repo:sources/curated/indicators.csv",
      body: await read("indicators.csv"),
    }).rows,
    documents: parseDocumentList({ sourceId: "documents", url: "repo:sources/curated/documents.yaml", body: await read("documents.yaml") })
      .rows,
  };
  const reports: RunReport[] = [];
  const manifests = new Map();
  for (const [sourceId, rows] of Object.entries(parsed)) {
    const prov = { source_id: sourceId, snapshot_sha256: "d".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
    const withProv = Object.fromEntries(
      Object.entries(rows).map(([t, rs]) => [t, (rs as Array<Record<string, unknown>>).map((r) => ({ ...r, ...prov }))]),
    );
    const stageDir = path.join(dir, "staged", sourceId);
    await writeStage(
      stageDir,
      sourceId,
      withProv,
      [{ url: "repo:x", sha256: prov.snapshot_sha256, status: 200, retrievedAt: prov.retrieved_at, bytes: 1, origin: "repo" }],
      [],
    );
    manifests.set(sourceId, await readStage(stageDir));
    reports.push({ sourceId, status: "ok", fetched: 1, records: 1, rejected: 0, fromSnapshot: false, stageDir });
  }
  await loadStages(db, {
    runId: "run-1",
    loadedAt: "2026-01-01T00:00:00Z",
    sources: [sourceRow("indicator-sheet", "indicator-sheet"), sourceRow("documents", "document-list")],
    reports,
    manifests,
    taxonomyFile: path.join(repoRoot, "sources", "taxonomy.yaml"),
  });
}

const approve = async (db: DuckDBConnection, code: string, period: string, value: number) => {
  const ref = {
    kind: "indicator" as const,
    key: observationReviewKey({ sourceId: "indicator-sheet", indicatorCode: code, countryIso3: "KHM", period, value }),
  };
  return recordReviewDecision(db, ref, team.decision("sokha", ref, "approve", "Checked against the document"), {
    analysts: team.store,
    now: () => new Date("2026-01-02T00:00:00Z"),
  });
};

describe("the strategy's and the assessment's own figures", () => {
  it("wait for review, then publish with their document, targets with progress where a value exists", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await load(db);
      expect(await queryRows(db, "SELECT * FROM v_strategy_figures")).toEqual([]);
      expect((await pendingReviews(db)).filter((r) => r.kind === "indicator")).toHaveLength(12);
      await approve(db, "MPTC.KHMER_LLM.TOKENS_TARGET", "2024", 2_000_000_000);
      const [unmet] = await queryRows(
        db,
        "SELECT figure_kind, progress_value, document_not_online, document_title FROM v_strategy_figures",
      );
      // The value behind the target is not approved yet, so no progress is shown.
      expect(unmet).toEqual({
        figure_kind: "target",
        progress_value: null,
        document_not_online: true,
        document_title: "Current Status of AI Development under Ministry of Post and Telecommunications (MPTC)",
      });
      await approve(db, "MPTC.KHMER_LLM.TOKENS_COLLECTED", "2024", 500_000_000);
      await approve(db, "NAIS.TARGET.AI_TALENTS", "2027", 1000);
      await approve(db, "RAM.IMPL.MINISTRIES", "2025", 26);
      const rows = await queryRows(
        db,
        "SELECT indicator_code, figure_kind, due_year, nais_measure, progress_pct, document_not_online, document_section FROM v_strategy_figures " +
          "ORDER BY indicator_code",
      );
      expect(rows).toEqual([
        {
          indicator_code: "MPTC.KHMER_LLM.TOKENS_COLLECTED",
          figure_kind: "value",
          due_year: null,
          nais_measure: null,
          progress_pct: null,
          document_not_online: true,
          document_section: expect.stringContaining("slide"),
        },
        {
          indicator_code: "MPTC.KHMER_LLM.TOKENS_TARGET",
          figure_kind: "target",
          due_year: null,
          nais_measure: null,
          progress_pct: 25,
          document_not_online: true,
          document_section: expect.stringContaining("slide"),
        },
        {
          indicator_code: "NAIS.TARGET.AI_TALENTS",
          figure_kind: "target",
          due_year: 2027,
          nais_measure: "1.2",
          progress_pct: null,
          document_not_online: true,
          document_section: expect.stringContaining("measure 1.2"),
        },
        {
          indicator_code: "RAM.IMPL.MINISTRIES",
          figure_kind: "value",
          due_year: null,
          nais_measure: null,
          progress_pct: null,
          document_not_online: false,
          document_section: "The Implementation of RAM in Cambodia",
        },
      ]);
    });
  });
});
