// World Bank Indicators API v2 (JSON): `[paging, observations]`, or `[{message: [...]}]` on error
// (which arrives with HTTP 200). Pages are followed through `nextPages`. Only countries become
// observations: regional and income aggregates are refused, each with a rejection naming it.
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { isPeriod } from "./period.js";
import { parseJsonBody, parseOptions, ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

/** Options a World Bank source may set in the registry entry's `options`. */
export const worldBankOptionsSchema = z
  .object({
    /**
     * Unit of each indicator, by code (e.g. `IT.NET.USER.ZS: "% of population"`). The API's `unit` field is
     * almost always empty and names carry descriptions in parentheses ("1=yes; 0=no"), so units are stated
     * here. @default {} (an indicator not listed has no unit)
     */
    units: z.record(z.string().trim().min(1)).default({}),
  })
  .passthrough();

/**
 * The ISO3-style codes of the World Bank's aggregates (regions, income and lending groups, demographic
 * groups, the euro area, the world), as its country API lists them with region "Aggregates".
 */
export const WORLD_BANK_AGGREGATES: ReadonlySet<string> = new Set(
  (
    "AFE AFW ARB CEB CSS EAP EAR EAS ECA ECS EMU EUU FCS HIC HPC IBD IBT IDA IDB IDX INX LAC LCN LDC LIC LMC LMY LTE MEA MIC MNA NAC " +
    "OED OSS PRE PSS PST SAS SSA SSF SST TEA TEC TLA TMN TSA TSS UMC WLD"
  ).split(" "),
);

interface Paging {
  page: number;
  pages: number;
  total: number;
  lastupdated: string | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function toInt(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

function readDocument(input: ParseInput): { paging: Paging; rows: unknown[] } {
  const doc = parseJsonBody(input);
  if (!Array.isArray(doc) || doc.length === 0) {
    throw new ParseError(input.sourceId, input.url, "expected a JSON array [paging, observations]");
  }
  const head = doc[0];
  if (isObject(head) && Array.isArray(head.message)) {
    const messages = head.message
      .map((m) => (isObject(m) ? `${String(m.id ?? "?")} ${String(m.key ?? "")}: ${String(m.value ?? "")}` : String(m)))
      .join("; ");
    throw new ParseError(input.sourceId, input.url, `the API returned an error: ${messages}`);
  }
  if (doc.length !== 2 || !isObject(head)) {
    throw new ParseError(input.sourceId, input.url, `expected [paging, observations], got an array of ${doc.length}`);
  }
  const page = toInt(head.page);
  const pages = toInt(head.pages);
  const total = toInt(head.total);
  if (page === undefined || pages === undefined || total === undefined) {
    throw new ParseError(input.sourceId, input.url, "paging object lacks integer page/pages/total");
  }
  // An empty result comes back as `[paging, null]`.
  const rows = doc[1] === null ? [] : doc[1];
  if (!Array.isArray(rows)) throw new ParseError(input.sourceId, input.url, "observations element is not an array");
  const lastupdated = typeof head.lastupdated === "string" ? head.lastupdated : null;
  return { paging: { page, pages, total, lastupdated }, rows };
}

/** Why a row's country cannot be stored as a country, or undefined when it can. */
function notACountry(iso3: string, id: string | undefined, name: string | undefined): string | undefined {
  const who = [name ? JSON.stringify(name) : undefined, id ? `World Bank id ${id}` : undefined].filter(Boolean).join(", ");
  if (iso3 === "") return `no ISO 3166 alpha-3 code${who ? ` for ${who}` : ""}`;
  if (!/^[A-Z]{3}$/.test(iso3)) return `countryiso3code ${JSON.stringify(iso3)} is not a 3-letter ISO code${who ? ` (${who})` : ""}`;
  if (WORLD_BANK_AGGREGATES.has(iso3)) return `${iso3}${name ? ` (${name})` : ""} is a World Bank aggregate, not a country`;
  // Countries carry their ISO alpha-2 code as id; aggregates have ids such as 1A, S3, XC, ZH.
  if (id !== undefined && !/^[A-Z]{2}$/.test(id))
    return `World Bank id ${id} is an aggregate's, not a country's, although countryiso3code is ${iso3}${name ? ` (${JSON.stringify(name)})` : ""}`;
  return undefined;
}

export function parseWorldBank(input: ParseInput): ParseResult {
  const { units } = parseOptions(input, worldBankOptionsSchema);
  const { paging, rows } = readDocument(input);
  const observations: Array<RowOf<"observations">> = [];
  const indicators = new Map<string, RowOf<"indicators">>();
  const rejected: Rejection[] = [];

  rows.forEach((row, i) => {
    const where = `observations[${i}]`;
    if (!isObject(row)) return rejected.push({ record: where, reason: "not an object" });
    const indicator = isObject(row.indicator) ? row.indicator : undefined;
    const code = typeof indicator?.id === "string" ? indicator.id : undefined;
    if (!code) return rejected.push({ record: where, reason: "missing indicator.id" });
    const country = isObject(row.country) ? row.country : undefined;
    const countryId = typeof country?.id === "string" && country.id !== "" ? country.id : undefined;
    const countryName = typeof country?.value === "string" && country.value !== "" ? country.value : undefined;
    const iso3 = typeof row.countryiso3code === "string" ? row.countryiso3code.trim() : "";
    const period = typeof row.date === "string" ? row.date : typeof row.date === "number" ? String(row.date) : undefined;
    const record = `${code}/${iso3 || countryId || "?"}/${period ?? "?"}`;
    if (iso3 === "" && !countryId) return rejected.push({ record: `${code} ${where}`, reason: "missing countryiso3code" });
    const refusal = notACountry(iso3, countryId, countryName);
    if (refusal) return rejected.push({ record, reason: refusal });
    if (!period || !isPeriod(period)) {
      return rejected.push({ record: `${code} ${where}`, reason: `unrecognised date ${JSON.stringify(row.date)}` });
    }
    const value = row.value;
    // JSON.parse reads a number beyond the double range (1e309) as ±Infinity: refused, never stored.
    if (typeof value === "number" && !Number.isFinite(value)) {
      return rejected.push({ record, reason: `value is outside the range of a double (beyond ±1.8e308, read as ${value})` });
    }
    if (value !== null && (typeof value !== "number" || !Number.isFinite(value))) {
      return rejected.push({ record, reason: `value is not a number: ${JSON.stringify(value)}` });
    }
    // The bundled snapshot records where each value really came from; live API rows do not carry this.
    const sourceUrl = typeof row.source_url === "string" ? row.source_url : input.url;
    observations.push({ indicator_code: code, country_iso3: iso3, period, value, source_url: sourceUrl });
    // The definition once per series, from its first page: every page repeats it, and a series paged
    // 120 times would otherwise stage 120 copies of one key.
    if (paging.page <= 1 && !indicators.has(code)) {
      const name = typeof indicator?.value === "string" ? indicator.value : code;
      const unit = units[code] ?? (typeof row.unit === "string" && row.unit.trim() !== "" ? row.unit.trim() : null);
      const note = `World Bank World Development Indicators${paging.lastupdated ? `, last updated ${paging.lastupdated}` : ""}`;
      indicators.set(code, { indicator_code: code, name, unit, source_note: note });
    }
  });
  return { rows: { observations, indicators: [...indicators.values()] }, rejected };
}

export function nextWorldBankPages(input: ParseInput): string[] {
  const { paging } = readDocument(input);
  if (paging.page >= paging.pages) return [];
  const url = new URL(input.url);
  url.searchParams.set("page", String(paging.page + 1));
  return [url.toString()];
}

export const worldBankParser: Parser = { parse: parseWorldBank, nextPages: nextWorldBankPages };
