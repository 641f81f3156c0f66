// Analyst-owned incident sheet (sources/curated/incidents.yaml): press-reported AI incidents involving
// Cambodia (NAIS measure 5.7). Each entry is validated on its own, so one bad entry is quarantined.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { canonicalProvince } from "./aiid.js";
import { parseYamlMapping, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

/** The fixed harm vocabulary; anything else is a typo or a new category to agree on first. */
export const harmTypes = ["scam", "deepfake", "fraud", "impersonation", "misinformation", "bias", "privacy", "other"] as const;
export const severities = ["low", "medium", "high"] as const;

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** YAML reads a bare `2025` as a number; the sheet means a year either way. */
const partialDate = z
  .union([z.string(), z.number().int()])
  .transform((v) => String(v).trim())
  .superRefine((v, ctx) => {
    const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(v);
    if (!match) return ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a date written YYYY, YYYY-MM or YYYY-MM-DD` });
    const [, y, m, d] = match;
    if ((m && (Number(m) < 1 || Number(m) > 12)) || (d && !isCalendarDate(Number(y), Number(m), Number(d)))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a calendar date` });
    }
  });

const fullDate = z.string().superRefine((v, ctx) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!match) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a date written YYYY-MM-DD` });
  else if (!isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not a calendar date` });
  }
});

const optionalText = z
  .string()
  .trim()
  .nullish()
  .transform((v) => (v ? v : null));
const names = z
  .array(z.string().trim().min(1))
  .nullish()
  .transform((v) => [...new Set(v ?? [])]);

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ["http:", "https:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, "must be an http(s) URL")
  .transform((v) => new URL(v).toString());

const province = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (!v) return null;
    const name = canonicalProvince(v);
    if (!name) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not one of Cambodia's 25 provinces and capital` });
    return name;
  });

const incident = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case slug"),
    occurred_on: partialDate,
    title: z.string().trim().min(1),
    description: optionalText,
    deployers: names,
    developers: names,
    harmed_parties: names,
    harm_types: z
      .array(z.enum(harmTypes, { errorMap: () => ({ message: `must be one of ${harmTypes.join(", ")}` }) }))
      .nullish()
      .transform((v) => [...new Set(v ?? [])]),
    sector: optionalText,
    severity: z
      .enum(severities, { errorMap: () => ({ message: `must be one of ${severities.join(", ")} (or left empty)` }) })
      .nullish()
      .transform((v) => v ?? null),
    province,
    status: z.string().regex(/^[a-z][a-z-]*$/, 'must be a lower-case word such as "reported"'),
    report_urls: z.array(httpUrl).min(1, "needs at least one http(s) report URL"),
    added_by: z.string().trim().min(1),
    added_on: fullDate,
    /** Analyst's working note; kept in the sheet, not loaded. */
    note: z.string().nullish(),
  })
  // A misspelt field name would otherwise be dropped without a word.
  .strict();

type Incident = z.infer<typeof incident>;

function readSheet(input: ParseInput): unknown[] {
  const list = parseYamlMapping(input, "a YAML mapping with an `incidents` list").incidents;
  if (!Array.isArray(list)) throw new ParseError(input.sourceId, input.url, "`incidents` must be a list");
  return list;
}

function labelOf(item: unknown, i: number): string {
  const id = typeof item === "object" && item !== null && "id" in item ? ` (id ${JSON.stringify((item as { id: unknown }).id)})` : "";
  return `incidents[${i}]${id}`;
}

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) return `${issue.keys.join(", ")}: not a field of an incident (misspelt?)`;
  return `${issue.path.join(".") || "(entry)"}: ${issue.message}`;
}

/** "2025-06" → 2025-06-01 with month precision, so partial dates sort and filter as dates. */
function toDate(value: string): { date: string; precision: "day" | "month" | "year" } {
  const parts = value.split("-");
  if (parts.length === 3) return { date: value, precision: "day" };
  if (parts.length === 2) return { date: `${value}-01`, precision: "month" };
  return { date: `${value}-01-01`, precision: "year" };
}

function toRow(e: Incident): RowOf<"incidents"> {
  const { date, precision } = toDate(e.occurred_on);
  return {
    incident_key: `sheet:${e.id}`,
    source_incident_id: e.id,
    occurred_on: date,
    date_precision: precision,
    title: e.title,
    description: e.description,
    deployers: e.deployers,
    developers: e.developers,
    harmed_parties: e.harmed_parties,
    harm_types: e.harm_types,
    sector: e.sector,
    severity: e.severity,
    province: e.province,
    status: e.status,
    report_urls: [...new Set(e.report_urls)],
  };
}

export function parseIncidentSheet(input: ParseInput): ParseResult {
  const rejected: Rejection[] = [];
  const incidents: Array<RowOf<"incidents">> = [];
  const firstAt = new Map<string, number>();
  readSheet(input).forEach((item, i) => {
    const label = labelOf(item, i);
    const result = incident.safeParse(item);
    if (!result.success) {
      const reason = result.error.issues.map(describeIssue).join("; ");
      return rejected.push({ record: label, reason });
    }
    const earlier = firstAt.get(result.data.id);
    if (earlier !== undefined) return rejected.push({ record: label, reason: `id: already used by incidents[${earlier}]` });
    firstAt.set(result.data.id, i);
    incidents.push(toRow(result.data));
  });
  return { rows: { incidents }, rejected };
}

export const incidentSheetParser: Parser = { parse: parseIncidentSheet };
