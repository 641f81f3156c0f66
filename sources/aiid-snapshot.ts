// AI Incident Database weekly snapshot (`backup-YYYYMMDDhhmmss.tar.bz2`) → the incidents that involve
// Cambodia, as the same rows the GraphQL parser (sources/aiid.ts) builds: the fallback when the API is shut.
// A body that is the snapshot's incidents.csv alone (as a mirror republishes it) is read the same way,
// without report titles and links. Both also give every incident that names an ASEAN member (sources/asean.ts),
// for the regional counts.
//
// What the archive holds (the AIID repo's site/db-backup/bin/backup.sh):
// - incidents.csv from `mongoexport --type=csv`: scalars as text, lists as JSON (`[1,2]`, `["a","b"]`),
//   `_id` as `ObjectId(…)`. Third-party readers parse `reports` and the entity columns with Python's
//   `ast.literal_eval`, which agrees. A comma-separated list is accepted too, in case the export changes.
// - reports.csv from a Python script (csv.writer, QUOTE_ALL, escapechar `\`): lists joined with ", ",
//   and every backslash doubled. No incident_id: incidents.csv's `reports` holds the report numbers.
// - aiidprod/entities.bson from `mongodump`: entity slugs → names. An `entities.csv` (entity_id, name)
//   is read instead if a later export adds one; with neither, entities stay as their slugs.
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { BSONError, deserialize } from "bson";
import { CsvError, parse as parseCsv } from "csv-parse";
import tar from "tar-stream";
import unbzip2 from "unbzip2-stream";
import type { RowOf } from "../warehouse/tables.js";
import { aiidIncidentRow, aiidMatchPattern } from "./aiid.js";
import { aseanMentions } from "./asean.js";
import { ParseError, type ParseInput, type ParseResult, type Parser, type Rejection } from "./parser.js";

const INCIDENTS_CSV = "incidents.csv";
const REPORTS_CSV = "reports.csv";
const ENTITIES_BSON = "entities.bson";
const ENTITIES_CSV = "entities.csv";

/** incidents.csv columns this parser reads (the export also has `_id`). */
const incidentColumns = {
  id: "incident_id",
  date: "date",
  reports: "reports",
  deployers: "Alleged deployer of AI system",
  developers: "Alleged developer of AI system",
  harmed: "Alleged harmed or nearly harmed parties",
  description: "description",
  title: "title",
} as const;
const reportColumns = { number: "report_number", title: "title", url: "url" } as const;
const entityColumns = { id: "entity_id", name: "name" } as const;

/** Compressed bytes handed to the decompressor at a time; small, so backpressure bounds memory. */
const CHUNK_BYTES = 64 * 1024;

/** A whole-document problem, worded for the ParseError's detail. */
class SnapshotFault extends Error {}

interface CsvRecord {
  fields: string[];
  /** The physical line the record starts on (1 = the header), for rejections. */
  line: number;
}

type Columns<K extends string> = Record<K, number>;

interface Snapshot {
  incidents?: { width: number; columns: Columns<keyof typeof incidentColumns>; records: CsvRecord[] };
  /** report_number → what the rows need of it (the first row wins if a number repeats). */
  reports?: Map<number, { title: string; url: string }>;
  entities?: Map<string, string>;
  rejected: Rejection[];
}

/**
 * A list cell of the export: a JSON array (`[1,2]`, `["a","b"]`, mongoexport's `NumberLong(3)` allowed),
 * or items separated by commas; an empty cell is an empty list. Null when the cell is neither.
 */
export function parseAiidListCell(cell: string): string[] | null {
  const value = cell.trim();
  if (value === "") return [];
  if (!value.startsWith("["))
    return value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  let list: unknown;
  try {
    list = JSON.parse(value.replace(/Number(?:Int|Long)\(\s*"?(-?\d+)"?\s*\)/g, "$1"));
  } catch {
    return null;
  }
  if (!Array.isArray(list) || !list.every((v) => typeof v === "string" || typeof v === "number")) return null;
  return list.map((v) => String(v).trim()).filter((s) => s !== "");
}

/** The line a csv-parse record starts on: `lines` counts to its end, `raw` may carry skipped blank lines. */
function startLine(linesToEnd: number, raw: string): number {
  const record = raw.replace(/\r?\n$/, "").replace(/^(?:\r?\n)+/, "");
  return linesToEnd - (record.match(/\n/g)?.length ?? 0);
}

