// Every real payload in test/fixtures/wild/ (other projects' test feeds and recorded API pages; origins
// in its README) with its expected outcome: rows, rejections, the encoding used, or the error.
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { EncodingSource } from "../../sources/decode.js";
import { ParseError, type ParseInput, type ParseResult } from "../../sources/parser.js";
import { parseRss } from "../../sources/rss.js";
import { nextMptcPages, parseMptc } from "../../sources/mptc.js";
import { nextWorldBankPages, parseWorldBank } from "../../sources/worldbank.js";
import { fixture, repoRoot } from "../helpers.js";

const WILD = path.join(repoRoot, "test", "fixtures", "wild");

type Feed = {
  file: string;
  /** The header the originating test suite serves the file with. */
  contentType?: string;
} & ({ rows: number; rejected: number; encoding: string; decidedBy: EncodingSource } | { error: RegExp });

const feeds: Feed[] = [
  // Encodings
  { file: "rss-parser--encoding-gb2312.xml", rows: 1, rejected: 0, encoding: "gbk", decidedBy: "xml-declaration" },
  { file: "rss-parser--latin2.rss", rows: 1, rejected: 0, encoding: "iso-8859-2", decidedBy: "xml-declaration" },
  { file: "rss-parser--rss091.rss", rows: 15, rejected: 0, encoding: "windows-1252", decidedBy: "xml-declaration" },
  { file: "rss-parser--encoding.rss", rows: 40, rejected: 0, encoding: "windows-1252", decidedBy: "xml-declaration" },
  { file: "rss-parser--heraldsun.rss", rows: 2, rejected: 0, encoding: "windows-1252", decidedBy: "xml-declaration" },
  { file: "rss-parser--uolNoticias.rss", rows: 15, rejected: 0, encoding: "windows-1252", decidedBy: "fallback" },
  { file: "node-feedparser--iconv.xml", rows: 10, rejected: 0, encoding: "windows-1251", decidedBy: "xml-declaration" },
  { file: "feedparser--encoding_euc-kr-item.xml", rows: 0, rejected: 1, encoding: "euc-kr", decidedBy: "xml-declaration" },
  {
    file: "feedparser--encoding_http_text_xml_charset_2.xml",
    contentType: "text/xml; charset=windows-1252",
    rows: 1,
    rejected: 0,
    encoding: "windows-1252",
    decidedBy: "content-type",
  },
  {
    file: "feedparser--encoding_http_application_atom_xml_gb2312_charset.xml",
    contentType: "application/atom+xml;charset='gb2312'",
    rows: 0,
    rejected: 0,
    encoding: "gbk",
    decidedBy: "content-type",
  },
  {
    file: "feedparser--encoding_http_i18n.xml",
    contentType: "application/xml",
    rows: 0,
    rejected: 0,
    encoding: "utf-8",
    decidedBy: "xml-declaration",
  },
  { file: "feedparser--encoding_utf-16le-bom.xml", rows: 0, rejected: 0, encoding: "utf-16le", decidedBy: "bom" },
  {
    file: "feedparser--encoding_bozo_bogus_encoding.xml",
    error: /cannot decode the text: XML declaration encoding="bogus" names no encoding this reader knows$/,
  },
  // Namespace forms and versions
  { file: "node-feedparser--nondefaultnamespace.atom", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "node-feedparser--nondefaultnamespace-xhtml.atom", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "node-feedparser--nondefaultnamespace-baseline.atom", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "node-feedparser--unknown-namespace.atom", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "node-feedparser--intertwingly.atom", rows: 20, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--heise.atom", rows: 15, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--feedburner.atom", rows: 25, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--gulp-atom.atom", rows: 10, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--incomplete-fields.atom", rows: 0, rejected: 1, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--missing-fields.atom", rows: 0, rejected: 1, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--rss-1.rss", rows: 69, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--craigslist.rss", rows: 25, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  {
    file: "feedparser--wellformed_rdf_rss_version_10_not_default_ns.xml",
    rows: 0,
    rejected: 0,
    encoding: "utf-8",
    decidedBy: "undeclared-utf-8",
  },
  {
    file: "feedparser--wellformed_rss_rss_version_091_netscape.xml",
    rows: 0,
    rejected: 0,
    encoding: "utf-8",
    decidedBy: "undeclared-utf-8",
  },
  { file: "node-feedparser--rss2sample.xml", rows: 4, rejected: 0, encoding: "utf-8", decidedBy: "undeclared-utf-8" },
  { file: "node-feedparser--guid-dupes.xml", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--reddit-atom.rss", rows: 24, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--content-encoded.rss", rows: 7, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--narro.rss", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--instant-article.rss", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--pagination-links.rss", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "rss-parser--xhtml-content-order.rss", rows: 1, rejected: 0, encoding: "utf-8", decidedBy: "xml-declaration" },
  { file: "feedparser--wellformed_rss_item_xhtml_body.xml", rows: 0, rejected: 1, encoding: "utf-8", decidedBy: "undeclared-utf-8" },
  // Not feeds, or not well-formed
  { file: "node-feedparser--notafeed.html", error: /not an RSS or Atom feed: the root element is <html>$/ },
  { file: "rss-parser--unrecognized.rss", error: /not an RSS or Atom feed: the root element is <head>$/ },
  { file: "node-feedparser--saxerror.xml", error: /not well-formed XML \(Invalid character in entity name Line: 14 Column: 45/ },
  { file: "feedparser--illformed_aaa_illformed.xml", error: /not well-formed XML \(Unclosed root tag Line: 5/ },
  { file: "feedparser--illformed_rss_incomplete_cdata.xml", error: /not well-formed XML \(Unclosed root tag Line: 13/ },
  { file: "html_trawl--feeds_wordpress.xml", error: /not well-formed XML \(Non-whitespace before first tag/ },
];

const feedInput = async (f: Feed): Promise<ParseInput> => ({
  sourceId: "wild-feed",
  url: `https://feeds.example.org/${f.file}`,
  body: await fixture("wild", f.file),
  contentType: f.contentType,
});

const news = (r: ParseResult) => r.rows.news_items ?? [];

/** Entries as a reader of the raw XML sees them: every <item> or <entry> start tag, any prefix. */
function entriesInRawXml(body: Uint8Array, encoding: string): number {
  return (new TextDecoder(encoding).decode(body).match(/<(?:[\w.-]+:)?(?:item|entry)[\s/>]/g) ?? []).length;
}

describe("real feeds from other projects' test suites", () => {
  it("covers every feed and page in the folder", async () => {
    const files = (await fs.readdir(WILD)).filter((f) => f !== "README.md");
    const listed = [...feeds.map((f) => f.file), ...worldBankFiles, ...pageFiles];
    expect([...listed].sort()).toEqual(files.sort());
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(feeds)("$file", async (f) => {
    const input = await feedInput(f);
    if ("error" in f) {
      const attempt = parseRss(input);
      await expect(attempt).rejects.toThrow(ParseError);
      await expect(parseRss(input)).rejects.toThrow(
        new RegExp(`^wild-feed: cannot parse https://feeds\\.example\\.org/${f.file.replace(/[.]/g, "\\.")}: ${f.error.source}`),
      );
      return;
    }
    const result = await parseRss(input);
    expect({
      rows: news(result).length,
      rejected: result.rejected.length,
      encoding: result.decoding?.encoding,
      decidedBy: result.decoding?.decidedBy,
    }).toEqual({
      rows: f.rows,
      rejected: f.rejected,
      encoding: f.encoding,
      decidedBy: f.decidedBy,
    });
    // Nothing vanishes: every entry in the raw XML is a row or a rejection.
    expect(news(result).length + result.rejected.length).toBe(entriesInRawXml(input.body, f.encoding));
    // No sign of a wrong decoding: C1 control characters or replacement characters.
    for (const row of news(result)) expect(`${row.title ?? ""} ${row.summary ?? ""}`).not.toMatch(/[\u0080-\u009f\ufffd]/);
  });

  it("reads GB2312, ISO-8859-2, windows-1251 and undeclared Latin-1 to the right text", async () => {
    const first = async (file: string, contentType?: string) => news(await parseRss(await feedInput({ file, contentType, error: /./ })))[0];
    expect(await first("rss-parser--encoding-gb2312.xml")).toMatchObject({
      title: "拟298亿元重组盛大游戏后 世纪华通发20亿回购预案",
      canonical_url: "http://tech.qq.com/a/20180919/009008.htm",
      outlet: "互联网",
    });
    expect(await first("rss-parser--latin2.rss")).toEqual({
      item_key: expect.any(String),
      canonical_url: "http://www.example.pl/news/1",
      title: "ZAŻÓŁĆ GĘSLĄ JAŹŃ",
      summary: "Szedł sasza suchą szosą",
      published_at: "2019-10-18T15:27:37.000Z",
      outlet: "EXAMPLE.pl",
      language: "pl",
      categories: [],
      kind: "news",
    });
    expect((await first("node-feedparser--iconv.xml")).title).toBe("В Бузулуке главные стройплощадки – детсад и Ледовый дворец");
    expect((await first("rss-parser--uolNoticias.rss")).title).toBe(
      "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
    );
    expect((await first("feedparser--encoding_http_text_xml_charset_2.xml", "text/xml; charset=windows-1252")).summary).toBe(
      "This is a £“test.”",
    );
  });

  it("reads Atom bound to a prefix, with its XHTML content in document order", async () => {
    const [entry] = news(await parseRss(await feedInput({ file: "node-feedparser--nondefaultnamespace.atom", error: /./ })));
    expect(entry).toMatchObject({
      canonical_url: "http://example.org/tests/namespace/result.html",
      title: "If you can read the content of this entry, your aggregator works fine.",
      summary:
        "For information, see: Who knows an XML document from a hole in the ground? More on Atom aggregator XML namespace conformance tests " +
        "XML Namespace Conformance Tests",
      published_at: "2006-01-18T11:26:54.000Z",
      outlet: "Non-default namespace test",
    });
    const [xhtml] = news(await parseRss(await feedInput({ file: "node-feedparser--nondefaultnamespace-xhtml.atom", error: /./ })));
    expect(xhtml.summary).toBe(entry.summary);
    const [order] = news(await parseRss(await feedInput({ file: "rss-parser--xhtml-content-order.rss", error: /./ })));
    expect(order.summary).toBe(
      "Task_A 2024-08-07T15:33:29+00:00 Description for Task A Task_B 2024-08-06T08:45:27+00:00 Description for Task B",
    );
    const posts = news(await parseRss(await feedInput({ file: "node-feedparser--intertwingly.atom", error: /./ })));
    expect(posts[0].summary).toMatch(/^The interface is a bit low level, but workable: require 'dbus'/);
  });

  it("rejects entries that cannot be linked or named, saying which", async () => {
    const { rejected } = await parseRss(await feedInput({ file: "feedparser--encoding_euc-kr-item.xml", error: /./ }));
    expect(rejected).toEqual([{ record: "items[0]", reason: "item has neither a link nor a title" }]);
  });
});

const worldBankFiles = [
  "worldbankdata-jl--us-gnp-pcap-1990-1997.json",
  "trase--world_bank_gdp_indicators.json",
  "trase--world_bank_forested_land_area_indicators.json",
  "trase--world_bank_population_for_other_countries_indicators.json",
  "brightcreations--pa-nus-fcrf-2024-page1.json",
];

describe("real World Bank pages from other projects' tests", () => {
  const wb = async (file: string, url: string): Promise<ParseInput> => ({ sourceId: "wild-wb", url, body: await fixture("wild", file) });

  it("reads a last page of country values exactly", async () => {
    const url = "http://api.worldbank.org/v2/countries/US/indicators/NY.GNP.PCAP.CD?date=1990:1997&format=json";
    const input = await wb("worldbankdata-jl--us-gnp-pcap-1990-1997.json", url);
    const { rows, rejected } = parseWorldBank(input);
    expect(rejected).toEqual([]);
    expect(rows.observations?.map((o) => [o.country_iso3, o.period, o.value])).toEqual([
      ["USA", "1997", 31270],
      ["USA", "1996", 30270],
      ["USA", "1995", 29040],
      ["USA", "1994", 27650],
      ["USA", "1993", 26390],
      ["USA", "1992", 25680],
      ["USA", "1991", 24270],
      ["USA", "1990", 24060],
    ]);
    expect(rows.indicators).toEqual([
      {
        indicator_code: "NY.GNP.PCAP.CD",
        name: "GNI per capita, Atlas method (current US$)",
        unit: null,
        source_note: "World Bank World Development Indicators, last updated 2020-07-01",
      },
    ]);
    expect(nextWorldBankPages(input)).toEqual([]);
  });

  it("refuses aggregates and aggregate ids as countries, naming each", async () => {
    const { rows, rejected } = parseWorldBank(
      await wb("trase--world_bank_gdp_indicators.json", "https://api.worldbank.org/v2/country/all/indicator/NY.GDP.MKTP.CD?format=json"),
    );
    expect(rows.observations).toEqual([]);
    expect(rejected).toEqual([
      {
        record: "NY.GDP.MKTP.CD/ARG/2013",
        reason: "World Bank id 1A is an aggregate's, not a country's, although countryiso3code is ARG (\"Argentina\")",
      },
      { record: "NY.GDP.MKTP.CD/CSS/2013", reason: "CSS (Caribbean small states) is a World Bank aggregate, not a country" },
      { record: "NY.GDP.MKTP.CD/CEB/2013", reason: "CEB (Central Europe and the Baltics) is a World Bank aggregate, not a country" },
      { record: "NY.GDP.MKTP.CD/EAR/2013", reason: "EAR (Early-demographic dividend) is a World Bank aggregate, not a country" },
    ]);
    const forest = parseWorldBank(
      await wb(
        "trase--world_bank_forested_land_area_indicators.json",
        "https://api.worldbank.org/v2/country/all/indicator/AG.LND.FRST.K2?format=json",
      ),
    );
    expect(forest.rejected.map((r) => r.record)).toEqual([
      "AG.LND.FRST.K2/ARG/2013",
      "AG.LND.FRST.K2/CSS/2013",
      "AG.LND.FRST.K2/CEB/2013",
      "AG.LND.FRST.K2/EAR/2013",
    ]);
    const other = parseWorldBank(
      await wb(
        "trase--world_bank_population_for_other_countries_indicators.json",
        "https://api.worldbank.org/v2/country/all/indicator/SP.POP.TOTL?format=json",
      ),
    );
    expect(other.rejected).toEqual([
      { record: "SP.POP.TOTL/ZZ/2013", reason: 'countryiso3code "ZZ" is not a 3-letter ISO code ("World", World Bank id 1A)' },
    ]);
  });

  it("refuses an aggregate's empty value and asks for the next of 266 pages", async () => {
    const url = "https://api.worldbank.org/v2/country/all/indicator/PA.NUS.FCRF?date=2024&format=json&per_page=1";
    const input = await wb("brightcreations--pa-nus-fcrf-2024-page1.json", url);
    expect(parseWorldBank(input)).toEqual({
      rows: { observations: [], indicators: [] },
      rejected: [{ record: "PA.NUS.FCRF/AFE/2024", reason: "AFE (Africa Eastern and Southern) is a World Bank aggregate, not a country" }],
    });
    expect(nextWorldBankPages(input)).toEqual([`${url}&page=2`]);
  });
});

const pageFiles = [
  "html_trawl--pages_wp-elliott-index.html",
  "html_trawl--pages_wordpress.html",
  "html_trawl--posts_danwin-mid.html",
  "html_trawl--posts_whitehouse.blogpost.html",
];

describe("real WordPress and Drupal pages through the MPTC press-page scraper", () => {
  const page = async (file: string, url: string): Promise<ParseInput> => ({
    sourceId: "mptc-press",
    url,
    body: await fixture("wild", file),
  });

  it("reads a WordPress list page as the posts to fetch, at the site it was saved from", async () => {
    const list = await page("html_trawl--pages_wp-elliott-index.html", "http://example.com/");
    expect(parseMptc(list)).toEqual({ rows: { news_items: [] }, rejected: [], decoding: { encoding: "utf-8", decidedBy: "html-meta" } });
    const next = nextMptcPages(list);
    expect(next).toHaveLength(7);
    expect(next[0]).toBe("http://example.com/elexamples-email/have-you-ever-seen-a-gremlin/");
    expect(nextMptcPages(await page("html_trawl--pages_wordpress.html", "http://example.wordpress.com/"))).toEqual([
      "http://example.wordpress.com/2008/02/19/hello-world/",
    ]);
  });

  it("fails loudly on a list page whose entries all link to another site", async () => {
    const elsewhere = await page("html_trawl--pages_wp-elliott-index.html", "https://mptc.gov.kh/news/");
    expect(() => parseMptc(elsewhere)).toThrow(
      /^mptc-press: cannot parse https:\/\/mptc\.gov\.kh\/news\/: list page has 7 linked entries \("article" with ".entry-title a, h2 a, h3 a"\) but none links to another page on mptc\.gov\.kh \(first link: "http:\/\/example\.com\/elexamples-email\/have-you-ever-seen-a-gremlin\/"\)$/,
    );
  });

  it("reads a WordPress post page into one item with its title, date and body", async () => {
    const url = "http://blog.danwin.com/the-google-death-and-resurrection-of-amy-wilentz/";
    const { rows, rejected } = parseMptc(await page("html_trawl--posts_danwin-mid.html", url));
    expect(rejected).toEqual([]);
    expect(rows.news_items).toEqual([
      {
        item_key: expect.any(String),
        canonical_url: "http://blog.danwin.com/the-google-death-and-resurrection-of-amy-wilentz",
        title: "The Google death and resurrection of Amy Wilentz",
        summary: expect.stringMatching(
          /^Author Amy Wilentz has a fun piece about how Google listed her as “dead” in the rich snippet search result for her name\./,
        ),
        published_at: "2013-03-22T13:29:24.000Z",
        outlet: "Ministry of Post and Telecommunications",
        language: "en",
        categories: [],
        kind: "press_release",
      },
    ]);
  });

  it("fails loudly on a Drupal page that matches neither shape, naming the selectors tried", async () => {
    const url = "http://www.whitehouse.gov/blog/2013/06/14/financial-disclosure-reports-now-available";
    expect(() => parseMptc({ sourceId: "mptc-press", url, body: new Uint8Array() })).toThrow(ParseError);
    const drupal = await page("html_trawl--posts_whitehouse.blogpost.html", url);
    expect(() => parseMptc(drupal)).toThrow(
      `mptc-press: cannot parse ${url}: page layout not recognised: no article body (".entry-content") and no linked list entries ("article" ` +
        `with ".entry-title a, h2 a, h3 a")`,
    );
  });
});
