// The linear story grouping (warehouse/derive.ts groupStoriesByShingles) must give exactly the stories of
// the window scan it replaces (sources/taxonomy.ts groupStories): compared on many seeded random sets of
// titles dense enough that stories chain, at several thresholds and windows, and at scale in bench/.
import { describe, expect, it } from "vitest";
import { groupStories, type StoryItem } from "../../sources/taxonomy.js";
import { groupStoriesByShingles } from "../../warehouse/derive.js";
import { newsItems, seeded } from "../../bench/generate.js";

function randomItems(seed: number, n: number): StoryItem[] {
  const random = seeded(seed);
  const vocabulary = Array.from({ length: 12 }, (_, i) => `word${i}`);
  const start = Date.parse("2025-01-01T00:00:00Z");
  return Array.from({ length: n }, () => {
    const length = Math.floor(random() * 6); // some titles empty, most short, so many share shingles
    const title = Array.from({ length }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(" ");
    const undated = random() < 0.05;
    // Whole hours over ten days, so equal times (ties broken by key) and window edges both occur.
    const at = new Date(start + Math.floor(random() * 240) * 3_600_000).toISOString();
    return { item_key: `k${Math.floor(random() * n * 1.2)}`, title: random() < 0.03 ? null : title, published_at: undated ? null : at };
  });
}

describe("Story grouping by shared title shingles", () => {
  it("gives the same story for every item as the window scan, on random titles at several thresholds and windows", () => {
    let joined = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const items = randomItems(seed, 150);
      for (const options of [
        {},
        { threshold: 0.3 },
        { threshold: 0.7, windowDays: 1 },
        { threshold: 1 },
        { windowDays: 0 },
        { threshold: 0.5, windowDays: 10 },
      ]) {
        const expected = groupStories(items, options);
        expect(groupStoriesByShingles(items, options), `seed ${seed} ${JSON.stringify(options)}`).toEqual(expected);
        joined += [...expected].filter(([item, story]) => item !== story).length;
      }
    }
    expect(joined).toBeGreaterThan(1000); // the cases really group items, not only singletons
  });

  it("gives the same stories as the window scan on the benchmark's generated news, dense and sparse", () => {
    for (const density of ["dense", "sparse"] as const) {
      const items = newsItems(3000, density).map((r) => ({ item_key: String(r.item_key), title: r.title, published_at: r.published_at }));
      const expected = groupStories(items);
      expect(new Set(expected.values()).size).toBeLessThan(items.length);
      expect(groupStoriesByShingles(items)).toEqual(expected);
    }
  });
});
