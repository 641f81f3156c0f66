import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { deriveTables } from "../../warehouse/derive.js";
import { columnsOf, type RecordTable } from "../../warehouse/tables.js";
import { repoRoot, withTempWarehouse } from "../helpers.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-derive-");

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
const prov = (source_id: string) => ({ source_id, snapshot_sha256: "f".repeat(64), retrieved_at: "2026-11-01T00:00:00Z", row_hash: "h" });

async function insert(db: DuckDBConnection, table: RecordTable, rows: Array<Record<string, unknown>>) {
  const columns = Object.fromEntries(columnsOf(table));
  const full = rows.map((r) => Object.fromEntries(Object.keys(columns).map((c) => [c, r[c] ?? null])));
  await bulkInsert(db, table, columns, full);
}

const news = (item_key: string, title: string, published_at: string, source_id = "feed-a") => ({
  item_key,
  canonical_url: `https://news.example.org/${item_key}`,
  title,
  summary: null,
  published_at,
  outlet: source_id,
  language: "en",
  categories: [],
  kind: "news",
  ...prov(source_id),
});

async function seed(db: DuckDBConnection) {
  await insert(db, "news_items", [
    news("a1", "Deepfake video of minister used in online scam, ministry warns", "2025-07-02T08:00:00Z", "feed-a"),
    news("b1", "Ministry warns of deepfake video of minister used in scam", "2025-07-03T09:00:00Z", "feed-b"),
    news("c1", "New bridge opens over the Mekong", "2025-07-03T10:00:00Z", "feed-b"),
  ]);
  await insert(db, "publications", [
    {
      pub_key: "openalex:W1",
      doi: "10.1234/khmer.1",
      arxiv_id: "2512.13552",
      title: "A Khmer model",
      year: 2025,
      authors: [],
      ...prov("openalex"),
    },
    { pub_key: "arxiv:2512.13552", doi: null, arxiv_id: "2512.13552", title: "A Khmer Model", year: 2025, authors: [], ...prov("arxiv") },
  ]);
}

describe("Derived tables", () => {
  it("tags items by the taxonomy, groups one story across outlets, merges a work across sources and queues a candidate incident", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await seed(db);
      const counts = await deriveTables(db, { taxonomyFile, derivedAt: "2026-11-22T00:00:00Z" });
      expect(counts).toMatchObject({ stories: 2, works: 1, newCandidates: 2 });

      const harm = await queryRows(
        db,
        "SELECT item_key, tag FROM item_tags WHERE dimension = 'harm' AND made_by = 'rule' ORDER BY item_key, tag",
      );
      expect(harm.map((r) => r.item_key)).toEqual(expect.arrayContaining(["a1", "b1"]));
      expect(harm.some((r) => r.item_key === "c1")).toBe(false);

      const stories = await queryRows(db, "SELECT item_key, story_key FROM news_stories ORDER BY item_key");
      expect(stories).toEqual([
        { item_key: "a1", story_key: "a1" },
        { item_key: "b1", story_key: "a1" },
        { item_key: "c1", story_key: "c1" },
      ]);

      const works = await queryRows(db, "SELECT pub_key, work_key FROM publication_works ORDER BY pub_key");
      expect(works).toEqual([
        { pub_key: "arxiv:2512.13552", work_key: "doi:10.1234/khmer.1" },
        { pub_key: "openalex:W1", work_key: "doi:10.1234/khmer.1" },
      ]);

      const candidates = await queryRows(db, "SELECT item_key, review_status FROM incident_candidates ORDER BY item_key");
      expect(candidates).toEqual([
        { item_key: "a1", review_status: "pending" },
        { item_key: "b1", review_status: "pending" },
      ]);
    });
  });

  it("keeps an analyst's tag and a reviewed candidate's decision when the rules run again", async () => {
    await withWarehouse(path.join(temp.dir(), "w.duckdb"), async (db) => {
      await seed(db);
      await deriveTables(db, { taxonomyFile, derivedAt: "2026-11-22T00:00:00Z" });
      await db.run("UPDATE incident_candidates SET review_status = 'rejected' WHERE item_key = 'a1'");
      await db.run("INSERT INTO item_tags VALUES ('news', 'c1', 'sector', 'transport', NULL, 'analyst:sokha', '2026-11-22T01:00:00Z')");
      const before = await queryRows(db, "SELECT count(*)::INTEGER AS n FROM item_tags WHERE made_by = 'rule'");

      const again = await deriveTables(db, { taxonomyFile, derivedAt: "2026-11-23T00:00:00Z" });
      expect(again.newCandidates).toBe(0);
      expect(await queryRows(db, "SELECT item_key, review_status FROM incident_candidates ORDER BY item_key")).toEqual([
        { item_key: "a1", review_status: "rejected" },
        { item_key: "b1", review_status: "pending" },
      ]);
      expect(await queryRows(db, "SELECT made_by FROM item_tags WHERE item_key = 'c1' AND dimension = 'sector'")).toEqual([
        { made_by: "analyst:sokha" },
      ]);
      expect(await queryRows(db, "SELECT count(*)::INTEGER AS n FROM item_tags WHERE made_by = 'rule'")).toEqual(before);
    });
  });
});
