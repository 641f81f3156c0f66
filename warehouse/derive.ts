// Derived tables rebuilt inside the load transaction from what the warehouse now holds: rule-made
// tags (the analyst-editable taxonomy), news stories across outlets, one work per publication across
// sources, and candidate incidents detected in news. Analysts' rows are never replaced (rule 6).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { groupWorks } from "../sources/publications.js";
import {
  detectIncidentCandidate,
  groupStories,
  jaccard,
  parseTaxonomy,
  storyOrder,
  tagText,
  titleShingles,
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

/** Every taggable item's text, as SQL: news, publications, incidents and (after migration 011) regional incidents. */
async function taggableItemsSql(db: DuckDBConnection): Promise<string> {
  // A warehouse from before migration 011 has no aiid_asean_incidents table.
  const [{ n: regional }] = await queryRows(
    db,
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'aiid_asean_incidents'",
  );
  return `SELECT 'news' AS kind, item_key AS key, title, summary AS body FROM news_items
     UNION ALL SELECT 'publication', pub_key, title, abstract FROM publications
     UNION ALL SELECT 'incident', incident_key, title, description FROM incidents
     ${Number(regional) > 0 ? "UNION ALL SELECT DISTINCT 'aiid_asean', incident_id, title, description FROM aiid_asean_incidents" : ""}`;
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
 * Leaves the changed items' keys in the temp table derive_changed (kind, key, content_md5, batch).
 */
async function ruleTags(
  db: DuckDBConnection,
  taxonomy: Taxonomy,
  derivedAt: string,
  retagAll: boolean,
  keepState: boolean,
): Promise<number> {
  // One hash per item of all the text rows it has (a key may come from two sources), in a stable order.
  await db.run(
    `CREATE OR REPLACE TEMP TABLE derive_current AS
       SELECT kind, key, md5(string_agg(md5(coalesce(title, '') || chr(1) || coalesce(body, '')), ',' ORDER BY md5(coalesce(title, '') || chr(1) || coalesce(body, '')))) AS content_md5
         FROM (${await taggableItemsSql(db)}) GROUP BY kind, key`,
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
  const [{ batches }] = await queryRows(db, "SELECT coalesce(max(batch) + 1, 0)::INTEGER AS batches FROM derive_changed");
  const itemsSql = await taggableItemsSql(db);
  for (let batch = 0; batch < Number(batches); batch++) {
    const items = await queryRows(
      db,
      `SELECT i.kind, i.key, i.title, i.body FROM (${itemsSql}) i JOIN derive_changed c ON c.kind = i.kind AND c.key = i.key AND c.batch = $batch`,
      { batch },
    );
    await insertTags(db, taxonomy, items, derivedAt);
  }
  if (keepState) {
    if (retagAll) await db.run("DELETE FROM derive_inputs");
    await db.run(
      "DELETE FROM derive_inputs d WHERE NOT EXISTS (SELECT 1 FROM derive_current c WHERE c.kind = d.item_kind AND c.key = d.item_key AND c.content_md5 = d.content_md5)",
    );
    await db.run("INSERT INTO derive_inputs (item_kind, item_key, content_md5) SELECT kind, key, content_md5 FROM derive_changed");
  }
  await db.run("DROP TABLE derive_current");
  const [{ n }] = await queryRows(db, "SELECT count(*)::INTEGER AS n FROM item_tags WHERE made_by = 'rule'");
  return Number(n);
}

async function insertTags(
  db: DuckDBConnection,
  taxonomy: Taxonomy,
  items: Array<Record<string, unknown>>,
  derivedAt: string,
): Promise<void> {
  const rows: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const seen = new Set<string>();
    for (const t of tagText(taxonomy, text(item.title, item.body))) {
      const id = `${t.dimension}/${t.tag}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push({
        item_kind: item.kind,
        item_key: item.key,
        dimension: t.dimension,
        tag: t.tag,
        matched: t.matched,
        made_by: "rule",
        made_at: derivedAt,
      });
    }
  }
  await bulkInsert(db, "item_tags", itemTagColumns, rows);
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

/**
 * The same stories as groupStories (sources/taxonomy.ts), found in time linear in the items rather than in
 * the items of each window: only pairs sharing a rare shingle are compared (prefix filtering, as in
 * PPJoin). Shingles are ranked rarest first over all items. Two titles A, B with Jaccard ≥ t share at
 * least o = t/(1+t)·(|A|+|B|) shingles, and then also |A| ≥ t·|B|; so with A the smaller, o ≥ 2t/(1+t)·|A|
 * and o ≥ t·|B|, and the rarest shingle they share lies in A's first |A| - ⌈2t/(1+t)·|A|⌉ + 1 (its "mid"
 * prefix) and in B's first |B| - ⌈t·|B|⌉ + 1 (its "probe" prefix). Each item is looked up by both against
 * the earlier items' other prefix, so no pair groupStories would join is missed; pairs are judged by the
 * same test (jaccard, window) and union-find keeps the earliest item as the story key: identical stories.
 */
export function groupStoriesByShingles(items: StoryItem[], options: StoryOptions = {}): Map<string, string> {
  const threshold = options.threshold ?? 0.5;
  // With no positive threshold every pair in the window matches, shingles or not: nothing to filter on.
  if (!(threshold > 0)) return groupStories(items, options);
  const windowMs = (options.windowDays ?? 3) * 86_400_000;

  // The order groupStories uses; a story's root is its smallest position.
  const order = storyOrder(items);
  const eligible = (i: number) => !Number.isNaN(order[i].time) && order[i].shingles.size > 0;

  const frequency = new Map<string, number>();
  for (let i = 0; i < order.length; i++) if (eligible(i)) for (const s of order[i].shingles) frequency.set(s, (frequency.get(s) ?? 0) + 1);
  const rarestFirst = (a: string, b: string) => frequency.get(a)! - frequency.get(b)! || (a < b ? -1 : a > b ? 1 : 0);
  // 1e-9: a product like 0.7·10 may come out a hair above 7, and a prefix one too short would miss pairs.
  const prefixLength = (n: number, overlap: number) => n - Math.ceil(overlap * n - 1e-9) + 1;

  const parent = order.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  // Positions (in time order) of the earlier items whose mid or probe prefix holds each shingle.
  const midIndex = new Map<string, number[]>();
  const probeIndex = new Map<string, number[]>();
  const comparedWith = new Int32Array(order.length).fill(-1);
  const compareAlong = (i: number, list: number[] | undefined) => {
    // Newest first, until the window closes: older entries are out of reach of every later item too.
    for (let k = (list?.length ?? 0) - 1; k >= 0; k--) {
      const j = list![k];
      if (order[i].time - order[j].time > windowMs) break;
      if (comparedWith[j] === i) continue;
      comparedWith[j] = i;
      if (jaccard(order[j].shingles, order[i].shingles) < threshold) continue;
      const [ra, rb] = [find(i), find(j)];
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  };
  const add = (index: Map<string, number[]>, s: string, i: number) => {
    const list = index.get(s);
    if (list) list.push(i);
    else index.set(s, [i]);
  };
  for (let i = 0; i < order.length; i++) {
    if (!eligible(i)) continue;
    const sorted = [...order[i].shingles].sort(rarestFirst);
    const probe = sorted.slice(0, prefixLength(sorted.length, threshold));
    const mid = sorted.slice(0, prefixLength(sorted.length, (2 * threshold) / (1 + threshold)));
    for (const s of probe) compareAlong(i, midIndex.get(s)); // earlier items no larger than this one
    for (const s of mid) compareAlong(i, probeIndex.get(s)); // earlier items no smaller than this one
    for (const s of mid) add(midIndex, s, i);
    for (const s of probe) add(probeIndex, s, i);
  }
  return new Map(order.map((item, i) => [item.key, order[find(i)].key]));
}

async function stories(db: DuckDBConnection): Promise<number> {
  const items = await queryRows(db, "SELECT item_key, title, published_at::VARCHAR AS published_at FROM news_items ORDER BY item_key");
  const groups = groupStoriesByShingles(
    items.map((i) => ({
      item_key: String(i.item_key),
      title: String(i.title ?? ""),
      published_at: (i.published_at as string | null) ?? null,
    })),
  );
  await db.run("DELETE FROM news_stories");
  const rows = [...groups].map(([item_key, story_key]) => ({ item_key, story_key }));
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
 * New candidates only: a candidate already queued keeps its review status whatever the rules say now.
 * Only news items whose text changed since the last derive are examined (every item when `all`, i.e.
 * the taxonomy changed): an unchanged item that was no candidate under this taxonomy is none now either.
 */
async function candidates(db: DuckDBConnection, taxonomy: Taxonomy, derivedAt: string, all: boolean): Promise<number> {
  const changedOnly = all ? "" : "AND EXISTS (SELECT 1 FROM derive_changed d WHERE d.kind = 'news' AND d.key = n.item_key)";
  const [{ batches }] = await queryRows(db, `SELECT (count(*) // ${BATCH} + 1)::INTEGER AS batches FROM news_items`);
  let made = 0;
  for (let batch = 0; batch < Number(batches); batch++) {
    const items = await queryRows(
      db,
      `SELECT n.item_key, n.title, n.summary, n.canonical_url, n.published_at::VARCHAR AS published_at FROM news_items n
        WHERE NOT EXISTS (SELECT 1 FROM incident_candidates c WHERE c.item_key = n.item_key) ${changedOnly}
          AND hash(n.item_key) % $batches = $batch ORDER BY n.item_key`,
      { batches: Number(batches), batch },
    );
    made += await insertCandidates(db, taxonomy, items, derivedAt);
  }
  return made;
}

async function insertCandidates(
  db: DuckDBConnection,
  taxonomy: Taxonomy,
  items: Array<Record<string, unknown>>,
  derivedAt: string,
): Promise<number> {
  const rows: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const hit = detectIncidentCandidate(taxonomy, text(item.title, item.summary));
    if (!hit) continue;
    rows.push({
      candidate_key: `news:${String(item.item_key)}`,
      item_key: item.item_key,
      title: item.title,
      url: item.canonical_url,
      published_at: item.published_at,
      ai_terms: hit.aiTerms,
      harm_terms: hit.harmTerms,
      detected_at: derivedAt,
      review_status: "pending",
    });
  }
  await bulkInsert(
    db,
    "incident_candidates",
    {
      candidate_key: "VARCHAR",
      item_key: "VARCHAR",
      title: "VARCHAR",
      url: "VARCHAR",
      published_at: "TIMESTAMPTZ",
      ai_terms: "VARCHAR[]",
      harm_terms: "VARCHAR[]",
      detected_at: "TIMESTAMPTZ",
      review_status: "VARCHAR",
    },
    rows,
  );
  return rows.length;
}

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
  const tags = await ruleTags(db, taxonomy, input.derivedAt, retagAll, keepState);
  const newCandidates = await candidates(db, taxonomy, input.derivedAt, retagAll);
  await db.run("DROP TABLE derive_changed");
  if (keepState) await setState(db, "taxonomy_sha256", taxonomyHash);
  const newsInputs = await fingerprint(db, "news_items", "item_key, title, published_at");
  const pubInputs = await fingerprint(db, "publications", "pub_key, source_id, doi, arxiv_id, title, year");
  const incidentInputs = (await hasTable(db, "incident_matches"))
    ? `${await fingerprint(db, "incidents", "incident_key, title, description, occurred_on, source_id")}/${await fingerprint(db, "sources", "source_id, parser")}`
    : "none";
  return {
    tags,
    stories: await rebuildIfChanged(
      db,
      keepState,
      "news_stories",
      newsInputs,
      () => stories(db),
      "SELECT count(DISTINCT story_key) AS n FROM news_stories",
    ),
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
