import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { beforeEach, describe, expect, it } from "vitest";
import { CurationInputError } from "../../warehouse/curation.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import type { SourceRow } from "../../warehouse/load.js";
import { loadQualityRules, runQualityChecks } from "../../warehouse/quality.js";
import { describeReview, parseReviewId, pendingReviews, recordedDecision, recordReviewDecision, reviewId } from "../../warehouse/review.js";
import { repoRoot, stageAndLoad, testAnalysts, testClock, withTempWarehouse } from "../helpers.js";
import { signProposal } from "../../activities/analysts.js";
import { registerIntakeReport } from "../../warehouse/intake.js";
import { durationMs, loadConfig } from "../../temporal.config.js";
import { escapeHtml, sameSecret } from "../../scripts/lib/console-server.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2026-01-05T09:00:00Z") };

const temp = withTempWarehouse("observatory-review-unit-");
let team: Awaited<ReturnType<typeof testAnalysts>>;
beforeEach(async () => {
  team = await testAnalysts(temp.dir(), { dara: "analyst", sokha: "analyst", vanna: "editor" });
});

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const sourceRow = (source_id: string, kind: string, parser = "test"): SourceRow => ({
  source_id,
  title: source_id,
  kind,
  parser,
  urls: ["https://example.org/"],
  cadence: "daily",
  licence: "CC BY 4.0",
  attribution: "test",
  enabled: true,
});
const sources = [sourceRow("wb", "indicator"), sourceRow("sheet", "indicator", "indicator-sheet"), sourceRow("feed", "news")];
const at = (iso: string) => ({ now: () => new Date(iso), analysts: team.store });
const signedBy = () => ({ analysts: team.store, ...clock });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => "written",
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );

async function load(db: DuckDBConnection, runId: string) {
  const stages = {
    wb: {
      indicators: [{ indicator_code: "SP.POP.TOTL", name: "Population, total", unit: null, source_note: null }],
      // 17 people: a unit slip the range rule (1-100 million for KHM) catches.
      observations: [
        { indicator_code: "SP.POP.TOTL", country_iso3: "KHM", period: "2024", value: 17, source_url: "https://data.worldbank.org/" },
      ],
    },
    sheet: {
      indicators: [{ indicator_code: "RAM.GERD.PCT_GDP", name: "R&D expenditure", unit: "% of GDP", source_note: null }],
      observations: [
        {
          indicator_code: "RAM.GERD.PCT_GDP",
          country_iso3: "KHM",
          period: "2025",
          value: 0.09,
          source_url: "https://example.org/ram.pdf#page=31",
        },
      ],
    },
    feed: {
      news_items: [
        {
          item_key: "https://news.example/a",
          canonical_url: "https://news.example/a",
          title: "Deepfake video of minister used in online scam",
          summary: "Police warn about a deepfake.",
          published_at: "2025-07-02T08:00:00Z",
          outlet: "x",
          language: "en",
          categories: [],
          kind: "news",
        },
        {
          item_key: "https://news.example/b",
          canonical_url: "https://news.example/b",
          title: "Deepfake video of minister used in online scam, police say",
          summary: null,
          published_at: "2025-07-03T08:00:00Z",
          outlet: "y",
          language: "en",
          categories: [],
          kind: "news",
        },
      ],
    },
  };
  await stageAndLoad(db, temp.dir(), {
    runId,
    loadedAt: "2026-01-01T00:00:00Z",
    sources,
    taxonomyFile,
    stages: Object.entries(stages).map(([sourceId, rows]) => ({ sourceId, rows })),
  });
}

