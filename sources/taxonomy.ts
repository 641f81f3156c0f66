// The analyst-editable keyword taxonomy (sources/taxonomy.yaml): transparent rules that tag items with
// NAIS priorities, sectors, RAM dimensions, AI terms and harms, flag candidate incidents in the news,
// and group near-duplicate stories across outlets. Khmer is matched on ICU word boundaries (rule 9).
import fs from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { normaliseText, segmentWords, words } from "./text.js";

export const dimensionIds = ["priority", "sector", "ram_dimension", "ai", "harm"] as const;
export type Dimension = (typeof dimensionIds)[number];

const KHMER = /[\u1780-\u17FF\u19E0-\u19FF]/;

const englishTerm = z
  .string()
  .transform((t) => normaliseText(t))
  .superRefine((t, ctx) => {
    if (!/[\p{L}\p{N}]/u.test(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "an English term needs a letter or digit" });
    if (KHMER.test(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}" is Khmer; list it under km` });
    if (t.slice(0, -1).includes("*")) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}": * is allowed only at the end` });
  });

const khmerTerm = z
  .string()
  .transform((t) => normaliseText(t))
  .superRefine((t, ctx) => {
    if (!KHMER.test(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}" has no Khmer letters; list it under en` });
    if (t.includes("*")) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}": * is not supported in Khmer terms` });
    else if (words(t).length === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}" has no Khmer word in it` });
  });

const uniqueTerms = <T extends z.ZodTypeAny>(term: T) =>
  z
    .array(term)
    .default([])
    .superRefine((terms: string[], ctx) => {
      const seen = new Set<string>();
      terms.forEach((t, i) => {
        const key = t.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${t}" is listed twice`, path: [i] });
        seen.add(key);
      });
    });

const tagSchema = z
  .object({ label: z.string().min(1), en: uniqueTerms(englishTerm), km: uniqueTerms(khmerTerm) })
  .strict()
  .refine((t) => t.en.length + t.km.length > 0, { message: "a tag needs at least one en or km term" });

const dimensionSchema = z
  .object({
    label: z.string().min(1),
    tags: z
      .record(z.string().regex(/^[a-z0-9_]+$/, "tag ids are lower-case letters, digits and _"), tagSchema)
      .refine((t) => Object.keys(t).length > 0, "needs at least one tag"),
  })
  .strict();

const taxonomySchema = z
  .object({
    dimensions: z
      .object(Object.fromEntries(dimensionIds.map((d) => [d, dimensionSchema])) as Record<Dimension, typeof dimensionSchema>)
      .strict(),
  })
  .strict();

interface Term {
  /** As written in the taxonomy file; reported as `matched`. */
  term: string;
  /** English terms: a whole-word, case-insensitive pattern. */
  pattern?: RegExp;
  // Shortcuts that decide, or rule out, a match of `pattern` from the text's Latin words (PreparedText.latin).
  /** The lower-cased first 3 characters a Latin word of the text must begin with, when the term begins with 3 letters or digits. */
  start?: string;
  /** A term of ASCII letters and digits alone, lower-cased (a trailing * dropped): it matches where a Latin word is it. */
  word?: string;
  /** With `word`: the term ends in *, so a Latin word need only begin with it. */
  open?: boolean;
  /** Lower-case ASCII text that every match of `pattern` holds (the term's longest part). */
  needle?: string;
  /** Khmer terms: the term's letters after segmentation and folding (see `words`), spaces removed. */
  letters?: string;
}

export interface Taxonomy {
  dimensions: Array<{ id: Dimension; label: string; tags: Array<{ id: string; label: string; terms: Term[] }> }>;
}

