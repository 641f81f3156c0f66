// The AI use cases register (sources/curated/use-cases.yaml): what each does, who runs it, its status in
// its source's words, the sector direction and NAIS measure it belongs to, and the document it comes from.
// Unknown fields stay null; a bad entry is set aside with its index and field.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { ParseError, parseYamlMapping, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

const text = z.string().trim().min(1).nullable();
const entrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
    name: z.string().trim().min(1),
    what_it_does: text,
    run_by: text,
    partner: text,
    status: text,
    sector_direction: z
      .string()
      .regex(/^[a-z_]+$/, "must be a sector direction id such as healthcare")
      .nullable(),
    nais_measure: z
      .string()
      .regex(/^\d+\.\d+(, \d+\.\d+)*$/, "must be measure numbers such as 3.5 or 3.5, 3.6")
      .nullable(),
    link: z
      .string()
      .regex(/^https?:\/\/\S+$/, "must be a public http(s) URL")
      .nullable(),
    document: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a document id"),
    section: text,
    note: text,
  })
  .strict();

export function parseUseCaseSheet(input: ParseInput): ParseResult {
  const doc = parseYamlMapping(input, "a mapping with a `use_cases` list");
  if (!Array.isArray(doc.use_cases)) throw new ParseError(input.sourceId, input.url, "expected a `use_cases` list");
  const rows: Array<RowOf<"ai_use_cases">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  doc.use_cases.forEach((item, i) => {
    const id = typeof (item as { id?: unknown })?.id === "string" ? (item as { id: string }).id : null;
    const record = `use_cases[${i}]${id ? ` (${id})` : ""}`;
    const result = entrySchema.safeParse(item);
    if (!result.success)
      return rejected.push({ record, reason: result.error.issues.map((e) => `${e.path.join(".") || "entry"}: ${e.message}`).join("; ") });
    const u = result.data;
    if (seen.has(u.id)) return rejected.push({ record, reason: `id ${u.id} appears twice` });
    seen.add(u.id);
    rows.push({
      use_case_id: u.id,
      name: u.name,
      what_it_does: u.what_it_does,
      run_by: u.run_by,
      partner: u.partner,
      status: u.status,
      sector_direction: u.sector_direction,
      nais_measure: u.nais_measure,
      link: u.link,
      document_id: u.document,
      section: u.section,
      note: u.note,
    });
  });
  return { rows: { ai_use_cases: rows }, rejected };
}

export const useCaseSheetParser: Parser = { parse: parseUseCaseSheet };