function columnsOf<K extends string>(file: string, header: string[], wanted: Record<K, string>): Columns<K> {
  const names = header.map((h) => h.trim());
  const columns = {} as Columns<K>;
  for (const [key, name] of Object.entries(wanted) as Array<[K, string]>) {
    const at = names.indexOf(name);
    if (at < 0) throw new SnapshotFault(`${file} has no "${name}" column (its header: ${names.join(", ")})`);
    columns[key] = at;
  }
  return columns;
}

/** Streams one CSV member through csv-parse, header first; the text must be UTF-8. */
async function eachCsvRecord(file: string, entry: AsyncIterable<unknown>, onRecord: (record: CsvRecord) => void): Promise<void> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  async function* text() {
    for await (const chunk of entry) yield decoder.decode(chunk as Uint8Array, { stream: true });
    const rest = decoder.decode();
    if (rest) yield rest;
  }
  try {
    await pipeline(
      text,
      // Field counts are checked per row, so one short row is a rejection rather than a failed file.
      parseCsv({ bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: true }),
      async (records: AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) => {
        for await (const { record, raw, info } of records) onRecord({ fields: record, line: startLine(info.lines, raw) });
      },
    );
  } catch (error) {
    if (error instanceof CsvError)
      throw new SnapshotFault(`${file} line ${(error as CsvError & { lines?: number }).lines ?? "?"}: ${error.message}`);
    if (error instanceof TypeError && /encoded data/i.test(error.message)) throw new SnapshotFault(`${file} is not UTF-8`);
    throw error;
  }
}

async function collect(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of entry) parts.push(chunk as Uint8Array);
  return Buffer.concat(parts);
}

/** Python's csv.writer with `escapechar="\\"` doubles every backslash; undo it. */
const unescapePython = (s: string) => s.replace(/\\\\/g, "\\");

async function readIncidents(entry: AsyncIterable<unknown>): Promise<NonNullable<Snapshot["incidents"]>> {
  let header: string[] | undefined;
  let columns: Columns<keyof typeof incidentColumns> | undefined;
  const records: CsvRecord[] = [];
  await eachCsvRecord(INCIDENTS_CSV, entry, (record) => {
    if (!header) {
      header = record.fields;
      columns = columnsOf(INCIDENTS_CSV, header, incidentColumns);
    } else records.push(record);
  });
  if (!header || !columns) throw new SnapshotFault(`${INCIDENTS_CSV} is empty`);
  return { width: header.length, columns, records };
}

async function readReports(
  entry: AsyncIterable<unknown>,
  isAboutCambodia: RegExp,
  rejected: Rejection[],
): Promise<Map<number, { title: string; url: string }>> {
  let header: string[] | undefined;
  let columns: Columns<keyof typeof reportColumns> | undefined;
  const reports = new Map<number, { title: string; url: string }>();
  await eachCsvRecord(REPORTS_CSV, entry, ({ fields, line }) => {
    if (!header || !columns) {
      header = fields;
      columns = columnsOf(REPORTS_CSV, header, reportColumns);
      return;
    }
    const number = fields[columns.number]?.trim() ?? "";
    const problem =
      fields.length !== header.length
        ? `has ${fields.length} fields where the header has ${header.length}`
        : !/^\d+$/.test(number)
          ? `report_number ${JSON.stringify(number)} is not a number`
          : null;
    if (problem) {
      // Like an incident, a broken report is only worth an analyst's time if it may be about Cambodia.
      if (isAboutCambodia.test(fields.join("\n"))) rejected.push({ record: `${REPORTS_CSV} line ${line}`, reason: problem });
      return;
    }
    if (!reports.has(Number(number))) {
      reports.set(Number(number), {
        title: unescapePython(fields[columns.title]).normalize("NFC"),
        url: unescapePython(fields[columns.url]),
      });
    }
  });
  if (!header) throw new SnapshotFault(`${REPORTS_CSV} is empty`);
  return reports;
}

async function readEntitiesCsv(entry: AsyncIterable<unknown>): Promise<Map<string, string>> {
  let columns: Columns<keyof typeof entityColumns> | undefined;
  const names = new Map<string, string>();
  await eachCsvRecord(ENTITIES_CSV, entry, ({ fields }) => {
    if (!columns) columns = columnsOf(ENTITIES_CSV, fields, entityColumns);
    else {
      const [id, name] = [fields[columns.id]?.trim(), fields[columns.name]?.trim().normalize("NFC")];
      if (id && name && !names.has(id)) names.set(id, name);
    }
  });
  return names;
}

