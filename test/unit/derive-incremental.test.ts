// derive touches only new or changed items (issue 17): an unchanged warehouse is left as it is, a changed
// item alone is re-tagged, a changed taxonomy re-tags everything once, and whatever the path, the derived
// tables equal those of a warehouse derived whole from the same facts.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { deriveTables } from "../../warehouse/derive.js";
import { columnsOf } from "../../warehouse/tables.js";
import { repoRoot } from "../helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-derive-inc-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");

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
  source_id,
  snapshot_sha256: "f".repeat(64),
  retrieved_at: "2026-11-01T00:00:00Z",
  row_hash: "h",
});

const items = [
  news("a1", "Deepfake video of minister used in online scam, ministry warns", "2025-07-02T08:00:00Z", "feed-a"),
  news("b1", "Ministry warns of deepfake video of minister used in scam", "2025-07-03T09:00:00Z", "feed-b"),
  news("c1", "New bridge opens over the Mekong", "2025-07-03T10:00:00Z", "feed-b"),
  news("d1", "Cambodia opens a data centre for cloud computing and AI training", "2025-07-05T10:00:00Z", "feed-a"),
];

async function insertNews(db: DuckDBConnection, rows: Array<Record<string, unknown>>) {
  await bulkInsert(db, "news_items", Object.fromEntries(columnsOf("news_items")), rows);
}

const derive = (db: DuckDBConnection, day: string, file = taxonomyFile) =>
  deriveTables(db, { taxonomyFile: file, derivedAt: `2026-11-${day}T00:00:00Z` });
const tags = (db: DuckDBConnection) =>
  queryRows(
    db,
    "SELECT item_kind, item_key, dimension, tag, matched, made_at::VARCHAR AS made_at FROM item_tags WHERE made_by = 'rule' ORDER BY ALL",
  );
const derived = async (db: DuckDBConnection) => ({
  tags: (await tags(db)).map(({ made_at: _, ...t }) => t),
  stories: await queryRows(db, "SELECT item_key, story_key FROM news_stories ORDER BY ALL"),
});

describe("Incremental derive", () => {
  it("leaves every derived row of an unchanged warehouse as it was, and re-tags only an item whose text changed", async () => {
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await insertNews(db, items);
      await derive(db, "22");
      const first = await tags(db);
      expect(first.length).toBeGreaterThan(0);

      await derive(db, "23");
      expect(await tags(db)).toEqual(first); // same tags, still made on the 22nd

      await db.run("UPDATE news_items SET title = 'Scammers use AI deepfake of a bridge engineer' WHERE item_key = 'c1'");
      const counts = await derive(db, "24");
      const after = await tags(db);
      expect(after.filter((t) => t.item_key !== "c1")).toEqual(first.filter((t) => t.item_key !== "c1"));
      const c1 = after.filter((t) => t.item_key === "c1");
      expect(c1.length).toBeGreaterThan(0);
      expect(new Set(c1.map((t) => t.made_at))).toEqual(new Set(["2026-11-24 00:00:00+00"]));
      expect(counts.newCandidates).toBe(1); // the changed item now names AI and a harm
      expect(counts.stories).toBe(3);
    });
  });

  it("re-tags everything once when the taxonomy changes, and not again on the next run", async () => {
    const edited = path.join(dir, "taxonomy.yaml");
    // An analyst's edit to the file; any change alters its hash, even one that adds no term.
    const source = await fs.readFile(taxonomyFile, "utf8");
    await fs.writeFile(edited, `${source}\n# edited by an analyst\n`);
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      await insertNews(db, items);
      await derive(db, "22");
      await derive(db, "23", edited);
      const retagged = await tags(db);
      expect(new Set(retagged.map((t) => t.made_at))).toEqual(new Set(["2026-11-23 00:00:00+00"]));
      await derive(db, "24", edited);
      expect(await tags(db)).toEqual(retagged);
    });
  });

  it("derives, step by step through additions, edits and removals, the same tables as a warehouse derived whole", async () => {
    await withWarehouse(path.join(dir, "step.duckdb"), async (step) => {
      await insertNews(step, items.slice(0, 2));
      await derive(step, "20");
      await insertNews(step, items.slice(2));
      await derive(step, "21");
      await step.run("UPDATE news_items SET title = 'Ministry warns of a scam' WHERE item_key = 'b1'");
      await step.run("DELETE FROM news_items WHERE item_key = 'd1'");
      await derive(step, "22");
      await withWarehouse(path.join(dir, "whole.duckdb"), async (whole) => {
        await insertNews(whole, items.slice(0, 3));
        await whole.run("UPDATE news_items SET title = 'Ministry warns of a scam' WHERE item_key = 'b1'");
        await derive(whole, "22");
        const [a, b] = [await derived(step), await derived(whole)];
        expect(a.tags).toEqual(b.tags);
        expect(a.stories).toEqual(b.stories);
        expect(a.tags.some((t) => t.item_key === "d1")).toBe(false);
      });
    });
  });
});
