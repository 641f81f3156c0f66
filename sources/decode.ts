// Bytes → text the way feed readers and browsers do it: a byte-order mark, then the HTTP Content-Type
// charset, then the document's own declaration (XML `encoding=`, HTML `<meta charset>`), then UTF-8 if the
// bytes are UTF-8, else windows-1252. Node's TextDecoder (full ICU) knows every encoding met in feeds.
import { ParseError, type ParseInput } from "./parser.js";

/** What decided the encoding of a document. */
export type EncodingSource = "bom" | "content-type" | "xml-declaration" | "html-meta" | "undeclared-utf-8" | "fallback";

export interface Decoding {
  /** The WHATWG name of the encoding used, e.g. "utf-8", "gbk", "windows-1252". */
  encoding: string;
  decidedBy: EncodingSource;
  /** What the document declared, when something declared an encoding that could not be used, e.g. `Content-Type charset "utf-8" does not fit the bytes`. */
  note?: string;
}

export interface DecodedText {
  text: string;
  decoding: Decoding;
}

/** For documents that declare nothing and are not UTF-8: what feed readers (and browsers for Western pages) assume. */
export const FALLBACK_ENCODING = "windows-1252";

const BOMS: ReadonlyArray<readonly [number[], string]> = [
  [[0xef, 0xbb, 0xbf], "utf-8"],
  // UTF-32 marks first: FF FE 00 00 also starts with the UTF-16LE mark.
  [[0xff, 0xfe, 0x00, 0x00], "utf-32le"],
  [[0x00, 0x00, 0xfe, 0xff], "utf-32be"],
  [[0xfe, 0xff], "utf-16be"],
  [[0xff, 0xfe], "utf-16le"],
];

const startsWith = (body: Uint8Array, prefix: number[]) => prefix.every((b, i) => body[i] === b);

/** The charset parameter of a Content-Type header value (quotes removed), if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*("([^"]*)"|'([^']*)'|[^;\s]+)/i.exec(contentType ?? "");
  if (!match) return undefined;
  const value = (match[2] ?? match[3] ?? match[1]).trim();
  return value === "" ? undefined : value;
}

/** The start of the body read one byte per character: enough to find an ASCII declaration in any ASCII-compatible encoding. */
function asciiHead(body: Uint8Array, bytes = 4096): string {
  return String.fromCharCode(...body.subarray(0, Math.min(bytes, body.length)));
}

/** UTF-16 and UTF-32 without a mark show themselves by the NULs around `<`. */
function utf16WithoutMark(body: Uint8Array): string | undefined {
  if (startsWith(body, [0x3c, 0x00, 0x00, 0x00])) return "utf-32le";
  if (startsWith(body, [0x00, 0x00, 0x00, 0x3c])) return "utf-32be";
  if (startsWith(body, [0x3c, 0x00, 0x3f, 0x00])) return "utf-16le";
  if (startsWith(body, [0x00, 0x3c, 0x00, 0x3f])) return "utf-16be";
  return undefined;
}

const UTF32 = /^(?:utf-?32|ucs-?4)(le|be)?$/i;

/** The WHATWG Encoding Standard (and so TextDecoder) has no UTF-32; XML allows it, and feeds use it. */
function decodeUtf32(body: Uint8Array, littleEndian: boolean): string | undefined {
  if (body.length % 4 !== 0) return undefined;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: string[] = [];
  for (let i = 0; i < body.length; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    if (i === 0 && cp === 0xfeff) continue;
    out.push(String.fromCodePoint(cp));
  }
  return out.join("");
}

function xmlDeclaration(head: string): string | undefined {
  // Blank lines or spaces before the declaration are an error in XML, but common in real feeds.
  return /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1]?.trim();
}

function htmlMeta(head: string): string | undefined {
  return (
    /<meta\b[^>]*?\bcharset\s*=\s*["']?([^"'\s/>;]+)/i.exec(head)?.[1] ??
    /<meta\b[^>]*?\bcontent\s*=\s*["'][^"']*charset=([^"'\s;]+)/i.exec(head)?.[1]
  );
}

// Node's TextDecoder decodes windows-1252 (and its aliases, iso-8859-1 among them) as ISO-8859-1,
// leaving 0x80–0x9F as C1 controls. The WHATWG table maps them to these characters; the five bytes it
// leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the control characters it assigns them.
const WINDOWS_1252_C1 = "€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ";
const fixWindows1252 = (text: string) => text.replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]);

// ASCII is already NFC; a feed of 20,000 items spends a fifth of its parse in ICU's normaliser otherwise.
const NON_ASCII = /[^\x00-\x7F]/;
const nfc = (text: string) => (NON_ASCII.test(text) ? text.normalize("NFC") : text);

type Attempt = { label: string; decidedBy: EncodingSource; what: string };

function tryDecode(
  body: Uint8Array,
  label: string,
): { text: string; encoding: string } | { unknown: true } | { invalid: true; encoding: string } {
  const utf32 = UTF32.exec(label.trim());
  if (utf32) {
    // "UTF-32" without an order: the mark decides, else big-endian (the Unicode default).
    const little = utf32[1]
      ? utf32[1].toLowerCase() === "le"
      : startsWith(body, [0xff, 0xfe, 0x00, 0x00]) || startsWith(body, [0x3c, 0x00, 0x00, 0x00]);
    const encoding = little ? "utf-32le" : "utf-32be";
    const text = decodeUtf32(body, little);
    return text === undefined ? { invalid: true, encoding } : { text, encoding };
  }
  let decoder: TextDecoder;
  try {
    // ignoreBOM false (the default) strips a mark that matches the encoding.
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return { unknown: true };
  }
  try {
    const text = decoder.decode(body);
    return { text: decoder.encoding === "windows-1252" ? fixWindows1252(text) : text, encoding: decoder.encoding };
  } catch {
    return { invalid: true, encoding: decoder.encoding };
  }
}

