// Analyst-owned indicator sheets (sources/curated/indicators.csv): figures transcribed from documents
// such as the UNESCO RAM report, each with its public source URL or, for a document that is not online,
// the document it comes from (sources/curated/documents.yaml) and the page or section. A line may be a
// target (due year, the NAIS measure it belongs to, the indicator it is a target for) rather than a value.
// Bad lines are quarantined by line number.
import type { RowOf } from "../warehouse/tables.js";
import { ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";
import { readSheetLines, type SheetLine } from "./sheet-csv.js";

/** Columns a sheet must have, in any order. */
export const requiredColumns = ["indicator_code", "name", "unit", "period", "value", "source_url"] as const;
/** Columns a sheet may have. */
export const optionalColumns = [
  "country_iso3",
  "source_page",
  "note",
  "document",
  "section",
  "figure_kind",
  "target_of",
  "due_year",
  "nais_measure",
] as const;
type Column = (typeof requiredColumns)[number] | (typeof optionalColumns)[number];
/** The columns in the order the curated sheet writes them. */
export const sheetColumns = [
  "indicator_code",
  "name",
  "unit",
  "country_iso3",
  "period",
  "value",
  "source_url",
  "source_page",
  "document",
  "section",
  "figure_kind",
  "target_of",
  "due_year",
  "nais_measure",
  "note",
] as const;
const knownColumns = new Set<string>([...requiredColumns, ...optionalColumns]);

const PERIOD = /^(\d{4})(?:-Q([1-4])|-(\d{2}))?$/;

function defaultCountryOf(input: ParseInput): string {
  const value = input.options?.default_country ?? "KHM";
  if (typeof value !== "string" || !/^[A-Z]{3}$/.test(value)) {
    throw new ParseError(input.sourceId, input.url, "options.default_country must be an ISO 3166-1 alpha-3 code such as KHM");
  }
  return value;
}

function headerOf(input: ParseInput, lines: SheetLine[]): Map<Column, number> {
  if (lines.length === 0) throw new ParseError(input.sourceId, input.url, "empty sheet: no header line");
  const names = lines[0].fields.map((f) => f.trim().toLowerCase());
  if (!names.includes("indicator_code")) {
    throw new ParseError(
      input.sourceId,
      input.url,
      `line ${lines[0].line}: missing header line (expected columns ${sheetColumns.join(",")})`,
    );
  }
  const unknown = names.filter((n) => !knownColumns.has(n));
  if (unknown.length > 0) throw new ParseError(input.sourceId, input.url, `line ${lines[0].line}: unknown column(s) ${unknown.join(", ")}`);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0)
    throw new ParseError(input.sourceId, input.url, `line ${lines[0].line}: column(s) ${repeated.join(", ")} appear twice`);
  const missing = requiredColumns.filter((c) => !names.includes(c));
  if (missing.length > 0)
    throw new ParseError(input.sourceId, input.url, `line ${lines[0].line}: missing required column(s) ${missing.join(", ")}`);
  return new Map(names.map((n, i) => [n as Column, i]));
}

