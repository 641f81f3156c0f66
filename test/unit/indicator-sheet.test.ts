import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocumentList } from "../../sources/document-list.js";
import { parseIndicatorSheet } from "../../sources/indicator-sheet.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { fixture, repoRoot } from "../helpers.js";

const SHEET = "repo:sources/curated/indicators.csv";
const HEADER = "indicator_code,name,unit,country_iso3,period,value,source_url,source_page,note";
const sheet = async (name: string, options?: Record<string, unknown>): Promise<ParseInput> => ({
  sourceId: "indicator-sheet",
  url: SHEET,
  body: await fixture("sheets", name),
  options,
});
const csv = (text: string, options?: Record<string, unknown>): ParseInput => ({
  sourceId: "indicator-sheet",
  url: SHEET,
  body: new TextEncoder().encode(text),
  options,
});

describe("Curated indicator sheet", () => {
  it("loads the curated figures with no rejections, each pointing at a public http(s) document or a listed document that is not online", async () => {
    const body = await fs.readFile(path.join(repoRoot, "sources", "curated", "indicators.csv"));
    const { rows, rejected } = parseIndicatorSheet({ sourceId: "indicator-sheet", url: SHEET, body });
    expect(rejected).toEqual([]);
    expect(rows.observations!.length).toBeGreaterThan(0);
    const documents = parseDocumentList({
      sourceId: "documents",
      url: "repo:sources/curated/documents.yaml",
      body: await fs.readFile(path.join(repoRoot, "sources", "curated", "documents.yaml")),
    });
    expect(documents.rejected).toEqual([]);
    const offline = new Set(documents.rows.documents!.filter((d) => d.url === null).map((d) => d.document_id));
    for (const o of rows.observations!) {
      const doc = /^document:([a-z0-9-]+)(?:#|$)/.exec(o.source_url!)?.[1];
      expect(/^https?:\/\//.test(o.source_url!) || (doc !== undefined && offline.has(doc)), o.source_url!).toBe(true);
    }
    const cited = new Set(documents.rows.documents!.map((d) => d.document_id));
    expect(rows.sheet_figures!.every((f) => f.document_id === null || cited.has(f.document_id))).toBe(true);
    expect(rows.observations).toContainEqual({
      indicator_code: "RAM.GERD.PCT_GDP",
      country_iso3: "KHM",
      period: "2025",
      value: 0.09,
      source_url: "https://go.gov.kh/mptc/ramkh",
    });
    expect(rows.indicators!.find((i) => i.indicator_code === "RAM.GERD.PCT_GDP")).toMatchObject({
      unit: "% of GDP",
      source_note: expect.stringContaining("0.09% of GDP"),
    });
  });

  it("reads quoted fields with commas, quotes and line breaks in a CRLF file, and skips comments and blank lines", async () => {
    const { rows } = parseIndicatorSheet(await sheet("indicators-mixed.csv"));
    expect(rows.indicators![0]).toEqual({
      indicator_code: "TEST.A",
      name: "Test indicator A, with a comma",
      unit: "% of GDP",
      source_note: 'note with "quotes", a comma and a # sign | a note over\ntwo lines',
    });
  });

  it("defaults the country to KHM, upper-cases a given one and appends #page=N to the source URL", async () => {
    const { rows } = parseIndicatorSheet(await sheet("indicators-mixed.csv"));
    expect(rows.observations).toEqual([
      { indicator_code: "TEST.A", country_iso3: "KHM", period: "2031", value: 0.5, source_url: "https://docs.example.org/a.pdf#page=12" },
      { indicator_code: "TEST.A", country_iso3: "THA", period: "2031-Q2", value: 1.5, source_url: "https://docs.example.org/a.pdf" },
      { indicator_code: "TEST.B", country_iso3: "KHM", period: "2031", value: 7, source_url: "https://docs.example.org/b" },
    ]);
  });

  it("quarantines each bad line naming the file, its line number and the field at fault", async () => {
    const { rejected } = parseIndicatorSheet(await sheet("indicators-mixed.csv"));
    expect(rejected.map((r) => r.record)).toEqual([8, 9, 10, 11, 12, 13, 14, 16].map((n) => `${SHEET} line ${n}`));
    expect(rejected.map((r) => r.reason)).toEqual([
      'line 8: name/unit of TEST.A differ from line 3 ("Test indicator A, with a comma", "% of GDP")',
      'line 9: value "abc" is not a number',
      'line 10: period "2031-13" has no month 13; value "1,000" is not a number (write it without thousands separators)',
      'line 11: period "FY2031" must be YYYY, YYYY-Qn or YYYY-MM; source_url is empty: a public http(s) URL is required',
      'line 12: source_url "repo:sources/curated/b.csv" must be a public http(s) URL (a repo: path or other scheme is not shown to the public)',
      "line 13: expected 9 fields, found 6",
      'line 14: source_page "ix" is not a page number; source_url already has a #fragment; give the page in source_page only',
      "line 16: TEST.A KHM 2031 is already given on line 3",
    ]);
  });

  it("uses the registry's default_country for lines that leave the country empty", () => {
    const { rows } = parseIndicatorSheet(csv(`${HEADER}\nX.1,X,,,2031,1,https://docs.example.org/x,,\n`, { default_country: "LAO" }));
    expect(rows.observations![0].country_iso3).toBe("LAO");
    expect(() => parseIndicatorSheet(csv(`${HEADER}\n`, { default_country: "Cambodia" }))).toThrow("options.default_country");
  });

  it("accepts columns in any order and leaves out the optional ones", () => {
    const { rows, rejected } = parseIndicatorSheet(
      csv("value,period,source_url,unit,name,indicator_code\n3,2031-Q4,https://docs.example.org/y,,Y,Y.1\n"),
    );
    expect(rejected).toEqual([]);
    expect(rows.observations).toEqual([
      { indicator_code: "Y.1", country_iso3: "KHM", period: "2031-Q4", value: 3, source_url: "https://docs.example.org/y" },
    ]);
    expect(rows.indicators).toEqual([{ indicator_code: "Y.1", name: "Y", unit: null, source_note: null }]);
  });

  it("refuses a sheet without a header line", async () => {
    const run = async () => parseIndicatorSheet(await sheet("indicators-no-header.csv"));
    await expect(run).rejects.toThrow(ParseError);
    await expect(run).rejects.toThrow(`indicator-sheet: cannot parse ${SHEET}: line 1: missing header line`);
  });

  it("refuses a header that lacks a required column or has an unknown one", async () => {
    await expect(async () => parseIndicatorSheet(await sheet("indicators-missing-column.csv"))).rejects.toThrow(
      "line 1: missing required column(s) value",
    );
    expect(() => parseIndicatorSheet(csv(`${HEADER},notes\n`))).toThrow("unknown column(s) notes");
  });

  it("refuses a sheet whose quotes never close, naming the line", async () => {
    await expect(async () => parseIndicatorSheet(await sheet("indicators-unclosed-quote.csv"))).rejects.toThrow(/not valid CSV at line 2/);
  });

  it("refuses an empty sheet and one that is not UTF-8", () => {
    expect(() => parseIndicatorSheet(csv("# only a comment\n\n"))).toThrow("empty sheet: no header line");
    expect(() => parseIndicatorSheet({ sourceId: "indicator-sheet", url: SHEET, body: Uint8Array.from([0xff, 0xfe, 0x41]) })).toThrow(
      "not UTF-8 text",
    );
  });
  it("publishes the strategy's and the assessment's figures with their documents, targets as targets", async () => {
    const body = await fs.readFile(path.join(repoRoot, "sources", "curated", "indicators.csv"));
    const { rows } = parseIndicatorSheet({ sourceId: "indicator-sheet", url: SHEET, body });
    const value = (code: string) => rows.observations!.find((o) => o.indicator_code === code)?.value;
    // The figures as the seed documents give them.
    expect([
      value("RAM.GERD.PCT_GDP"),
      value("NAIS.TARGET.AI_TALENTS"),
      value("MPTC.KHMER_LLM.TOKENS_COLLECTED"),
      value("MPTC.KHMER_LLM.TOKENS_TARGET"),
      value("MPTC.AI_TEAM.TOTAL"),
    ]).toEqual([0.09, 1000, 500_000_000, 2_000_000_000, 41]);
    expect([value("RAM.IMPL.MINISTRIES"), value("RAM.IMPL.QUESTIONS"), value("RAM.IMPL.STAKEHOLDERS")]).toEqual([26, 176, 300]);
    const figure = (code: string) => rows.sheet_figures!.find((f) => f.indicator_code === code);
    expect(figure("NAIS.TARGET.AI_TALENTS")).toMatchObject({
      figure_kind: "target",
      due_year: 2027,
      nais_measure: "1.2",
      document_id: "nais-draft-2025",
    });
    expect(figure("MPTC.KHMER_LLM.TOKENS_TARGET")).toMatchObject({
      figure_kind: "target",
      due_year: null,
      target_of: "MPTC.KHMER_LLM.TOKENS_COLLECTED",
    });
    expect(figure("MPTC.AI_TEAM.TOTAL")).toMatchObject({ figure_kind: "value", document_id: "mptc-ai-status-presentation" });
    expect(rows.observations!.find((o) => o.indicator_code === "MPTC.AI_TEAM.TOTAL")!.source_url).toMatch(
      /^document:mptc-ai-status-presentation#/,
    );
  });

  it("cites a document that is not online by id and section, and refuses a line with neither URL nor document", () => {
    const head =
      "indicator_code,name,unit,period,value,source_url,source_page,document,section,figure_kind,target_of,due_year,nais_measure";
    const { rows, rejected } = parseIndicatorSheet(
      csv(
        `${head}\nT.A,Target A,people,2030,10,,,some-doc,p. 4,target,T.B,2030,2.1\n` +
          `T.C,C,people,2030,1,,,,,value,,,\nT.D,D,people,2030,1,,3,some-doc,,value,,2030,\n`,
      ),
    );
    expect(rows.observations!.map((o) => o.source_url)).toEqual(["document:some-doc#p.%204"]);
    expect(rows.sheet_figures).toEqual([
      {
        indicator_code: "T.A",
        country_iso3: "KHM",
        period: "2030",
        figure_kind: "target",
        document_id: "some-doc",
        section: "p. 4",
        target_of: "T.B",
        due_year: 2030,
        nais_measure: "2.1",
      },
    ]);
    expect(rejected.map((r) => r.reason)).toEqual([
      "line 3: source_url is empty: a public http(s) URL is required",
      "line 4: target_of and due_year belong to a line whose figure_kind is target; source_page is a PDF page of source_url; for a document " +
        "that is not online give the page or section in `section`",
    ]);
  });
});
