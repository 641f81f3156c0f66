// OpenAlex works API list responses (`{meta, results, group_by}`) → `publications` rows. Pages are
// followed by cursor: the same URL with `cursor=<meta.next_cursor>` until the cursor runs out.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { parseOptions, parseJsonBody, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { distinctTexts, normaliseArxivId, normaliseDoi, withQueryParam } from "./publications.js";
import { normaliseText } from "./text.js";

/** Options an OpenAlex source may set in the registry entry's `options`. */
export const openAlexOptionsSchema = z
  .object({
    /**
     * Keep only works with an authorship in this country (ISO 3166-1 alpha-2): an institution's
     * `country_code`, or the authorship's `countries`, which OpenAlex also fills from raw affiliation
     * strings it could not match to an institution. The registry URL filters server-side already; this
     * guards against a URL edited without the filter. Other works are skipped, not rejected: they are
     * valid records, just not ours.
     * @default none (keep every work)
     */
    require_country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, "must be a two-letter ISO 3166-1 country code")
      .transform((c) => c.toUpperCase())
      .optional(),
  })
  .passthrough();

export type OpenAlexOptions = z.infer<typeof openAlexOptionsSchema>;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string | null => (typeof v === "string" && normaliseText(v) !== "" ? normaliseText(v) : null);
const integer = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) ? v : null);

function readOptions(input: ParseInput): OpenAlexOptions {
  return parseOptions(input, openAlexOptionsSchema);
}

function readDocument(input: ParseInput): { meta: Json; results: unknown[] } {
  const doc = parseJsonBody(input);
  if (!isObject(doc)) throw new ParseError(input.sourceId, input.url, "expected a JSON object {meta, results, group_by}");
  // Errors arrive as `{"error": "...", "message": "..."}` (with a 4xx status the fetch may have kept).
  if (doc.error !== undefined && !Array.isArray(doc.results)) {
    const detail = [doc.error, doc.message].filter((v) => typeof v === "string" && v.trim() !== "").join(": ");
    throw new ParseError(input.sourceId, input.url, `the API returned an error: ${detail || JSON.stringify(doc.error)}`);
  }
  if (!isObject(doc.meta)) throw new ParseError(input.sourceId, input.url, "expected a `meta` object in {meta, results, group_by}");
  if (!Array.isArray(doc.results))
    throw new ParseError(input.sourceId, input.url, "expected a `results` array in {meta, results, group_by}");
  return { meta: doc.meta, results: doc.results };
}

/** "https://openalex.org/W2741809807" → "W2741809807"; null for anything that is not a work id. */
export function shortOpenAlexId(id: unknown): string | null {
  if (typeof id !== "string") return null;
  const match = /^(?:https?:\/\/openalex\.org\/)?(W\d+)$/i.exec(id.trim());
  return match ? match[1].toUpperCase() : null;
}

/** The abstract from OpenAlex's inverted index (word → positions), words laid out by position. */
export function abstractFromInvertedIndex(index: unknown): string | null {
  if (!isObject(index)) return null;
  const placed: Array<[number, string]> = [];
  for (const [word, positions] of Object.entries(index)) {
    if (!Array.isArray(positions)) continue;
    for (const p of positions) if (typeof p === "number" && Number.isInteger(p) && p >= 0) placed.push([p, word]);
  }
  placed.sort((a, b) => a[0] - b[0]);
  return text(placed.map(([, word]) => word).join(" "));
}

const httpUrl = (v: unknown): string | null => (typeof v === "string" && /^https?:\/\/\S+$/i.test(v.trim()) ? v.trim() : null);

function arxivIdOf(work: Json, doi: string | null): string | null {
  const fromDoi = doi?.startsWith("10.48550/") ? normaliseArxivId(doi) : null;
  if (fromDoi) return fromDoi;
  const locations = [work.primary_location, work.best_oa_location, ...objects(work.locations)].filter(isObject);
  for (const location of locations) {
    for (const link of [location.landing_page_url, location.pdf_url]) {
      const url = httpUrl(link);
      const id = url && /\/\/(?:export\.|www\.)?arxiv\.org\//i.test(url) ? normaliseArxivId(url) : null;
      if (id) return id;
    }
  }
  return null;
}