function publicUrl(value: string): URL | string {
  if (value === "") return "source_url is empty: a public http(s) URL is required";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `source_url "${value}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `source_url "${value}" must be a public http(s) URL (a repo: path or other scheme is not shown to the public)`;
  }
  return url;
}

export function parseIndicatorSheet(input: ParseInput): ParseResult {
  const defaultCountry = defaultCountryOf(input);
  const lines = readSheetLines(input);
  const columns = headerOf(input, lines);
  const observations: Array<RowOf<"observations">> = [];
  const indicators = new Map<string, RowOf<"indicators"> & { line: number; notes: string[] }>();
  const keys = new Map<string, number>();
  const rejected: Rejection[] = [];
  const figures: Array<RowOf<"sheet_figures">> = [];

  for (const { line, fields } of lines.slice(1)) {
    const problems: string[] = [];
    const reject = () => rejected.push({ record: `${input.url} line ${line}`, reason: `line ${line}: ${problems.join("; ")}` });
    if (fields.length !== columns.size) {
      problems.push(`expected ${columns.size} fields, found ${fields.length}`);
      reject();
      continue;
    }
    const get = (c: Column): string => {
      const i = columns.get(c);
      return i === undefined ? "" : fields[i];
    };

    const code = get("indicator_code");
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(code))
      problems.push(code === "" ? "indicator_code is empty" : `indicator_code "${code}" may hold only letters, digits, ".", "_" and "-"`);
    const name = get("name");
    if (name === "") problems.push("name is empty");
    const unit = get("unit") || null;
    const country = (get("country_iso3") || defaultCountry).toUpperCase();
    if (!/^[A-Z]{3}$/.test(country)) problems.push(`country_iso3 "${country}" is not a three-letter ISO code`);

    const period = get("period");
    const p = PERIOD.exec(period);
    if (!p) problems.push(period === "" ? "period is empty" : `period "${period}" must be YYYY, YYYY-Qn or YYYY-MM`);
    else if (p[3] && (Number(p[3]) < 1 || Number(p[3]) > 12)) problems.push(`period "${period}" has no month ${p[3]}`);

    const rawValue = get("value");
    const value = rawValue === "" ? NaN : Number(rawValue);
    if (rawValue === "") problems.push("value is empty");
    else if (Math.abs(value) === Infinity && /^[+-]?\.?\d/.test(rawValue))
      problems.push(`value "${rawValue}" is outside the range of a double (beyond ±1.8e308)`);
    else if (!Number.isFinite(value))
      problems.push(`value "${rawValue}" is not a number${/\d,\d/.test(rawValue) ? " (write it without thousands separators)" : ""}`);

    // A figure cites a public URL, or a document that is not online (by its id in documents.yaml and a section).
    const documentId = get("document");
    if (documentId !== "" && !/^[a-z0-9][a-z0-9-]*$/.test(documentId))
      problems.push(`document "${documentId}" is not a document id (lower-case letters, digits and dashes)`);
    const section = get("section");
    const url = get("source_url") === "" && documentId !== "" ? documentId : publicUrl(get("source_url"));
    if (typeof url === "string" && url !== documentId) problems.push(url);
    const kind = get("figure_kind") || "value";
    if (kind !== "value" && kind !== "target") problems.push(`figure_kind "${kind}" must be value or target`);
    const dueYear = get("due_year");
    if (dueYear !== "" && !/^\d{4}$/.test(dueYear)) problems.push(`due_year "${dueYear}" is not a year`);
    const measure = get("nais_measure");
    if (measure !== "" && !/^\d+\.\d+$/.test(measure)) problems.push(`nais_measure "${measure}" is not a measure number such as 1.2`);
    const targetOf = get("target_of");
    if (kind !== "target" && (targetOf !== "" || dueYear !== ""))
      problems.push("target_of and due_year belong to a line whose figure_kind is target");
    const page = get("source_page");
    if (page !== "" && !/^[1-9]\d*$/.test(page)) problems.push(`source_page "${page}" is not a page number`);
    if (page !== "" && url instanceof URL && url.hash !== "")
      problems.push("source_url already has a #fragment; give the page in source_page only");
    if (page !== "" && !(url instanceof URL))
      problems.push("source_page is a PDF page of source_url; for a document that is not online give the page or section in `section`");

    if (problems.length === 0) {
      const seenAt = keys.get(`${code}|${country}|${period}`);
      if (seenAt !== undefined) problems.push(`${code} ${country} ${period} is already given on line ${seenAt}`);
      const known = indicators.get(code);
      if (known && (known.name !== name || known.unit !== unit)) {
        problems.push(`name/unit of ${code} differ from line ${known.line} ("${known.name}", ${JSON.stringify(known.unit)})`);
      }
    }
    if (problems.length > 0) {
      reject();
      continue;
    }

    // PDF viewers open `#page=N` at that page (RFC 8118), so a reader lands on the figure.
    if (page !== "" && url instanceof URL) url.hash = `page=${page}`;
    keys.set(`${code}|${country}|${period}`, line);
    // A document that is not online is cited as `document:<id>#<section>`; the site shows its title and "not online".
    const sourceUrl = url instanceof URL ? url.toString() : `document:${documentId}${section ? `#${encodeURIComponent(section)}` : ""}`;
    observations.push({ indicator_code: code, country_iso3: country, period, value, source_url: sourceUrl });
    if (kind === "target" || documentId !== "" || measure !== "") {
      figures.push({
        indicator_code: code,
        country_iso3: country,
        period,
        figure_kind: kind,
        document_id: documentId || null,
        section: section || null,
        target_of: targetOf || null,
        due_year: dueYear ? Number(dueYear) : null,
        nais_measure: measure || null,
      });
    }
    const note = get("note");
    const indicator = indicators.get(code) ?? { indicator_code: code, name, unit, source_note: null, line, notes: [] };
    if (note !== "" && !indicator.notes.includes(note)) indicator.notes.push(note);
    indicators.set(code, indicator);
  }

  return {
    rows: {
      observations,
      indicators: [...indicators.values()].map(({ indicator_code, name, unit, notes }) => ({
        indicator_code,
        name,
        unit,
        source_note: notes.length > 0 ? notes.join(" | ") : null,
      })),
      ...(figures.length > 0 ? { sheet_figures: figures } : {}),
    },
    rejected,
  };
}

export const indicatorSheetParser: Parser = { parse: parseIndicatorSheet };
