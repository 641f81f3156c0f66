// AI Incident Database (incidentdatabase.ai) GraphQL responses → the incidents that involve Cambodia.
// The AIID has no country field, so Cambodia is found by whole-word match of
// place and people names in each incident's title, description and report titles. The filter and the
// row building are shared with the weekly-snapshot parser (aiid-snapshot.ts), so both give the same rows.
import type { RowOf } from "../warehouse/tables.js";
import { parseJsonBody, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

/** Terms that mark an incident as involving Cambodia when `options.match_terms` is not set. */
export const defaultMatchTerms = ["Cambodia", "Cambodian", "Phnom Penh", "Khmer", "Sihanoukville", "Siem Reap", "Battambang"] as const;

/**
 * The capital and the 24 provinces, by their usual English names, each with the spellings seen in
 * English-language reporting. The first name is the one stored.
 */
export const cambodianProvinces: ReadonlyArray<readonly [string, ...string[]]> = [
  ["Phnom Penh"],
  ["Banteay Meanchey"],
  ["Battambang"],
  ["Kampong Cham", "Kompong Cham"],
  ["Kampong Chhnang", "Kompong Chhnang"],
  ["Kampong Speu", "Kompong Speu"],
  ["Kampong Thom", "Kompong Thom"],
  ["Kampot"],
  ["Kandal"],
  ["Kep", "Kep City"],
  ["Koh Kong"],
  ["Kratie", "Kratié"],
  ["Mondulkiri", "Mondul Kiri"],
  ["Oddar Meanchey", "Otdar Meanchey"],
  ["Pailin"],
  ["Preah Sihanouk", "Sihanoukville"],
  ["Preah Vihear"],
  ["Prey Veng"],
  ["Pursat", "Pouthisat"],
  ["Ratanakiri", "Ratanak Kiri", "Rattanakiri"],
  ["Siem Reap"],
  ["Stung Treng", "Stueng Traeng", "Steung Treng"],
  ["Svay Rieng"],
  ["Takeo", "Takéo"],
  ["Tbong Khmum", "Tboung Khmum"],
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A case-insensitive whole-word pattern for any of the terms. `\b` only knows ASCII letters, so the
 * boundaries are spelled out with Unicode classes ("Kratié" must not stop matching at the "é").
 */
export function termPattern(terms: readonly string[], flags = "iu"): RegExp {
  const alternatives = [...terms]
    .sort((a, b) => b.length - a.length)
    .map((t) =>
      t
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\s+/g, "\\s+"),
    );
  return new RegExp(`(?<![\\p{L}\\p{M}\\p{N}])(?:${alternatives.join("|")})(?![\\p{L}\\p{M}\\p{N}])`, flags);
}

const provincePatterns = cambodianProvinces.map(([name, ...aliases]) => ({ name, pattern: termPattern([name, ...aliases]) }));

/** The province named earliest in the text, by its stored name; null when none is named. */
export function detectProvince(text: string): string | null {
  let best: { name: string; at: number } | null = null;
  for (const { name, pattern } of provincePatterns) {
    const match = pattern.exec(text);
    if (match && (best === null || match.index < best.at)) best = { name, at: match.index };
  }
  return best?.name ?? null;
}

/** Maps any listed spelling of a province to its stored name (for analyst sheets). */
export function canonicalProvince(name: string): string | null {
  const key = name.trim().normalize("NFC").toLowerCase().replace(/\s+/g, " ");
  for (const [canonical, ...aliases] of cambodianProvinces) {
    if ([canonical, ...aliases].some((n) => n.toLowerCase() === key)) return canonical;
  }
  return null;
}

/** Keeps only absolute http(s) links (docs/architecture.md rule 7), normalised and without duplicates. */
export function httpUrls(values: unknown[]): string[] {
  const out = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string") continue;
    try {
      const url = new URL(value.trim());
      if (url.protocol === "http:" || url.protocol === "https:") out.add(url.toString());
    } catch {
      // not a URL at all: dropped like any other non-http link
    }
  }
  return [...out];
}

function matchTermsOf(input: ParseInput): readonly string[] {
  const terms = input.options?.match_terms;
  if (terms === undefined) return defaultMatchTerms;
  if (!Array.isArray(terms) || terms.length === 0 || !terms.every((t) => typeof t === "string" && t.trim() !== "")) {
    throw new ParseError(input.sourceId, input.url, "options.match_terms must be a non-empty list of non-empty strings");
  }
  return terms as string[];
}

/** The pattern that marks an AIID incident as Cambodian: `options.match_terms`, else the defaults. */
export function aiidMatchPattern(input: ParseInput): RegExp {
  return termPattern(matchTermsOf(input));
}

function readIncidents(input: ParseInput): unknown[] {
  const doc = parseJsonBody(input);
  if (!isObject(doc)) throw new ParseError(input.sourceId, input.url, "expected a JSON object with `data` or `errors`");
  // GraphQL reports failures in `errors`, usually with HTTP 200 and `data: null`.
  if (Array.isArray(doc.errors) && doc.errors.length > 0) {
    const messages = doc.errors.map((e) => (isObject(e) && typeof e.message === "string" ? e.message : JSON.stringify(e))).join("; ");
    throw new ParseError(input.sourceId, input.url, `the API returned errors: ${messages}`);
  }
  const incidents = isObject(doc.data) ? doc.data.incidents : undefined;
  if (!Array.isArray(incidents)) throw new ParseError(input.sourceId, input.url, "expected `data.incidents` to be a list");
  return incidents;
}

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

function entityNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((e) => (isObject(e) ? (text(e.name) ?? text(e.entity_id)) : text(e))).filter((n): n is string => n !== null);
}

/** AIID dates are `YYYY-MM-DD` (some exports append a time); anything else is not a date we can store. */
function incidentDate(v: unknown): string | null | undefined {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v !== "string") return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+Z?)?$/.exec(v.trim());
  if (!match) return undefined;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) ? `${y}-${m}-${d}` : undefined;
}

/**
 * One AIID incident as every AIID reader sees it (the GraphQL API, the weekly snapshot), before any
 * check: raw scalar values, entity names already resolved (a slug where no name is known).
 */
export interface AiidIncident {
  incident_id: unknown;
  date: unknown;
  title: unknown;
  description: unknown;
  deployers: readonly string[];
  developers: readonly string[];
  harmedParties: readonly string[];
  reports: ReadonlyArray<{ title: unknown; url: unknown }>;
}

/** What became of one incident: a row, out of scope (not about Cambodia), or rejected with a reason. */
export type AiidOutcome =
  { kind: "row"; row: RowOf<"incidents"> } | { kind: "out-of-scope" } | { kind: "rejected"; reason: string; incidentId: string | null };

/**
 * Checks one incident and builds its `incidents` row, so both AIID parsers give the same key
 * (`aiid:<incident_id>`) and the same columns. `seen` collects the ids already taken in this document;
 * `document` names it in the duplicate message.
 */
export function aiidIncidentRow(item: AiidIncident, isAboutCambodia: RegExp, seen: Set<string>, document = "the response"): AiidOutcome {
  const title = text(item.title);
  const description = text(item.description);
  const haystack = [title, description, ...item.reports.map((r) => text(r.title))].filter((t): t is string => t !== null).join("\n");
  // Not about Cambodia: out of scope, so neither kept nor reported as bad.
  if (!isAboutCambodia.test(haystack)) return { kind: "out-of-scope" };

  const id = typeof item.incident_id === "number" || typeof item.incident_id === "string" ? String(item.incident_id).trim() : "";
  if (!/^\d+$/.test(id)) {
    return { kind: "rejected", incidentId: null, reason: `missing or non-numeric incident_id ${JSON.stringify(item.incident_id ?? null)}` };
  }
  const reject = (reason: string): AiidOutcome => ({ kind: "rejected", incidentId: id, reason });
  if (!title) return reject("missing title");
  if (seen.has(id)) return reject(`incident_id appears more than once in ${document}`);
  const date = incidentDate(item.date);
  if (date === undefined) return reject(`date ${JSON.stringify(item.date)} is not YYYY-MM-DD`);
  seen.add(id);

  const names = (list: readonly string[]) => [...new Set(list.map((n) => n.trim()).filter((n) => n !== ""))];
  return {
    kind: "row",
    row: {
      incident_key: `aiid:${id}`,
      source_incident_id: id,
      occurred_on: date,
      date_precision: date ? "day" : null,
      title,
      description,
      deployers: names(item.deployers),
      developers: names(item.developers),
      harmed_parties: names(item.harmedParties),
      // The AIID's own fields carry no harm type, sector or severity; taxonomies live in classifications.
      harm_types: [],
      sector: null,
      severity: null,
      province: detectProvince(haystack),
      // AIID editors have already reviewed and published these records.
      status: "published",
      report_urls: httpUrls(item.reports.map((r) => r.url)),
    },
  };
}

export function parseAiid(input: ParseInput): ParseResult {
  const isAboutCambodia = aiidMatchPattern(input);
  const incidents: Array<RowOf<"incidents">> = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();

  readIncidents(input).forEach((item, i) => {
    const where = `incidents[${i}]`;
    if (!isObject(item)) return rejected.push({ record: where, reason: "not an object" });
    const outcome = aiidIncidentRow(
      {
        incident_id: item.incident_id,
        date: item.date,
        title: item.title,
        description: item.description,
        deployers: entityNames(item.AllegedDeployerOfAISystem),
        developers: entityNames(item.AllegedDeveloperOfAISystem),
        harmedParties: entityNames(item.AllegedHarmedOrNearlyHarmedParties),
        reports: Array.isArray(item.reports) ? item.reports.filter(isObject).map((r) => ({ title: r.title, url: r.url })) : [],
      },
      isAboutCambodia,
      seen,
    );
    if (outcome.kind === "row") incidents.push(outcome.row);
    if (outcome.kind === "rejected")
      rejected.push({ record: outcome.incidentId ? `incident ${outcome.incidentId}` : where, reason: outcome.reason });
  });
  return { rows: { incidents }, rejected };
}

export const aiidParser: Parser = { parse: parseAiid };
