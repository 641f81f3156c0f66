import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseNewsSheet } from "../../sources/news-sheet.js";
import { ParseError } from "../../sources/parser.js";
import { fixture, repoRoot } from "../helpers.js";

const url = "repo:sources/curated/news.yaml";

describe("News digest sheet", () => {
  it("loads every shipped item with an http(s) link, a date and the outlet taken from the link", async () => {
    const body = await fs.readFile(path.join(repoRoot, "sources", "curated", "news.yaml"));
    const { rows, rejected } = parseNewsSheet({ sourceId: "news-digest", url, body });
    expect(rejected).toEqual([]);
    expect(rows.news_items!.length).toBeGreaterThanOrEqual(10);
    for (const row of rows.news_items!) {
      expect(row.canonical_url).toMatch(/^https?:\/\//);
      expect(row.published_at).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
      expect(row.kind).toBe("digest");
    }
    const consultation = rows.news_items!.find((r) => r.item_key === "digest:nais-public-consultation")!;
    expect(consultation).toMatchObject({ outlet: "rajahtannasia.com", published_at: "2025-06-11T00:00:00Z" });
  });

  it("quarantines a bad date, a javascript: link and a repeated id, naming the item, and keeps the good item", async () => {
    const { rows, rejected } = parseNewsSheet({ sourceId: "news-digest", url, body: await fixture("sheets", "news-bad.yaml") });
    expect(rows.news_items!.map((r) => [r.item_key, r.canonical_url])).toEqual([["digest:good-one", "https://example.org/report"]]);
    expect(rejected).toEqual([
      { record: "items[1] (id bad-date)", reason: expect.stringContaining("date") },
      { record: "items[2] (id script-link)", reason: expect.stringContaining("http(s)") },
      { record: "items[3] (id good-one)", reason: "id good-one appears twice" },
    ]);
  });

  it("refuses a document without an items list", () => {
    const body = new TextEncoder().encode("news: []\n");
    expect(() => parseNewsSheet({ sourceId: "news-digest", url, body })).toThrow(ParseError);
  });
});