/**
 * Decodes a document's bytes. `kind` says which in-document declaration to read. Declarations are tried
 * in order and the first that fits the bytes wins; when every declaration is unknown or does not fit, a
 * ParseError names the source, the URL and what was declared. Undeclared bytes are UTF-8 if they are
 * valid UTF-8, else windows-1252 (never an error: every byte has a meaning there).
 */
export function decodeDocument(input: ParseInput, kind: "xml" | "html"): DecodedText {
  const body = input.body;
  const attempts: Attempt[] = [];
  const bom = BOMS.find(([prefix]) => startsWith(body, prefix));
  if (bom) attempts.push({ label: bom[1], decidedBy: "bom", what: `a ${bom[1].toUpperCase()} byte-order mark` });
  const header = charsetOf(input.contentType);
  if (header) attempts.push({ label: header, decidedBy: "content-type", what: `Content-Type charset "${header}"` });
  const sniffed = utf16WithoutMark(body);
  if (sniffed) attempts.push({ label: sniffed, decidedBy: "xml-declaration", what: `an XML declaration in ${sniffed.toUpperCase()}` });
  const head = asciiHead(body);
  const declared = kind === "xml" ? xmlDeclaration(head) : htmlMeta(head);
  // A UTF-16 document read as ASCII shows its declaration only after NULs are dropped.
  const declaredWide = declared ?? (sniffed ? xmlDeclaration(head.replace(/\0/g, "")) : undefined);
  // A wide document's declaration says "UTF-16"/"UTF-32" without the byte order the NULs already gave.
  if (declaredWide && !(sniffed && /^(utf-?16|utf-?32|ucs-?4)/i.test(declaredWide))) {
    attempts.push({
      label: declaredWide,
      decidedBy: kind === "xml" ? "xml-declaration" : "html-meta",
      what: kind === "xml" ? `XML declaration encoding="${declaredWide}"` : `<meta> charset "${declaredWide}"`,
    });
  }

  const problems: string[] = [];
  for (const attempt of attempts) {
    const result = tryDecode(body, attempt.label);
    if ("text" in result) {
      return {
        text: nfc(result.text),
        decoding: { encoding: result.encoding, decidedBy: attempt.decidedBy, ...(problems.length ? { note: problems.join("; ") } : {}) },
      };
    }
    problems.push(
      "unknown" in result
        ? `${attempt.what} names no encoding this reader knows`
        : `${attempt.what} does not fit the bytes (not valid ${result.encoding})`,
    );
  }
  if (attempts.length > 0) {
    // Something was declared and nothing declared fits: guessing would store mojibake as text.
    throw new ParseError(input.sourceId, input.url, `cannot decode the text: ${problems.join("; ")}`);
  }
  const utf8 = tryDecode(body, "utf-8");
  if ("text" in utf8) return { text: nfc(utf8.text), decoding: { encoding: "utf-8", decidedBy: "undeclared-utf-8" } };
  const fallback = fixWindows1252(new TextDecoder(FALLBACK_ENCODING).decode(body));
  return {
    text: nfc(fallback),
    decoding: { encoding: FALLBACK_ENCODING, decidedBy: "fallback", note: "no encoding declared and the bytes are not UTF-8" },
  };
}

/** One line for logs and the staged manifest, e.g. `gbk (XML declaration)`. */
export function describeDecoding(d: Decoding): string {
  const by: Record<EncodingSource, string> = {
    bom: "byte-order mark",
    "content-type": "HTTP Content-Type",
    "xml-declaration": "XML declaration",
    "html-meta": "HTML <meta>",
    "undeclared-utf-8": "undeclared, valid UTF-8",
    fallback: "undeclared, not UTF-8: windows-1252 assumed",
  };
  return `${d.encoding} (${by[d.decidedBy]}${d.note && d.decidedBy !== "fallback" ? `; ${d.note}` : ""})`;
}

// ---------------------------------------------------------------------------------------------
// Legacy Khmer fonts

/**
 * Fonts that draw Khmer letters over Latin code points: the Limon family ("Limon S1", "Limon R1"...) and
 * the ABC family ("ABC-TEXT-05", "ABC-KHMER"...). Text set in them is Latin gibberish as Unicode; it
 * cannot be searched, segmented or shown without the font.
 */
const LEGACY_KHMER_FONT = /\b(?:limon(?:\s+[a-z]\d+)?|abc-[a-z0-9-]+)\b/i;
const KHMER_UNICODE = /[\u1780-\u17FF\u19E0-\u19FF]/;

const FONT_DECLARATION = /face|font-family/i;

/**
 * The name of a legacy (non-Unicode) Khmer font the markup sets its text in, when the text has no Khmer
 * Unicode letters; undefined otherwise. Looks at `face="..."` and CSS `font-family`.
 */
export function legacyKhmerFont(markup: string, text: string): string | undefined {
  if (KHMER_UNICODE.test(text)) return undefined;
  // Most markup names no font at all; one plain scan says so before the full pattern runs.
  if (!FONT_DECLARATION.test(markup)) return undefined;
  const declared = [...markup.matchAll(/\bface\s*=\s*["']([^"']+)["']|font-family\s*:\s*([^;"'}>]+|"[^"]+"|'[^']+')/gi)].map((m) =>
    (m[1] ?? m[2]).replace(/["']/g, "").trim(),
  );
  for (const family of declared) {
    const match = LEGACY_KHMER_FONT.exec(family);
    if (match) return match[0].trim();
  }
  return undefined;
}