const warehouse = temp.warehouse;
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
        (
          await runQualityChecks(db, {
            runId,
            checkedAt: "2026-01-01T00:00:00Z",
            rulesFile: path.join(repoRoot, "warehouse", "quality-rules.yaml"),
            cadences: {},
          })
        ).results.find((r) => r.check === "range/SP.POP.TOTL");
      expect(await rangeCheck("before")).toMatchObject({ status: "fail", severity: "error", count: 1 });
      await recordReviewDecision(
        db,
        pending[3],
        team.decision("dara", pending[3], "approve", "the source really says 17 (thousands); accepted pending its fix"),
        signedBy(),
      );
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
        team.decision("sokha", a, "approve", "confirmed with the police statement", {
          severity: "high",
          province: "Phnom Penh",
          affected_groups: "public officials",
        }),
        at("2026-02-01T00:00:00Z"),
      );
      expect(receipt.effect).toBe("published as incident review:news:https://news.example/a");
      expect((await describeReview(db, b)).relatedIncident).toBe("review:news:https://news.example/a");
      await recordReviewDecision(
        db,
        b,
        team.decision("sokha", b, "approve", "a second outlet's report", { attach_to: "review:news:https://news.example/a" }),
        at("2026-02-02T00:00:00Z"),
      );

      const published = async () =>
        queryRows(
          db,
          "SELECT incident_key, severity, province, harmed_parties, report_urls, occurred_on::VARCHAR AS occurred_on FROM v_incidents_public",
        );
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
        {
          actor: "analyst:sokha",
          action: "review_approve",
          target_kind: "incident",
          target_key: "review:news:https://news.example/a",
          reason: "confirmed with the police statement",
        },
        {
          actor: "analyst:sokha",
          action: "review_approve",
          target_kind: "incident",
          target_key: "review:news:https://news.example/a",
          reason: "a second outlet's report",
        },
      ]);

      await load(db, "run-2");
      expect(await published()).toEqual(expected);
      expect((await pendingReviews(db)).filter((p) => p.kind === "incident")).toEqual([]);
    });
  });

  it("hides a rejected candidate for good, and an edited sheet value publishes the analyst's figure in place of the sheet's", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const candidate = { kind: "incident" as const, key: "news:https://news.example/a" };
      await recordReviewDecision(db, candidate, team.decision("dara", candidate, "reject", "a drill, not an incident"), signedBy());
      await load(db, "run-2");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_incidents_public")).toEqual([{ n: 0 }]);
      expect(
        await queryRows(db, "SELECT review_status FROM incident_candidates WHERE candidate_key = 'news:https://news.example/a'"),
      ).toEqual([{ review_status: "rejected" }]);

      // An analyst's own figure needs a second analyst: the edit is an amendment until sokha approves it.
      const sheet = { kind: "indicator" as const, key: "sheet/RAM.GERD.PCT_GDP/KHM/2025=0.09" };
      const amendment = await recordReviewDecision(
        db,
        sheet,
        team.decision("dara", sheet, "edit", "the report's table says 0.1", { value: "0.1" }),
        signedBy(),
      );
      expect(amendment.amended).toMatchObject({ value: "0.1" });
      expect(
        await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_observations_current WHERE indicator_code = 'RAM.GERD.PCT_GDP'"),
      ).toEqual([{ n: 0 }]);
      await recordReviewDecision(db, sheet, team.decision("sokha", sheet, "approve", "checked the table too"), signedBy());
      expect(
        await queryRows(db, "SELECT value, value_source FROM v_observations_current WHERE indicator_code = 'RAM.GERD.PCT_GDP'"),
      ).toEqual([{ value: 0.1, value_source: "analyst" }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM v_observations_published WHERE source_id = 'sheet'")).toEqual([
        { n: 0 },
      ]);
      expect((await queryRows(db, "SELECT action FROM curation_log ORDER BY log_id")).map((r) => r.action)).toEqual([
        "review_reject",
        "review_amend",
        "review_approve",
        "curate_observation",
      ]);
    });
  });

  it("refuses a wrong decision naming the field, and writes nothing for it", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const ref = { kind: "incident" as const, key: "news:https://news.example/a" };
      const refusal = (p: Promise<unknown>) =>
        p.then(
          () => "written",
          (e: unknown) => (e instanceof CurationInputError ? e.field : String(e)),
        );
      const as = (action: "approve" | "reject" | "edit", reason: string, fields?: Record<string, string>, name = "dara") =>
        recordReviewDecision(db, ref, team.decision(name, ref, action, reason, fields), signedBy());
      expect(await refusal(as("approve", "r", { colour: "red" }))).toBe("fields.colour");
      expect(await refusal(as("edit", "r"))).toBe("fields");
      expect(await refusal(as("approve", " "))).toBe("reason");
      expect(await refusal(as("approve", "r", { attach_to: "aiid:404" }))).toBe("fields.attach_to");
      expect(await refusal(as("approve", "r", { severity: "catastrophic" }))).toBe("fields.severity");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM curation_log")).toEqual([{ n: 0 }]);
      expect(await recordedDecision(db, ref)).toBeUndefined();
      const first = await as("reject", "r");
      // What the decision activity hands a retry of an attempt that had already committed.
      expect(await recordedDecision(db, ref)).toMatchObject({ logId: first.logId, decision: "reject", by: "analyst:dara" });
      expect(await refusal(as("approve", "r", undefined, "sokha"))).toBe("reviewId");
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM curation_log")).toEqual([{ n: 1 }]);
    });
  });
});

