// Derived tables rebuilt inside the load transaction from what the warehouse now holds: rule-made
// tags (the analyst-editable taxonomy), news stories across outlets, one work per publication across
// sources, and candidate incidents detected in news. Analysts' rows are never replaced (rule 6).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { groupWorks } from "../sources/publications.js";
import {
  analyseText,
  groupStories,
  jaccard,
  parseTaxonomy,
  storyOrder,
  textWords,
  titleShingles,
  type IncidentSignal,
  type StoryCandidate,
  type StoryItem,
  type StoryOptions,
  type Taxonomy,
} from "../sources/taxonomy.js";
import { bulkInsert, queryRows } from "./db.js";

export interface DeriveInput {
  taxonomyFile: string;
  derivedAt: string;
}

export interface DeriveCounts {
  tags: number;
  stories: number;
  works: number;
  newCandidates: number;
  /** Likely matches between an analysts' incident and another source's record (each opens a review). */
  matches?: number;
}

/** When two incidents of different sources are a likely match: dates this close and text this alike. */
export const incidentMatchRule = { maxDaysApart: 45, minSimilarity: 0.12 } as const;

const text = (...parts: unknown[]) => parts.filter((p) => typeof p === "string" && p !== "").join("\n");

// Items are tagged this many at a time, so memory is bounded by the batch, not by the warehouse.
const BATCH = 5000;

/**
 * Every taggable item's text, as SQL: news, publications, incidents and (after migration 011) regional
 * incidents; news items also with the link and date an incident candidate records.
 */
async function taggableItemsSql(db: DuckDBConnection): Promise<string> {
  // A warehouse from before migration 011 has no aiid_asean_incidents table.
  const [{ n: regional }] = await queryRows(
    db,
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'aiid_asean_incidents'",
  );
  return `SELECT 'news' AS kind, item_key AS key, title, summary AS body, canonical_url AS url, published_at::VARCHAR AS published_at FROM news_items
     UNION ALL SELECT 'publication', pub_key, title, abstract, NULL, NULL FROM publications
     UNION ALL SELECT 'incident', incident_key, title, description, NULL, NULL FROM incidents
     ${Number(regional) > 0 ? "UNION ALL SELECT DISTINCT 'aiid_asean', incident_id, title, description, NULL, NULL FROM aiid_asean_incidents" : ""}`;
}

/** Whether the warehouse keeps derive's state (migration 015); an older one is derived whole each run. */
async function keepsDeriveState(db: DuckDBConnection): Promise<boolean> {
  const [{ n }] = await queryRows(
    db,
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('derive_inputs', 'derive_state')",
  );
  return Number(n) === 2;
}

async function stateValue(db: DuckDBConnection, name: string): Promise<string | undefined> {
  const rows = await queryRows(db, "SELECT value FROM derive_state WHERE name = $name", { name });
  return rows.length ? String(rows[0].value) : undefined;
}

async function setState(db: DuckDBConnection, name: string, value: string): Promise<void> {
  await db.run("INSERT OR REPLACE INTO derive_state (name, value) VALUES ($name, $value)", { name, value });
}

/**
 * Rule tags for the items whose text is new or changed since the last derive (all of them when the
 * taxonomy's hash changed, or without migration 015); tags of items that are gone are dropped. The tags
 * are exactly those a rebuild would make: an item's tags depend only on its text and the taxonomy.
 * The same pass queues new incident candidates (see `candidateRow`) among the changed news items.
 */