export interface TagMatch {
  dimension: Dimension;
  tag: string;
  /** The first of the tag's terms (in file order) that matched. */
  matched: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// Boundaries are Latin letters and digits only: Khmer writers often put "AI" straight against Khmer words.
const LATIN_WORD = "[\\p{Script=Latin}\\p{Nd}]";

function compileEnglish(term: string): Omit<Term, "term" | "letters"> {
  const open = term.endsWith("*");
  const bare = open ? term.slice(0, -1) : term;
  const parts = bare.split(/(\s+|-)/);
  const body = parts.map((part) => (/^\s+$/.test(part) ? "[\\s\\-]+" : part === "-" ? "[\\s\\-]?" : escapeRegExp(part))).join("");
  const pattern = new RegExp(`(?<!${LATIN_WORD})${body}${open ? `${LATIN_WORD}*` : `(?!${LATIN_WORD})`}`, "iu");
  // Case folding matches an ASCII letter only with itself, its other case, the Kelvin sign (which lower-cases
  // to k) and ſ (see PreparedText.latin), so lower-cased ASCII compares as the pattern does.
  const start = /^[A-Za-z0-9]{3}/.exec(parts[0])?.[0].toLowerCase();
  const word = /^[A-Za-z0-9]+$/.test(bare) ? bare.toLowerCase() : undefined;
  const needle = parts
    .filter((p) => /^[\x21-\x7e]+$/.test(p) && p !== "-")
    .sort((a, b) => b.length - a.length)[0]
    ?.toLowerCase();
  return { pattern, ...(start ? { start } : {}), ...(word ? { word, open } : {}), ...(needle ? { needle } : {}) };
}

function compile(raw: z.infer<typeof taxonomySchema>): Taxonomy {
  return {
    dimensions: dimensionIds.map((id) => ({
      id,
      label: raw.dimensions[id].label,
      tags: Object.entries(raw.dimensions[id].tags).map(([tagId, tag]) => ({
        id: tagId,
        label: tag.label,
        terms: [
          ...tag.en.map((term) => ({ term, ...compileEnglish(term) })),
          ...tag.km.map((term) => ({ term, letters: words(term).join("") })),
        ],
      })),
    })),
  };
}

/** Validates taxonomy YAML; errors name the file and the path of the bad entry (e.g. `dimensions.harm.tags.scam.km[1]`). */
export function parseTaxonomy(text: string, file = "sources/taxonomy.yaml"): Taxonomy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = taxonomySchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const where = issue.path.reduce<string>(
        (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : String(part)),
        "",
      );
      return `  ${where || "(top level)"}: ${issue.message}`;
    });
    throw new Error(`${file} is invalid:\n${lines.join("\n")}`);
  }
  return compile(result.data);
}

export async function loadTaxonomy(file: string): Promise<Taxonomy> {
  return parseTaxonomy(await fs.readFile(file, "utf8"), file);
}

// ---------------------------------------------------------------------------------------------
// Words, segmenting only where it is needed

// How a character joins its neighbours into a word under ICU's word rules (Unicode UAX 29), for the
// characters news text is mostly made of; any other character sends its space-delimited run to ICU.
const enum Join {
  Other,
  /** Latin letter: joins letters and digits. */
  Letter,
  /** ASCII digit: joins letters and digits. */
  Digit,
  /** Joins a letter to a letter (WB6, WB7): `:` and `·`. */
  MidLetter,
  /** Joins a digit to a digit (WB11, WB12): `,` and `;`. */
  MidNum,
  /** Joins a letter to a letter or a digit to a digit: `.`, `'`, `‘`, `’`. */
  MidNumLet,
  /** Never part of a word: the rest of ASCII's punctuation, typographic quotes, dashes and the ellipsis. */
  Break,
}

const joinOf = new Uint8Array(0x2030); // Join.Other wherever not set below, and beyond the table
const setJoin = (chars: string, join: Join) => {
  for (const ch of chars) joinOf[ch.charCodeAt(0)] = join;
};
for (let c = 0; c < joinOf.length; c++) if (/\p{Script=Latin}/u.test(String.fromCharCode(c)) && c <= 0x24f) joinOf[c] = Join.Letter;
setJoin("0123456789", Join.Digit);
setJoin(":\u00B7", Join.MidLetter);
setJoin(",;", Join.MidNum);
setJoin(".'\u2018\u2019", Join.MidNumLet);
setJoin('!"#$%&()*+-/<=>?@[\\]^`{|}~\u201C\u201D\u2013\u2014\u2026\u00AB\u00BB', Join.Break);
// `_` joins more than its neighbours (WB13a, WB13b): left to ICU, as everything not set here.

const isWordChar = (j: number) => j === Join.Letter || j === Join.Digit;

/** Whether a space-free run is made only of characters `splitPlain` knows. */
function isPlain(run: string): boolean {
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= joinOf.length || joinOf[c] === Join.Other) return false;
  }
  return true;
}

/** The words of a plain space-free run (see `isPlain`), lower-cased, pushed to `out`. */
function splitPlain(run: string, out: string[]): void {
  const n = run.length;
  let start = -1;
  for (let i = 0; i < n; i++) {
    const j = joinOf[run.charCodeAt(i)];
    if (isWordChar(j)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i + 1 < n && j !== Join.Break) {
      // A middle character between two letters or two digits keeps the word going ("don't", "3.5", "1,000").
      const before = joinOf[run.charCodeAt(i - 1)];
      const after = joinOf[run.charCodeAt(i + 1)];
      if (before === Join.Letter && after === Join.Letter && j !== Join.MidNum) continue;
      if (before === Join.Digit && after === Join.Digit && j !== Join.MidLetter) continue;
    }
    if (start >= 0) out.push(run.slice(start, i).toLowerCase());
    start = -1;
  }
  if (start >= 0) out.push(run.slice(start).toLowerCase());
}