describe("accountable decisions: named analysts and four eyes", () => {
  const proposal = (name: string, id: string, fields: Record<string, string>) =>
    signProposal(team.signers[name], id, fields, new Date("2026-11-02T00:00:00Z"));
  // Measure 5.7 as the NAIS lists it (the incident response mechanism); the unit load carries no strategy.
  const addMeasure = (db: DuckDBConnection) =>
    db.run(
      `INSERT INTO strategy_measures (measure_id, priority_id, seq, text, timeframe, start_year, end_year, ongoing, lead_bodies, source_id, ` +
        `snapshot_sha256, retrieved_at, row_hash)
            VALUES ('5.7', 5, 7, 'Establish an AI incident response mechanism', '2026-2027', 2026, 2027, false, [], 'nais', '${"c".repeat(64)}', ` +
        `'2026-01-01T00:00:00Z', 'h')`,
    );

  it("refuses a decision under another analyst's name, a forged or moved signature and a disabled account, writing nothing", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const ref = { kind: "incident" as const, key: "news:https://news.example/a" };
      const other = { kind: "incident" as const, key: "news:https://news.example/b" };
      const daras = team.decision("dara", ref, "reject", "not an incident");
      // Mallory types Sokha's name over Dara's signature: the proof is Dara's, so it is not Sokha's decision.
      expect(await refusal(recordReviewDecision(db, ref, { ...daras, by: "analyst:sokha" }, signedBy()))).toMatch(
        /not signed with analyst:sokha's token/,
      );
      expect(await refusal(recordReviewDecision(db, ref, { ...daras, proof: undefined }, signedBy()))).toMatch(
        /not signed with analyst:dara's token/,
      );
      expect(await refusal(recordReviewDecision(db, ref, { ...daras, reason: "a different reason" }, signedBy()))).toMatch(/not signed/);
      // A signature made for one review does not carry over to another.
      expect(await refusal(recordReviewDecision(db, other, daras, signedBy()))).toMatch(/not signed/);
      expect(await refusal(recordReviewDecision(db, ref, { ...daras, by: "analyst:mallory" }, signedBy()))).toMatch(
        /analyst:mallory is not an analyst account/,
      );
      expect(await refusal(recordReviewDecision(db, ref, { ...daras, by: "sokha" }, signedBy()))).toMatch(/not an analyst identity/);
      await team.store.disable("dara");
      expect(await refusal(recordReviewDecision(db, ref, daras, signedBy()))).toMatch(/analyst:dara is disabled/);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM curation_log")).toEqual([{ n: 0 }]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM review_decisions")).toEqual([{ n: 0 }]);
    });
  });

  it("refuses self-approval of a proposed measure status, of one's own amendment, and of an unsigned or forged proposal; another analyst's approval records the proposer", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      await addMeasure(db);
      const [m] = await queryRows(db, "SELECT measure_id FROM strategy_measures ORDER BY measure_id LIMIT 1");
      expect(m, "the load brings the NAIS measures").toBeDefined();
      const measureId = String(m.measure_id);
      const ref = { kind: "measure" as const, key: `${measureId}/2026-11-01` };
      const id = reviewId(ref.kind, ref.key);
      const fields = { status: "done", as_of: "2026-11-01", note: "Adopted", evidence: "https://example.org/evidence" };
      const signed = proposal("dara", id, fields);
      const decide = (
        name: string,
        action: "approve" | "reject" | "edit",
        reason: string,
        set?: Record<string, string>,
        p: Record<string, string> = signed,
      ) =>
        recordReviewDecision(db, ref, team.decision(name, ref, action, reason, set), {
          analysts: team.store,
          proposal: p,
          now: () => new Date("2026-11-03T00:00:00Z"),
        });

      expect(await refusal(decide("dara", "approve", "I proposed it"))).toMatch(/four eyes: analyst:dara proposed this measure review/);
      expect(await refusal(decide("sokha", "approve", "ok", undefined, fields))).toMatch(/names no signed proposer/);
      // Proposed in Sokha's name without Sokha's key: the proposer cannot be shifted to dodge the rule.
      expect(await refusal(decide("dara", "approve", "ok", undefined, { ...signed, proposed_by: "analyst:sokha" }))).toMatch(
        /proposal is not signed by its proposer/,
      );
      expect(await refusal(decide("sokha", "approve", "ok", undefined, { ...signed, status: "cancelled" }))).toMatch(
        /proposal is not signed by its proposer/,
      );
      // Sokha's change is an amendment: neither Sokha nor Dara may approve it now; Vanna can.
      const amended = await decide("sokha", "approve", "the decree is dated 2026-10-30", { as_of: "2026-10-30" });
      expect(amended.amended).toMatchObject({ status: "done", as_of: "2026-10-30" });
      expect(await refusal(decide("sokha", "approve", "looks right"))).toMatch(/four eyes: analyst:sokha amended this measure review/);
      expect(await refusal(decide("dara", "approve", "looks right"))).toMatch(/four eyes: analyst:dara proposed/);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM measure_status")).toEqual([{ n: 0 }]);
      const done = await decide("vanna", "approve", "decree checked");
      expect(done.effect).toBe(`measure ${measureId} recorded as done as of 2026-10-30`);
      expect(await queryRows(db, "SELECT status, as_of::VARCHAR AS as_of, recorded_by FROM measure_status")).toEqual([
        { status: "done", as_of: "2026-10-30", recorded_by: "analyst:vanna" },
      ]);
      expect(await queryRows(db, "SELECT action, proposed_by FROM review_proposals ORDER BY log_id")).toEqual([
        { action: "amend", proposed_by: "analyst:sokha" },
        { action: "propose", proposed_by: "analyst:dara" },
      ]);
      expect(await queryRows(db, "SELECT actor, action FROM curation_log ORDER BY log_id")).toEqual([
        { actor: "analyst:sokha", action: "review_amend" },
        { actor: "analyst:dara", action: "review_propose" },
        { actor: "analyst:vanna", action: "measure_status" },
      ]);
    });
  });

  it("lets the proposer withdraw (reject) a proposal, and refuses an analyst approving their own corrected figure", async () => {
    await withWarehouse(warehouse(), async (db) => {
      await load(db, "run-1");
      const sheet = { kind: "indicator" as const, key: "sheet/RAM.GERD.PCT_GDP/KHM/2025=0.09" };
      await recordReviewDecision(db, sheet, team.decision("dara", sheet, "approve", "the table says 0.1", { value: "0.1" }), signedBy());
      expect(await refusal(recordReviewDecision(db, sheet, team.decision("dara", sheet, "approve", "yes"), signedBy()))).toMatch(
        /four eyes: analyst:dara amended/,
      );
      // Approving with the same value it already has is no amendment: that is not a way around the rule.
      expect(
        await refusal(recordReviewDecision(db, sheet, team.decision("dara", sheet, "approve", "yes", { value: "0.1" }), signedBy())),
      ).toMatch(/four eyes/);
      await addMeasure(db);
      const [m] = await queryRows(db, "SELECT measure_id FROM strategy_measures ORDER BY measure_id LIMIT 1");
      const ref = { kind: "measure" as const, key: `${String(m.measure_id)}/2026-11-01` };
      const signed = proposal("dara", reviewId(ref.kind, ref.key), {
        status: "in_progress",
        as_of: "2026-11-01",
        note: "n",
        evidence: "https://example.org/e",
      });
      const withdrawn = await recordReviewDecision(db, ref, team.decision("dara", ref, "reject", "proposed too early"), {
        ...signedBy(),
        proposal: signed,
      });
      expect(withdrawn.effect).toContain("proposal rejected");
    });
  });
});