/** A mongodump collection file is BSON documents back to back, each led by its int32 length. */
function readEntitiesBson(bytes: Buffer): Map<string, string> {
  const names = new Map<string, string>();
  for (let at = 0; at < bytes.length;) {
    const size = at + 4 <= bytes.length ? bytes.readInt32LE(at) : -1;
    if (size < 5 || at + size > bytes.length) throw new SnapshotFault(`${ENTITIES_BSON} is truncated at byte ${at}`);
    let doc: Record<string, unknown>;
    try {
      doc = deserialize(bytes.subarray(at, at + size));
    } catch (error) {
      if (error instanceof BSONError) throw new SnapshotFault(`${ENTITIES_BSON} is not valid BSON at byte ${at} (${error.message})`);
      throw error;
    }
    const [id, name] = [
      typeof doc.entity_id === "string" ? doc.entity_id.trim() : "",
      typeof doc.name === "string" ? doc.name.trim().normalize("NFC") : "",
    ];
    if (id && name && !names.has(id)) names.set(id, name);
    at += size;
  }
  return names;
}

/**
 * The body in small views. Decompression is synchronous JavaScript and the stream machinery runs on
 * microtasks, so each chunk first yields to the event loop: a minute-long parse must not starve timers,
 * heartbeats or cancellation.
 */
async function* chunksOf(body: Uint8Array): AsyncGenerator<Buffer> {
  for (let at = 0; at < body.length; at += CHUNK_BYTES) {
    await yieldToEventLoop();
    yield Buffer.from(body.buffer, body.byteOffset + at, Math.min(CHUNK_BYTES, body.length - at));
  }
}

/**
 * Streams the archive once (the real one is ~100 MB compressed and several times that unpacked) and keeps
 * only what the rows need from the CSVs and the entity names; everything else is decompressed and dropped.
 * Stops early once it has all three.
 */
async function readSnapshot(body: Uint8Array, isAboutCambodia: RegExp): Promise<Snapshot> {
  const snapshot: Snapshot = { rejected: [] };
  const source = Readable.from(chunksOf(body));
  const bunzip = unbzip2();
  const extract = tar.extract();
  // The first failure below the tar layer is the one worth naming; what follows it is fallout.
  let fault: string | undefined;
  bunzip.on("error", (error: Error) => {
    // unbzip2-stream reads past its input with a TypeError when the data stops mid-block.
    fault ??= `the bzip2 data is truncated or corrupt (${error instanceof TypeError ? "it ends mid-block" : error.message})`;
    extract.destroy(error);
  });
  // Errors reach the loop below through the iterator; this keeps the classic pipe from rethrowing them.
  extract.on("error", () => undefined);
  source.pipe(bunzip).pipe(extract);
  try {
    for await (const entry of extract) {
      const name = entry.header.type === "file" || entry.header.type === "contiguous-file" ? path.posix.basename(entry.header.name) : "";
      if (name === INCIDENTS_CSV && !snapshot.incidents) snapshot.incidents = await readIncidents(entry);
      else if (name === REPORTS_CSV && !snapshot.reports) snapshot.reports = await readReports(entry, isAboutCambodia, snapshot.rejected);
      else if (name === ENTITIES_CSV && !snapshot.entities) snapshot.entities = await readEntitiesCsv(entry);
      else if (name === ENTITIES_BSON && !snapshot.entities) snapshot.entities = readEntitiesBson(await collect(entry));
      else entry.resume();
      if (snapshot.incidents && snapshot.reports && snapshot.entities) break;
    }
  } catch (error) {
    if (fault) throw new SnapshotFault(fault);
    if (error instanceof SnapshotFault) throw error;
    throw new SnapshotFault(`not a readable tar archive (${(error as Error).message})`);
  } finally {
    source.destroy();
    bunzip.destroy();
    extract.destroy();
  }
  if (fault) throw new SnapshotFault(fault);
  return snapshot;
}

