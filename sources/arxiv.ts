// arXiv API Atom feeds (with OpenSearch paging elements) → `publications` rows. Pages are followed by
// `start=`; an error comes back as a feed whose one entry has an `/api/errors` id.
import * as cheerio from "cheerio";
import type { CheerioAPI } from "cheerio";
import type { RowOf } from "../warehouse/tables.js";
import { decodeUtf8, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { distinctTexts, normaliseArxivId, normaliseDoi, queryParam, withQueryParam, yearFromArxivId } from "./publications.js";
import { normaliseText } from "./text.js";

/** The API refuses (HTTP 400) to page past this many results of one query (arXiv API user manual). */
export const ARXIV_MAX_RESULTS = 30_000;

const ATOM = "http://www.w3.org/2005/Atom";
const OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/";
const ARXIV = "http://arxiv.org/schemas/atom";
/** Prefixes arXiv uses, for elements whose prefix a sloppy copy left undeclared. */
const USUAL_PREFIX: Record<string, string> = { [ATOM]: "", [OPENSEARCH]: "opensearch", [ARXIV]: "arxiv" };

type Elements = ReturnType<ReturnType<CheerioAPI["root"]>["children"]>;

interface XmlScope {
  attribs?: Record<string, string>;
  parent: XmlScope | null;
}

/**
 * The namespace URI of an element, from the nearest `xmlns`/`xmlns:prefix` in scope. cheerio
 * (htmlparser2) keeps qualified names as written, and arXiv declares its namespaces on the root in
 * one response variant and on each element in another, so matching by prefix alone is not enough.
 */
function namespaceOf(el: XmlScope & { name: string }): string | null {
  const colon = el.name.indexOf(":");
  const attribute = colon < 0 ? "xmlns" : `xmlns:${el.name.slice(0, colon)}`;
  for (let scope: XmlScope | null = el; scope; scope = scope.parent) {
    const uri = scope.attribs?.[attribute];
    if (uri !== undefined) return uri;
  }
  return null;
}

const sameNamespace = (a: string, b: string) => a.replace(/^https:/, "http:") === b.replace(/^https:/, "http:");

function isNamed(el: XmlScope & { name: string }, ns: string, local: string): boolean {
  const colon = el.name.indexOf(":");
  if ((colon < 0 ? el.name : el.name.slice(colon + 1)) !== local) return false;
  const uri = namespaceOf(el);
  return uri === null ? (colon < 0 ? "" : el.name.slice(0, colon)) === USUAL_PREFIX[ns] : sameNamespace(uri, ns);
}

const childrenNamed = (scope: Elements, ns: string, local: string): Elements => scope.children().filter((_, el) => isNamed(el, ns, local));
const childText = (scope: Elements, ns: string, local: string): string => normaliseText(childrenNamed(scope, ns, local).first().text());

interface Feed {
  $: CheerioAPI;
  entries: Elements[];
  total?: number;
  start?: number;
  perPage?: number;
}

function readFeed(input: ParseInput): Feed {
  let xml: string;
  try {
    xml = decodeUtf8(input.body);
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not UTF-8 text (${(error as Error).message})`);
  }
  const $ = cheerio.load(xml, { xml: true });
  const root = $.root().children().first();
  const feed = root.filter((_, el) => isNamed(el, ATOM, "feed"));
  if (feed.length === 0) {
    const found = root.length ? `<${root.get(0)!.name}>` : "no XML element";
    throw new ParseError(input.sourceId, input.url, `not an Atom feed (found ${found})`);
  }
  // htmlparser2 closes whatever is open at the end of input without complaint, so a cut-off body
  // would parse as a shorter feed; the closing tag is the evidence that the document is complete.
  if (!/<\/(?:[\w.-]+:)?feed\s*>\s*$/.test(xml)) {
    throw new ParseError(input.sourceId, input.url, "the XML ends before </feed> (truncated or malformed)");
  }
  const entries = childrenNamed(feed, ATOM, "entry")
    .toArray()
    .map((el) => $(el));
  for (const entry of entries) {
    if (/\/api\/errors/.test(childText(entry, ATOM, "id"))) {
      const message = childText(entry, ATOM, "summary") || childText(entry, ATOM, "id");
      throw new ParseError(input.sourceId, input.url, `the API returned an error: ${message}`);
    }
  }
  const count = (local: string) => {
    const value = childText(feed, OPENSEARCH, local);
    return /^\d+$/.test(value) ? Number(value) : undefined;
  };
  return { $, entries, total: count("totalResults"), start: count("startIndex"), perPage: count("itemsPerPage") };
}

/** "http://arxiv.org/abs/2512.13552v1" or "https://arxiv.org/abs/cs/0501001v2" → the base id; null otherwise. */
export function arxivIdFromEntryId(id: string): string | null {
  const match = /^https?:\/\/(?:export\.|www\.)?arxiv\.org\/abs\/(\S+)$/i.exec(id.trim());
  return match ? normaliseArxivId(match[1]) : null;
}

function toRow(feed: Feed, entry: Elements, arxivId: string, title: string): RowOf<"publications"> {
  const published = /^(\d{4})-\d{2}-\d{2}/.exec(childText(entry, ATOM, "published"));
  const authors = childrenNamed(entry, ATOM, "author")
    .toArray()
    .map((el) => feed.$(el));
  // An arxiv:doi may list several DOIs separated by spaces; the first valid one identifies the work.
  const doi =
    childText(entry, ARXIV, "doi")
      .split(/\s+/)
      .map(normaliseDoi)
      .find((d) => d !== null) ?? null;
  const primary = childrenNamed(entry, ARXIV, "primary_category").attr("term");
  const categories = childrenNamed(entry, ATOM, "category")
    .toArray()
    .map((el) => feed.$(el).attr("term"));
  return {
    pub_key: `arxiv:${arxivId}`,
    doi,
    arxiv_id: arxivId,
    openalex_id: null,
    title,
    abstract: childText(entry, ATOM, "summary") || null,
    year: published ? Number(published[1]) : yearFromArxivId(arxivId),
    published_on: published ? published[0] : null,
    venue: childText(entry, ARXIV, "journal_ref") || null,
    // Not de-duplicated: two co-authors may share a name.
    authors: authors.map((a) => childText(a, ATOM, "name")).filter((n) => n !== ""),
    institutions: distinctTexts(
      authors.flatMap((a) =>
        childrenNamed(a, ARXIV, "affiliation")
          .toArray()
          .map((el) => feed.$(el).text()),
      ),
    ),
    // Affiliations are free text without countries; guessing them is left to analysts.
    institution_countries: [],
    topics: distinctTexts([primary, ...categories]),
    language: null,
    open_access: true,
    oa_status: "green",
    cited_by: null,
    url: `https://arxiv.org/abs/${arxivId}`,
  };
}

export function parseArxiv(input: ParseInput): ParseResult {
  const feed = readFeed(input);
  const publications: Array<RowOf<"publications">> = [];
  const rejected: Rejection[] = [];
  const seen = new Map<string, number>();

  feed.entries.forEach((entry, i) => {
    const where = `entry[${i}]`;
    const id = childText(entry, ATOM, "id");
    if (!id) return rejected.push({ record: where, reason: "missing id" });
    const arxivId = arxivIdFromEntryId(id);
    if (!arxivId) return rejected.push({ record: where, reason: `unrecognised id ${JSON.stringify(id)}` });
    if (seen.has(arxivId)) return rejected.push({ record: `${where} (${arxivId})`, reason: `repeats entry[${seen.get(arxivId)}]` });
    seen.set(arxivId, i);
    const title = childText(entry, ATOM, "title");
    if (!title) return rejected.push({ record: `${where} (${arxivId})`, reason: "missing title" });
    publications.push(toRow(feed, entry, arxivId, title));
  });
  return { rows: { publications }, rejected };
}

/**
 * The next slice (`start=`) while the feed says more results remain. The slice size is the URL's
 * `max_results` (else the feed's itemsPerPage); an empty page ends the harvest rather than walking
 * on through a result list the API has stopped serving.
 */
export function nextArxivPages(input: ParseInput): string[] {
  const { entries, total, start, perPage } = readFeed(input);
  if (entries.length === 0 || total === undefined) return [];
  const requested = Number(queryParam(input.url, "max_results"));
  const size = Number.isInteger(requested) && requested > 0 ? requested : (perPage ?? entries.length);
  const next = (start ?? (Number(queryParam(input.url, "start")) || 0)) + size;
  if (next >= Math.min(total, ARXIV_MAX_RESULTS)) return [];
  return [withQueryParam(input.url, "start", String(next))];
}

export const arxivParser: Parser = { parse: parseArxiv, nextPages: nextArxivPages };
