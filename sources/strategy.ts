// Curated reference data transcribed from the seeds: the Draft NAIS 2025-2030 (sources/strategy/nais.yaml)
// and the governance timeline from MPTC press releases (sources/strategy/governance-timeline.yaml).
// Each list item is validated on its own, so one bad entry is quarantined and the rest still load.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { parseYamlMapping, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const textList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);

const priority = z.object({ id: z.number().int().min(1), title: z.string().min(1), short: z.string().min(1) }).passthrough();

const measure = z
  .object({
    id: z.string().regex(/^\d+\.\d+$/, 'must look like "1.2"'),
    priority: z.number().int().min(1),
    text: z.string().min(1),
    timeframe: optionalText,
    start_year: z.number().int().min(2000).max(2100).nullish(),
    end_year: z.number().int().min(2000).max(2100).nullish(),
    ongoing: z.boolean().optional(),
    lead: textList,
    participating: textList,
    entities_text: optionalText,
    note: optionalText,
  })
  .passthrough()
  .refine((m) => m.start_year == null || m.end_year == null || m.start_year <= m.end_year, {
    message: "start_year is after end_year",
    path: ["start_year"],
  });

const flagship = z
  .object({
    id: z.string().regex(/^\d+-\d+$/, 'must look like "1-2"'),
    priority: z.number().int().min(1),
    text: optionalText,
    measures: textList,
    roles: textList,
    note: optionalText,
  })
  .passthrough();

const sectorDirection = z
  .object({ id: z.string().min(1), title: z.string().min(1), group: optionalText, summary_points: textList, note: optionalText })
  .passthrough();

const isoDate = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "must be YYYY, YYYY-MM or YYYY-MM-DD")
  .nullish()
  .transform((v) => v ?? null);

const timelineSource = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    date: z.string(),
    url: z.string().url().nullish(),
    seed_file: z.string().optional(),
  })
  .passthrough();

const event = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case slug"),
    track: z.string().min(1),
    title: z.string().min(1),
    status: z.enum(["done", "planned"]),
    date_start: isoDate,
    date_end: isoDate,
    date_text: optionalText,
    deadline_kind: z
      .enum(["on", "by", "from"])
      .nullish()
      .transform((v) => v ?? null),
    source: z.string().min(1),
    note: optionalText,
  })
  .passthrough();

function readYaml(input: ParseInput): Record<string, unknown> {
  return parseYamlMapping(input);
}

function listOf(input: ParseInput, doc: Record<string, unknown>, key: string): unknown[] {
  const value = doc[key];
  if (!Array.isArray(value)) throw new ParseError(input.sourceId, input.url, `\`${key}\` must be a list`);
  return value;
}

/** Validates each item; returns the good ones and records why each bad one was set aside. */
function eachValid<S extends z.ZodTypeAny>(items: unknown[], schema: S, label: string, rejected: Rejection[]): Array<z.infer<S>> {
  const good: Array<z.infer<S>> = [];
  items.forEach((item, i) => {
    const result = schema.safeParse(item);
    if (result.success) return good.push(result.data);
    const id = typeof item === "object" && item !== null && "id" in item ? ` (id ${JSON.stringify((item as { id: unknown }).id)})` : "";
    const reason = result.error.issues.map((issue) => `${issue.path.join(".") || "(item)"}: ${issue.message}`).join("; ");
    rejected.push({ record: `${label}[${i}]${id}`, reason });
  });
  return good;
}