/**
 * The same words as `words` (sources/text.ts), for a fraction of the cost on Latin-script text. ICU's
 * dictionary segmenter is what Khmer needs, but it is slow, and on text of Latin letters, digits and
 * punctuation its rules come down to a few, applied here directly. A space always ends a word, so the
 * normalised text is cut at spaces; each run of pieces with any other character (Khmer, another script, a
 * combining mark, `_`) goes to ICU as it is, which gives the words it would have in context.
 * A unit test checks the two agree on random text of every kind.
 */
export function textWords(text: string): string[] {
  return wordsOfNormalised(normaliseText(text));
}

function wordsOfNormalised(normalised: string): string[] {
  const out: string[] = [];
  let forIcu: string[] = []; // consecutive pieces that need ICU
  const flush = () => {
    if (forIcu.length) out.push(...segmentWords(forIcu.join(" ")));
    forIcu = [];
  };
  for (const piece of normalised.split(" ")) {
    if (!isPlain(piece)) {
      forIcu.push(piece);
      continue;
    }
    flush();
    splitPlain(piece, out);
  }
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Matching terms

/** Prepared once per text, so every term is checked against the same normalised words. */
interface PreparedText {
  text: string;
  /**
   * The text's Latin words: its runs of Latin letters and digits, where an English term's pattern starts
   * and ends. Null when the text has a long s (ſ), which the pattern's case folding reads as "s".
   */
  latin: {
    /** `text` lower-cased. */
    lower: string;
    /** Each run, lower-cased. */
    runs: Set<string>;
    /** The first three characters of each run that has three. */
    starts: Set<string>;
  } | null;
  words: string[];
  /** The words run together: a Khmer term can match only where its letters occur here. Empty without Khmer. */
  letters: string;
}

const NOT_LATIN = /[^\p{Script=Latin}\p{Nd}]+/u; // LATIN_WORD's complement

function prepare(raw: string): PreparedText {
  const text = normaliseText(raw);
  const words = wordsOfNormalised(text);
  let latin: PreparedText["latin"] = null;
  if (!text.includes("\u017F")) {
    latin = { lower: text.toLowerCase(), runs: new Set(), starts: new Set() };
    for (const run of text.split(NOT_LATIN)) {
      if (run === "") continue;
      const lower = run.toLowerCase();
      latin.runs.add(lower);
      if (lower.length >= 3) latin.starts.add(lower.slice(0, 3));
    }
  }
  return { text, latin, words, letters: KHMER.test(text) ? words.join("") : "" };
}

/**
 * A Khmer term matches where a run of the text's words spells it exactly, so it starts and ends on word
 * boundaries. Comparing letters rather than word lists tolerates the dictionary splitting a compound
 * differently in context (ការឆបោក alone vs. inside a sentence) without ever matching inside a word.
 */
function khmerMatches(textWords: string[], letters: string): boolean {
  for (let i = 0; i < textWords.length; i++) {
    if (!letters.startsWith(textWords[i])) continue;
    let spelled = "";
    for (let j = i; j < textWords.length && spelled.length < letters.length; j++) {
      spelled += textWords[j];
      if (spelled === letters) return true;
      if (!letters.startsWith(spelled)) break;
    }
  }
  return false;
}

function termMatches(term: Term, text: PreparedText): boolean {
  if (term.pattern) {
    const latin = text.latin;
    if (latin === null) return term.pattern.test(text.text);
    if (term.start !== undefined && !latin.starts.has(term.start)) return false;
    if (term.word !== undefined) {
      if (!term.open) return latin.runs.has(term.word);
      for (const run of latin.runs) if (run.startsWith(term.word)) return true;
      return false;
    }
    return (term.needle === undefined || latin.lower.includes(term.needle)) && term.pattern.test(text.text);
  }
  return term.letters !== undefined && term.letters !== "" && text.letters.includes(term.letters) && khmerMatches(text.words, term.letters);
}

function matchingTerms(
  taxonomy: Taxonomy,
  text: PreparedText,
  only?: Dimension,
): Array<{ dimension: Dimension; tag: string; terms: string[] }> {
  const out: Array<{ dimension: Dimension; tag: string; terms: string[] }> = [];
  for (const dimension of taxonomy.dimensions) {
    if (only && dimension.id !== only) continue;
    for (const tag of dimension.tags) {
      const terms = tag.terms.filter((t) => termMatches(t, text)).map((t) => t.term);
      if (terms.length) out.push({ dimension: dimension.id, tag: tag.id, terms });
    }
  }
  return out;
}

/** Every tag whose terms match the text, in taxonomy order, each with the first term that matched. */
export function tagText(taxonomy: Taxonomy, text: string): TagMatch[] {
  return analyseText(taxonomy, text).tags;
}

export interface IncidentSignal {
  /** Distinct `ai` terms that matched, in taxonomy order. */
  aiTerms: string[];
  /** Distinct `harm` terms that matched, in taxonomy order. */
  harmTerms: string[];
  /** The `harm` tags that matched (e.g. scam, deepfake). */
  harmTags: string[];
}

type Matches = ReturnType<typeof matchingTerms>;

function incidentSignal(ai: Matches, harm: Matches): IncidentSignal | null {
  if (ai.length === 0 || harm.length === 0) return null;
  const distinct = (groups: Matches) => [...new Set(groups.flatMap((g) => g.terms))];
  return { aiTerms: distinct(ai), harmTerms: distinct(harm), harmTags: harm.map((h) => h.tag) };
}

/** A possible AI incident: the text names AI and a harm (a deepfake is both). Null when either is missing. */
export function detectIncidentCandidate(taxonomy: Taxonomy, text: string): IncidentSignal | null {
  const prepared = prepare(text);
  const ai = matchingTerms(taxonomy, prepared, "ai");
  return ai.length === 0 ? null : incidentSignal(ai, matchingTerms(taxonomy, prepared, "harm"));
}

/** `tagText` and `detectIncidentCandidate` of one text, which is prepared and matched once for both. */
export function analyseText(taxonomy: Taxonomy, text: string): { tags: TagMatch[]; incident: IncidentSignal | null } {
  const matches = matchingTerms(taxonomy, prepare(text));
  return {
    tags: matches.map(({ dimension, tag, terms }) => ({ dimension, tag, matched: terms[0] })),
    incident: incidentSignal(
      matches.filter((m) => m.dimension === "ai"),
      matches.filter((m) => m.dimension === "harm"),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Stories: the same news told by several outlets

export interface StoryItem {
  item_key: string;
  title: string | null;
  /** ISO timestamp (or DuckDB's `TIMESTAMPTZ::VARCHAR` form); null when unknown. */
  published_at: string | null;
}

export interface StoryOptions {
  /** Least Jaccard similarity of two titles' shingles for the same story. @default 0.5 */
  threshold?: number;
  /** Most days between two items of the same story. @default 3 */
  windowDays?: number;
}

/** A title's words and word pairs: the words carry the topic, the pairs keep word order from counting for nothing. */
export function titleShingles(title: string): Set<string> {
  const w = textWords(title);
  const shingles = new Set<string>(w);
  for (let i = 0; i + 1 < w.length; i++) shingles.add(`${w[i]} ${w[i + 1]}`);
  return shingles;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}

/** An item as story grouping sees it: its key, its time (NaN when undated) and its title ("" when none). */
export interface StoryCandidate {
  key: string;
  time: number;
  title: string;
}

/**
 * The items in the order story grouping works in, each key once: by time (undated last), then by key. A
 * story's key is that of its earliest item in this order, whichever way the pairs are found.
 */
export function storyOrder(items: StoryItem[]): StoryCandidate[] {
  const byKey = new Map<string, StoryCandidate>();
  for (const item of items) {
    if (byKey.has(item.item_key)) continue;
    const time = item.published_at ? Date.parse(item.published_at) : Number.NaN;
    byKey.set(item.item_key, { key: item.item_key, time, title: item.title ?? "" });
  }
  return [...byKey.values()].sort((a, b) => {
    const ta = Number.isNaN(a.time) ? Infinity : a.time;
    const tb = Number.isNaN(b.time) ? Infinity : b.time;
    return ta - tb || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  });
}

/**
 * Groups near-duplicate news items: titles whose shingle similarity reaches `threshold` and whose dates
 * lie within `windowDays` join one story (transitively, by union-find). The story key is its earliest
 * item's key (ties broken by key), so the result does not depend on input order. Items without a date
 * or a title stay stories of their own: without a date the window cannot be checked.
 */
export function groupStories(items: StoryItem[], options: StoryOptions = {}): Map<string, string> {
  const threshold = options.threshold ?? 0.5;
  const windowMs = (options.windowDays ?? 3) * 86_400_000;

  const order = storyOrder(items);
  const shingles = order.map((item) => titleShingles(item.title));

  // Union-find over positions in `order`; the root is always the smaller position, i.e. the earliest item.
  const parent = order.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let i = 0; i < order.length; i++) {
    const a = order[i];
    if (Number.isNaN(a.time) || shingles[i].size === 0) continue;
    for (let j = i + 1; j < order.length; j++) {
      const b = order[j];
      if (Number.isNaN(b.time) || b.time - a.time > windowMs) break;
      if (jaccard(shingles[i], shingles[j]) < threshold) continue;
      const [ra, rb] = [find(i), find(j)];
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  }
  return new Map(order.map((item, i) => [item.key, order[find(i)].key]));
}