describe("public reports: review and status by tracking code", () => {
  it("shows received, under review, published as incident, and not accepted with the analyst's reason", async () => {
    await withWarehouse(warehouse(), async (db) => {
      const register = (code: string, what: string) =>
        registerIntakeReport(
          db,
          {
            trackingCode: code,
            receivedAt: "2026-05-02T03:00:00Z",
            what,
            province: "Kampot",
            occurred: "2026-04",
            links: ["https://example.org/a"],
            sha256: "d".repeat(64),
          },
          "2026-05-02T03:01:00Z",
        );
      await register("R-AAAA-0001", "A chatbot gave false flood warnings to farmers in Kampot, and people moved their cattle for nothing.");
      await register("R-AAAA-0002", "Someone said a robot stole their bicycle; it was a neighbour, not an AI system at all.");
      await register("R-AAAA-0002", "A retry of the registration changes nothing.");
      const status = () =>
        queryRows(
          db,
          "SELECT tracking_code, status, incident_key, public_reason, received_on::VARCHAR AS received_on FROM v_intake_status ORDER BY tracking_code",
        );
      expect((await status()).map((r) => r.status)).toEqual(["received", "received"]);

      const one = { kind: "report" as const, key: "R-AAAA-0001" };
      const two = { kind: "report" as const, key: "R-AAAA-0002" };
      const amended = await recordReviewDecision(
        db,
        one,
        team.decision("sokha", one, "edit", "classified", {
          title: "Chatbot's false flood warnings in Kampot",
          harm_types: "misinformation",
        }),
        signedBy(),
      );
      expect(amended.amended).toMatchObject({ title: "Chatbot's false flood warnings in Kampot", province: "Kampot" });
      expect(await refusal(recordReviewDecision(db, one, team.decision("sokha", one, "approve", "ok"), signedBy()))).toMatch(
        /four eyes: analyst:sokha amended this report review/,
      );
      await recordReviewDecision(
        db,
        two,
        team.decision("dara", two, "reject", "Not an AI system: the report describes a theft by a person."),
        signedBy(),
      );
      expect((await status()).map((r) => r.status)).toEqual(["under_review", "not_accepted"]);
      await recordReviewDecision(
        db,
        one,
        team.decision("dara", one, "approve", "the provincial office confirmed the warnings"),
        signedBy(),
      );
      expect(await status()).toEqual([
        {
          tracking_code: "R-AAAA-0001",
          status: "published",
          incident_key: "report:R-AAAA-0001",
          public_reason: null,
          received_on: "2026-05-02",
        },
        {
          tracking_code: "R-AAAA-0002",
          status: "not_accepted",
          incident_key: null,
          public_reason: "Not an AI system: the report describes a theft by a person.",
          received_on: "2026-05-02",
        },
      ]);
      expect(await queryRows(db, "SELECT incident_key, title, province, harm_types, source_id FROM v_incidents_public")).toEqual([
        {
          incident_key: "report:R-AAAA-0001",
          title: "Chatbot's false flood warnings in Kampot",
          province: "Kampot",
          harm_types: ["misinformation"],
          source_id: "public-intake",
        },
      ]);
    });
  });
});

