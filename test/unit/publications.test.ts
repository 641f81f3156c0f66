import { describe, expect, it } from "vitest";
import { parseArxiv } from "../../sources/arxiv.js";
import { parseOpenAlex } from "../../sources/openalex.js";
import {
  groupWorks,
  normaliseArxivId,
  normaliseDoi,
  normaliseTitle,
  withQueryParam,
  workKey,
  yearFromArxivId,
  type WorkMember,
} from "../../sources/publications.js";
import { fixture } from "../helpers.js";

const member = (source_id: string, pub_key: string, fields: Partial<WorkMember>): WorkMember => ({
  source_id,
  pub_key,
  doi: null,
  arxiv_id: null,
  title: null,
  year: null,
  ...fields,
});

describe("Publication identity helpers", () => {
  it.each([
    ["https://doi.org/10.1063/1.4996038", "10.1063/1.4996038"],
    ["http://dx.doi.org/10.1002/2016JA022429", "10.1002/2016ja022429"],
    ["doi: 10.0000/Example.1", "10.0000/example.1"],
    ["https://doi.org/10.1000%2Fabc%20def", null],
    ["https://doi.org/10.1000%2Fabc", "10.1000/abc"],
    ["  10.18653/v1/2020.acl-main.1 ", "10.18653/v1/2020.acl-main.1"],
    ["10.48550/arXiv.2512.13552", "10.48550/arxiv.2512.13552"],
    ["10.1/too-short-a-registrant", null],
    ["not a doi", null],
    ["", null],
    [null, null],
  ])("normalises the DOI %j to %j", (value, expected) => {
    expect(normaliseDoi(value)).toBe(expected);
  });

  it.each([
    ["2512.13552v1", "2512.13552"],
    ["arXiv:2512.13552", "2512.13552"],
    ["https://arxiv.org/abs/2512.13552v3", "2512.13552"],
    ["http://export.arxiv.org/abs/2512.13552", "2512.13552"],
    ["https://arxiv.org/pdf/2512.13552v1.pdf", "2512.13552"],
    ["0704.0001", "0704.0001"],
    ["cs/0501001v2", "cs/0501001"],
    ["MATH.gt/0309136", "math.GT/0309136"],
    ["https://doi.org/10.48550/arxiv.2512.13552", "2512.13552"],
    ["10.48550/arxiv.hep-th/9901001", "hep-th/9901001"],
    ["10.1063/1.4996038", null],
    ["https://example.org/abs/2512.13552", null],
  ])("normalises the arXiv id %j to %j", (value, expected) => {
    expect(normaliseArxivId(value)).toBe(expected);
  });

  it("dates arXiv ids by their year digits, old-style ones in either century", () => {
    expect(yearFromArxivId("2512.13552")).toBe(2025);
    expect(yearFromArxivId("0704.0001")).toBe(2007);
    expect(yearFromArxivId("cs/0501001")).toBe(2005);
    expect(yearFromArxivId("hep-th/9901001")).toBe(1999);
  });

  it("reduces titles to lower-case letters and digits, folding Latin diacritics and punctuation", () => {
    expect(normaliseTitle("  Café-Style NLP:  A Survey (2nd ed.) ")).toBe("cafe style nlp a survey 2nd ed");
    expect(normaliseTitle("Ｋhmer\u00A0NLP for \uFB01eld work")).toBe("khmer nlp for field work");
  });

  it("keeps Khmer letters, vowel signs and subscripts while dropping zero-width spaces and punctuation", () => {
    const title = "យុទ្ធសាស្ត្រជាតិ\u200bស្តីពី\u200bបញ្ញាសិប្បនិម្មិត។";
    expect(normaliseTitle(title)).toBe("យុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត");
    // Subscript DA and subscript TA are written interchangeably.
    expect(normaliseTitle("ស\u17D2\u178Aីពី")).toBe(normaliseTitle("ស\u17D2\u178Fីពី"));
  });

  it("keys a work by DOI, else arXiv id, else title and year", () => {
    expect(workKey({ doi: "https://doi.org/10.1000/X", arxiv_id: "2501.00001", title: "T", year: 2025 })).toBe("doi:10.1000/x");
    expect(workKey({ doi: null, arxiv_id: "2501.00001v2", title: "T", year: 2025 })).toBe("arxiv:2501.00001");
    expect(workKey({ doi: "10.48550/arXiv.2501.00001", arxiv_id: null, title: "T", year: 2025 })).toBe("arxiv:2501.00001");
    expect(workKey({ doi: null, arxiv_id: null, title: "Khmer OCR: A Benchmark!", year: 2025 })).toBe("title:khmer ocr a benchmark:2025");
    expect(workKey({ doi: null, arxiv_id: null, title: null, year: 2025 })).toBeNull();
  });

  it("makes one work of an OpenAlex record with DOI and arXiv id and an arXiv record with only the arXiv id", () => {
    const works = groupWorks([
      member("openalex", "openalex:W1", { doi: "10.1000/a", arxiv_id: "2501.00001", title: "Khmer Word Segmentation", year: 2025 }),
      member("arxiv", "arxiv:2501.00001", { arxiv_id: "2501.00001", title: "Khmer word segmentation (preprint)", year: 2024 }),
    ]);
    expect(works.map((w) => w.work_key)).toEqual(["doi:10.1000/a", "doi:10.1000/a"]);
  });

  it("makes one work of an arXiv record without DOI and a journal record with the same title and year", () => {
    const works = groupWorks([
      member("arxiv", "arxiv:2501.00002", { arxiv_id: "2501.00002", title: "Rice Yield Forecasting with Satellite Imagery", year: 2025 }),
      member("journal", "j-17", { doi: "10.1000/rice", title: "Rice yield forecasting with satellite imagery.", year: 2025 }),
      member("journal", "j-18", { doi: "10.1000/rice-2024", title: "Rice yield forecasting with satellite imagery", year: 2024 }),
    ]);
    expect(works.map((w) => w.work_key)).toEqual(["doi:10.1000/rice", "doi:10.1000/rice", "doi:10.1000/rice-2024"]);
  });

  it("joins groups through chains of shared keys and treats an arXiv DataCite DOI as the arXiv id", () => {
    const works = groupWorks([
      member("openalex", "openalex:W2", { doi: "https://doi.org/10.48550/arxiv.2501.00003", title: "Preprint", year: 2025 }),
      member("arxiv", "arxiv:2501.00003", { arxiv_id: "2501.00003", doi: "10.1000/final", title: "Preprint", year: 2025 }),
      member("openalex", "openalex:W3", { doi: "10.1000/FINAL", title: "Final version", year: 2026 }),
    ]);
    expect(new Set(works.map((w) => w.work_key))).toEqual(new Set(["doi:10.1000/final"]));
  });

  it("does not merge different works that share a short generic title", () => {
    const works = groupWorks([
      member("openalex", "openalex:W4", { doi: "10.1000/ed-1", title: "Editorial", year: 2025 }),
      member("openalex", "openalex:W5", { doi: "10.1000/ed-2", title: "Editorial", year: 2025 }),
      member("sheet", "row-1", { title: "Editorial", year: 2025 }),
      member("sheet", "row-2", {}),
    ]);
    expect(works.map((w) => w.work_key)).toEqual(["doi:10.1000/ed-1", "doi:10.1000/ed-2", "pub:sheet/row-1", "pub:sheet/row-2"]);
  });

  it("picks the same work key whatever the order of the rows", () => {
    const rows = [
      member("a", "1", { doi: "10.1000/b", arxiv_id: "2501.00004" }),
      member("b", "2", { arxiv_id: "2501.00004", doi: "10.1000/a" }),
      member("c", "3", { arxiv_id: "2501.00004" }),
    ];
    const forward = groupWorks(rows);
    const backward = groupWorks([...rows].reverse()).reverse();
    expect(forward).toEqual(backward);
    expect(forward.map((w) => w.work_key)).toEqual(["doi:10.1000/a", "doi:10.1000/a", "doi:10.1000/a"]);
  });

  it("groups the OpenAlex and arXiv fixtures into shared works", async () => {
    const openalex = parseOpenAlex({
      sourceId: "openalex",
      url: "https://api.openalex.org/works?cursor=*",
      body: await fixture("openalex", "page1.json"),
    });
    const arxiv = parseArxiv({
      sourceId: "arxiv",
      url: "http://export.arxiv.org/api/query?search_query=all:Khmer",
      body: await fixture("arxiv", "page1.xml"),
    });
    const rows = [
      ...(openalex.rows.publications ?? []).map((p) => ({ ...p, source_id: "openalex" }) as WorkMember),
      ...(arxiv.rows.publications ?? []).map((p) => ({ ...p, source_id: "arxiv" }) as WorkMember),
    ];
    const keys = Object.fromEntries(groupWorks(rows).map((w) => [w.pub_key, w.work_key]));
    expect(keys).toEqual({
      "openalex:W0000000001": "doi:10.0000/example.khmernlp.2025.1",
      "openalex:W0000000002": "title:ការវិភាគមនោសញ្ចេតនាអត្ថបទខ្មែរ ដោយប្រើម៉ូដែលភាសាធំ:2024",
      "openalex:W0000000003": "arxiv:2508.90003",
      "arxiv:2507.90001": "doi:10.0000/example.khmernlp.2025.1",
      "arxiv:2508.90003": "arxiv:2508.90003",
    });
  });

  it("sets one query parameter and keeps the rest of the URL exactly as written", () => {
    const url = "https://api.openalex.org/works?filter=a:KH,b:1702|17&cursor=*&per_page=100";
    expect(withQueryParam(url, "cursor", "Ils=+/")).toBe(
      "https://api.openalex.org/works?filter=a:KH,b:1702|17&cursor=Ils%3D%2B%2F&per_page=100",
    );
    expect(withQueryParam("http://x.org/q?search_query=all:Khmer+AND+cat:cs.CL", "start", "100")).toBe(
      "http://x.org/q?search_query=all:Khmer+AND+cat:cs.CL&start=100",
    );
    expect(withQueryParam("http://x.org/q", "start", "1")).toBe("http://x.org/q?start=1");
    expect(withQueryParam("http://x.org/q?max_start=5&start=0", "start", "7")).toBe("http://x.org/q?max_start=5&start=7");
  });
});
