// The contract every source parser meets: a pure function from archived bytes to typed rows.
// Parsers never touch the network, the clock or the disk, so they can be re-run over the archive.
import { parse as parseYaml } from "yaml";
import type { ZodType, ZodTypeDef } from "zod";
import type { RecordTable, RowOf } from "../warehouse/tables.js";
import type { Decoding } from "./decode.js";

export interface ParseInput {
  sourceId: string;
  /** The URL the bytes were fetched from (or `repo:<path>` for curated files). */
  url: string;
  body: Uint8Array;
  /** The HTTP Content-Type the body arrived with; its charset comes before the document's own declaration. @default none */
  contentType?: string;
  /**
   * Where the bytes were really retrieved from when that is not `url` (a bundled snapshot capture that
   * replays `url` with a mirror's file); rows cite it as their source. @default undefined
   */
  retrievedFrom?: string;
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
  /** How a text document's bytes were decoded (feeds and pages), recorded with the capture. */
  decoding?: Decoding;
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

/** The body as JSON; a ParseError naming the source and URL when it is not. */
export function parseJsonBody(input: ParseInput): unknown {
  try {
    return JSON.parse(decodeUtf8(input.body));
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not valid JSON (${(error as Error).message})`);
  }
}

/** The body as YAML whose top level is a mapping (`what` says what the mapping should hold). */
export function parseYamlMapping(input: ParseInput, what = "a YAML mapping at the top level"): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(decodeUtf8(input.body));
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not valid YAML (${(error as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new ParseError(input.sourceId, input.url, `expected ${what}`);
  return doc as Record<string, unknown>;
}

/** The registry entry's `options`, validated; a bad one is a ParseError naming `options.<field>`. */
export function parseOptions<T>(input: ParseInput, schema: ZodType<T, ZodTypeDef, unknown>): T {
  const result = schema.safeParse(input.options ?? {});
  if (!result.success) {
    throw new ParseError(input.sourceId, input.url, result.error.issues.map((i) => `options.${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return result.data;
}