async function ruleTagsAndCandidates(
  db: DuckDBConnection,
  taxonomy: Taxonomy,
  derivedAt: string,
  retagAll: boolean,
  keepState: boolean,
): Promise<{ tags: number; newCandidates: number }> {
  const itemsSql = await taggableItemsSql(db);
  // One hash per item of all the text rows it has (a key may come from two sources), in a stable order.
  await db.run(
    `CREATE OR REPLACE TEMP TABLE derive_current AS
       SELECT kind, key, md5(string_agg(md5(coalesce(title, '') || chr(1) || coalesce(body, '')), ',' ORDER BY md5(coalesce(title, '') || chr(1) || coalesce(body, '')))) AS content_md5
         FROM (${itemsSql}) GROUP BY kind, key`,
  );
  const known =
    keepState && !retagAll
      ? "derive_inputs"
      : "(SELECT NULL::VARCHAR AS item_kind, NULL::VARCHAR AS item_key, NULL::VARCHAR AS content_md5 LIMIT 0)";
  await db.run(
    `CREATE OR REPLACE TEMP TABLE derive_changed AS
       SELECT c.kind, c.key, c.content_md5, (row_number() OVER (ORDER BY c.kind, c.key) - 1) // ${BATCH} AS batch FROM derive_current c
        WHERE NOT EXISTS (SELECT 1 FROM ${known} d WHERE d.item_kind = c.kind AND d.item_key = c.key AND d.content_md5 = c.content_md5)`,
  );
  // The changed items' text rows with their batch, joined once: a batch is then read from this table
  // alone, not by another pass over every item (nor sorted, which held all the text in memory at once).
  // A news item with no candidate yet is examined for one; an unchanged item that was no candidate under
  // this taxonomy is none now either.
  await db.run(
    `CREATE OR REPLACE TEMP TABLE derive_todo AS
       SELECT c.batch, i.kind, i.key, i.title, i.body, i.url, i.published_at,
              i.kind = 'news' AND NOT EXISTS (SELECT 1 FROM incident_candidates ic WHERE ic.item_key = i.key) AS examine
         FROM (${itemsSql}) i JOIN derive_changed c ON c.kind = i.kind AND c.key = i.key`,
  );
  if (retagAll || !keepState) {
    await db.run("DELETE FROM item_tags WHERE made_by = 'rule'");
  } else {
    // Tags of changed items are remade below; tags of items no longer in the warehouse go.
    await db.run(
      `DELETE FROM item_tags t WHERE t.made_by = 'rule' AND (
          EXISTS (SELECT 1 FROM derive_changed c WHERE c.kind = t.item_kind AND c.key = t.item_key)
          OR NOT EXISTS (SELECT 1 FROM derive_current c WHERE c.kind = t.item_kind AND c.key = t.item_key))`,
    );
  }
  const [{ batches }] = await queryRows(db, "SELECT coalesce(max(batch) + 1, 0)::INTEGER AS batches FROM derive_todo");
  let newCandidates = 0;
  for (let batch = 0; batch < Number(batches); batch++) {
    const items = await queryRows(db, "SELECT kind, key, title, body, url, published_at, examine FROM derive_todo WHERE batch = $batch", {
      batch,
    });
    newCandidates += await insertTagsAndCandidates(db, taxonomy, items, derivedAt);
  }
  if (keepState) {
    if (retagAll) await db.run("DELETE FROM derive_inputs");
    await db.run(
      "DELETE FROM derive_inputs d WHERE NOT EXISTS (SELECT 1 FROM derive_current c WHERE c.kind = d.item_kind AND c.key = d.item_key AND c.content_md5 = d.content_md5)",
    );
    await db.run("INSERT INTO derive_inputs (item_kind, item_key, content_md5) SELECT kind, key, content_md5 FROM derive_changed");
  }
  await db.run("DROP TABLE derive_current");
  await db.run("DROP TABLE derive_changed");
  await db.run("DROP TABLE derive_todo");
  const [{ n }] = await queryRows(db, "SELECT count(*)::INTEGER AS n FROM item_tags WHERE made_by = 'rule'");
  return { tags: Number(n), newCandidates };
}

/** Tags every item of a batch and queues the candidates among those to examine; returns the candidates queued. */
async function insertTagsAndCandidates(
  db: DuckDBConnection,
  taxonomy: Taxonomy,
  items: Array<Record<string, unknown>>,
  derivedAt: string,
): Promise<number> {
  const tags: Array<Record<string, unknown>> = [];
  const candidates: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const { tags: matches, incident } = analyseText(taxonomy, text(item.title, item.body));
    const seen = new Set<string>();
    for (const t of matches) {
      const id = `${t.dimension}/${t.tag}`;
      if (seen.has(id)) continue;
      seen.add(id);
      tags.push({
        item_kind: item.kind,
        item_key: item.key,
        dimension: t.dimension,
        tag: t.tag,
        matched: t.matched,
        made_by: "rule",
        made_at: derivedAt,
      });
    }
    if (item.examine && incident) candidates.push(candidateRow(item, incident, derivedAt));
  }
  await bulkInsert(db, "item_tags", itemTagColumns, tags);
  await bulkInsert(db, "incident_candidates", candidateColumns, candidates);
  return candidates.length;
}

