// Identity of scholarly works across sources: DOI, arXiv id and title normalisation, and the grouping
// that makes an OpenAlex record, its arXiv preprint and a journal record one work (warehouse/derive.ts).
import { normaliseText, words } from "./text.js";

const DOI_BODY = /^10\.\d{4,9}(?:\.\d+)*\/\S+$/;

/**
 * A DOI in its one comparable spelling: bare `10.xxxx/...`, lower-case (DOIs are case-insensitive).
 * Accepts `https://doi.org/…`, `http://dx.doi.org/…`, `doi:…` and percent-encoded forms; null otherwise.
 */
export function normaliseDoi(value: unknown): string | null {
  if (typeof value !== "string") return null;
  let doi = value.trim();
  const prefixed = /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)(.*)$/i.exec(doi);
  if (prefixed) {
    doi = prefixed[1];
    try {
      doi = decodeURIComponent(doi);
    } catch {
      // A stray "%" is part of the DOI text, not an escape.
    }
  }
  doi = doi.trim().toLowerCase();
  return DOI_BODY.test(doi) ? doi : null;
}

// New-style ids (since April 2007): YYMM.NNNN(N); old-style: archive[.CLASS]/YYMMNNN.
const NEW_ARXIV = /^(\d{4}\.\d{4,5})(?:v\d+)?$/i;
const OLD_ARXIV = /^([a-z][a-z-]*)(?:\.([a-z]{2}))?\/(\d{7})(?:v\d+)?$/i;
const ARXIV_DOI = /^10\.48550\/arxiv\.(.+)$/i;

/**
 * The base arXiv id, without version: `2512.13552`, `cs/0501001`, `math.GT/0309136`. Accepts bare ids,
 * `arXiv:` prefixes, abs/pdf URLs (http or https, export. host) and arXiv DataCite DOIs (10.48550/arXiv.X).
 */
export function normaliseArxivId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  let id = value.trim();
  const doi = normaliseDoi(id) ?? (ARXIV_DOI.test(id) ? id : null);
  const fromDoi = doi ? ARXIV_DOI.exec(doi) : null;
  if (fromDoi) id = fromDoi[1];
  const url = /^https?:\/\/(?:export\.|www\.)?arxiv\.org\/(?:abs|pdf)\/(.+?)(?:\.pdf)?\/?(?:[?#].*)?$/i.exec(id);
  if (url) id = url[1];
  id = id.replace(/^arxiv:\s*/i, "");
  const modern = NEW_ARXIV.exec(id);
  if (modern) return modern[1];
  const old = OLD_ARXIV.exec(id);
  // Archives are lower-case and subject classes upper-case (math.GT); OpenAlex lower-cases both in DOIs.
  if (old) return `${old[1].toLowerCase()}${old[2] ? `.${old[2].toUpperCase()}` : ""}/${old[3]}`;
  return null;
}

/** The year an arXiv id was submitted in: `2512.13552` → 2025, `cs/0501001` → 2005, `hep-th/9901001` → 1999. */
export function yearFromArxivId(id: string): number | null {
  const yy = /^(\d{2})\d{2}\./.exec(id)?.[1] ?? /\/(\d{2})\d{5}$/.exec(id)?.[1];
  if (yy === undefined) return null;
  const n = Number(yy);
  // Old-style ids began in 1991; new-style ones in 2007, so 20YY holds for them until 2091.
  return /\//.test(id) && n >= 91 ? 1900 + n : 2000 + n;
}

/**
 * A title reduced for comparison: NFKC (so full-width letters and "ﬁ" ligatures from PDF text match),
 * lower-case, Latin diacritics dropped, punctuation turned into spaces, spaces collapsed. Khmer stays intact: its vowel signs and coeng are combining marks, so
 * marks are dropped only after Latin letters, and zero-width spaces (Khmer word hints) vanish without
 * leaving a space. Subscript DA is folded to subscript TA, which writers use interchangeably.
 */
export function normaliseTitle(title: string): string {
  return title
    .replace(/[\u200B\u200C\u200D\u2060\uFEFF]/g, "")
    .normalize("NFD")
    .replace(/(?<=\p{Script=Latin})\p{M}+/gu, "")
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\u17D2\u178A/g, "\u17D2\u178F")
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, " ")
    .trim();
}

/** What identifies a publication row for grouping; `pub_key` is unique within `source_id`. */
export interface WorkIdentity {
  doi: string | null;
  arxiv_id: string | null;
  title: string | null;
  year: number | null;
}

