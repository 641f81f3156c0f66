// News feeds (RSS 2.0 and Atom, e.g. WordPress `/feed/`) → `news_items` rows. rss-parser reads the
// XML; this module turns its output into plain-text rows and quarantines items that cannot be linked.
import { createHash } from "node:crypto";
import RssParser from "rss-parser";
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { decodeUtf8, parseOptions, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { canonicalUrl, htmlToText, normaliseText, truncateText } from "./text.js";

/** Longest summary kept; the full article stays at its URL. */
export const SUMMARY_MAX_CHARS = 1000;

/** Options an RSS source may set in the registry entry's `options`. */
export const rssOptionsSchema = z
  .object({
    /** Outlet name shown on the site. @default the channel's `<title>` */
    outlet: z.string().trim().min(1).optional(),
    /** Language of the feed's items ("en", "km"). @default the channel's `<language>` or Atom `xml:lang` */
    language: z.string().trim().min(1).optional(),
  })
  .passthrough();

export type RssOptions = z.infer<typeof rssOptionsSchema>;

type FeedItem = RssParser.Item & { id?: string; rawCategories?: unknown[] };

const TIMESTAMP_ELEMENTS = new Set(["published", "updated", "pubDate", "dc:date"]);

// A fresh parser per document: xml2js parsers keep state between calls.
function feedParser() {
  return new RssParser<{ language?: string }, FeedItem>({
    customFields: { item: [["category", "rawCategories", { keepArray: true }]] },
    xml2js: {
      // rss-parser converts an Atom entry's <published> with `new Date(...).toISOString()`, which throws on
      // a bad date and fails the whole feed; blanking unparseable dates first keeps the other items.
      valueProcessors: [(value: string, name: string) => (TIMESTAMP_ELEMENTS.has(name) && Number.isNaN(Date.parse(value.trim())) ? "" : value)],
    },
  });
}

/** A short stable key for a news item: the hash of its canonical URL (or of its guid when it has no link). */
export function newsItemKey(identity: string): string {
  return createHash("sha256").update(identity).digest("hex").slice(0, 24);
}

/** "en-US" → "en", "km-KH" → "km"; "kh" (a common mistake for Khmer) → "km". */
export function normaliseLanguage(language: unknown): string | null {
  if (typeof language !== "string" || language.trim() === "") return null;
  const primary = language.trim().toLowerCase().split(/[-_]/)[0];
  return primary === "kh" || primary === "khm" ? "km" : primary;
}

function readOptions(input: ParseInput): RssOptions {
  return parseOptions(input, rssOptionsSchema);
}

/** xml2js gives an object instead of a string when an element has unexpected children or attributes only. */
const asString = (value: unknown): string => (typeof value === "string" ? value : "");

function categoryText(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  if (typeof raw === "object" && raw !== null) {
    const r = raw as { _?: unknown; $?: { term?: unknown; label?: unknown } };
    for (const v of [r._, r.$?.label, r.$?.term]) if (typeof v === "string") return v;
  }
  return undefined;
}

function categoriesOf(item: FeedItem): string[] {
  const names = (item.rawCategories ?? item.categories ?? []).map(categoryText).filter((c): c is string => c !== undefined);
  return [...new Set(names.map(htmlToText).filter((c) => c !== ""))];
}

function isoTimestamp(item: FeedItem): string | null {
  for (const candidate of [item.isoDate, item.pubDate]) {
    if (typeof candidate !== "string" || candidate.trim() === "") continue;
    const time = Date.parse(candidate.trim());
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return null;
}

/** Atom puts the language on the root element, which rss-parser does not report. */
function atomLanguage(xml: string): string | undefined {
  return /<feed\b[^>]*\bxml:lang\s*=\s*["']([^"']+)["']/.exec(xml.slice(0, 4000))?.[1];
}

// WordPress (with Yoast) ends every excerpt with "The post <title> appeared first on <site>."
const WORDPRESS_FOOTER = /\s*The post .+ appeared first on .+\.$/;

const describeLink = (link: string) => JSON.stringify(link.length > 80 ? `${link.slice(0, 80)}…` : link);

export async function parseRss(input: ParseInput): Promise<ParseResult> {
  const options = readOptions(input);
  let xml: string;
  try {
    xml = decodeUtf8(input.body);
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not UTF-8 text (${(error as Error).message})`);
  }
  let feed: Awaited<ReturnType<ReturnType<typeof feedParser>["parseString"]>>;
  try {
    feed = await feedParser().parseString(xml);
  } catch (error) {
    const detail = (error as Error).message.replace(/\s+/g, " ").trim();
    throw new ParseError(input.sourceId, input.url, `not a readable RSS or Atom feed (${detail})`);
  }

  const outlet = options.outlet ?? (htmlToText(asString(feed.title)) || null);
  const language = normaliseLanguage(options.language ?? (asString(feed.language) || atomLanguage(xml)));
  // Relative item links resolve against the site's link, else the feed's own URL.
  const base = canonicalUrl(asString(feed.link)) ?? input.url;

  const news: Array<RowOf<"news_items">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  feed.items.forEach((item, i) => {
    const where = `items[${i}]`;
    const title = htmlToText(asString(item.title));
    const rawLink = asString(item.link).trim();
    if (rawLink === "" && title === "") return rejected.push({ record: where, reason: "item has neither a link nor a title" });

    let url: string | null = null;
    if (rawLink !== "") {
      let resolved: string;
      try {
        resolved = new URL(rawLink, base).toString();
      } catch {
        return rejected.push({ record: where, reason: `link ${describeLink(rawLink)} is not a valid URL` });
      }
      url = canonicalUrl(resolved);
      if (url === null) {
        return rejected.push({ record: where, reason: `link ${describeLink(rawLink)} is not http(s), so it cannot be linked safely` });
      }
    }
    const guid = normaliseText(asString(item.guid) || asString(item.id));
    const identity = url ?? (guid !== "" ? `guid:${guid}` : `title:${outlet ?? ""}|${title}|${asString(item.pubDate)}`);
    const key = newsItemKey(identity);
    if (seen.has(key)) return rejected.push({ record: where, reason: `repeats an earlier item with the same ${url ? "link" : "guid"}` });
    seen.add(key);

    const summarySource = asString(item.summary) || asString(item.content) || asString((item as Record<string, unknown>)["content:encoded"]);
    const summary = htmlToText(summarySource).replace(WORDPRESS_FOOTER, "");
    news.push({
      item_key: key,
      canonical_url: url,
      title: title || null,
      summary: summary ? truncateText(summary, SUMMARY_MAX_CHARS) : null,
      published_at: isoTimestamp(item),
      outlet,
      language,
      categories: categoriesOf(item),
      kind: "news",
    });
  });
  return { rows: { news_items: news }, rejected };
}

export const rssParser: Parser = { parse: parseRss };