export async function parseAiidSnapshot(input: ParseInput): Promise<ParseResult> {
  const isAboutCambodia = aiidMatchPattern(input);
  const tableAlone = isIncidentsCsv(input.body);
  if (!tableAlone && Buffer.from(input.body.subarray(0, 3)).toString("latin1") !== "BZh") {
    throw new ParseError(input.sourceId, input.url, "not a bzip2 file (it does not start with BZh), nor an incidents.csv table");
  }
  let snapshot: Snapshot;
  try {
    snapshot = tableAlone
      ? { incidents: await readIncidents(chunksOf(input.body)), reports: new Map(), rejected: [] }
      : await readSnapshot(input.body, isAboutCambodia);
  } catch (error) {
    if (error instanceof SnapshotFault) throw new ParseError(input.sourceId, input.url, error.message);
    throw error;
  }
  const { incidents: file, reports } = snapshot;
  if (!file) throw new ParseError(input.sourceId, input.url, `the archive has no ${INCIDENTS_CSV}`);
  if (!reports) throw new ParseError(input.sourceId, input.url, `the archive has no ${REPORTS_CSV}`);
  const regional: Array<RowOf<"aiid_asean_incidents">> = [];
  const entityName = (slug: string) => snapshot.entities?.get(slug) ?? slug;

  const rows: Array<RowOf<"incidents">> = [];
  const rejected = snapshot.rejected;
  const seen = new Set<string>();
  for (const { fields, line } of file.records) {
    const record = `${INCIDENTS_CSV} line ${line}`;
    // Broken rows are judged on all their text; a row not about Cambodia is out of scope, broken or not.
    const reject = (reason: string) => {
      if (isAboutCambodia.test(fields.join("\n").normalize("NFC"))) rejected.push({ record, reason });
    };
    if (fields.length !== file.width) {
      reject(`has ${fields.length} fields where the header has ${file.width}`);
      continue;
    }
    const cell = (key: keyof typeof incidentColumns) => fields[file.columns[key]].normalize("NFC");
    const lists = { reports: [] as string[], deployers: [] as string[], developers: [] as string[], harmed: [] as string[] };
    const broken = (Object.keys(lists) as Array<keyof typeof lists>).find((key) => {
      const list = parseAiidListCell(cell(key));
      if (list) lists[key] = list;
      return list === null;
    });
    if (broken) {
      reject(`${incidentColumns[broken]} ${JSON.stringify(cell(broken))} is not a list`);
      continue;
    }
    const badNumber = lists.reports.find((n) => !/^\d+$/.test(n));
    if (badNumber !== undefined) {
      reject(`reports lists ${JSON.stringify(badNumber)}, which is not a report number`);
      continue;
    }
    const named = aseanMentions(
      [cell("title"), cell("description"), ...lists.deployers, ...lists.developers, ...lists.harmed]
        .map((t) => t.replace(/-/g, " "))
        .join("\n"),
    );
    const id = cell("id").trim();
    const day = /^\d{4}-\d{2}-\d{2}/.exec(cell("date").trim())?.[0] ?? null;
    if (named.length > 0 && /^\d+$/.test(id) && !regional.some((r) => r.incident_id === id)) {
      regional.push({
        incident_id: id,
        occurred_on: day,
        title: cell("title").trim() || null,
        description: cell("description").trim() || null,
        countries: named.map((n) => n.iso3),
        matched_terms: named.map((n) => n.term),
      });
    }
    const outcome = aiidIncidentRow(
      {
        incident_id: cell("id"),
        date: cell("date"),
        title: cell("title"),
        description: cell("description"),
        deployers: lists.deployers.map(entityName),
        developers: lists.developers.map(entityName),
        harmedParties: lists.harmed.map(entityName),
        // A listed report missing from reports.csv is left out, as the API leaves out what it cannot resolve.
        reports: lists.reports.map((n) => reports.get(Number(n))).filter((r) => r !== undefined),
      },
      isAboutCambodia,
      seen,
      INCIDENTS_CSV,
    );
    if (outcome.kind === "row") rows.push(outcome.row);
    if (outcome.kind === "rejected") rejected.push({ record, reason: outcome.reason });
  }
  return { rows: { incidents: rows, aiid_asean_incidents: regional }, rejected };
}

/** True when the body is incidents.csv itself: its header names incident_id (mongoexport puts `_id` first). */
function isIncidentsCsv(body: Uint8Array): boolean {
  const firstLine = new TextDecoder("utf-8")
    .decode(body.subarray(0, 1024))
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/, 1)[0];
  return firstLine
    .split(",")
    .map((h) => h.trim())
    .includes(incidentColumns.id);
}

export const aiidSnapshotParser: Parser = { parse: parseAiidSnapshot };