const itemTagColumns = {
  item_kind: "VARCHAR",
  item_key: "VARCHAR",
  dimension: "VARCHAR",
  tag: "VARCHAR",
  matched: "VARCHAR",
  made_by: "VARCHAR",
  made_at: "TIMESTAMPTZ",
} as const;

// Shingles as numbers: a word by its number, a pair of words (a, b) as (a + 1)·2^26 + b, exact below 2^53.
// Words never hold a space (a space always ends a word), so the pairs are as distinct as titleShingles' "a b".
const PAIR = 2 ** 26;

/**
 * The title shingles (titleShingles) of the eligible items (dated, with a title) as ranks, all in one
 * array: item i's are `ranks[start[i]]` up to `ranks[start[i + 1]]`, ascending; an ineligible item has
 * none. A rank orders shingles rarest first over the eligible items (ties by number): one total order over
 * every item's shingles, which is all prefix filtering asks of it. Typed arrays and sorting rather than a
 * map entry per shingle: there are millions of word pairs, and so many small objects made the garbage
 * collector the main cost.
 */
function rankedShingles(order: StoryCandidate[]): { ranks: Int32Array; start: Int32Array; distinct: number } {
  const wordNumbers = new Map<string, number>();
  const numbers: number[] = []; // each item's distinct shingles, item after item
  const start = new Int32Array(order.length + 1);
  for (let i = 0; i < order.length; i++) {
    start[i] = numbers.length;
    if (Number.isNaN(order[i].time)) continue;
    const w = textWords(order[i].title).map((word) => {
      let n = wordNumbers.get(word);
      if (n === undefined) wordNumbers.set(word, (n = wordNumbers.size));
      return n;
    });
    if (wordNumbers.size > PAIR) throw new Error(`story grouping: more than ${PAIR} distinct words`);
    const shingles = new Set<number>(w);
    for (let k = 0; k + 1 < w.length; k++) shingles.add((w[k] + 1) * PAIR + w[k + 1]);
    for (const s of shingles) numbers.push(s);
  }
  start[order.length] = numbers.length;

  const sorted = Float64Array.from(numbers).sort();
  let distinct = 0;
  for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) sorted[distinct++] = sorted[k];
  const ids = Int32Array.from(numbers, (s) => {
    let [lo, hi] = [0, distinct - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  // Ranks by counting sort on frequency, ties by number.
  const frequency = new Int32Array(distinct);
  for (const id of ids) frequency[id]++;
  const next = new Int32Array(order.length + 2); // the next rank to give at each frequency
  for (const f of frequency) next[f + 1]++;
  for (let f = 1; f < next.length; f++) next[f] += next[f - 1];
  const rankOf = frequency.map((f) => next[f]++);
  const ranks = ids.map((id) => rankOf[id]);
  for (let i = 0; i < order.length; i++) ranks.subarray(start[i], start[i + 1]).sort();
  return { ranks, start, distinct };
}

/**
 * The same stories as groupStories (sources/taxonomy.ts), found in time linear in the items rather than in
 * the items of each window: only pairs sharing a rare shingle are compared (prefix filtering, as in
 * PPJoin). Shingles are ranked rarest first over all items. Two titles A, B with Jaccard ≥ t share at
 * least o = t/(1+t)·(|A|+|B|) shingles, and then also |A| ≥ t·|B|; so with A the smaller, o ≥ 2t/(1+t)·|A|
 * and o ≥ t·|B|, and the rarest shingle they share lies in A's first |A| - ⌈2t/(1+t)·|A|⌉ + 1 (its "mid"
 * prefix) and in B's first |B| - ⌈t·|B|⌉ + 1 (its "probe" prefix). Each item looks up its probe prefix
 * among the earlier items' mid prefixes and its mid prefix among their probe prefixes, rarest shingle
 * first, so a pair groupStories would join is first met at its rarest shared shingle, at positions i in A
 * and j in B. From there on they can share at most 1 + min(|A|-1-i, |B|-1-j) shingles; a pair met where
 * that is less than o is passed over unjudged (positional filtering), which keeps a very common shingle
 * from costing a comparison with every item in the window that has it. A pair not passed over is judged
 * by the same test (jaccard, window) and union-find keeps the earliest item as the story key: identical
 * stories.
 */
export function groupStoriesByShingles(items: StoryItem[], options: StoryOptions = {}): Map<string, string> {
  const threshold = options.threshold ?? 0.5;
  // With no positive threshold every pair in the window matches, shingles or not: nothing to filter on.
  if (!(threshold > 0)) return groupStories(items, options);
  const windowMs = (options.windowDays ?? 3) * 86_400_000;

  // The order groupStories uses; a story's root is its smallest position.
  const order = storyOrder(items);
  const { ranks, start, distinct } = rankedShingles(order);
  const size = (i: number) => start[i + 1] - start[i];
  // 1e-9: a product like 0.7·10 may come out a hair above 7, and a bound one too strict would miss pairs.
  const prefixLength = (n: number, overlap: number) => (n === 0 ? 0 : n - Math.ceil(overlap * n - 1e-9) + 1);
  const probeLength = (i: number) => prefixLength(size(i), threshold);
  const midLength = (i: number) => prefixLength(size(i), (2 * threshold) / (1 + threshold));
  const leastShared = (a: number, b: number) => Math.ceil((threshold / (1 + threshold)) * (a + b) - 1e-9);

  // For each shingle, the items whose probe prefix holds it, in time order, as 2·position + 1 when their
  // mid prefix holds it too, else 2·position: `entries[listStart[r]]` up to `entries[listStart[r + 1]]`.
  // `slot[start[i] + k]` is where item i's entry for its k-th shingle stands, so the earlier items come before it.
  const listStart = new Int32Array(distinct + 1);
  for (let i = 0; i < order.length; i++) for (let k = 0; k < probeLength(i); k++) listStart[ranks[start[i] + k] + 1]++;
  for (let r = 0; r < distinct; r++) listStart[r + 1] += listStart[r];
  const entries = new Int32Array(listStart[distinct]);
  const slot = new Int32Array(ranks.length);
  const fill = listStart.slice(0, distinct);
  for (let i = 0; i < order.length; i++) {
    const mid = midLength(i);
    for (let k = 0; k < probeLength(i); k++) {
      const r = ranks[start[i] + k];
      slot[start[i] + k] = fill[r];
      entries[fill[r]++] = 2 * i + (k < mid ? 1 : 0);
    }
  }

  /** Where `rank` stands among item j's shingles (it is there). */
  const positionIn = (j: number, rank: number) => {
    let [lo, hi] = [start[j], start[j + 1] - 1];
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (ranks[m] < rank) lo = m + 1;
      else hi = m;
    }
    return lo - start[j];
  };
  /** jaccard (sources/taxonomy.ts) of two items' shingles, counted by a merge of their ascending ranks. */
  const similarity = (i: number, j: number) => {
    let shared = 0;
    for (let a = start[i], b = start[j]; a < start[i + 1] && b < start[j + 1];) {
      if (ranks[a] < ranks[b]) a++;
      else if (ranks[a] > ranks[b]) b++;
      else {
        shared++;
        a++;
        b++;
      }
    }
    return shared / (size(i) + size(j) - shared);
  };

  const parent = order.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const comparedWith = new Int32Array(order.length).fill(-1);
  for (let i = 0; i < order.length; i++) {
    const [n, probe, mid] = [size(i), probeLength(i), midLength(i)];
    for (let k = 0; k < probe; k++) {
      const r = ranks[start[i] + k];
      // Newest first, until the window closes.
      for (let e = slot[start[i] + k] - 1; e >= listStart[r]; e--) {
        const j = entries[e] >> 1;
        if (order[i].time - order[j].time > windowMs) break;
        if (k >= mid && (entries[e] & 1) === 0) continue; // in this item's probe prefix only, and only in j's
        if (comparedWith[j] === i) continue;
        if (1 + Math.min(n - 1 - k, size(j) - 1 - positionIn(j, r)) < leastShared(n, size(j))) continue;
        comparedWith[j] = i;
        if (similarity(i, j) < threshold) continue;
        const [ra, rb] = [find(i), find(j)];
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  return new Map(order.map((item, i) => [item.key, order[find(i)].key]));
}

/** Story rows written by one bulk insert. */
const STORY_ROWS_PER_INSERT = 50_000;

async function storiesOf(db: DuckDBConnection): Promise<number> {
  // Read chunk by chunk into the items: the whole result at once, and a row object per item besides, was
  // the peak of derive's memory.
  const items: StoryItem[] = [];
  const result = await db.stream("SELECT item_key, title, published_at::VARCHAR FROM news_items ORDER BY item_key");
  for await (const rows of result.yieldRowsJson())
    for (const [key, title, published] of rows)
      items.push({ item_key: String(key), title: String(title ?? ""), published_at: (published as string | null) ?? null });
  const groups = groupStoriesByShingles(items);
  // The titles are not needed to write the groups; the keys stay alive in `groups`.
  items.length = 0;
  await db.run("DELETE FROM news_stories");
  // Written a chunk at a time: a row object and a JSON line for every item at once was a peak of its own.
  let rows: Array<{ item_key: string; story_key: string }> = [];
  for (const [item_key, story_key] of groups) {
    rows.push({ item_key, story_key });
    if (rows.length === STORY_ROWS_PER_INSERT) {
      await bulkInsert(db, "news_stories", { item_key: "VARCHAR", story_key: "VARCHAR" }, rows);
      rows = [];
    }
  }
  await bulkInsert(db, "news_stories", { item_key: "VARCHAR", story_key: "VARCHAR" }, rows);
  return new Set(groups.values()).size;
}

async function works(db: DuckDBConnection): Promise<number> {
  const pubs = await queryRows(db, "SELECT pub_key, source_id, doi, arxiv_id, title, year FROM publications ORDER BY source_id, pub_key");
  const rows = groupWorks(
    pubs.map((p) => ({
      pub_key: String(p.pub_key),
      source_id: String(p.source_id),
      doi: (p.doi as string | null) ?? null,
      arxiv_id: (p.arxiv_id as string | null) ?? null,
      title: (p.title as string | null) ?? null,
      year: p.year == null ? null : Number(p.year),
    })),
  );
  await db.run("DELETE FROM publication_works");
  await bulkInsert(db, "publication_works", { pub_key: "VARCHAR", source_id: "VARCHAR", work_key: "VARCHAR" }, rows);
  return new Set(rows.map((r) => r.work_key)).size;
}

/**
 * A news item's incident candidate. New candidates only: a candidate already queued keeps its review
 * status whatever the rules say now.
 */
function candidateRow(item: Record<string, unknown>, hit: IncidentSignal, derivedAt: string): Record<string, unknown> {
  return {
    candidate_key: `news:${String(item.key)}`,
    item_key: item.key,
    title: item.title,
    url: item.url,
    published_at: item.published_at,
    ai_terms: hit.aiTerms,
    harm_terms: hit.harmTerms,
    detected_at: derivedAt,
    review_status: "pending",
  };
}

const candidateColumns = {
  candidate_key: "VARCHAR",
  item_key: "VARCHAR",
  title: "VARCHAR",
  url: "VARCHAR",
  published_at: "TIMESTAMPTZ",
  ai_terms: "VARCHAR[]",
  harm_terms: "VARCHAR[]",
  detected_at: "TIMESTAMPTZ",
  review_status: "VARCHAR",
} as const;

/**
 * Likely matches between the analysts' incidents (incident-sheet sources) and other sources' records: dates
 * at most `maxDaysApart` apart (a month-precision date counts as its first day) and a Jaccard similarity of
 * at least `minSimilarity` between the words and word pairs of title and description. Rebuilt on every run;
 * analysts' decisions on them live in incident_match_reviews.
 */
async function incidentMatches(db: DuckDBConnection, derivedAt: string): Promise<number> {
  const [{ n: present }] = await queryRows(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'incident_matches'");
  if (Number(present) === 0) return 0; // a warehouse from before migration 012
  const incidents = await queryRows(
    db,
    `SELECT DISTINCT i.incident_key, i.title, i.description, i.occurred_on::VARCHAR AS occurred_on, s.parser = 'incident-sheet' AS analysts
       FROM incidents i JOIN sources s USING (source_id) WHERE i.occurred_on IS NOT NULL ORDER BY i.incident_key`,
  );
  const shingles = new Map(incidents.map((i) => [String(i.incident_key), titleShingles(text(i.title, i.description))]));
  const rows: Array<Record<string, unknown>> = [];
  for (const kept of incidents.filter((i) => i.analysts)) {
    for (const other of incidents.filter((i) => !i.analysts)) {
      const days = Math.round(Math.abs(Date.parse(String(kept.occurred_on)) - Date.parse(String(other.occurred_on))) / 86_400_000);
      if (days > incidentMatchRule.maxDaysApart) continue;
      const similarity = jaccard(shingles.get(String(kept.incident_key))!, shingles.get(String(other.incident_key))!);
      if (similarity < incidentMatchRule.minSimilarity) continue;
      rows.push({
        match_key: `${String(kept.incident_key)}|${String(other.incident_key)}`,
        kept_key: kept.incident_key,
        duplicate_key: other.incident_key,
        similarity: Math.round(similarity * 1000) / 1000,
        days_apart: days,
        detected_at: derivedAt,
      });
    }
  }
  await db.run("DELETE FROM incident_matches");
  await bulkInsert(
    db,
    "incident_matches",
    {
      match_key: "VARCHAR",
      kept_key: "VARCHAR",
      duplicate_key: "VARCHAR",
      similarity: "DOUBLE",
      days_apart: "INTEGER",
      detected_at: "TIMESTAMPTZ",
    },
    rows,
  );
  return rows.length;
}

/** An order-independent fingerprint of a query's rows (count and sum of row hashes): changes when any row does. */
async function fingerprint(db: DuckDBConnection, from: string, columns: string): Promise<string> {
  const [{ f }] = await queryRows(db, `SELECT count(*) || ':' || coalesce(sum(hash(${columns})::HUGEINT), 0) AS f FROM ${from}`);
  return String(f);
}

/**
 * Runs `rebuild` only when the fingerprint of its inputs differs from the one stored after the last
 * rebuild (always, on a warehouse without migration 015); otherwise the table stands and `count` says
 * what it holds.
 */
async function rebuildIfChanged(
  db: DuckDBConnection,
  keepState: boolean,
  name: string,
  inputs: string,
  rebuild: () => Promise<number>,
  count: string,
): Promise<number> {
  if (!keepState) return rebuild();
  const now = inputs;
  if ((await stateValue(db, name)) === now) {
    const [{ n }] = await queryRows(db, count);
    return Number(n);
  }
  const made = await rebuild();
  await setState(db, name, now);
  return made;
}

/**
 * Brings the derived tables up to date with the facts, touching only what changed (docs/architecture.md
 * rule 6 keeps analysts' rows): items whose text changed are re-tagged and examined for candidates,
 * stories, works and matches are rebuilt when their inputs changed, and a taxonomy whose hash differs
 * from the stored one re-tags everything once. Call inside the load's transaction so they never
 * disagree with the facts.
 */
export async function deriveTables(db: DuckDBConnection, input: DeriveInput): Promise<DeriveCounts> {
  const source = await fs.readFile(input.taxonomyFile, "utf8");
  const taxonomy = parseTaxonomy(source, input.taxonomyFile);
  const keepState = await keepsDeriveState(db);
  const taxonomyHash = createHash("sha256").update(source).digest("hex");
  const retagAll = !keepState || (await stateValue(db, "taxonomy_sha256")) !== taxonomyHash;
  // Stories first: grouping holds every title and its shingles in this process, and the tagging below
  // leaves its temporary tables (every changed item's text) in DuckDB's memory until the load commits.
  // The two peaks then do not add up (derive of 300k items: 1011-1078 MiB with stories last).
  const newsInputs = await fingerprint(db, "news_items", "item_key, title, published_at");
  const stories = await rebuildIfChanged(
    db,
    keepState,
    "news_stories",
    newsInputs,
    () => storiesOf(db),
    "SELECT count(DISTINCT story_key) AS n FROM news_stories",
  );
  const { tags, newCandidates } = await ruleTagsAndCandidates(db, taxonomy, input.derivedAt, retagAll, keepState);
  if (keepState) await setState(db, "taxonomy_sha256", taxonomyHash);
  const pubInputs = await fingerprint(db, "publications", "pub_key, source_id, doi, arxiv_id, title, year");
  const incidentInputs = (await hasTable(db, "incident_matches"))
    ? `${await fingerprint(db, "incidents", "incident_key, title, description, occurred_on, source_id")}/${await fingerprint(db, "sources", "source_id, parser")}`
    : "none";
  return {
    tags,
    stories,
    works: await rebuildIfChanged(
      db,
      keepState,
      "publication_works",
      pubInputs,
      () => works(db),
      "SELECT count(DISTINCT work_key) AS n FROM publication_works",
    ),
    newCandidates,
    matches: await rebuildIfChanged(
      db,
      keepState,
      "incident_matches",
      incidentInputs,
      () => incidentMatches(db, input.derivedAt),
      "SELECT count(*) AS n FROM incident_matches",
    ),
  };
}

async function hasTable(db: DuckDBConnection, name: string): Promise<boolean> {
  const [{ n }] = await queryRows(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $name", { name });
  return Number(n) > 0;
}
