// The analyst-owned news digest (sources/curated/news.yaml): dated developments summarised in the
// observatory's words, each linked to its report. Items are validated one by one, so a bad entry is
// quarantined with its index, id and field while the rest load.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { parseYamlMapping, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { canonicalUrl, normaliseText } from "./text.js";

const item = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
    // YAML reads an unquoted 2025-06-11 as a Date; accept both spellings.
    date: z
      .union([z.string(), z.date().transform((d) => d.toISOString().slice(0, 10))])
      .pipe(z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, "must be YYYY-MM-DD or YYYY-MM")),
    url: z.string().regex(/^https?:\/\//i, "must be an http(s) link"),
    headline: z.string().min(1),
    summary: z.string().min(1),
    language: z.string().min(2).default("en"),
    added_by: z.string().min(1),
    added_on: z.union([z.string(), z.date()]),
  })
  .strict();

export function parseNewsSheet(input: ParseInput): ParseResult {
  const items = parseYamlMapping(input, "a YAML mapping with an `items` list").items;
  if (!Array.isArray(items)) throw new ParseError(input.sourceId, input.url, "expected a top-level `items:` list");

  const rows: Array<RowOf<"news_items">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  items.forEach((raw, i) => {
    const id = (raw as { id?: unknown })?.id;
    const where = `items[${i}]${typeof id === "string" ? ` (id ${id})` : ""}`;
    const result = item.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      return rejected.push({ record: where, reason: `${issue.path.join(".") || "item"}: ${issue.message}` });
    }
    const v = result.data;
    if (seen.has(v.id)) return rejected.push({ record: where, reason: `id ${v.id} appears twice` });
    seen.add(v.id);
    const url = canonicalUrl(v.url);
    if (!url) return rejected.push({ record: where, reason: `url: ${v.url} is not a usable http(s) link` });
    rows.push({
      item_key: `digest:${v.id}`,
      canonical_url: url,
      title: normaliseText(v.headline),
      summary: normaliseText(v.summary),
      // Month-precision items sit on the 1st; the digest's dates are days in Cambodia, kept as UTC midnight.
      published_at: `${v.date.length === 7 ? `${v.date}-01` : v.date}T00:00:00Z`,
      outlet: new URL(url).hostname.replace(/^www\./, ""),
      language: v.language,
      categories: [],
      kind: "digest",
    });
  });
  return { rows: { news_items: rows }, rejected };
}

export const newsSheetParser: Parser = { parse: parseNewsSheet };
