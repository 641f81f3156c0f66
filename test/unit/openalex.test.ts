import { describe, expect, it } from "vitest";
import { abstractFromInvertedIndex, nextOpenAlexPages, parseOpenAlex, shortOpenAlexId } from "../../sources/openalex.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { fixture } from "../helpers.js";

const url =
  "https://api.openalex.org/works?filter=authorships.institutions.country_code:KH,primary_topic.subfield.id:1702" +
  "&per_page=3&cursor=*&mailto=observatory@example.org";
const input = async (name: string, options: ParseInput["options"] = {}): Promise<ParseInput> => ({
  sourceId: "openalex-kh-ai",
  url,
  body: await fixture("openalex", name),
  options,
});
const json = (value: unknown): ParseInput => ({ sourceId: "openalex-kh-ai", url, body: new TextEncoder().encode(JSON.stringify(value)) });

describe("OpenAlex works parser", () => {
  it("maps a work to a publications row with a bare DOI, its arXiv id, the rebuilt abstract and distinct institutions", async () => {
    const { rows, rejected } = parseOpenAlex(await input("page1.json"));
    expect(rejected).toEqual([]);
    expect(rows.publications).toHaveLength(3);
    expect(rows.publications?.[0]).toEqual({
      pub_key: "openalex:W0000000001",
      doi: "10.0000/example.khmernlp.2025.1",
      arxiv_id: "2507.90001",
      openalex_id: "W0000000001",
      title: "Khmer Word Segmentation with Pre-trained Transformers",
      abstract: "Khmer is written without spaces between words. Khmer segmentation improves with pre-trained models.",
      year: 2025,
      published_on: "2025-03-14",
      venue: "Journal of Example Language Technology",
      authors: ["Sok Dara", "Chan Sreymom", "Taro Example"],
      institutions: ["Example Institute of Technology, Phnom Penh", "Example University of Tokyo"],
      institution_countries: ["KH", "JP"],
      topics: ["Natural Language Processing Techniques", "Topic Modeling"],
      language: "en",
      open_access: true,
      oa_status: "gold",
      cited_by: 7,
      url: "https://doi.org/10.0000/example.khmernlp.2025.1",
    });
  });

  it("keeps a Khmer title intact without its zero-width spaces and leaves a null abstract index as a null abstract", async () => {
    const khmer = parseOpenAlex(await input("page1.json")).rows.publications?.[1];
    expect(khmer).toMatchObject({
      pub_key: "openalex:W0000000002",
      doi: null,
      arxiv_id: null,
      title: "ការវិភាគមនោសញ្ចេតនាអត្ថបទខ្មែរ ដោយប្រើម៉ូដែលភាសាធំ",
      abstract: null,
      venue: null,
      authors: ["សុខ វិចិត្រ"],
      topics: [],
      language: "km",
      open_access: false,
      oa_status: "closed",
      cited_by: 0,
      url: "https://journal.example.edu.kh/article/view/123",
    });
    expect(khmer?.title).toBe(khmer?.title?.normalize("NFC"));
  });

  it("reads the arXiv id from an arXiv DataCite DOI", async () => {
    const preprint = parseOpenAlex(await input("page1.json")).rows.publications?.[2];
    expect(preprint).toMatchObject({
      doi: "10.48550/arxiv.2508.90003",
      arxiv_id: "2508.90003",
      venue: "arXiv (Cornell University)",
      oa_status: "green",
    });
  });

  it("asks for the same URL with the next cursor, then stops when the cursor runs out", async () => {
    const next = nextOpenAlexPages(await input("page1.json"));
    expect(next).toEqual([
      "https://api.openalex.org/works?filter=authorships.institutions.country_code:KH,primary_topic.subfield.id:1702&per_page=3" +
        "&cursor=IlsxNjk0ODc5NzEwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzAwMDAwMDAwMDMnXSI%3D&mailto=observatory@example.org",
    ]);
    expect(new URL(next[0]).searchParams.get("cursor")).toBe("IlsxNjk0ODc5NzEwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzAwMDAwMDAwMDMnXSI=");
    expect(nextOpenAlexPages({ ...(await input("page2.json")), url: next[0] })).toEqual([]);
    expect(parseOpenAlex(await input("page2.json")).rows.publications?.map((p) => p.pub_key)).toEqual(["openalex:W0000000004"]);
  });

  it("stops paging on an empty page even when a cursor is offered", () => {
    expect(nextOpenAlexPages(json({ meta: { count: 0, next_cursor: "abc" }, results: [], group_by: [] }))).toEqual([]);
  });

  it("skips, without rejecting, works with no authorship in the country that require_country names", async () => {
    const page1 = parseOpenAlex(await input("page1.json", { require_country: "kh" }));
    expect(page1.rows.publications?.map((p) => p.openalex_id)).toEqual(["W0000000001", "W0000000002"]);
    expect(page1.rejected).toEqual([]);
    // W4 has no matched institution, but OpenAlex places its author in Cambodia through `countries`.
    expect(parseOpenAlex(await input("page2.json", { require_country: "KH" })).rows.publications).toHaveLength(1);
  });

  it("names the option that is wrong when require_country is not a two-letter code", async () => {
    const attempt = async () => parseOpenAlex(await input("page1.json", { require_country: "KHM" }));
    await expect(attempt()).rejects.toThrow(ParseError);
    await expect(attempt()).rejects.toThrow(/options\.require_country: must be a two-letter ISO 3166-1 country code/);
  });

  it("quarantines works without an id or a title, naming the record, and falls back to display_name", async () => {
    const { rows, rejected } = parseOpenAlex(await input("bad-records.json"));
    expect(rejected).toEqual([
      { record: "results[0]", reason: "missing id" },
      { record: "results[1] (W0000000010)", reason: "missing title" },
      { record: "results[3]", reason: "not an object" },
    ]);
    expect(rows.publications).toEqual([
      expect.objectContaining({
        openalex_id: "W0000000011",
        title: "Only the display name is filled in",
        doi: null,
        year: null,
        published_on: null,
        url: "https://openalex.org/W0000000011",
      }),
    ]);
  });

  it("quarantines a work listed twice on one page", () => {
    const work = { id: "https://openalex.org/W0000000020", title: "Twice" };
    const { rows, rejected } = parseOpenAlex(json({ meta: { next_cursor: null }, results: [work, work], group_by: [] }));
    expect(rows.publications).toHaveLength(1);
    expect(rejected).toEqual([{ record: "results[1] (W0000000020)", reason: "repeats results[0]" }]);
  });

  it.each([
    ["truncated.json", /openalex-kh-ai: cannot parse https:\/\/api\.openalex\.org\/works\?.*: not valid JSON/],
    [
      "error.json",
      /the API returned an error: Invalid query parameters error\.: authorships\.institutions\.country_codes is not a valid field/,
    ],
    ["single-work.json", /expected a `meta` object in \{meta, results, group_by\}/],
  ])("rejects %s as a whole with an error naming the source and URL", async (name, message) => {
    const attempt = async () => parseOpenAlex(await input(name));
    await expect(attempt()).rejects.toThrow(ParseError);
    await expect(attempt()).rejects.toThrow(message);
    await expect(async () => nextOpenAlexPages(await input(name))).rejects.toThrow(ParseError);
  });

  it("rebuilds an abstract by position whatever the order of the index keys", () => {
    expect(abstractFromInvertedIndex({ world: [1], hello: [0, 2] })).toBe("hello world hello");
    expect(abstractFromInvertedIndex({})).toBeNull();
    expect(abstractFromInvertedIndex(null)).toBeNull();
  });

  it("shortens OpenAlex work ids and refuses other entities", () => {
    expect(shortOpenAlexId("https://openalex.org/W2741809807")).toBe("W2741809807");
    expect(shortOpenAlexId("w123")).toBe("W123");
    expect(shortOpenAlexId("https://openalex.org/A123")).toBeNull();
  });
});