function countriesOf(authorships: Json[]): string[] {
  const codes = authorships.flatMap((a) => [
    ...objects(a.institutions).map((i) => i.country_code),
    ...(Array.isArray(a.countries) ? a.countries : []),
  ]);
  return [...new Set(codes.filter((c): c is string => typeof c === "string" && /^[A-Za-z]{2}$/.test(c)).map((c) => c.toUpperCase()))];
}

function toRow(work: Json, openalexId: string, title: string): RowOf<"publications"> {
  const doi = normaliseDoi(work.doi) ?? normaliseDoi(isObject(work.ids) ? work.ids.doi : null);
  const authorships = objects(work.authorships);
  const primary = isObject(work.primary_location) ? work.primary_location : {};
  const openAccess = isObject(work.open_access) ? work.open_access : {};
  const date =
    typeof work.publication_date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(work.publication_date) ? work.publication_date : null;
  return {
    pub_key: `openalex:${openalexId}`,
    doi,
    arxiv_id: arxivIdOf(work, doi),
    openalex_id: openalexId,
    title,
    abstract: abstractFromInvertedIndex(work.abstract_inverted_index),
    year: integer(work.publication_year) ?? (date ? Number(date.slice(0, 4)) : null),
    published_on: date,
    venue: isObject(primary.source) ? text(primary.source.display_name) : null,
    // Not de-duplicated: two co-authors may share a name.
    authors: authorships
      .map((a) => text(isObject(a.author) ? a.author.display_name : null) ?? text(a.raw_author_name))
      .filter((n): n is string => n !== null),
    institutions: distinctTexts(authorships.flatMap((a) => objects(a.institutions).map((i) => i.display_name))),
    institution_countries: countriesOf(authorships),
    topics: distinctTexts([work.primary_topic, ...objects(work.topics)].filter(isObject).map((t) => t.display_name)),
    language: text(work.language),
    open_access: typeof openAccess.is_oa === "boolean" ? openAccess.is_oa : null,
    oa_status: text(openAccess.oa_status),
    cited_by: integer(work.cited_by_count),
    url: doi ? `https://doi.org/${doi}` : (httpUrl(primary.landing_page_url) ?? `https://openalex.org/${openalexId}`),
  };
}

export function parseOpenAlex(input: ParseInput): ParseResult {
  const options = readOptions(input);
  const { results } = readDocument(input);
  const publications: Array<RowOf<"publications">> = [];
  const rejected: Rejection[] = [];
  const seen = new Map<string, number>();

  results.forEach((work, i) => {
    const where = `results[${i}]`;
    if (!isObject(work)) return rejected.push({ record: where, reason: "not an object" });
    const id = shortOpenAlexId(work.id);
    if (!id)
      return rejected.push({ record: where, reason: work.id == null ? "missing id" : `unrecognised work id ${JSON.stringify(work.id)}` });
    if (seen.has(id)) return rejected.push({ record: `${where} (${id})`, reason: `repeats results[${seen.get(id)}]` });
    seen.set(id, i);
    const title = text(work.title) ?? text(work.display_name);
    if (!title) return rejected.push({ record: `${where} (${id})`, reason: "missing title" });
    if (options.require_country && !countriesOf(objects(work.authorships)).includes(options.require_country)) return;
    publications.push(toRow(work, id, title));
  });
  return { rows: { publications }, rejected };
}

/** The next cursor page while OpenAlex hands out a cursor and the page still had results. */
export function nextOpenAlexPages(input: ParseInput): string[] {
  const { meta, results } = readDocument(input);
  const cursor = meta.next_cursor;
  if (typeof cursor !== "string" || cursor === "" || results.length === 0) return [];
  return [withQueryParam(input.url, "cursor", cursor)];
}

export const openAlexParser: Parser = { parse: parseOpenAlex, nextPages: nextOpenAlexPages };
