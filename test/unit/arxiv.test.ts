import { describe, expect, it } from "vitest";
import { arxivIdFromEntryId, nextArxivPages, parseArxiv } from "../../sources/arxiv.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { fixture } from "../helpers.js";

const url =
  "http://export.arxiv.org/api/query?search_query=all:Khmer+AND+%28cat:cs.CL+OR+cat:cs.AI%29&start=0&max_results=2&sortBy=submittedDate&sortOrder=descending";
const input = async (name: string, at = url): Promise<ParseInput> => ({
  sourceId: "arxiv-khmer",
  url: at,
  body: await fixture("arxiv", name),
});
const xml = (text: string, at = url): ParseInput => ({ sourceId: "arxiv-khmer", url: at, body: new TextEncoder().encode(text) });

const feedWith = (total: number, start: number, perPage: number, entries = 1) => `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <opensearch:totalResults>${total}</opensearch:totalResults>
  <opensearch:startIndex>${start}</opensearch:startIndex>
  <opensearch:itemsPerPage>${perPage}</opensearch:itemsPerPage>
  ${Array.from({ length: entries }, (_, i) => `<entry><id>http://arxiv.org/abs/2501.0000${i}v1</id><title>Paper ${i}</title></entry>`).join("\n")}
</feed>`;

describe("arXiv API parser", () => {
  it("reads an entry with authors, distinct affiliations, DOI and journal reference, whitespace normalised", async () => {
    const { rows, rejected } = parseArxiv(await input("page1.xml"));
    expect(rejected).toEqual([]);
    expect(rows.publications).toHaveLength(2);
    expect(rows.publications?.[0]).toEqual({
      pub_key: "arxiv:2507.90001",
      doi: "10.0000/example.khmernlp.2025.1",
      arxiv_id: "2507.90001",
      openalex_id: null,
      title: "Khmer Word Segmentation with Pre-trained Transformers",
      abstract:
        "Khmer is written without spaces between words. We show that segmentation improves with pre-trained models & a small annotated corpus.",
      year: 2025,
      published_on: "2025-07-14",
      venue: "Journal of Example Language Technology 4 (2025) 1-12",
      authors: ["Sok Dara", "Chan Sreymom", "Taro Example"],
      institutions: ["Example Institute of Technology, Phnom Penh", "Example University of Tokyo"],
      institution_countries: [],
      topics: ["cs.CL", "cs.AI"],
      language: null,
      open_access: true,
      oa_status: "green",
      cited_by: null,
      url: "https://arxiv.org/abs/2507.90001",
    });
  });

  it("reads an entry without DOI, affiliation or journal reference, its categories as topics", async () => {
    const second = parseArxiv(await input("page1.xml")).rows.publications?.[1];
    expect(second).toMatchObject({
      pub_key: "arxiv:2508.90003",
      doi: null,
      venue: null,
      institutions: [],
      topics: ["cs.CV", "cs.LG"],
      abstract: "We forecast rice yields.",
    });
  });

  it("asks for the next slice by start, keeping the query as written, until totalResults is reached", async () => {
    const next = nextArxivPages(await input("page1.xml"));
    expect(next).toEqual([url.replace("start=0", "start=2")]);
    expect(nextArxivPages(await input("page2.xml", next[0]))).toEqual([]);
  });

  it("takes the year from a new-style id when an entry has no published date", async () => {
    const { rows } = parseArxiv(await input("page2.xml"));
    expect(rows.publications?.[0]).toMatchObject({ arxiv_id: "2411.90002", year: 2024, published_on: null });
  });

  it("reports an error feed as a ParseError carrying arXiv's message", async () => {
    const attempt = async () => parseArxiv(await input("error.xml"));
    await expect(attempt()).rejects.toThrow(ParseError);
    await expect(attempt()).rejects.toThrow("arxiv-khmer: cannot parse http://export.arxiv.org/api/query?");
    await expect(attempt()).rejects.toThrow(/the API returned an error: incorrect id format for 1234\.12345$/);
  });

  it("treats an empty feed as no rows, no rejections and no further pages", async () => {
    expect(parseArxiv(await input("empty.xml"))).toEqual({ rows: { publications: [] }, rejected: [] });
    expect(nextArxivPages(await input("empty.xml"))).toEqual([]);
  });

  it("matches elements declared with their namespace on each element, accepts https ids and quarantines an entry without an id", async () => {
    const { rows, rejected } = parseArxiv(await input("per-element-namespaces.xml"));
    expect(rows.publications).toEqual([
      expect.objectContaining({
        pub_key: "arxiv:2509.90004",
        institutions: ["Example Digital Economy Institute, Cambodia"],
        venue: "Example Workshop on Southeast Asian Languages 2025",
        topics: ["cs.CV"],
        published_on: "2025-09-09",
      }),
    ]);
    expect(rejected).toEqual([{ record: "entry[1]", reason: "missing id" }]);
  });

  it("matches elements by namespace URI when the root binds other prefixes, and reads old-style ids", async () => {
    const { rows, rejected } = parseArxiv(await input("https-root-namespaces.xml"));
    expect(rejected).toEqual([]);
    expect(rows.publications).toEqual([
      expect.objectContaining({
        pub_key: "arxiv:cs/0501001",
        arxiv_id: "cs/0501001",
        doi: "10.0000/example.mt.2005.3",
        year: 2005,
        institutions: ["Example Research Centre, Siem Reap"],
        topics: ["cs.CL", "I.2.7"],
        url: "https://arxiv.org/abs/cs/0501001",
      }),
    ]);
    expect(nextArxivPages(await input("https-root-namespaces.xml"))).toEqual([]);
  });

  it("ignores elements that only look like arXiv's because they share a prefix bound to another namespace", () => {
    const feed = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://example.org/not-arxiv">
      <entry><id>http://arxiv.org/abs/2501.00001v1</id><title>T</title><arxiv:doi>10.0000/wrong</arxiv:doi></entry></feed>`;
    expect(parseArxiv(xml(feed)).rows.publications?.[0].doi).toBeNull();
  });

  it("quarantines entries whose id is not an arXiv abstract URL or repeats an earlier entry", () => {
    const feed = `<feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>http://example.org/abs/2501.00001</id><title>Elsewhere</title></entry>
      <entry><id>http://arxiv.org/abs/2501.00002v1</id><title>Once</title></entry>
      <entry><id>http://arxiv.org/abs/2501.00002v2</id><title>Once, again</title></entry>
      <entry><id>http://arxiv.org/abs/2501.00003v1</id><title>  </title></entry></feed>`;
    const { rows, rejected } = parseArxiv(xml(feed));
    expect(rows.publications?.map((p) => p.arxiv_id)).toEqual(["2501.00002"]);
    expect(rejected).toEqual([
      { record: "entry[0]", reason: 'unrecognised id "http://example.org/abs/2501.00001"' },
      { record: "entry[2] (2501.00002)", reason: "repeats entry[1]" },
      { record: "entry[3] (2501.00003)", reason: "missing title" },
    ]);
  });

  it.each([
    ["a truncated feed", () => input("truncated.xml"), /the XML ends before <\/feed> \(truncated or malformed\)/],
    ["a JSON body", async () => xml('{"error": "not XML"}'), /not an Atom feed \(found no XML element\)/],
    ["an HTML error page", async () => xml("<html><body>Rate exceeded.</body></html>"), /not an Atom feed \(found <html>\)/],
    ["bytes that are not UTF-8", async () => ({ ...xml(""), body: new Uint8Array([0x3c, 0x66, 0xff, 0xfe]) }), /not UTF-8 text/],
  ])("rejects %s as a whole with an error naming the source and URL", async (_name, make, message) => {
    const attempt = async () => parseArxiv(await make());
    await expect(attempt()).rejects.toThrow(ParseError);
    await expect(attempt()).rejects.toThrow(message);
  });

  it("falls back to itemsPerPage when the URL sets no max_results", () => {
    const bare = "http://export.arxiv.org/api/query?search_query=all:Cambodia";
    expect(nextArxivPages(xml(feedWith(25, 0, 10), bare))).toEqual([`${bare}&start=10`]);
  });

  it("does not page past the 30,000 results arXiv serves for one query", () => {
    const at = (start: number) => `http://export.arxiv.org/api/query?search_query=all:AI&start=${start}&max_results=1000`;
    expect(nextArxivPages(xml(feedWith(50_000, 28_000, 1000), at(28_000)))).toEqual([at(29_000)]);
    expect(nextArxivPages(xml(feedWith(50_000, 29_000, 1000), at(29_000)))).toEqual([]);
  });

  it("ends the harvest on a page with no entries even if totalResults promises more", () => {
    expect(nextArxivPages(xml(feedWith(40, 20, 10, 0)))).toEqual([]);
  });

  it("reads base ids from http and https abstract URLs", () => {
    expect(arxivIdFromEntryId("http://arxiv.org/abs/2512.13552v1")).toBe("2512.13552");
    expect(arxivIdFromEntryId("https://arxiv.org/abs/math.GT/0309136v2")).toBe("math.GT/0309136");
    expect(arxivIdFromEntryId("http://arxiv.org/api/errors#x")).toBeNull();
  });
});
