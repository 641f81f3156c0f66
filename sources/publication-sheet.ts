// Analyst-owned publication sheets (sources/curated/khmer-papers.csv): papers named by title and link,
// with the identifiers the link gives (arXiv id, DOI, ACL Anthology id). What the sheet leaves empty
// (year, venue, authors) stays null: unknown, never filled in by guessing. arXiv papers share the arXiv
// source's key, so the two merge into one work (warehouse/derive.ts).
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { ParseError, parseOptions, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { readSheetLines } from "./sheet-csv.js";
import { normaliseArxivId, normaliseDoi } from "./publications.js";

export const publicationSheetColumns = [
  "title",
  "url",
  "arxiv_id",
  "doi",
  "acl_id",
  "year",
  "venue",
  "authors",
  "added_by",
  "added_on",
  "note",
] as const;
type Column = (typeof publicationSheetColumns)[number];

const optionsSchema = z
  .object({
    /** Topics every row of the sheet gets, e.g. "Khmer language technology". @default [] */
    topics: z.array(z.string().min(1)).default([]),
  })
  .strict();

const ACL_ID = /^(?:[A-Z]\d{2}-\d{4}|\d{4}\.[a-z][\w-]*\.\d+)$/;

/** The key a row is stored under: the arXiv source's key when it has an arXiv id, else its DOI, ACL id or title. */
function pubKey(arxivId: string | null, doi: string | null, aclId: string | null, title: string): string {
  if (arxivId) return `arxiv:${arxivId}`;
  if (doi) return `doi:${doi}`;
  if (aclId) return `acl:${aclId}`;
  const slug = title
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 80);
  return `title:${slug}`;
}

export function parsePublicationSheet(input: ParseInput): ParseResult {
  const options = parseOptions(input, optionsSchema);
  const [header, ...lines] = readSheetLines(input);
  const names = header?.fields.map((n) => n.toLowerCase()) ?? [];
  const missing = publicationSheetColumns.filter((c) => !names.includes(c));
  if (!header || missing.length > 0)
    throw new ParseError(
      input.sourceId,
      input.url,
      `missing column(s) ${missing.join(", ")} (expected ${publicationSheetColumns.join(",")})`,
    );
  const at = new Map(names.map((n, i) => [n, i]));

  const publications: Array<RowOf<"publications">> = [];
  const rejected: Rejection[] = [];
  const seen = new Map<string, number>();
  for (const { fields: record, line } of lines) {
    const cell = (c: Column) => (record[at.get(c)!] ?? "").normalize("NFC").trim();
    const where = `line ${line}`;
    if (record.length !== names.length) {
      rejected.push({ record: where, reason: `has ${record.length} fields where the header has ${names.length}` });
      continue;
    }
    const title = cell("title");
    if (!title) {
      rejected.push({ record: where, reason: "title is empty" });
      continue;
    }
    const problems: string[] = [];
    const arxivId = cell("arxiv_id") ? normaliseArxivId(cell("arxiv_id")) : null;
    if (cell("arxiv_id") && !arxivId) problems.push(`arxiv_id ${JSON.stringify(cell("arxiv_id"))} is not an arXiv id`);
    const doi = cell("doi") ? normaliseDoi(cell("doi")) : null;
    if (cell("doi") && !doi) problems.push(`doi ${JSON.stringify(cell("doi"))} is not a DOI`);
    const aclId = cell("acl_id") || null;
    if (aclId && !ACL_ID.test(aclId)) problems.push(`acl_id ${JSON.stringify(aclId)} is not an ACL Anthology id`);
    const year = cell("year") ? Number(cell("year")) : null;
    if (year !== null && !(Number.isInteger(year) && year >= 1950 && year <= 2100))
      problems.push(`year ${JSON.stringify(cell("year"))} is not a year`);
    if (problems.length > 0) {
      rejected.push({ record: `${where} (${title})`, reason: problems.join("; ") });
      continue;
    }
    const key = pubKey(arxivId, doi, aclId, title);
    if (seen.has(key)) {
      rejected.push({ record: `${where} (${title})`, reason: `the same paper as line ${seen.get(key)} (${key})` });
      continue;
    }
    seen.set(key, line);
    // A link that is not a public http(s) address (a file of the list's own repository) is not published.
    const url = /^https?:\/\//i.test(cell("url"))
      ? cell("url")
      : arxivId
        ? `https://arxiv.org/abs/${arxivId}`
        : aclId
          ? `https://aclanthology.org/${aclId}`
          : null;
    const authors = cell("authors")
      ? cell("authors")
          .split(";")
          .map((a) => a.trim())
          .filter(Boolean)
      : null;
    publications.push({
      pub_key: key,
      doi,
      arxiv_id: arxivId,
      openalex_id: null,
      title,
      abstract: null,
      year,
      published_on: null,
      venue: cell("venue") || null,
      authors,
      institutions: null,
      institution_countries: null,
      topics: options.topics,
      language: null,
      open_access: null,
      oa_status: null,
      cited_by: null,
      url,
    });
  }
  return { rows: { publications }, rejected };
}

export const publicationSheetParser: Parser = { parse: parsePublicationSheet };
