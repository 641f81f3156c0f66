// News feeds (RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, e.g. WordPress `/feed/`) → `news_items` rows.
// rss-parser reads the items; a namespace-aware cheerio view of the same XML counts the entries the
// document really holds, hands rss-parser prefixed documents it can read, and gives the text of each
// title and summary in document order (rss-parser rebuilds XHTML content out of order).
import { createHash } from "node:crypto";
import * as cheerio from "cheerio";
import type { AnyNode, Element } from "domhandler";
import RssParser from "rss-parser";
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { decodeDocument, legacyKhmerFont } from "./decode.js";
import { parseOptions, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
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
      valueProcessors: [
        (value: string, name: string) => (TIMESTAMP_ELEMENTS.has(name) && Number.isNaN(Date.parse(value.trim())) ? "" : value),
      ],
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

// rss-parser's isoDate is Date#toISOString's own output, taken as it is.
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function isoTimestamp(item: FeedItem): string | null {
  if (typeof item.isoDate === "string" && ISO_UTC.test(item.isoDate)) return item.isoDate;
  for (const candidate of [item.isoDate, item.pubDate]) {
    if (typeof candidate !== "string" || candidate.trim() === "") continue;
    const time = Date.parse(candidate.trim());
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return null;
}

// WordPress (with Yoast) ends every excerpt with "The post <title> appeared first on <site>."
const WORDPRESS_FOOTER = /\s*The post .+ appeared first on .+\.$/;

const describeLink = (link: string) => JSON.stringify(link.length > 80 ? `${link.slice(0, 80)}…` : link);

// ---------------------------------------------------------------------------------------------
// The namespace-aware view

const NS = {
  atom: "http://www.w3.org/2005/Atom",
  atom03: "http://purl.org/atom/ns#",
  rss1: "http://purl.org/rss/1.0/",
  rss090: "http://my.netscape.com/rdf/simple/0.9/",
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  xhtml: "http://www.w3.org/1999/xhtml",
  content: "http://purl.org/rss/1.0/modules/content/",
  dc: "http://purl.org/dc/elements/1.1/",
} as const;

/** RSS 0.9x and 2.0 have no namespace; some feeds still put one of these on <rss>. */
const RSS2_NAMESPACES = new Set(["", "http://backend.userland.com/rss2", "http://blogs.law.harvard.edu/tech/rss"]);
const ATOM_NAMESPACES = new Set<string>([NS.atom, NS.atom03]);
const RSS_ITEM_NAMESPACES = new Set<string>([...RSS2_NAMESPACES, NS.rss1, NS.rss090]);

interface QName {
  ns: string;
  local: string;
}

type Format = "atom" | "rss" | "rdf";

interface FeedView {
  $: cheerio.CheerioAPI;
  format: Format;
  root: Element;
  entries: Element[];
  qname: (el: Element) => QName;
  /** Namespaces read as Atom (the standard ones, and that of a <feed> root from an Atom draft). */
  atomNs: ReadonlySet<string>;
  /** Namespaces read as RSS (none, RSS 1.0/0.90, and whatever namespace an <rss> root declares). */
  rssNs: ReadonlySet<string>;
  /** True when rss-parser needs the normalised document (prefixed elements renamed, a channel added). */
  renamed: boolean;
}

const isElement = (node: AnyNode): node is Element => node.type === "tag";

/** An element's name as the view reads it (its namespace and local name), set on the element by feedView. */
const QNAME = Symbol("qname");
type Named = Element & { [QNAME]?: QName };

/**
 * Parses the XML leniently with cheerio, resolves every element's namespace, and renames the elements
 * rss-parser reads by name (Atom, RSS 1.0 and 0.90 elements, XHTML) to their unprefixed local names.
 */
function feedView(input: ParseInput, xml: string): FeedView {
  const $ = cheerio.load(xml, { xml: true });
  // Every <entry> and <item>, in document order, for the entries below.
  const candidates: Element[] = [];
  let renamed = false;
  // What an element's name means in a scope of namespace declarations, worked out once per scope and
  // name (a feed repeats a few names thousands of times): its QName, and whether rss-parser needs it renamed.
  interface Scope {
    prefixes: ReadonlyMap<string, string>;
    names: Map<string, { q: QName; rename: boolean }>;
  }
  const meaning = (scope: Scope, name: string) => {
    const colon = name.indexOf(":");
    const prefix = colon < 0 ? "" : name.slice(0, colon);
    const local = colon < 0 ? name : name.slice(colon + 1);
    const ns = scope.prefixes.get(prefix) ?? (prefix === "" ? "" : `undeclared:${prefix}`);
    const readByName = ATOM_NAMESPACES.has(ns) || ns === NS.rss1 || ns === NS.rss090 || ns === NS.xhtml || RSS2_NAMESPACES.has(ns);
    const m = { q: { ns, local }, rename: readByName && prefix !== "" };
    scope.names.set(name, m);
    return m;
  };
  const walk = (el: Named, scope: Scope) => {
    let inner: Map<string, string> | undefined;
    for (const attr in el.attribs) {
      if (attr === "xmlns" || attr.startsWith("xmlns:"))
        (inner ??= new Map(scope.prefixes)).set(attr === "xmlns" ? "" : attr.slice(6), el.attribs[attr].trim());
    }
    const here = inner ? { prefixes: inner, names: new Map() } : scope;
    const { q, rename } = here.names.get(el.name) ?? meaning(here, el.name);
    // Kept on the element itself: a Map of every element cost more to fill, look up and collect.
    el[QNAME] = q;
    if (q.local === "entry" || q.local === "item") candidates.push(el);
    if (rename) {
      el.name = q.local;
      renamed = true;
    }
    for (const child of el.children) if (isElement(child)) walk(child, here);
  };
  const root = $.root().children().toArray().find(isElement);
  if (!root) throw new ParseError(input.sourceId, input.url, "not an RSS or Atom feed: the document has no root element");
  walk(root, { prefixes: new Map([["xml", "http://www.w3.org/XML/1998/namespace"]]), names: new Map() });
  const qname = (el: Named) => el[QNAME] ?? { ns: "", local: el.name };

  const top = qname(root);
  const unprefixed = (ns: string) => (ns.startsWith("undeclared:") ? undefined : ns);
  // Feed readers take <feed> and <rss> in any namespace (Atom drafts, "userland.com/rss2.1"…) as what they say.
  const atomNs = new Set<string>(ATOM_NAMESPACES);
  const rssNs = new Set<string>(RSS_ITEM_NAMESPACES);
  let format: Format;
  if (top.local === "feed" && unprefixed(top.ns) !== undefined) {
    format = "atom";
    atomNs.add(top.ns);
  } else if (top.local === "rss" && unprefixed(top.ns) !== undefined) {
    format = "rss";
    rssNs.add(top.ns);
  } else if (top.local === "RDF" && top.ns === NS.rdf) format = "rdf";
  else {
    const what = top.ns && !top.ns.startsWith("undeclared:") ? `<${top.local}> in namespace ${top.ns}` : `<${root.name}>`;
    throw new ParseError(input.sourceId, input.url, `not an RSS or Atom feed: the root element is ${what}`);
  }
  // rss-parser reads <rss> only with a version attribute and a <channel>; RSS 0.9x and 2.0 items read alike.
  if (format === "rss" && !root.attribs.version) {
    root.attribs.version = "2.0";
    renamed = true;
  }
  if (format === "rss" && !root.children.some((c) => isElement(c) && qname(c).local === "channel")) {
    const channel = $("<channel></channel>");
    channel.append($(root).contents());
    $(root).append(channel);
    renamed = true;
  }
  if (format === "rdf" && root.name !== "rdf:RDF") {
    root.name = "rdf:RDF";
    renamed = true;
  }

  // Every entry the document holds, wherever it sits, so none can vanish without a row or a rejection.
  // Atom 0.3 feeds in the wild sometimes hold <item>s; they are counted so that they cannot vanish.
  const entries = candidates.filter((el) => {
    const q = qname(el);
    if (format === "atom") return (q.local === "entry" || q.local === "item") && atomNs.has(q.ns);
    return (q.local === "item" && rssNs.has(q.ns)) || (q.local === "entry" && ATOM_NAMESPACES.has(q.ns));
  });
  return { $, format, root, entries, qname, atomNs, rssNs, renamed };
}

function childrenOf(view: FeedView, el: Element, accept: (q: QName) => boolean): Element[] {
  return el.children.filter(isElement).filter((c) => accept(view.qname(c)));
}

function child(view: FeedView, el: Element, local: string, namespaces: ReadonlySet<string>): Element | undefined {
  for (const c of el.children) {
    if (!isElement(c)) continue;
    const q = view.qname(c);
    if (q.local === local && namespaces.has(q.ns)) return c;
  }
  return undefined;
}

const CONTENT_NS: ReadonlySet<string> = new Set([NS.content]);
const XHTML_NS: ReadonlySet<string> = new Set([NS.xhtml]);
const DC_NS: ReadonlySet<string> = new Set([NS.dc]);

const hasElementChildren = (el: Element) => el.children.some(isElement);

/** What cheerio's `.text()` gives for one element (text and CDATA, not comments), without a cheerio object per call. */
function textOf(node: AnyNode): string {
  if (node.type === "text") return node.data;
  if (node.type === "tag" || node.type === "cdata" || node.type === "script" || node.type === "style" || node.type === "root") {
    let out = "";
    for (const c of node.children) out += textOf(c);
    return out;
  }
  return "";
}

/** The markup inside an element, as written (XHTML prefixes already dropped). */
function innerMarkup(view: FeedView, el: Element): string {
  return view.$(el).html() ?? "";
}

interface TextOf {
  text: string;
  markup: string;
}

/**
 * The text of an Atom text construct (RFC 4287 §3.1): `type="xhtml"` is markup inside a wrapper <div>,
 * `type="html"` is escaped HTML, `type="text"` (the default) is plain text whose entities the XML parser
 * already decoded once, so it is not read as HTML again.
 */
function atomText(view: FeedView, el: Element | undefined): TextOf | null {
  if (!el) return null;
  const type = (el.attribs.type ?? "text").trim().toLowerCase();
  if (type === "xhtml" || type === "application/xhtml+xml") {
    const wrapper = el.children.filter(isElement);
    const inner = wrapper.length === 1 && view.qname(wrapper[0]).local === "div" ? innerMarkup(view, wrapper[0]) : innerMarkup(view, el);
    return { text: htmlToText(inner), markup: inner };
  }
  if (type === "html" || type === "text/html" || type === "escaped") {
    const html = textOf(el);
    return { text: htmlToText(html), markup: html };
  }
  if (type === "text" || type === "text/plain") {
    // Atom 0.3 allowed mode="escaped" HTML under a text type.
    if ((el.attribs.mode ?? "").toLowerCase() === "escaped") return { text: htmlToText(textOf(el)), markup: textOf(el) };
    if (hasElementChildren(el)) return { text: htmlToText(innerMarkup(view, el)), markup: innerMarkup(view, el) };
    return { text: normaliseText(textOf(el)), markup: "" };
  }
  // Out-of-line or binary content (src=, image/png…) has no text to show.
  return null;
}

/** RSS text elements hold escaped HTML (or, in some feeds, inline XHTML elements). */
function rssText(view: FeedView, el: Element | undefined): TextOf | null {
  if (!el) return null;
  const html = hasElementChildren(el) ? innerMarkup(view, el) : textOf(el);
  return { text: htmlToText(html), markup: html };
}

interface EntryText {
  title: string;
  summary: string;
  markup: string;
  link: string | undefined;
  date: string | undefined;
}

function entryText(view: FeedView, el: Element): EntryText {
  if (view.format === "atom" || ATOM_NAMESPACES.has(view.qname(el).ns)) {
    const atom = view.atomNs;
    const title = atomText(view, child(view, el, "title", atom));
    const summary =
      [atomText(view, child(view, el, "summary", atom)), atomText(view, child(view, el, "content", atom))].find(
        (t) => t && t.text !== "",
      ) ?? null;
    const links = childrenOf(view, el, (q) => q.local === "link" && atom.has(q.ns));
    const alternate = links.find((l) => (l.attribs.rel ?? "alternate") === "alternate") ?? links.find((l) => !l.attribs.rel);
    const dateEl = ["published", "updated", "issued", "modified", "created"]
      .map((n) => child(view, el, n, atom))
      .find((d) => d !== undefined);
    return {
      title: title?.text ?? "",
      summary: summary?.text ?? "",
      markup: `${title?.markup ?? ""} ${summary?.markup ?? ""}`,
      link: alternate?.attribs.href?.trim(),
      date: dateEl ? textOf(dateEl).trim() : undefined,
    };
  }
  const rssNs = view.rssNs;
  const title = rssText(view, child(view, el, "title", rssNs));
  // The first of these with text; read one at a time, since content:encoded can be the whole article.
  let summary: TextOf | null = null;
  for (const [local, ns] of [
    ["description", rssNs],
    ["encoded", CONTENT_NS],
    ["body", XHTML_NS],
  ] as const) {
    const text = rssText(view, child(view, el, local, ns));
    if (text && text.text !== "") {
      summary = text;
      break;
    }
  }
  const link = child(view, el, "link", rssNs);
  // RSS 2.0: a <guid> is the item's permalink unless isPermaLink="false".
  const guid = child(view, el, "guid", rssNs);
  const permalink =
    guid && guid.attribs.isPermaLink?.trim().toLowerCase() !== "false" && /^https?:\/\//i.test(textOf(guid).trim())
      ? textOf(guid).trim()
      : undefined;
  const dateEl = child(view, el, "pubDate", rssNs) ?? child(view, el, "date", DC_NS);
  return {
    title: title?.text ?? "",
    summary: summary?.text ?? "",
    markup: `${title?.markup ?? ""} ${summary?.markup ?? ""}`,
    link:
      (link ? textOf(link).trim() || link.attribs.href?.trim() || undefined : undefined) ?? permalink ?? el.attribs["rdf:about"]?.trim(),
    date: dateEl ? textOf(dateEl).trim() : undefined,
  };
}

/** `items[3] "Title"` (RSS) or `entries[3] "Title"` (Atom): the position, and the title or link when it has one. */
function describeEntry(format: Format, i: number, text: EntryText): string {
  const where = format === "atom" ? `entries[${i}]` : `items[${i}]`;
  const label = text.title || text.link;
  return label ? `${where} ${JSON.stringify(label.length > 60 ? `${label.slice(0, 60)}…` : label)}` : where;
}

function timestampFrom(value: string | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function rootLanguage(view: FeedView): string | undefined {
  const channel = view.format === "rss" ? child(view, view.root, "channel", view.rssNs) : undefined;
  const language = channel ? child(view, channel, "language", view.rssNs) : undefined;
  return (language ? textOf(language).trim() : "") || view.root.attribs["xml:lang"]?.trim() || undefined;
}

const XML_ENTITIES = new Set(["amp", "lt", "gt", "quot", "apos"]);

/**
 * HTML named entities (`&eacute;`, `&nbsp;`) as numeric references. RSS 0.91 feeds get them from the
 * Netscape DTD, which no XML parser here loads, so without this a valid feed fails as malformed.
 */
function htmlEntitiesAsNumeric(xml: string): string {
  const known = new Map<string, string | null>();
  // The five XML entities are left as they are, without a call for each of them.
  return xml.replace(/&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});/g, (whole, name: string) => {
    if (XML_ENTITIES.has(name)) return whole;
    if (!known.has(name)) {
      const decoded = cheerio.load(whole, null, false).text();
      known.set(name, decoded === whole ? null : [...decoded].map((c) => `&#${c.codePointAt(0)};`).join(""));
    }
    return known.get(name) ?? whole;
  });
}

/** What parseRss needs of the namespace-aware view: read out of it at once, so its DOM can go before rss-parser builds its own. */
interface ViewReading {
  format: Format;
  /** Each entry's text, in document order. */
  texts: EntryText[];
  language: string | undefined;
  /** The document for rss-parser when it needs the normalised one (`FeedView.renamed`). */
  normalised: string | undefined;
}

function readView(input: ParseInput, xml: string): ViewReading {
  const view = feedView(input, xml);
  return {
    format: view.format,
    texts: view.entries.map((el) => entryText(view, el)),
    language: rootLanguage(view),
    normalised: view.renamed ? view.$.xml() : undefined,
  };
}

export async function parseRss(input: ParseInput): Promise<ParseResult> {
  const options = readOptions(input);
  const decoded = decodeDocument(input, "xml");
  const { decoding } = decoded;
  const xml = htmlEntitiesAsNumeric(decoded.text);
  const view = readView(input, xml);

  const problem = (error: unknown) => (error as Error).message.replace(/\s+/g, " ").trim();
  // xml2js (under rss-parser) reports a well-formedness error with its line and column.
  const notWellFormed = (error: unknown) => /\bLine: \d+/.test((error as Error).message);
  if (view.normalised !== undefined) {
    // cheerio repairs what it reads, so the original must be checked before its normalised copy is used.
    try {
      await feedParser().parseString(xml);
    } catch (error) {
      if (notWellFormed(error)) throw new ParseError(input.sourceId, input.url, `not well-formed XML (${problem(error)})`);
    }
  }
  let feed: Awaited<ReturnType<ReturnType<typeof feedParser>["parseString"]>>;
  try {
    feed = await feedParser().parseString(view.normalised ?? xml);
  } catch (error) {
    if (notWellFormed(error)) throw new ParseError(input.sourceId, input.url, `not well-formed XML (${problem(error)})`);
    // rss-parser fails on a channel with no items; an empty feed is not an error.
    if (view.texts.length === 0) return { rows: { news_items: [] }, rejected: [], decoding };
    throw new ParseError(
      input.sourceId,
      input.url,
      `rss-parser could not read the ${view.format === "atom" ? "Atom" : "RSS"} feed (${problem(error)})`,
    );
  }

  const outlet = options.outlet ?? (htmlToText(asString(feed.title)) || null);
  const language = normaliseLanguage(options.language ?? (asString(feed.language) || view.language));
  // Relative item links resolve against the site's link, else the feed's own URL.
  const base = canonicalUrl(asString(feed.link)) ?? input.url;

  // rss-parser lists entries in document order; when it lost some, the others are matched by link.
  const items: Array<FeedItem | undefined> =
    feed.items.length === view.texts.length
      ? feed.items
      : view.texts.map(({ link }) => (link ? feed.items.find((item) => asString(item.link).trim() === link) : undefined));

  const news: Array<RowOf<"news_items">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  view.texts.forEach((text, i) => {
    // Named only when the entry is rejected.
    const where = () => describeEntry(view.format, i, text);
    const item = items[i];
    if (!item) return rejected.push({ record: where(), reason: "the entry is in the XML but the feed reader returned nothing for it" });
    const title = text.title;
    const rawLink = (asString(item.link) || text.link || "").trim();
    if (rawLink === "" && title === "") return rejected.push({ record: where(), reason: "item has neither a link nor a title" });
    const font = legacyKhmerFont(text.markup, `${title} ${text.summary}`);
    if (font) {
      return rejected.push({
        record: where(),
        reason: `the text is set in the legacy non-Unicode Khmer font "${font}", so as Unicode it is not Khmer; it needs converting first`,
      });
    }

    let url: string | null = null;
    if (rawLink !== "") {
      let resolved: string;
      try {
        resolved = new URL(rawLink, base).toString();
      } catch {
        return rejected.push({ record: where(), reason: `link ${describeLink(rawLink)} is not a valid URL` });
      }
      url = canonicalUrl(resolved);
      if (url === null) {
        return rejected.push({ record: where(), reason: `link ${describeLink(rawLink)} is not http(s), so it cannot be linked safely` });
      }
    }
    const guid = normaliseText(asString(item.guid) || asString(item.id));
    const identity = url ?? (guid !== "" ? `guid:${guid}` : `title:${outlet ?? ""}|${title}|${asString(item.pubDate)}`);
    const key = newsItemKey(identity);
    if (seen.has(key)) return rejected.push({ record: where(), reason: `repeats an earlier item with the same ${url ? "link" : "guid"}` });
    seen.add(key);

    const summary = text.summary.replace(WORDPRESS_FOOTER, "");
    news.push({
      item_key: key,
      canonical_url: url,
      title: title || null,
      summary: summary ? truncateText(summary, SUMMARY_MAX_CHARS) : null,
      published_at: isoTimestamp(item) ?? timestampFrom(text.date),
      outlet,
      language,
      categories: categoriesOf(item),
      kind: "news",
    });
  });
  return { rows: { news_items: news }, rejected, decoding };
}

export const rssParser: Parser = { parse: parseRss };
