// Press releases of the Ministry of Post and Telecommunications (mptc.gov.kh), scraped with cheerio.
// A list page yields no rows, only the detail pages to fetch next; a detail page yields one news item.
// No stored copy of the live listing HTML exists, so the selectors default to
// a WordPress layout and can be overridden per source; a page matching neither shape fails loudly.
import * as cheerio from "cheerio";
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { decodeDocument, legacyKhmerFont, type Decoding } from "./decode.js";
import { parseOptions, ParseError, type ParseInput, type ParseResult, type Parser } from "./parser.js";
import { newsItemKey, normaliseLanguage, SUMMARY_MAX_CHARS } from "./rss.js";
import { canonicalUrl, htmlToText, normaliseText, parseKhmerDate, truncateText } from "./text.js";

/** Options an MPTC source may set in the registry entry's `options`; each selector is a CSS selector. */
export const mptcOptionsSchema = z
  .object({
    /** One entry of a list page. @default "article" */
    list_item_selector: z.string().min(1).default("article"),
    /** The link to the detail page inside a list entry. @default ".entry-title a, h2 a, h3 a" */
    link_selector: z.string().min(1).default(".entry-title a, h2 a, h3 a"),
    /** The title of a detail page. @default "h1.entry-title, .entry-title, h1" */
    title_selector: z.string().min(1).default("h1.entry-title, .entry-title, h1"),
    /** The publication date of a detail page (a `datetime` attribute, else its text). @default "time[datetime], .entry-date, .posted-on, .published, .date" */
    date_selector: z.string().min(1).default("time[datetime], .entry-date, .posted-on, .published, .date"),
    /** The body of a detail page. @default ".entry-content" */
    body_selector: z.string().min(1).default(".entry-content"),
    /** The link to the next list page. @default "a.next, a[rel=next], link[rel=next]" */
    next_selector: z.string().min(1).default("a.next, a[rel=next], link[rel=next]"),
    /** A regular expression; URLs matching it are list pages whatever they contain. @default none */
    list_url_pattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, "is not a valid regular expression")
      .optional(),
    /** How many list pages to follow, counting the first. @default 3 */
    max_pages: z.number().int().positive().default(3),
    /** Outlet name on the rows. @default "Ministry of Post and Telecommunications" */
    outlet: z.string().min(1).default("Ministry of Post and Telecommunications"),
  })
  .passthrough();

export type MptcOptions = z.infer<typeof mptcOptionsSchema>;

type Page = { decoding: Decoding } & (
  | { kind: "list"; detailUrls: string[]; nextUrl: string | null; options: MptcOptions }
  | { kind: "detail"; row: RowOf<"news_items"> | null; problem?: string }
);

function readOptions(input: ParseInput): MptcOptions {
  return parseOptions(input, mptcOptionsSchema);
}

/** Page number of a WordPress list URL: `/page/2/`, `?paged=2` or `?page=2`; undefined when it has none. */
function pageNumber(url: string): number | undefined {
  const match = /\/page\/(\d+)(?:\/|$)|[?&]paged?=(\d+)/.exec(url);
  return match ? Number(match[1] ?? match[2]) : undefined;
}

/** An href from the page, made absolute and fetchable, if it stays on the page's own host. */
function sameHostUrl(href: string | undefined, pageUrl: URL): string | null {
  if (!href) return null;
  let absolute: URL;
  try {
    absolute = new URL(href.trim(), pageUrl);
  } catch {
    return null;
  }
  if (absolute.hostname.toLowerCase() !== pageUrl.hostname.toLowerCase()) return null;
  return canonicalUrl(absolute.toString(), { keepTrailingSlash: true });
}