describe("review settings and console helpers", () => {
  it("reads review timers from the environment, refusing an escalation that comes before the reminder", () => {
    expect(loadConfig({}).review).toMatchObject({ remindAfterMs: 3 * 86_400_000, escalateAfterMs: 7 * 86_400_000 });
    expect(loadConfig({ OBSERVATORY_REVIEW_REMIND_AFTER: "90s", OBSERVATORY_REVIEW_ESCALATE_AFTER: "2h" }).review).toMatchObject({
      remindAfterMs: 90_000,
      escalateAfterMs: 7_200_000,
    });
    expect(() => loadConfig({ OBSERVATORY_REVIEW_REMIND_AFTER: "2d", OBSERVATORY_REVIEW_ESCALATE_AFTER: "1d" })).toThrow(
      /ESCALATE_AFTER \(1d\) must be longer/,
    );
    expect(() => durationMs("OBSERVATORY_REVIEW_REMIND_AFTER", "soon")).toThrow(
      /OBSERVATORY_REVIEW_REMIND_AFTER must be a positive duration/,
    );
    expect(loadConfig({}).console).toEqual({ host: "127.0.0.1", port: 8340, publicHost: undefined });
  });

  it("escapes scraped text for the console and compares tokens whatever their lengths", () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe("&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
    expect(sameSecret("a-long-console-token", "a-long-console-token")).toBe(true);
    expect(sameSecret("a-long-console-token", "a-long-console-tokem")).toBe(false);
    expect(sameSecret("short", "a-long-console-token")).toBe(false);
  });
});
