import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CurationInputError } from "../../warehouse/curation.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport, type SourceRow } from "../../warehouse/load.js";
import { loadQualityRules, runQualityChecks } from "../../warehouse/quality.js";
import { describeReview, parseReviewId, pendingReviews, recordedDecision, recordReviewDecision, reviewId } from "../../warehouse/review.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { repoRoot, testClock } from "../helpers.js";
import { durationMs, loadConfig } from "../../temporal.config.js";
import { escapeHtml, sameSecret } from "../../scripts/lib/console-server.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2026-01-05T09:00:00Z") };

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-review-unit-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const sourceRow = (source_id: string, kind: string, parser = "test"): SourceRow => ({
  source_id, title: source_id, kind, parser, urls: ["https://example.org/"], cadence: "daily", licence: "CC BY 4.0", attribution: "test", enabled: true,
});
const sources = [sourceRow("wb", "indicator"), sourceRow("sheet", "indicator", "indicator-sheet"), sourceRow("feed", "news")];
const at = (iso: string) => ({ now: () => new Date(iso) });

async function load(db: DuckDBConnection, runId: string) {
  const stages = {
    wb: {
      indicators: [{ indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, source_note: null }],
      // 17 people: a unit slip the range rule (1-100 million for KHM) catches.
      observations: [{ indicator_code: "SP.POP.TOTL", country_iso3: "KHM", period: "2024", value: 17, source_url: "https://data.worldbank.org/" }],
    },
    sheet: {
      indicators: [{ indicator_code: "RAM.GERD.PCT_GDP", name: "R&D expenditure", unit: "% of GDP", source_note: null }],
      observations: [{ indicator_code: "RAM.GERD.PCT_GDP", country_iso3: "KHM", period: "2025", value: 0.09, source_url: "https://example.org/ram.pdf#page=31" }],
    },
    feed: {
      news_items: [
        { item_key: "https://news.example/a", canonical_url: "https://news.example/a", title: "Deepfake video of minister used in online scam", summary: "Police warn about a deepfake.", published_at: "2025-07-02T08:00:00Z", outlet: "x", language: "en", categories: [], kind: "news" },
        { item_key: "https://news.example/b", canonical_url: "https://news.example/b", title: "Deepfake video of minister used in online scam, police say", summary: null, published_at: "2025-07-03T08:00:00Z", outlet: "y", language: "en", categories: [], kind: "news" },
      ],
    },
  };
  const reports: RunReport[] = [];
  const manifests = new Map();
  for (const [sourceId, rows] of Object.entries(stages)) {
    const prov = { source_id: sourceId, snapshot_sha256: "b".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
    const withProv = Object.fromEntries(Object.entries(rows).map(([t, rs]) => [t, (rs as Array<Record<string, unknown>>).map((r) => ({ ...r, ...prov }))]));
    const stageDir = path.join(dir, "staged", runId, sourceId);
    await writeStage(stageDir, sourceId, withProv, [{ url: "https://example.org/", sha256: prov.snapshot_sha256, status: 200, retrievedAt: prov.retrieved_at, bytes: 1, origin: "snapshot" }], []);
    manifests.set(sourceId, await readStage(stageDir));
    reports.push({ sourceId, status: "ok", fetched: 1, records: 1, rejected: 0, fromSnapshot: true, stageDir });
  }
  await loadStages(db, { runId, loadedAt: "2026-01-01T00:00:00Z", sources, reports, manifests, taxonomyFile });
}

const warehouse = () => path.join(dir, "w.duckdb");
const rules = () => loadQualityRules(path.join(repoRoot, "warehouse", "quality-rules.yaml"));

describe("review decisions in the warehouse", () => {
  it("queues each candidate, sheet value and out-of-range value once, and drops an item from the queue once decided", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const pending = await pendingReviews(db, { rules: await rules() });
      expect(pending).toEqual([
        { kind: "incident", key: "news:https://news.example/a", sourceId: "feed" },
        { kind: "incident", key: "news:https://news.example/b", sourceId: "feed" },
        { kind: "indicator", key: "sheet/RAM.GERD.PCT_GDP/KHM/2025=0.09", sourceId: "sheet" },
        { kind: "range", key: "wb/SP.POP.TOTL/KHM/2024=17", sourceId: "wb" },
      ]);
      expect(parseReviewId(reviewId("indicator", pending[2].key))).toEqual({ kind: pending[2].kind, key: pending[2].key });
      const rangeCheck = async (runId: string) =>
        (await runQualityChecks(db, { runId, checkedAt: "2026-01-01T00:00:00Z", rulesFile: path.join(repoRoot, "warehouse", "quality-rules.yaml"), cadences: {} })).results.find(
          (r) => r.check === "range/SP.POP.TOTL",
        );
      expect(await rangeCheck("before")).toMatchObject({ status: "fail", severity: "error", count: 1 });
      await recordReviewDecision(db, pending[3], { action: "approve", by: "analyst:dara", reason: "the source really says 17 (thousands); accepted pending its fix" }, clock);
      // The analyst accepted exactly this value: it no longer blocks the export.
      expect(await rangeCheck("after")).toMatchObject({ status: "pass", count: 0 });
      expect((await pendingReviews(db, { rules: await rules() })).map((p) => p.kind)).toEqual(["incident", "incident", "indicator"]);
    });
  });

  it("publishes an approved candidate with its classification, attaches a later report of the same story as an update, and a new run overwrites neither", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const a = { kind: "incident" as const, key: "news:https://news.example/a" };
      const b = { kind: "incident" as const, key: "news:https://news.example/b" };
      const proposal = (await describeReview(db, a)).proposal;
      expect(proposal.harm_types.split(",")).toContain("deepfake");
      const receipt = await recordReviewDecision(
        db,
        a,
        { action: "approve", by: "analyst:sokha", reason: "confirmed with the police statement", fields: { severity: "high", province: "Phnom Penh", affected_groups: "public officials" } },
        at("2026-02-01T00:00:00Z"),
      );
      expect(receipt.effect).toBe("published as incident review:news:https://news.example/a");
      expect((await describeReview(db, b)).relatedIncident).toBe("review:news:https://news.example/a");
      await recordReviewDecision(db, b, { action: "approve", by: "analyst:sokha", reason: "a second outlet's report", fields: { attach_to: "review:news:https://news.example/a" } }, at("2026-02-02T00:00:00Z"));

      const published = async () =>
        queryRows(db, "SELECT incident_key, severity, province, harmed_parties, report_urls, occurred_on::VARCHAR AS occurred_on FROM v_incidents_public");
      const expected = [
        {
          incident_key: "review:news:https://news.example/a",
          severity: "high",
          province: "Phnom Penh",
          harmed_parties: ["public officials"],
          report_urls: ["https://news.example/a", "https://news.example/b"],
          occurred_on: "2025-07-02",
        },
      ];
      expect(await published()).toEqual(expected);
      const log = await queryRows(db, "SELECT actor, action, target_kind, target_key, reason FROM curation_log ORDER BY log_id");
      expect(log).toEqual([
        { actor: "analyst:sokha", action: "review_approve", target_kind: "incident", target_key: "review:news:https://news.example/a", reason: "confirmed with the police statement" },
        { actor: "analyst:sokha", action: "review_approve", target_kind: "incident", target_key: "review:news:https://news.example/a", reason: "a second outlet's report" },
      ]);

      await load(db, "run-2");
      expect(await published()).toEqual(expected);
      expect((await pendingReviews(db)).filter((p) => p.kind === "incident")).toEqual([]);
    });
  });

  it("hides a rejected candidate for good, and an edited sheet value publishes the analyst's figure in place of the sheet's", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      await recordReviewDecision(db, { kind: "incident", key: "news:https://news.example/a" }, { action: "reject", by: "analyst:dara", reason: "a drill, not an incident" }, clock);
      await load(db, "run-2");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_incidents_public")).toEqual([{ n: 0 }]);
      expect(await queryRows(db, "SELECT review_status FROM incident_candidates WHERE candidate_key = 'news:https://news.example/a'")).toEqual([{ review_status: "rejected" }]);

      await recordReviewDecision(db, { kind: "indicator", key: "sheet/RAM.GERD.PCT_GDP/KHM/2025=0.09" }, { action: "edit", by: "analyst:dara", reason: "the report's table says 0.1", fields: { value: "0.1" } }, clock);
      expect(await queryRows(db, "SELECT value, value_source FROM v_observations_current WHERE indicator_code = 'RAM.GERD.PCT_GDP'")).toEqual([{ value: 0.1, value_source: "analyst" }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_observations_published WHERE source_id = 'sheet'")).toEqual([{ n: 0 }]);
      expect((await queryRows(db, "SELECT action FROM curation_log ORDER BY log_id")).map((r) => r.action)).toEqual(["review_reject", "review_edit", "curate_observation"]);
    });
  });

  it("refuses a wrong decision naming the field, and writes nothing for it", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const ref = { kind: "incident" as const, key: "news:https://news.example/a" };
      const refusal = (p: Promise<unknown>) => p.then(() => "written", (e: unknown) => (e instanceof CurationInputError ? e.field : String(e)));
      expect(await refusal(recordReviewDecision(db, ref, { action: "approve", by: "a", reason: "r", fields: { colour: "red" } }, clock))).toBe("fields.colour");
      expect(await refusal(recordReviewDecision(db, ref, { action: "edit", by: "a", reason: "r" }, clock))).toBe("fields");
      expect(await refusal(recordReviewDecision(db, ref, { action: "approve", by: "a", reason: " " }, clock))).toBe("reason");
      expect(await refusal(recordReviewDecision(db, ref, { action: "approve", by: "a", reason: "r", fields: { attach_to: "aiid:404" } }, clock))).toBe("fields.attach_to");
      expect(await refusal(recordReviewDecision(db, ref, { action: "approve", by: "a", reason: "r", fields: { severity: "catastrophic" } }, clock))).toBe("fields.severity");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM curation_log")).toEqual([{ n: 0 }]);
      expect(await recordedDecision(db, ref)).toBeUndefined();
      const first = await recordReviewDecision(db, ref, { action: "reject", by: "a", reason: "r" }, clock);
      // What the decision activity hands a retry of an attempt that had already committed.
      expect(await recordedDecision(db, ref)).toMatchObject({ logId: first.logId, decision: "reject", by: "a" });
      expect(await refusal(recordReviewDecision(db, ref, { action: "approve", by: "b", reason: "r" }, clock))).toBe("reviewId");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM curation_log")).toEqual([{ n: 1 }]);
    });
  });
});