function timestampFrom(value: string | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  // A bare date is a day in Cambodia; midnight UTC keeps that calendar day in UTC and in Phnom Penh.
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return `${trimmed}T00:00:00.000Z`;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

interface DateCandidate {
  datetime?: string;
  text: string;
}

/** The first usable of: a `time[datetime]`, the `article:published_time` meta tag, a date written in the page. */
function dateOf(times: DateCandidate[], meta: string | undefined, written: DateCandidate[]): string | null {
  for (const t of times) {
    const found = timestampFrom(t.datetime);
    if (found) return found;
  }
  const fromMeta = timestampFrom(meta);
  if (fromMeta) return fromMeta;
  for (const w of written) {
    const found = timestampFrom(w.datetime) ?? timestampFrom(parseKhmerDate(w.text) ?? undefined);
    if (found) return found;
  }
  return null;
}

function languageOf($: cheerio.CheerioAPI, url: URL): string {
  return normaliseLanguage($("html").attr("lang")) ?? (/^\/en(\/|$)/.test(url.pathname) ? "en" : "km");
}

function readPage(input: ParseInput): Page {
  const options = readOptions(input);
  const { text: html, decoding } = decodeDocument(input, "html");
  let pageUrl: URL;
  try {
    pageUrl = new URL(input.url);
  } catch {
    throw new ParseError(input.sourceId, input.url, "the page URL is not a valid URL");
  }
  const $ = cheerio.load(html);

  // List entries that link somewhere; a body inside one of them is an excerpt, not an article.
  const linked = $(options.list_item_selector)
    .toArray()
    .map((item) => ({ item, href: $(item).find(options.link_selector).first().attr("href") }))
    .filter((entry) => entry.href !== undefined);
  const linkedItems = new Set(linked.map((entry) => entry.item));
  const bodies = $(options.body_selector)
    .toArray()
    .filter(
      (el) =>
        !$(el)
          .closest(options.list_item_selector)
          .toArray()
          .some((item) => linkedItems.has(item)),
    )
    .filter((el) => htmlToText($(el).html() ?? "") !== "");
  const forcedList = options.list_url_pattern !== undefined && new RegExp(options.list_url_pattern).test(input.url);

  if (bodies.length > 0 && !forcedList) {
    const body = $(bodies[0]);
    // Title and date are looked for in the body's own article first, so a sidebar cannot supply them.
    const scope = body.closest(options.list_item_selector);
    const candidates = (found: ReturnType<typeof $>) =>
      found.toArray().map((el) => ({ datetime: $(el).attr("datetime"), text: $(el).text() }));
    const within = (selector: string) => candidates(scope.length ? scope.find(selector) : $(selector));
    const titleEl = (scope.length ? scope.find(options.title_selector) : $()).first();
    const title =
      htmlToText((titleEl.length ? titleEl : $(options.title_selector).first()).text()) ||
      normaliseText($('meta[property="og:title"]').attr("content") ?? "");
    const declared = sameHostUrl($('link[rel="canonical"]').attr("href"), pageUrl);
    const url = canonicalUrl(declared ?? input.url);
    if (url === null) throw new ParseError(input.sourceId, input.url, "the page URL is not http(s)");
    if (title === "")
      return { kind: "detail", decoding, row: null, problem: `no title found (title_selector "${options.title_selector}")` };
    const bodyText = htmlToText(body.html() ?? "");
    // Markup that sets the text in Limon or ABC fonts holds Latin letters standing for Khmer glyphs.
    const font = legacyKhmerFont($.html(), `${title} ${bodyText}`);
    if (font) {
      throw new ParseError(
        input.sourceId,
        input.url,
        `the page is set in the legacy non-Unicode Khmer font "${font}": its text is not Unicode Khmer and would be stored as gibberish; it ` +
          `needs converting to Unicode first`,
      );
    }
    return {
      kind: "detail",
      decoding,
      row: {
        item_key: newsItemKey(url),
        canonical_url: url,
        title,
        summary: truncateText(bodyText, SUMMARY_MAX_CHARS),
        published_at: dateOf(within("time[datetime]"), $('meta[property="article:published_time"]').attr("content"), [
          ...within(options.date_selector),
          ...candidates($(options.date_selector)),
        ]),
        outlet: options.outlet,
        language: languageOf($, pageUrl),
        categories: [],
        kind: "press_release",
      },
    };
  }

  if (linked.length > 0) {
    const self = canonicalUrl(input.url);
    const detailUrls = [
      ...new Map(
        linked
          .map((entry) => sameHostUrl(entry.href, pageUrl))
          .filter((u): u is string => u !== null && canonicalUrl(u) !== self)
          .map((u) => [canonicalUrl(u), u] as const),
      ).values(),
    ];
    const next = $(options.next_selector)
      .toArray()
      .map((el) => sameHostUrl($(el).attr("href"), pageUrl))
      .find((u): u is string => u !== null && canonicalUrl(u) !== self);
    if (detailUrls.length === 0 && !next) {
      // Entries that all link off this site (or back to this page) would otherwise end as nothing at all.
      throw new ParseError(
        input.sourceId,
        input.url,
        `list page has ${linked.length} linked entr${linked.length === 1 ? "y" : "ies"} ("${options.list_item_selector}" with ` +
          `"${options.link_selector}") but none links to another page on ${pageUrl.hostname} (first link: ${JSON.stringify(linked[0].href)})`,
      );
    }
    return { kind: "list", decoding, detailUrls, nextUrl: next ?? null, options };
  }

  throw new ParseError(
    input.sourceId,
    input.url,
    `page layout not recognised: no article body ("${options.body_selector}") and no linked list entries ("${options.list_item_selector}" ` +
      `with "${options.link_selector}")`,
  );
}

export function parseMptc(input: ParseInput): ParseResult {
  const page = readPage(input);
  const { decoding } = page;
  if (page.kind === "list") return { rows: { news_items: [] }, rejected: [], decoding };
  if (page.row === null)
    return { rows: { news_items: [] }, rejected: [{ record: input.url, reason: page.problem ?? "unusable page" }], decoding };
  return { rows: { news_items: [page.row] }, rejected: [], decoding };
}

/** From a list page: its detail pages, then the next list page while within `max_pages`. */
export function nextMptcPages(input: ParseInput): string[] {
  const page = readPage(input);
  if (page.kind !== "list") return [];
  const urls = [...page.detailUrls];
  if (page.nextUrl) {
    const current = pageNumber(input.url) ?? 1;
    const next = pageNumber(page.nextUrl) ?? current + 1;
    if (next <= page.options.max_pages && next > current) urls.push(page.nextUrl);
  }
  return urls;
}

export const mptcParser: Parser = { parse: parseMptc, nextPages: nextMptcPages };
