import { describe, expect, it } from "vitest";
import { mptcParser, nextMptcPages, parseMptc } from "../../sources/mptc.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { newsItemKey } from "../../sources/rss.js";
import { fixture } from "../helpers.js";

const listUrl = "https://mptc.gov.kh/en/news/";
const releaseUrl =
  "https://mptc.gov.kh/en/2024/12/press-release-on-the-regional-capacity-development-workshop-under-the-theme-" +
  "artificial-intelligence-in-the-public-sector-policy-considerations-and-best-practices";
const khmerUrl = releaseUrl.replace("/en/", "/");

const page = async (name: string, url: string, options?: ParseInput["options"]): Promise<ParseInput> => ({
  sourceId: "mptc-press",
  url,
  body: await fixture("mptc", name),
  options,
});

/** A fixture with some of its text replaced, for variations on a layout. */
const edited = async (name: string, url: string, edit: (html: string) => string, options?: ParseInput["options"]): Promise<ParseInput> => {
  const html = new TextDecoder().decode(await fixture("mptc", name));
  return { sourceId: "mptc-press", url, body: new TextEncoder().encode(edit(html)), options };
};

describe("MPTC press-release scraper", () => {
  it("turns a list page into no rows but the detail pages to fetch, then the next list page", async () => {
    const list = await page("list-en.html", listUrl);
    expect(parseMptc(list)).toEqual({ rows: { news_items: [] }, rejected: [], decoding: { encoding: "utf-8", decidedBy: "html-meta" } });
    expect(nextMptcPages(list)).toEqual([
      releaseUrl,
      "https://mptc.gov.kh/en/news/the-minister/24834/",
      "https://mptc.gov.kh/en/2025/04/press-release-on-process-of-artificial-intelligence-governance/",
      "https://mptc.gov.kh/en/news/page/2/",
    ]);
  });

  it("stops following next links after max_pages list pages", async () => {
    const urls = nextMptcPages(await page("list-en.html", listUrl, { max_pages: 1 }));
    expect(urls).not.toContain("https://mptc.gov.kh/en/news/page/2/");
    expect(urls).toHaveLength(3);
    const third = await edited("list-en.html", "https://mptc.gov.kh/en/news/page/3/", (h) =>
      h.replaceAll("/en/news/page/2/", "/en/news/page/4/"),
    );
    expect(nextMptcPages(third)).not.toContain("https://mptc.gov.kh/en/news/page/4/");
  });

  it("follows only links on the ministry's own host", async () => {
    const offsite = await edited("list-en.html", listUrl, (h) =>
      h.replace('href="/en/news/the-minister/24834/#respond"', 'href="https://evil.example.com/phish"'),
    );
    const urls = nextMptcPages(offsite);
    expect(urls).toHaveLength(3);
    expect(urls.every((u) => u.startsWith("https://mptc.gov.kh/"))).toBe(true);
  });

  it("reads an English press release: title, summary, date, language and canonical URL", async () => {
    const { rows, rejected } = parseMptc(await page("detail-en.html", releaseUrl));
    expect(rejected).toEqual([]);
    expect(rows.news_items).toHaveLength(1);
    const [item] = rows.news_items!;
    expect(item).toMatchObject({
      item_key: newsItemKey(releaseUrl),
      canonical_url: releaseUrl,
      title:
        "Press Release on the Regional Capacity Development Workshop under the theme “Artificial Intelligence in the Public Sector: Policy " +
        "Considerations and Best Practices”",
      published_at: "2024-12-06T03:00:00.000Z",
      outlet: "Ministry of Post and Telecommunications",
      language: "en",
      categories: [],
      kind: "press_release",
    });
    expect(item.summary).toMatch(/^Phnom Penh, 6 December 2024 The Ministry of Post and Telecommunications \(MPTC\) has the honor/);
    expect(item.summary!.length).toBeLessThanOrEqual(1000);
    expect(item.summary).not.toMatch(/shareButtons|related post/);
    expect(nextMptcPages(await page("detail-en.html", releaseUrl))).toEqual([]);
  });

  it("keys a release by its canonical link, whatever tracking parameters the fetched URL had", async () => {
    const { rows } = parseMptc(await page("detail-en.html", `${releaseUrl}/?utm_source=facebook#top`));
    expect(rows.news_items?.[0].item_key).toBe(newsItemKey(releaseUrl));
  });

  it("falls back to article:published_time, then to the date written on the page", async () => {
    const noTime = await edited("detail-en.html", releaseUrl, (h) =>
      h.replace(/<time[^>]*>([^<]*)<\/time>/g, '<span class="entry-date">$1</span>'),
    );
    expect(parseMptc(noTime).rows.news_items?.[0].published_at).toBe("2024-12-06T03:00:00.000Z");
    const noMeta = await edited("detail-en.html", releaseUrl, (h) =>
      h
        .replace(/<time[^>]*>([^<]*)<\/time>/g, '<span class="entry-date">$1</span>')
        .replace(/<meta property="article:published_time"[^>]*>/, ""),
    );
    expect(parseMptc(noMeta).rows.news_items?.[0].published_at).toBe("2024-12-06T00:00:00.000Z");
  });

  it("reads a Khmer press release with a date in Khmer digits and month name, taking the language from the URL", async () => {
    const { rows, rejected } = parseMptc(await page("detail-km.html", khmerUrl));
    expect(rejected).toEqual([]);
    expect(rows.news_items?.[0]).toMatchObject({
      canonical_url: khmerUrl,
      title: "សេចក្តីប្រកាសព័ត៌មាន ស្តីពីសិក្ខាសាលាកសាងសមត្ថភាពថ្នាក់តំបន់ ក្រោមប្រធានបទ «បញ្ញាសិប្បនិម្មិតក្នុងវិស័យសាធារណៈ»",
      published_at: "2024-12-06T00:00:00.000Z",
      language: "km",
      kind: "press_release",
    });
    expect(rows.news_items?.[0].summary).toMatch(/^ក្រសួងប្រៃសណីយ៍និងទូរគមនាគមន៍ សូមជម្រាបជូនថា/);
  });

  it("quarantines a release page that has no title", async () => {
    const untitled = await edited("detail-km.html", khmerUrl, (h) => h.replace(/<h1[^>]*>.*<\/h1>/, ""));
    expect(parseMptc(untitled)).toEqual({
      rows: { news_items: [] },
      rejected: [{ record: khmerUrl, reason: 'no title found (title_selector "h1.entry-title, .entry-title, h1")' }],
      decoding: { encoding: "utf-8", decidedBy: "html-meta" },
    });
  });

  it("fails loudly on a page whose layout matches neither a list nor a release", async () => {
    const changed = await page("layout-changed.html", listUrl);
    expect(() => parseMptc(changed)).toThrow(ParseError);
    expect(() => parseMptc(changed)).toThrow(/^mptc-press: cannot parse https:\/\/mptc\.gov\.kh\/en\/news\/: page layout not recognised/);
    expect(() => nextMptcPages(changed)).toThrow(/page layout not recognised/);
  });

  it("reads a changed layout once the registry options give its selectors", async () => {
    const options = { list_item_selector: ".news-card", link_selector: "a" };
    expect(mptcParser.nextPages!(await page("layout-changed.html", listUrl, options))).toEqual([
      "https://mptc.gov.kh/en/news/item/1",
      "https://mptc.gov.kh/en/news/item/2",
    ]);
  });

  it("treats a URL matching list_url_pattern as a list page even if it has a body", async () => {
    const options = { list_url_pattern: "/en/news/?$" };
    const listWithIntro = await edited("list-en.html", listUrl, (h) =>
      h.replace('<h1 class="page-title">News</h1>', '<h1 class="page-title">News</h1><div class="entry-content"><p>Intro</p></div>'),
    );
    expect(parseMptc(listWithIntro).rows.news_items).toHaveLength(1); // without the pattern the intro reads as a release
    expect(parseMptc({ ...listWithIntro, options }).rows.news_items).toEqual([]);
    expect(nextMptcPages({ ...listWithIntro, options })).toHaveLength(4);
  });

  it("names the option that is wrong", async () => {
    const list = await page("list-en.html", listUrl);
    expect(() => parseMptc({ ...list, options: { max_pages: 0 } })).toThrow(/options\.max_pages: Number must be greater than 0/);
    expect(() => parseMptc({ ...list, options: { list_url_pattern: "(" } })).toThrow(
      /options\.list_url_pattern: is not a valid regular expression/,
    );
  });
});