export function parseNaisStrategy(input: ParseInput): ParseResult {
  const doc = readYaml(input);
  const rejected: Rejection[] = [];
  const priorities = eachValid(listOf(input, doc, "priorities"), priority, "priorities", rejected);
  const priorityIds = new Set(priorities.map((p) => p.id));
  const measures = eachValid(listOf(input, doc, "measures"), measure, "measures", rejected).filter((m) => {
    if (priorityIds.has(m.priority)) return true;
    rejected.push({ record: `measure ${m.id}`, reason: `priority ${m.priority} is not defined` });
    return false;
  });
  const measureIds = new Set(measures.map((m) => m.id));
  const flagships = eachValid(listOf(input, doc, "flagships"), flagship, "flagships", rejected).filter((f) => {
    const unknown = f.measures.filter((id) => !measureIds.has(id));
    if (unknown.length === 0) return true;
    rejected.push({ record: `flagship ${f.id}`, reason: `refers to unknown measures ${unknown.join(", ")}` });
    return false;
  });
  const directions = eachValid(listOf(input, doc, "sector_directions"), sectorDirection, "sector_directions", rejected);

  // Measure ids sort as numbers within a priority ("1.10" after "1.9").
  const seqOf = (id: string) => Number(id.split(".")[1]);
  return {
    rows: {
      strategy_priorities: priorities.map((p): RowOf<"strategy_priorities"> => ({
        priority_id: p.id,
        title: p.title,
        short_label: p.short,
      })),
      strategy_measures: measures.map((m): RowOf<"strategy_measures"> => ({
        measure_id: m.id,
        priority_id: m.priority,
        seq: seqOf(m.id),
        text: m.text,
        timeframe: m.timeframe,
        start_year: m.start_year ?? null,
        end_year: m.end_year ?? null,
        ongoing: m.ongoing ?? false,
        lead_bodies: m.lead,
        participating_bodies: m.participating,
        entities_text: m.entities_text,
        note: m.note,
      })),
      strategy_flagships: flagships.map((f): RowOf<"strategy_flagships"> => ({
        flagship_id: f.id,
        priority_id: f.priority,
        text: f.text,
        measure_ids: f.measures,
        roles: f.roles,
        note: f.note,
      })),
      strategy_sector_directions: directions.map((d): RowOf<"strategy_sector_directions"> => ({
        direction_id: d.id,
        title: d.title,
        sector_group: d.group,
        focus_areas: d.summary_points,
        note: d.note,
      })),
    },
    rejected,
  };
}

/** "2025-05" → 2025-05-01 with month precision, so partial dates sort and filter as dates. */
export function toDate(value: string | null): { date: string | null; precision: "day" | "month" | "year" | null } {
  if (!value) return { date: null, precision: null };
  const parts = value.split("-");
  if (parts.length === 3) return { date: value, precision: "day" };
  if (parts.length === 2) return { date: `${value}-01`, precision: "month" };
  return { date: `${value}-01-01`, precision: "year" };
}

export function parseGovernanceTimeline(input: ParseInput): ParseResult {
  const doc = readYaml(input);
  const rejected: Rejection[] = [];
  const documents = new Map(eachValid(listOf(input, doc, "sources"), timelineSource, "sources", rejected).map((s) => [s.id, s]));
  const events = eachValid(listOf(input, doc, "events"), event, "events", rejected).flatMap((e): Array<RowOf<"events">> => {
    const reportedIn = documents.get(e.source);
    if (!reportedIn) {
      rejected.push({ record: `event ${e.id}`, reason: `source "${e.source}" is not listed under sources` });
      return [];
    }
    const start = toDate(e.date_start);
    const end = toDate(e.date_end);
    return [
      {
        event_id: e.id,
        track: e.track,
        title: e.title,
        status: e.status,
        date_start: start.date,
        date_end: end.date,
        date_precision: start.precision,
        date_text: e.date_text,
        deadline_kind: e.deadline_kind,
        reported_in: reportedIn.title,
        reported_on: reportedIn.date,
        document_url: reportedIn.url ?? null,
        note: e.note,
      },
    ];
  });
  return { rows: { events }, rejected };
}

export const naisStrategyParser: Parser = { parse: parseNaisStrategy };
export const governanceTimelineParser: Parser = { parse: parseGovernanceTimeline };
