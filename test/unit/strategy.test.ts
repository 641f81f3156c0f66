import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../sources/parser.js";
import { parseGovernanceTimeline, parseNaisStrategy, toDate } from "../../sources/strategy.js";
import { fixture, repoRoot } from "../helpers.js";

const curated = async (name: string) => ({
  sourceId: "test",
  url: `repo:sources/strategy/${name}`,
  body: await fs.readFile(path.join(repoRoot, "sources", "strategy", name)),
});

describe("NAIS strategy transcription", () => {
  it("holds the draft's 6 priorities, 44 annex measures, 30 flagships and 10 sector directions, all valid", async () => {
    const { rows, rejected } = parseNaisStrategy(await curated("nais.yaml"));
    expect(rejected).toEqual([]);
    expect(rows.strategy_priorities).toHaveLength(6);
    expect(rows.strategy_measures).toHaveLength(44);
    expect(rows.strategy_flagships).toHaveLength(30);
    expect(rows.strategy_sector_directions).toHaveLength(10);
    const perPriority: Record<string, number> = {};
    for (const m of rows.strategy_measures!) perPriority[String(m.priority_id)] = (perPriority[String(m.priority_id)] ?? 0) + 1;
    expect(perPriority).toEqual({
      "1": 10,
      "2": 7,
      "3": 8,
      "5": 9,
      "6": 10,
    });
  });

  it("records measure 1.2, the 1,000 AI talents target, with its timeframe and lead body", async () => {
    const { rows } = parseNaisStrategy(await curated("nais.yaml"));
    expect(rows.strategy_measures!.find((m) => m.measure_id === "1.2")).toMatchObject({
      text: "Train 1000 technical talents in AI, data science, and related areas.",
      start_year: 2025,
      end_year: 2027,
      lead_bodies: ["MPTC"],
      seq: 2,
    });
  });

  it("quarantines each bad entry with its reason and loads the rest", async () => {
    const { rows, rejected } = parseNaisStrategy({
      sourceId: "t",
      url: "repo:x.yaml",
      body: await fixture("strategy", "broken-measures.yaml"),
    });
    expect(rows.strategy_measures!.map((m) => m.measure_id)).toEqual(["1.1"]);
    expect(rows.strategy_flagships).toEqual([]);
    expect(rejected.map((r) => r.record)).toEqual(['measures[1] (id "one")', 'measures[3] (id "1.2")', "measure 9.1", "flagship 1-1"]);
    expect(rejected[0].reason).toContain('id: must look like "1.2"');
    expect(rejected[1].reason).toContain("start_year is after end_year");
    expect(rejected[3].reason).toBe("refers to unknown measures 7.7");
  });

  it("rejects a document that is not YAML, naming the source and URL", () => {
    const body = new TextEncoder().encode("priorities: [unclosed");
    expect(() => parseNaisStrategy({ sourceId: "nais-strategy", url: "repo:bad.yaml", body })).toThrow(ParseError);
    expect(() => parseNaisStrategy({ sourceId: "nais-strategy", url: "repo:bad.yaml", body })).toThrow(
      /nais-strategy: cannot parse repo:bad.yaml/,
    );
  });

  it("rejects a document whose lists are missing", () => {
    const body = new TextEncoder().encode("priorities: {}\n");
    expect(() => parseNaisStrategy({ sourceId: "s", url: "repo:y", body })).toThrow("`priorities` must be a list");
  });
});

describe("Governance timeline", () => {
  it("loads every press-release activity with partial dates widened to the start of their month", async () => {
    const { rows, rejected } = parseGovernanceTimeline(await curated("governance-timeline.yaml"));
    expect(rejected).toEqual([]);
    expect(rows.events).toHaveLength(49);
    const adopted = rows.events!.find((e) => e.event_id === "asean-guide-adopted-2024-02");
    expect(adopted).toMatchObject({ status: "done", date_start: "2024-02-02", date_precision: "day", reported_on: "2025-04-23" });
    expect(rows.events!.filter((e) => e.status === "planned")).toHaveLength(23);
  });

  it("turns YYYY-MM and YYYY into dates with their precision", () => {
    expect(toDate("2025-05")).toEqual({ date: "2025-05-01", precision: "month" });
    expect(toDate("2025")).toEqual({ date: "2025-01-01", precision: "year" });
    expect(toDate(null)).toEqual({ date: null, precision: null });
  });
});
