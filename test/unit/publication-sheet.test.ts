import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../sources/parser.js";
import { parsePublicationSheet } from "../../sources/publication-sheet.js";
import { groupWorks } from "../../sources/publications.js";
import { repoRoot } from "../helpers.js";

const header = "title,url,arxiv_id,doi,acl_id,year,venue,authors,added_by,added_on,note";
const sheet = (...lines: string[]) => ({
  sourceId: "khmer-papers",
  url: "repo:sources/curated/khmer-papers.csv",
  body: new TextEncoder().encode(`# a comment line\n${header}\n${lines.join("\n")}\n`),
  options: { topics: ["Khmer language technology"] },
});

describe("Publication sheet parser", () => {
  it("keeps what a line gives and leaves year, venue and authors unknown when it does not give them", () => {
    const { rows, rejected } = parsePublicationSheet(
      sheet(
        "A Khmer OCR paper,https://arxiv.org/abs/2106.10875,2106.10875,,,,,,a,2026-12-02,",
        "Query expansion for Khmer,https://aclanthology.org/W10-3211.pdf,,,W10-3211,2010,A workshop,Author One; Author Two,a,2026-12-02,",
        "A local file,./assets/paper.pdf,,,,,,,a,2026-12-02,not a public address",
      ),
    );
    expect(rejected).toEqual([]);
    expect(rows.publications!.map((p) => [p.pub_key, p.year, p.venue, p.authors, p.url])).toEqual([
      ["arxiv:2106.10875", null, null, null, "https://arxiv.org/abs/2106.10875"],
      ["acl:W10-3211", 2010, "A workshop", ["Author One", "Author Two"], "https://aclanthology.org/W10-3211.pdf"],
      ["title:a-local-file", null, null, null, null],
    ]);
    expect(rows.publications![0].topics).toEqual(["Khmer language technology"]);
  });

  it("sets aside bad identifiers, duplicates and short lines with their line number, and keeps the rest", () => {
    const { rows, rejected } = parsePublicationSheet(
      sheet(
        "Paper A,https://x.org/a,not-an-id,,,,,,a,2026-12-02,",
        "Paper B,https://x.org/b,,10.1145/3464378,,,,,a,2026-12-02,",
        "Paper B again,https://x.org/b2,,10.1145/3464378,,,,,a,2026-12-02,",
        "Short,line",
      ),
    );
    expect(rows.publications!.map((p) => p.pub_key)).toEqual(["doi:10.1145/3464378"]);
    expect(rejected).toEqual([
      { record: "line 3 (Paper A)", reason: 'arxiv_id "not-an-id" is not an arXiv id' },
      { record: "line 5 (Paper B again)", reason: "the same paper as line 4 (doi:10.1145/3464378)" },
      { record: "line 6", reason: "has 2 fields where the header has 11" },
    ]);
  });

  it("refuses a sheet without its columns, naming the source", () => {
    expect(() =>
      parsePublicationSheet({ sourceId: "khmer-papers", url: "repo:x", body: new TextEncoder().encode("title,url\nA,https://x\n") }),
    ).toThrow(ParseError);
  });

  it("merges a sheet paper with the arXiv source's record of it into one work", () => {
    const works = groupWorks([
      { pub_key: "arxiv:2106.10875", source_id: "khmer-papers", doi: null, arxiv_id: "2106.10875", title: "A Khmer OCR paper", year: null },
      { pub_key: "arxiv:2106.10875", source_id: "arxiv", doi: null, arxiv_id: "2106.10875", title: "An End-to-End Khmer OCR", year: 2021 },
    ] as never);
    expect(new Set(works.map((w) => w.work_key)).size).toBe(1);
  });

  it("reads the shipped sheet: 29 papers, 5 with arXiv ids, none with a year it was not given", async () => {
    const body = await fs.readFile(path.join(repoRoot, "sources", "curated", "khmer-papers.csv"));
    const { rows, rejected } = parsePublicationSheet({
      sourceId: "khmer-papers",
      url: "repo:sources/curated/khmer-papers.csv",
      body,
      options: { topics: ["Khmer language technology"] },
    });
    expect(rejected).toEqual([]);
    expect(rows.publications).toHaveLength(29);
    expect(rows.publications!.filter((p) => p.arxiv_id).map((p) => p.arxiv_id)).toEqual([
      "2106.10875",
      "2112.08918",
      "2112.06748",
      "2103.16801",
      "1703.02166",
    ]);
    expect(rows.publications!.every((p) => p.year === null && p.venue === null && p.authors === null)).toBe(true);
  });
});
