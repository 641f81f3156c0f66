import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseIncidentSheet } from "../../sources/incident-sheet.js";
import { ParseError } from "../../sources/parser.js";
import { fixture, repoRoot } from "../helpers.js";

const SHEET = "repo:sources/curated/incidents.yaml";
const yaml = (text: string) => ({ sourceId: "incident-sheet", url: SHEET, body: new TextEncoder().encode(text) });

describe("Curated incident sheet", () => {
  it("loads the five press-reported incidents with no rejections, each with a public report URL", async () => {
    const body = await fs.readFile(path.join(repoRoot, "sources", "curated", "incidents.yaml"));
    const { rows, rejected } = parseIncidentSheet({ sourceId: "incident-sheet", url: SHEET, body });
    expect(rejected).toEqual([]);
    expect(rows.incidents).toHaveLength(5);
    for (const row of rows.incidents!) {
      expect(row.report_urls!.length).toBeGreaterThan(0);
      expect(row.report_urls!.every((u) => u.startsWith("https://"))).toBe(true);
      expect(row).toMatchObject({ status: "reported", severity: null, sector: null });
    }
    expect(rows.incidents!.find((r) => r.source_incident_id === "hun-sen-deepfake-war-appeal")).toMatchObject({
      incident_key: "sheet:hun-sen-deepfake-war-appeal",
      occurred_on: "2025-06-01",
      date_precision: "month",
      report_urls: ["https://poste-kh.com/news/2025-07-02-7546", "https://angkortimes.com/question/deepfake-fraud-in-cambodia"],
    });
    expect(rows.incidents!.find((r) => r.source_incident_id === "bavet-raid-ai-faked-identities")).toMatchObject({
      occurred_on: "2025-11-04",
      date_precision: "day",
      province: "Svay Rieng",
    });
  });

  it("quarantines each bad entry naming its index, id and field, and loads the good one", async () => {
    const { rows, rejected } = parseIncidentSheet({
      sourceId: "incident-sheet",
      url: SHEET,
      body: await fixture("sheets", "incidents-broken.yaml"),
    });
    expect(rows.incidents!.map((r) => r.source_incident_id)).toEqual(["test-good-entry"]);
    expect(rejected.map((r) => r.record)).toEqual([
      'incidents[1] (id "test-bad-month")',
      'incidents[2] (id "test-bad-harm")',
      'incidents[3] (id "test-ftp-link")',
      'incidents[4] (id "test-no-reports")',
      'incidents[5] (id "test-typo-field")',
      'incidents[6] (id "test-good-entry")',
      'incidents[7] (id "test-bad-province-severity")',
      "incidents[8]",
    ]);
    const reasons = rejected.map((r) => r.reason);
    expect(reasons[0]).toBe('occurred_on: "2031-13" is not a calendar date');
    expect(reasons[1]).toContain("harm_types.1: must be one of scam, deepfake, fraud");
    expect(reasons[2]).toBe("report_urls.1: must be an http(s) URL");
    expect(reasons[3]).toBe("report_urls: needs at least one http(s) report URL");
    expect(reasons[4]).toBe("harm_type: not a field of an incident (misspelt?)");
    expect(reasons[5]).toBe("id: already used by incidents[0]");
    expect(reasons[6]).toContain('occurred_on: "2031-02-30" is not a calendar date');
    expect(reasons[6]).toContain('province: "Atlantis" is not one of');
    expect(reasons[6]).toContain("severity: must be one of low, medium, high");
  });

  it("widens a bare year to 1 January with year precision and tidies names, provinces and links", async () => {
    const { rows } = parseIncidentSheet({ sourceId: "incident-sheet", url: SHEET, body: await fixture("sheets", "incidents-broken.yaml") });
    expect(rows.incidents![0]).toMatchObject({
      occurred_on: "2031-01-01",
      date_precision: "year",
      deployers: ["Example Deployer"],
      developers: [],
      harm_types: ["scam", "deepfake"],
      severity: "medium",
      province: "Kampong Cham",
      report_urls: ["https://news.example.org/a"],
    });
  });

  it("rejects a sheet that is not YAML, naming the source and file", () => {
    expect(() => parseIncidentSheet(yaml("incidents: [unclosed"))).toThrow(ParseError);
    expect(() => parseIncidentSheet(yaml("incidents: [unclosed"))).toThrow(`incident-sheet: cannot parse ${SHEET}: not valid YAML`);
  });

  it("rejects a sheet whose top level is a list or whose incidents are not a list", () => {
    expect(() => parseIncidentSheet(yaml("- id: a\n"))).toThrow("expected a YAML mapping with an `incidents` list");
    expect(() => parseIncidentSheet(yaml("incidents:\n  id: a\n"))).toThrow("`incidents` must be a list");
  });

  it("explains a date written in the wrong form", () => {
    const entry =
      'incidents:\n  - {id: a, occurred_on: "June 2025", title: T, status: reported, report_urls: ["https://x.example/"], added_by: t, added_on: "2031-1-2"}\n';
    expect(parseIncidentSheet(yaml(entry)).rejected[0].reason).toBe(
      'occurred_on: "June 2025" is not a date written YYYY, YYYY-MM or YYYY-MM-DD; added_on: "2031-1-2" is not a date written YYYY-MM-DD',
    );
  });

  it("accepts an empty list", () => {
    expect(parseIncidentSheet(yaml("incidents: []\n"))).toEqual({ rows: { incidents: [] }, rejected: [] });
  });
});
