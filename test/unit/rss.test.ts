import { describe, expect, it } from "vitest";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { newsItemKey, normaliseLanguage, parseRss, rssParser } from "../../sources/rss.js";
import { fixture } from "../helpers.js";

const input = async (name: string, options?: ParseInput["options"]): Promise<ParseInput> => ({
  sourceId: "example-news",
  url: "https://news.example.kh/feed/",
  body: await fixture("rss", name),
  options,
});

describe("RSS and Atom parser", () => {
  it("reads a WordPress RSS 2.0 feed into plain-text news items", async () => {
    const { rows, rejected } = await parseRss(await input("wordpress.xml"));
    expect(rejected).toEqual([]);
    expect(rows.news_items?.[0]).toEqual({
      item_key: newsItemKey("https://news.example.kh/2025/07/02/ministry-condemns-ai-deepfake"),
      canonical_url: "https://news.example.kh/2025/07/02/ministry-condemns-ai-deepfake",
      title: "Ministry condemns AI deepfake video",
      summary: "The ministry said the video, which imitates a senior official’s voice, was made with artificial intelligence …",
      published_at: "2025-07-02T08:15:00.000Z",
      outlet: "Example Cambodian News",
      language: "en",
      categories: ["National", "Technology"],
      kind: "news",
    });
    expect(rows.news_items?.[1].title).toBe("Cambodia’s draft AI strategy opens for consultation");
  });

  it("keeps an item with a bad date or an empty excerpt, with those fields null", async () => {
    const { rows } = await parseRss(await input("wordpress.xml"));
    expect(rows.news_items?.[2]).toMatchObject({ title: "Rice exports up in first half", published_at: null, summary: null });
  });

  it("lets the registry options name the outlet and the language", async () => {
    // The feed says en-US; the option's km-KH must win (an ignored option would leave "en").
    const { rows } = await parseRss(await input("wordpress.xml", { outlet: "Example News (Khmer)", language: "km-KH" }));
    expect(rows.news_items?.length).toBe(3);
    expect(rows.news_items?.map((n) => [n.outlet, n.language])).toEqual(rows.news_items?.map(() => ["Example News (Khmer)", "km"]));
  });

  it("reads an Atom feed: entry links, HTML titles, categories, xml:lang and published time", async () => {
    const { rows, rejected } = await parseRss(await input("atom.xml"));
    expect(rejected).toEqual([]);
    expect(rows.news_items).toEqual([
      {
        item_key: newsItemKey("https://tech.example.kh/2025/07/khmer-chatbots-banks"),
        canonical_url: "https://tech.example.kh/2025/07/khmer-chatbots-banks",
        title: "Startups bring Khmer chatbots to banks",
        summary: "Two banks now answer customers in Khmer.",
        published_at: "2025-07-03T02:30:00.000Z",
        outlet: "Example Tech Desk",
        language: "en",
        categories: ["Fintech", "ai"],
        kind: "news",
      },
      expect.objectContaining({
        title: "Data centre plans announced",
        summary: "A new data centre is planned near Phnom Penh.",
        published_at: null,
      }),
    ]);
  });

  it("reads a Khmer feed, dropping the zero-width spaces in its titles and taking km from km-KH", async () => {
    const { rows } = await parseRss(await input("khmer.xml"));
    const [scam, strategy] = rows.news_items!;
    expect(scam.title).toBe("ក្រសួងព្រមានពីការឆបោកតាមអនឡាញដោយប្រើបញ្ញាសិប្បនិម្មិត");
    expect(scam.title).not.toMatch(/\u200B/);
    expect(scam.summary).toBe("ប្រជាពលរដ្ឋត្រូវប្រុងប្រយ័ត្ន ចំពោះវីដេអូក្លែងក្លាយ។");
    expect(scam.published_at).toBe("2024-12-06T03:00:00.000Z");
    expect(scam.language).toBe("km");
    expect(scam.outlet).toBe("ព័ត៌មានឧទាហរណ៍");
    expect(scam.categories).toEqual(["សង្គម"]);
    expect(strategy.title).toBe("យុទ្ធសាស្ត្រជាតិស្ដីពីបញ្ញាសិប្បនិម្មិត");
  });

  it("strips tracking parameters from links, resolves relative links and quarantines repeats of the same link", async () => {
    const { rows, rejected } = await parseRss(await input("tracking.xml"));
    expect(rows.news_items?.map((n) => n.canonical_url)).toEqual([
      "https://wire.example.kh/news/mou-ai-research?id=7",
      "https://wire.example.kh/news/hackathon-winners?a=1&b=2",
    ]);
    expect(rejected).toEqual([
      { record: 'items[1] "MPTC signs MoU on AI research (updated)"', reason: "repeats an earlier item with the same link" },
    ]);
  });

  it("gives an item the same key whatever tracking parameters its link carried", async () => {
    const { rows } = await parseRss(await input("tracking.xml"));
    expect(rows.news_items?.[0].item_key).toBe(newsItemKey("https://wire.example.kh/news/mou-ai-research?id=7"));
  });

  it("stores markup in titles and summaries as plain text and rejects javascript: and data: links", async () => {
    const { rows, rejected } = await parseRss(await input("xss.xml"));
    expect(rows.news_items).toHaveLength(1);
    const [item] = rows.news_items!;
    expect(item.title).toBe("Breaking news");
    expect(item.summary).toBe("Read this.");
    expect(item.outlet).toBe("Example Hostile Feed");
    expect(JSON.stringify(item)).not.toMatch(/<|javascript:|onerror/i);
    expect(rejected).toEqual([
      { record: 'items[1] "Click me"', reason: 'link "javascript:alert(document.domain)" is not http(s), so it cannot be linked safely' },
      {
        record: 'items[2] "Data URL"',
        reason: expect.stringMatching(/^link "data:text\/html;base64,.*" is not http\(s\), so it cannot be linked safely$/),
      },
      { record: "items[3]", reason: "item has neither a link nor a title" },
    ]);
  });

  it("keys an item without a link by its guid", async () => {
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>No link</title><guid isPermaLink="false">abc-1</guid></item></channel></rss>`;
    const { rows } = await parseRss({
      sourceId: "example-news",
      url: "https://news.example.kh/feed/",
      body: new TextEncoder().encode(xml),
    });
    expect(rows.news_items?.[0]).toMatchObject({ item_key: newsItemKey("guid:abc-1"), canonical_url: null, title: "No link" });
  });

  it("reads a title that holds markup as its text, and an Atom-style link href inside RSS", async () => {
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
      <item><title><b>bold</b> move</title><link href="https://news.example.kh/a"/></item>
      <item><title>Fine</title><link>https://news.example.kh/b</link></item></channel></rss>`;
    const { rows, rejected } = await parseRss({
      sourceId: "example-news",
      url: "https://news.example.kh/feed/",
      body: new TextEncoder().encode(xml),
    });
    expect(rows.news_items?.map((n) => [n.title, n.canonical_url])).toEqual([
      ["bold move", "https://news.example.kh/a"],
      ["Fine", "https://news.example.kh/b"],
    ]);
    expect(rejected).toEqual([]);
  });

  const feed = (xml: string): ParseInput => ({
    sourceId: "example-news",
    url: "https://news.example.kh/feed/",
    body: new TextEncoder().encode(xml),
  });

  it("reads Atom whatever prefix its namespace is bound to", async () => {
    const { rows, rejected } = await parseRss(
      feed(`<?xml version="1.0"?><p0:feed xmlns:p0="http://www.w3.org/2005/Atom" xml:lang="km"><p0:title>T</p0:title>
        <p0:entry><p0:title>First</p0:title><p0:link href="https://news.example.kh/a"/><p0:updated>2025-01-02T03:04:05Z</p0:updated></p0:entry></p0:feed>`),
    );
    expect(rejected).toEqual([]);
    expect(rows.news_items).toEqual([
      expect.objectContaining({
        title: "First",
        canonical_url: "https://news.example.kh/a",
        published_at: "2025-01-02T03:04:05.000Z",
        language: "km",
        outlet: "T",
      }),
    ]);
  });

  it("accounts for an entry the feed reader does not return with a rejection naming it", async () => {
    const { rows, rejected } = await parseRss(
      feed(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>
        <item><title>Kept</title><link>https://news.example.kh/a</link></item>
        <atom:entry><atom:title>Stray</atom:title><atom:link href="https://news.example.kh/b"/></atom:entry></channel></rss>`),
    );
    expect(rows.news_items?.map((n) => n.title)).toEqual(["Kept"]);
    expect(rejected).toEqual([
      { record: 'items[1] "Stray"', reason: "the entry is in the XML but the feed reader returned nothing for it" },
    ]);
  });

  it("reads XHTML content in document order and text content without decoding its entities twice", async () => {
    const { rows } = await parseRss(
      feed(`<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
        <entry><title type="text">AT&amp;amp;T &lt;b&gt; tags</title><link href="https://news.example.kh/a"/>
          <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>The <em>interface</em> is a bit <a href="x">low level</a>, but <b>workable</b>.</p><p>Next</p></div></content></entry></feed>`),
    );
    expect(rows.news_items?.[0]).toMatchObject({
      title: "AT&amp;T <b> tags",
      summary: "The interface is a bit low level, but workable. Next",
    });
  });

  it("reads RSS 0.91 with the HTML entities its Netscape DTD defines, and items outside a channel", async () => {
    const netscape = await parseRss(
      feed(`<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
        <rss version="0.91"><channel><title>Caf&eacute;</title><item><title>Cr&egrave;me&nbsp;br&ucirc;l&eacute;e &amp; more</title><link>https://news.example.kh/a</link></item></channel></rss>`),
    );
    expect(netscape.rows.news_items?.map((n) => [n.outlet, n.title])).toEqual([["Café", "Crème brûlée & more"]]);
    const bare = await parseRss(feed(`<rss><item><title>Loose</title><link>https://news.example.kh/b</link></item></rss>`));
    expect(bare).toMatchObject({
      rows: { news_items: [expect.objectContaining({ title: "Loose", canonical_url: "https://news.example.kh/b" })] },
      rejected: [],
    });
  });

  it("names the registry option that is wrong", async () => {
    await expect(parseRss(await input("wordpress.xml", { outlet: 42 }))).rejects.toThrow(
      /example-news: cannot parse .*: options\.outlet: Expected string, received number/,
    );
  });

  it("is deterministic: the same bytes give the same rows", async () => {
    expect(await parseRss(await input("wordpress.xml"))).toEqual(await parseRss(await input("wordpress.xml")));
  });

  it.each([["truncated.xml", /example-news: cannot parse https:\/\/news\.example\.kh\/feed\/: not well-formed XML \(Unclosed root tag/]])(
    "rejects %s as a whole with an error naming the source and URL",
    async (name, message) => {
      const attempt = async () => rssParser.parse(await input(name));
      await expect(attempt()).rejects.toThrow(ParseError);
      await expect(attempt()).rejects.toThrow(message);
    },
  );

  it("rejects an HTML page, naming its root element, and reads undeclared Latin-1 bytes as windows-1252", async () => {
    const html = {
      sourceId: "example-news",
      url: "https://news.example.kh/feed/",
      body: new TextEncoder().encode("<html><body>Not a feed</body></html>"),
    };
    await expect(parseRss(html)).rejects.toThrow(
      /^example-news: cannot parse https:\/\/news\.example\.kh\/feed\/: not an RSS or Atom feed: the root element is <html>$/,
    );
    // "<rss version="2.0"><channel><title>Caf\xe9</title></channel></rss>" in Latin-1, declaring nothing.
    const latin1 = {
      ...html,
      body: new Uint8Array([
        ...new TextEncoder().encode('<rss version="2.0"><channel><title>Caf'),
        0xe9,
        ...new TextEncoder().encode("</title></channel></rss>"),
      ]),
    };
    expect(await parseRss(latin1)).toEqual({
      rows: { news_items: [] },
      rejected: [],
      decoding: { encoding: "windows-1252", decidedBy: "fallback", note: "no encoding declared and the bytes are not UTF-8" },
    });
  });

  it("normalises language tags to their primary subtag, mapping kh to km", () => {
    expect([
      normaliseLanguage("en-US"),
      normaliseLanguage("km-KH"),
      normaliseLanguage("KH"),
      normaliseLanguage(""),
      normaliseLanguage(undefined),
    ]).toEqual(["en", "km", "km", null, null]);
  });
});
