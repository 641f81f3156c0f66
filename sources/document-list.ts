// The documents analysts' sheets cite (sources/curated/documents.yaml): title, publisher, date and, when
// there is one, the public URL. A document with no URL is published as "not online", never given one.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { ParseError, parseYamlMapping, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

const documentSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
    title: z.string().min(1),
    publisher: z.string().min(1),
    date: z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "must be YYYY, YYYY-MM or YYYY-MM-DD"),
    date_note: z.string().min(1).nullable().default(null),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, "must be a public http(s) URL, or null when the document is not online")
      .nullable(),
    note: z.string().nullable().default(null),
  })
  .strict();

export function parseDocumentList(input: ParseInput): ParseResult {
  const doc = parseYamlMapping(input, "a mapping with a `documents` list");
  if (!Array.isArray(doc.documents)) throw new ParseError(input.sourceId, input.url, "expected a `documents` list");
  const documents: Array<RowOf<"documents">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  doc.documents.forEach((item, i) => {
    const result = documentSchema.safeParse(item);
    const id = typeof (item as { id?: unknown })?.id === "string" ? (item as { id: string }).id : null;
    const record = `documents[${i}]${id ? ` (${id})` : ""}`;
    if (!result.success)
      return rejected.push({ record, reason: result.error.issues.map((e) => `${e.path.join(".") || "entry"}: ${e.message}`).join("; ") });
    const d = result.data;
    if (seen.has(d.id)) return rejected.push({ record, reason: `id ${d.id} appears twice` });
    seen.add(d.id);
    documents.push({
      document_id: d.id,
      title: d.title,
      publisher: d.publisher,
      published: d.date,
      date_note: d.date_note,
      url: d.url,
      note: d.note,
    });
  });
  return { rows: { documents }, rejected };
}

export const documentListParser: Parser = { parse: parseDocumentList };