describe("review settings and console helpers", () => {
  it("reads review timers from the environment, refusing an escalation that comes before the reminder", () => {
    expect(loadConfig({}).review).toMatchObject({ remindAfterMs: 3 * 86_400_000, escalateAfterMs: 7 * 86_400_000 });
    expect(loadConfig({ OBSERVATORY_REVIEW_REMIND_AFTER: "90s", OBSERVATORY_REVIEW_ESCALATE_AFTER: "2h" }).review).toMatchObject({ remindAfterMs: 90_000, escalateAfterMs: 7_200_000 });
    expect(() => loadConfig({ OBSERVATORY_REVIEW_REMIND_AFTER: "2d", OBSERVATORY_REVIEW_ESCALATE_AFTER: "1d" })).toThrow(/ESCALATE_AFTER \(1d\) must be longer/);
    expect(() => durationMs("OBSERVATORY_REVIEW_REMIND_AFTER", "soon")).toThrow(/OBSERVATORY_REVIEW_REMIND_AFTER must be a positive duration/);
    expect(loadConfig({}).console).toEqual({ host: "127.0.0.1", port: 8340, token: undefined });
  });

  it("escapes scraped text for the console and compares tokens whatever their lengths", () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe("&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
    expect(sameSecret("a-long-console-token", "a-long-console-token")).toBe(true);
    expect(sameSecret("a-long-console-token", "a-long-console-tokem")).toBe(false);
    expect(sameSecret("short", "a-long-console-token")).toBe(false);
  });
});