/** Keys of one row, strongest first. An arXiv DataCite DOI is the arXiv id under another name. */
function keysOf(row: WorkIdentity): string[] {
  const keys: string[] = [];
  const doi = normaliseDoi(row.doi);
  const arxivFromDoi = doi && ARXIV_DOI.test(doi) ? normaliseArxivId(doi) : null;
  if (doi && !arxivFromDoi) keys.push(`doi:${doi}`);
  for (const id of new Set([normaliseArxivId(row.arxiv_id), arxivFromDoi])) if (id) keys.push(`arxiv:${id}`);
  const title = row.title ? normaliseTitle(row.title) : "";
  if (title) keys.push(`title:${title}:${row.year ?? ""}`);
  return keys;
}

const strength = (key: string) => (key.startsWith("doi:") ? 0 : key.startsWith("arxiv:") ? 1 : 2);
const stronger = (a: string, b: string) => strength(a) - strength(b) || (a < b ? -1 : a > b ? 1 : 0);

/** The row's own strongest key: `doi:<doi>`, else `arxiv:<id>`, else `title:<normalised title>:<year>`; null if none. */
export function workKey(row: WorkIdentity): string | null {
  return keysOf(row).sort(stronger)[0] ?? null;
}

/**
 * Whether a title is specific enough to merge records on (with the year). "Editorial" or "Preface"
 * in the same year are different works; three words and twenty characters rarely collide.
 */
function isDistinctiveTitleKey(key: string): boolean {
  const title = key.slice("title:".length, key.lastIndexOf(":"));
  return title.length >= 20 && words(title).length >= 3;
}

export interface WorkMember extends WorkIdentity {
  pub_key: string;
  source_id: string;
}

/**
 * One work per group of publication rows that share any key (DOI, arXiv id, or a distinctive title in
 * the same year), found with union-find. The work key is the group's strongest key, ties broken by
 * spelling, so it does not depend on row order. A row with no usable key is its own work
 * (`pub:<source_id>/<pub_key>`). Rows come back in input order.
 */
export function groupWorks(rows: readonly WorkMember[]): Array<{ pub_key: string; source_id: string; work_key: string }> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    for (let n = x; n !== root;) {
      const next = parent.get(n)!;
      parent.set(n, root);
      n = next;
    }
    return root;
  };
  const add = (x: string) => {
    if (!parent.has(x)) parent.set(x, x);
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra, rb);
  };

  const rowKeys = rows.map((row) => {
    const node = `pub:${row.source_id}/${row.pub_key}`;
    add(node);
    const keys = keysOf(row);
    for (const key of keys) {
      if (key.startsWith("title:") && !isDistinctiveTitleKey(key)) continue;
      add(key);
      union(node, key);
    }
    return { node, keys };
  });

  // The best key of each group: from the keys that joined it, else (a lone row) the row's own key.
  const best = new Map<string, string>();
  for (const { node, keys } of rowKeys) {
    const root = find(node);
    for (const key of keys) {
      if (!parent.has(key)) continue;
      const current = best.get(root);
      if (current === undefined || stronger(key, current) < 0) best.set(root, key);
    }
  }
  return rows.map((row, i) => ({
    pub_key: row.pub_key,
    source_id: row.source_id,
    work_key: best.get(find(rowKeys[i].node)) ?? rowKeys[i].node,
  }));
}

/**
 * `url` with one query parameter set, the rest kept exactly as written: registry URLs carry OpenAlex
 * filters (`:`, `,`, `|`) and arXiv queries (`+`, `%28`) that URLSearchParams would re-encode, and the
 * archive keys captures by the URL as fetched.
 */
export function withQueryParam(url: string, name: string, value: string): string {
  const hashAt = url.indexOf("#");
  const base = hashAt < 0 ? url : url.slice(0, hashAt);
  const encoded = `${name}=${encodeURIComponent(value)}`;
  const pattern = new RegExp(`([?&])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}=[^&]*`);
  if (pattern.test(base)) return base.replace(pattern, `$1${encoded}`);
  return `${base}${base.includes("?") ? (/[?&]$/.test(base) ? "" : "&") : "?"}${encoded}`;
}

/** The value of a query parameter as written in `url`, decoded; undefined when absent. */
export function queryParam(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Display strings in first-seen order, normalised, empty ones and repeats dropped. */
export function distinctTexts(values: Iterable<unknown>): string[] {
  const out = new Set<string>();
  for (const v of values) if (typeof v === "string" && normaliseText(v) !== "") out.add(normaliseText(v));
  return [...out];
}
