// The CSV dialect of the analysts' sheets (sources/curated/*.csv): UTF-8, an optional BOM, `#` comment
// lines, blank lines ignored, cells trimmed, and each record's starting line kept so a rejection can name
// the line an analyst sees in an editor. Field counts are left to the parser that knows its columns, so
// one short line is one rejection rather than a refused sheet.
import { CsvError, parse as parseCsv } from "csv-parse/sync";
import { decodeUtf8, ParseError, type ParseInput } from "./parser.js";

export interface SheetLine {
  /** The line the record starts on, counting from 1 and including comment lines. */
  line: number;
  fields: string[];
}

export function readSheetLines(input: ParseInput): SheetLine[] {
  let text: string;
  try {
    text = decodeUtf8(input.body);
  } catch (error) {
    throw new ParseError(input.sourceId, input.url, `not UTF-8 text (${(error as Error).message})`);
  }
  // csv-parse miscounts lines when a CRLF file has a blank line; with LF endings its counts are exact.
  text = text.replace(/\r\n?/g, "\n");
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parseCsv(text, {
      bom: true,
      comment: "#",
      // `#` inside a field (a note, a URL fragment) is text, not the start of a comment.
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error.lines === "number" ? ` at line ${error.lines}` : "";
      throw new ParseError(input.sourceId, input.url, `not valid CSV${line} (${error.message})`);
    }
    throw error;
  }
  // `info.lines` is where the record ends; a quoted field may span lines, so count back to its start.
  return records.map(({ record, info }) => ({
    line: info.lines - record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0),
    fields: record,
  }));
}
