// Text helpers shared by the news parsers, the taxonomy and story grouping. Khmer is first-class
// (docs/architecture.md rule 9): text is NFC-normalised, words come from ICU's Khmer dictionary segmenter,
// and Khmer digits and month names parse like their English counterparts.
import * as cheerio from "cheerio";
import { simpleHtmlText } from "./simple-html.js";

const ZERO_WIDTH = /[\u200B\u200C\u200D\u2060\uFEFF]/g;
const NON_ASCII = /[^\x00-\x7F]/;

/**
 * Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the
 * marks (U+200E, U+200F, U+061C). In a title or a name they can make text display as something it is
 * not ("U+202E" turns "gpj.exe" around); no Khmer or English text needs them.
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** A title or a name without bidirectional controls. */
export function stripBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, "");
}

/** A body (summary, abstract) with each bidirectional control written out as escaped text, e.g. `\u202E`: kept, inert. */
export function escapeBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/** NFC, zero-width characters dropped, runs of whitespace collapsed to one space, trimmed. */
export function normaliseText(text: string): string {
  // ASCII is already NFC; skipping ICU for it matters when a feed has thousands of items.
  const nfc = NON_ASCII.test(text) ? text.normalize("NFC").replace(ZERO_WIDTH, "") : text;
  // Only runs longer than one space, or other whitespace, need replacing: the same as /\s+/g → " ", without rewriting every single space.
  return nfc.replace(/\s{2,}|[^\S ]/g, " ").trim();
}

/** "២០២៤" → "2024"; every other character is left as it is. */
export function khmerDigitsToAscii(text: string): string {
  return text.replace(/[\u17E0-\u17E9]/g, (d) => String(d.charCodeAt(0) - 0x17e0));
}

const segmenter = new Intl.Segmenter("km", { granularity: "word" });

/**
 * The word-like segments of a text, lower-cased, for matching and similarity (not for display).
 * Khmer has no spaces between words; ICU's dictionary finds them. Subscript DA (្ដ) is folded to
 * subscript TA (្ត) before segmenting, because writers use the two interchangeably (ស្ដីពី / ស្តីពី)
 * and the dictionary splits the two spellings differently.
 */
export function words(text: string): string[] {
  return segmentWords(normaliseText(text));
}

/** `words` of text already normalised (normaliseText): normalising twice can change it, e.g. compose a mark freed from a zero-width space. */
export function segmentWords(normalised: string): string[] {
  const out: string[] = [];
  for (const { segment, isWordLike } of segmenter.segment(normalised.replace(/\u17D2\u178A/g, "\u17D2\u178F"))) {
    if (isWordLike) out.push(segment.toLowerCase());
  }
  return out;
}

const BLOCK_TAGS =
  "address, article, aside, blockquote, br, dd, div, dl, dt, figcaption, figure, footer, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, " +
  "ol, p, pre, section, table, td, th, tr, ul";

/**
 * Plain text of an HTML fragment: scripts, styles and embeds removed, entities decoded, block
 * boundaries kept as spaces, then normalised. Scraped markup is data to read, never to render.
 */
export function htmlToText(html: string): string {
  if (!/[<&]/.test(html)) return normaliseText(html);
  // Most feed markup is a few well-nested tags, read without a DOM (sources/simple-html.ts says when).
  const simple = simpleHtmlText(html);
  return simple !== undefined ? normaliseText(simple) : domHtmlToText(html);
}

/** htmlToText through cheerio's HTML parser (parse5), for any fragment. */
export function domHtmlToText(html: string): string {
  const $ = cheerio.load(html, null, false);
  $("script, style, noscript, template, iframe, object, embed, svg").remove();
  $(BLOCK_TAGS).after(" ");
  return normaliseText($.root().text());
}

/** Cuts at a word boundary near `max` characters and marks the cut with an ellipsis. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

// ---------------------------------------------------------------------------------------------
// Dates

const KHMER_MONTHS: ReadonlyArray<readonly [string, number]> = [
  ["មករា", 1],
  ["កុម្ភៈ", 2],
  ["កុម្ភះ", 2],
  ["កុម្ភ", 2],
  ["មីនា", 3],
  ["មេសា", 4],
  ["ឧសភា", 5],
  ["មិថុនា", 6],
  ["កក្កដា", 7],
  ["សីហា", 8],
  ["កញ្ញា", 9],
  ["តុលា", 10],
  ["វិច្ឆិកា", 11],
  ["ធ្នូ", 12],
].map(([name, month]) => [String(name).normalize("NFC"), Number(month)] as const);

const ENGLISH_MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** "Dec", "Dec.", "Sept", "December" → 12; a word that is not a month (or a prefix of one, 3+ letters) → undefined. */
function englishMonth(name: string): number | undefined {
  const word = name.toLowerCase().replace(/\.$/, "");
  if (word.length < 3) return undefined;
  const index = ENGLISH_MONTHS.findIndex((m) => m.startsWith(word));
  return index < 0 ? undefined : index + 1;
}

function isoDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * A calendar date written in Khmer or English → "YYYY-MM-DD", or null when none is found.
 * Accepts "០៦ ធ្នូ ២០២៤", "ថ្ងៃទី៦ ខែធ្នូ ឆ្នាំ២០២៤", "December 6, 2024", "6 Dec 2024", "2024-12-06",
 * also inside a longer text such as "Phnom Penh, 6 December 2024". The first date found wins.
 */
export function parseKhmerDate(text: string): string | null {
  const t = khmerDigitsToAscii(normaliseText(text));

  const iso = /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)/.exec(t);
  if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));

  // Khmer: the day, a month name (often after ខែ "month"), then the year (often after ឆ្នាំ "year").
  const khmer = KHMER_MONTHS.flatMap(([name, month]) => {
    const found: Array<{ at: number; name: string; month: number }> = [];
    for (let at = t.indexOf(name); at >= 0; at = t.indexOf(name, at + 1)) found.push({ at, name, month });
    return found;
  }).sort((a, b) => a.at - b.at || b.name.length - a.name.length);
  for (const { at, name, month } of khmer) {
    const day = /(?<!\d)(\d{1,2})\D{0,12}$/.exec(t.slice(Math.max(0, at - 24), at));
    const year = /^\D{0,12}?(\d{4})(?!\d)/.exec(t.slice(at + name.length));
    const date = day && year ? isoDate(Number(year[1]), month, Number(day[1])) : null;
    if (date) return date;
  }

  const english = [
    ...[...t.matchAll(/\b([A-Za-z]{3,9}\.?)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/g)].map((m) => ({
      at: m.index,
      month: m[1],
      day: m[2],
      year: m[3],
    })),
    ...[...t.matchAll(/\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9}\.?),?\s+(\d{4})\b/g)].map((m) => ({
      at: m.index,
      month: m[2],
      day: m[1],
      year: m[3],
    })),
  ].sort((a, b) => a.at - b.at);
  for (const m of english) {
    const month = englishMonth(m.month);
    const date = month ? isoDate(Number(m.year), month, Number(m.day)) : null;
    if (date) return date;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// URLs

const TRACKING_PARAMS = new Set([
  "fbclid",
  "gclid",
  "dclid",
  "gbraid",
  "wbraid",
  "msclkid",
  "yclid",
  "mc_cid",
  "mc_eid",
  "ref",
  "ref_src",
  "igshid",
  "_ga",
  "_gl",
  "_hsenc",
  "_hsmi",
  "mkt_tok",
  "spm",
]);
const isTracking = (name: string) => TRACKING_PARAMS.has(name.toLowerCase()) || /^utm_/i.test(name);

export interface CanonicalUrlOptions {
  /**
   * Keep a trailing slash on the path. Canonical keys drop it; URLs meant for fetching keep it,
   * since WordPress answers the slash-less form with a redirect.
   * @default false
   */
  keepTrailingSlash?: boolean;
}

/**
 * One spelling per link, for keys and de-duplication: lower-case host, no credentials, fragment or
 * tracking parameters, remaining parameters sorted, no trailing slash except the root.
 * Returns null for anything but http(s) (docs/architecture.md rule 7: links are limited to http(s)).
 */
export function canonicalUrl(url: string, options: CanonicalUrlOptions = {}): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  // Each setter re-serialises the URL, so only what needs changing is set (a feed has thousands of links).
  if (parsed.hash !== "") parsed.hash = "";
  if (parsed.username !== "") parsed.username = "";
  if (parsed.password !== "") parsed.password = "";
  const host = parsed.hostname.toLowerCase();
  if (host !== parsed.hostname) parsed.hostname = host;
  // An empty query has no parameters to drop or sort; a bare "?" goes below.
  if (parsed.search !== "") {
    for (const name of [...parsed.searchParams.keys()]) if (isTracking(name)) parsed.searchParams.delete(name);
    parsed.searchParams.sort();
  }
  if (!options.keepTrailingSlash && parsed.pathname.length > 1 && parsed.pathname.endsWith("/"))
    parsed.pathname = parsed.pathname.replace(/\/+$/, "") || "/";
  const out = parsed.toString();
  // URL keeps a bare "?" when every parameter was removed.
  return out.endsWith("?") ? out.slice(0, -1) : out;
}
