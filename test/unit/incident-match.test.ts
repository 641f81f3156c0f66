import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { loadStages, type RunReport, type SourceRow } from "../../warehouse/load.js";
import { describeReview, pendingReviews, recordReviewDecision } from "../../warehouse/review.js";
import { readStage, writeStage } from "../../warehouse/staging.js";
import { repoRoot, testAnalysts } from "../helpers.js";

let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-match-unit-"));
  team = await testAnalysts(dir, { sokha: "analyst" });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sourceRow = (source_id: string, parser: string): SourceRow => ({
  source_id,
  title: source_id,
  kind: "incident",
  parser,
  urls: ["https://example.org/"],
  cadence: "manual",
  licence: "CC BY 4.0",
  attribution: "test",
  enabled: true,
});
const incident = (key: string, id: string, on: string, title: string, description: string, urls: string[] = []) => ({
  incident_key: key,
  source_incident_id: id,
  occurred_on: on,
  date_precision: "day",
  title,
  description,
  deployers: [],
  developers: [],
  harmed_parties: [],
  harm_types: [],
  sector: null,
  severity: null,
  province: null,
  status: "published",
  report_urls: urls,
});

// The analysts' entry and AIID's record of the same June 2025 deepfake (texts abridged from both sources),
// and an unrelated AIID record of the same month.
const stages = {
  sheet: [
    incident(
      "sheet:hun-sen-deepfake-war-appeal",
      "hun-sen-deepfake-war-appeal",
      "2025-06-01",
      "Deepfake of Senate President Hun Sen asks the public for money for a war with Thailand",
      "Real footage of Hun Sen at a meeting in Preah Vihear on 27 June was given AI-altered audio so that he appeared to ask the public for " +
        "money for a war with Thailand.",
      ["https://poste-kh.com/news/2025-07-02-7546"],
    ),
  ],
  aiid: [
    incident(
      "aiid:1127",
      "1127",
      "2025-06-27",
      "Purported AI-Generated Audio Clip Allegedly Portrays Cambodian Senate President Hun Sen Raising Money for Conflict with Thailand",
      "A video surfaced in late June 2025 reportedly depicting Cambodian Senate President (and former Prime Minister) Hun Sen asking for " +
        "money to fund a war against Thailand.",
    ),
    incident(
      "aiid:1120",
      "1120",
      "2025-06-20",
      "Chatbot gives wrong tax advice to small businesses",
      "A tax office chatbot gave wrong answers.",
    ),
  ],
};

async function load(db: DuckDBConnection) {
  const reports: RunReport[] = [];
  const manifests = new Map();
  for (const [sourceId, rows] of Object.entries(stages)) {
    const prov = { source_id: sourceId, snapshot_sha256: "c".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" };
    const stageDir = path.join(dir, "staged", sourceId);
    await writeStage(
      stageDir,
      sourceId,
      { incidents: rows.map((r) => ({ ...r, ...prov })) },
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
    manifests.set(sourceId, await readStage(stageDir));
    reports.push({ sourceId, status: "ok", fetched: 1, records: rows.length, rejected: 0, fromSnapshot: true, stageDir });
  }
  await loadStages(db, {
    runId: "run-1",
    loadedAt: "2026-01-01T00:00:00Z",
    sources: [sourceRow("sheet", "incident-sheet"), sourceRow("aiid", "aiid-snapshot")],
    reports,
    manifests,
    taxonomyFile: path.join(repoRoot, "sources", "taxonomy.yaml"),
  });
}

const publicKeys = async (db: DuckDBConnection) =>
  (await queryRows(db, "SELECT incident_key FROM v_incidents_public ORDER BY incident_key")).map((r) => r.incident_key);
const matchKey = "sheet:hun-sen-deepfake-war-appeal|aiid:1127";

describe("one incident known to two sources", () => {
  it("opens a match review for the likely pair only, and never shows the pair twice while it waits", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await load(db);
      expect((await pendingReviews(db)).filter((r) => r.kind === "match")).toEqual([{ kind: "match", key: matchKey, sourceId: "aiid" }]);
      expect(await publicKeys(db)).toEqual(["aiid:1120", "sheet:hun-sen-deepfake-war-appeal"]);
      const item = await describeReview(db, { kind: "match", key: matchKey });
      expect(item).toMatchObject({ url: "https://incidentdatabase.ai/cite/1127", relatedIncident: "sheet:hun-sen-deepfake-war-appeal" });
    });
  });

  it("publishes an approved match as the analysts' incident citing both, and keeps the decision across runs", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await load(db);
      const ref = { kind: "match" as const, key: matchKey };
      await recordReviewDecision(db, ref, team.decision("sokha", ref, "approve", "Same clip, same week"), {
        analysts: team.store,
        now: () => new Date("2026-01-02T00:00:00Z"),
      });
      await load(db);
      expect((await pendingReviews(db)).filter((r) => r.kind === "match")).toEqual([]);
      const [one] = await queryRows(
        db,
        "SELECT report_urls, also_recorded_as FROM v_incidents_public WHERE incident_key = 'sheet:hun-sen-deepfake-war-appeal'",
      );
      expect(one.also_recorded_as).toEqual(["aiid:1127"]);
      expect(one.report_urls).toEqual(
        expect.arrayContaining(["https://poste-kh.com/news/2025-07-02-7546", "https://incidentdatabase.ai/cite/1127"]),
      );
      expect(await publicKeys(db)).toEqual(["aiid:1120", "sheet:hun-sen-deepfake-war-appeal"]);
      const [log] = await queryRows(db, "SELECT actor, target_key, field, new_value FROM curation_log WHERE action = 'review_approve'");
      expect(log).toEqual({
        actor: "analyst:sokha",
        target_key: "sheet:hun-sen-deepfake-war-appeal",
        field: "matched",
        new_value: "one incident with sheet:hun-sen-deepfake-war-appeal",
      });
    });
  });

  it("shows both records once an analyst rejects the match", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await load(db);
      const ref = { kind: "match" as const, key: matchKey };
      await recordReviewDecision(db, ref, team.decision("sokha", ref, "reject", "Different clips"), {
        analysts: team.store,
        now: () => new Date("2026-01-02T00:00:00Z"),
      });
      expect(await publicKeys(db)).toEqual(["aiid:1120", "aiid:1127", "sheet:hun-sen-deepfake-war-appeal"]);
    });
  });
});
