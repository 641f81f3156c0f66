// World Development Indicators as a mirror's CSV (`indicator,country,year,value`, one value a line), the
// format the bundled snapshot keeps the ASEAN peers' values in, read as the bytes were retrieved rather
// than re-shaped into an API response. The World Bank source reads API JSON or this CSV, by its content.
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import type { RowOf } from "../warehouse/tables.js";
import { decodeUtf8, ParseError, parseOptions, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { WORLD_BANK_AGGREGATES, worldBankParser } from "./worldbank.js";

const HEADER = ["indicator", "country", "year", "value"] as const;

const optionsSchema = z
  .object({
    /** WDI series names by code: the mirror's file holds codes only. @default {} */
    series_names: z.record(z.string().min(1)).default({}),
    /** Unit of each series, by code, as for the API (the registry states units; names are not read for them). @default {} */
    units: z.record(z.string().trim().min(1)).default({}),
  })
  .passthrough();

/** True when the body is a mirror CSV (its first line is the expected header), not API JSON. */
export function isWdiMirrorCsv(body: Uint8Array): boolean {
  const head = new TextDecoder("utf-8").decode(body.subarray(0, 64)).replace(/^\uFEFF/, "");
  return head.startsWith(`${HEADER.join(",")}\n`) || head.startsWith(`${HEADER.join(",")}\r\n`);
}

/** What an API URL asks for: `…/country/KHM;THA/indicator/IT.NET.USER.ZS?…`. Undefined parts mean "all". */
export function requestedSeries(url: string): { indicator?: string; countries?: Set<string> } {
  const path = URL.canParse(url) ? decodeURIComponent(new URL(url).pathname) : url;
  const indicator = /\/indicator\/([^/]+)/.exec(path)?.[1];
  const countries = /\/country\/([^/]+)\//.exec(path)?.[1];
  const list =
    countries && countries.toLowerCase() !== "all" ? new Set(countries.split(";").map((c) => c.trim().toUpperCase())) : undefined;
  return { indicator, countries: list };
}

export function parseWdiMirrorCsv(input: ParseInput): ParseResult {
  const options = parseOptions(input, optionsSchema);
  let records: string[][];
  try {
    records = parseCsv(decodeUtf8(input.body), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not a readable CSV (${(error as Error).message})`);
  }
  const [header, ...lines] = records;
  if (!header || header.map((h) => h.trim()).join(",") !== HEADER.join(",")) {
    throw new ParseError(input.sourceId, input.url, `expected the header ${HEADER.join(",")}, got ${header?.join(",") ?? "nothing"}`);
  }
  const wanted = requestedSeries(input.url);
  const observations: Array<RowOf<"observations">> = [];
  const indicators = new Map<string, RowOf<"indicators">>();
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  lines.forEach((fields, i) => {
    const line = i + 2;
    if (fields.length !== HEADER.length)
      return rejected.push({ record: `line ${line}`, reason: `expected ${HEADER.length} fields, got ${fields.length}` });
    const [code, country, year, text] = fields.map((f) => f.trim());
    if (wanted.indicator && code !== wanted.indicator) return;
    if (wanted.countries && !wanted.countries.has(country.toUpperCase())) return;
    const record = `${code}/${country}/${year} (line ${line})`;
    if (!/^[A-Za-z0-9._]+$/.test(code)) return rejected.push({ record, reason: `not an indicator code: ${JSON.stringify(code)}` });
    if (!/^[A-Za-z]{3}$/.test(country))
      return rejected.push({ record, reason: `not an ISO 3166-1 alpha-3 code: ${JSON.stringify(country)}` });
    if (WORLD_BANK_AGGREGATES.has(country.toUpperCase()))
      return rejected.push({ record, reason: `${country} is a World Bank aggregate (a region or group), not a country` });
    if (!/^\d{4}$/.test(year)) return rejected.push({ record, reason: `unrecognised year ${JSON.stringify(year)}` });
    const value = text === "" ? NaN : Number(text);
    if (!Number.isFinite(value)) return rejected.push({ record, reason: `value is not a number: ${JSON.stringify(text)}` });
    const key = `${code}/${country.toUpperCase()}/${year}`;
    if (seen.has(key)) return rejected.push({ record, reason: "a second value for this series, country and year" });
    seen.add(key);
    observations.push({
      indicator_code: code,
      country_iso3: country.toUpperCase(),
      period: year,
      value,
      source_url: input.retrievedFrom ?? input.url,
    });
    if (!indicators.has(code)) {
      const name = options.series_names[code] ?? code;
      indicators.set(code, {
        indicator_code: code,
        name,
        unit: options.units[code] ?? null,
        source_note: "World Bank World Development Indicators, as republished by a mirror (the capture names it)",
      });
    }
  });
  if (wanted.indicator && observations.length === 0 && rejected.length === 0) {
    throw new ParseError(input.sourceId, input.url, `the file holds no values of ${wanted.indicator}`);
  }
  return { rows: { observations, indicators: [...indicators.values()] }, rejected };
}

export const wdiMirrorParser: Parser = { parse: parseWdiMirrorCsv };

/** The World Bank source: API JSON (paged) from the live API, or a mirror's CSV from the bundled snapshot. */
export const worldBankOrMirrorParser: Parser = {
  parse: (input) => (isWdiMirrorCsv(input.body) ? parseWdiMirrorCsv(input) : worldBankParser.parse(input)),
  nextPages: (input) => (isWdiMirrorCsv(input.body) ? [] : (worldBankParser.nextPages?.(input) ?? [])),
};
