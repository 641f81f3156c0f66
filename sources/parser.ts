// The contract every source parser meets: a pure function from archived bytes to typed rows.
// Parsers never touch the network, the clock or the disk, so they can be re-run over the archive.
import type { RecordTable, RowOf } from "../warehouse/tables.js";

export interface ParseInput {
  sourceId: string;
  /** The URL the bytes were fetched from (or `repo:<path>` for curated files). */
  url: string;
  body: Uint8Array;
  /** Per-source settings from the registry entry's `options` (e.g. an outlet name, a language). @default {} */
  options?: Readonly<Record<string, unknown>>;
}

/** A record that could not be used; kept (quarantined) with the reason, never silently dropped. */
export interface Rejection {
  /** Identifies the record within its document, e.g. `measures[3]` or `IT.NET.USER.ZS/2023`. */
  record: string;
  reason: string;
}

export type StagedRows = { [N in RecordTable]?: Array<RowOf<N>> };

export interface ParseResult {
  rows: StagedRows;
  rejected: Rejection[];
}

export interface Parser {
  /** May be async (rss-parser is); must still be pure: same bytes in, same rows out. */
  parse(input: ParseInput): ParseResult | Promise<ParseResult>;
  /** For paged APIs: further URLs to fetch after this page. */
  nextPages?(input: ParseInput): string[];
}

/** The whole document is unusable (bad JSON, wrong shape). Names the source and URL. */
export class ParseError extends Error {
  constructor(
    readonly sourceId: string,
    readonly url: string,
    detail: string,
  ) {
    super(`${sourceId}: cannot parse ${url}: ${detail}`);
    this.name = "ParseError";
  }
}

export function decodeUtf8(body: Uint8Array): string {
  // fatal: a body that is not UTF-8 is an error to report, not text to guess at.
  return new TextDecoder("utf-8", { fatal: true }).decode(body).normalize("NFC");
}
