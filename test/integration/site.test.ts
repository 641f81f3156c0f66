// The real Observable Framework site built from exports made by the real activities (no Temporal needed
// here: the activities are plain functions; the run's shared build, test/shared-site.ts), with the
// overview's numbers found in the output; and a failed build that must leave the last good site.
import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import { repoRoot, tempConfig } from "../helpers.js";
import { sharedSite } from "../shared-site.js";

let dist: string;

async function readAll(folder: string, ext: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await fs.readdir(folder, { recursive: true })) {
    if (entry.endsWith(ext)) out.set(entry, await fs.readFile(path.join(folder, entry), "utf8"));
  }
  return out;
}

beforeAll(async () => {
  ({ dist } = await sharedSite());
}, 600_000);

describe("The overview site", () => {
  it("publishes the warehouse's numbers in its data files", async () => {
    const data = await readAll(path.join(dist, "_file", "data"), ".json");
    const byName = (prefix: string) => JSON.parse([...data.entries()].find(([name]) => path.basename(name).startsWith(prefix))![1]);
    const strategy = byName("strategy.");
    expect(strategy.counts).toEqual({ priorities: 6, measures: 44, flagships: 30, sector_directions: 10 });
    expect(strategy.priorities.map((p: { measures: number }) => p.measures)).toEqual([10, 7, 8, 0, 9, 10]);
    const indicators = byName("indicators.");
    const internet = indicators.latest.find((d: { indicator_code: string }) => d.indicator_code === "IT.NET.USER.ZS");
    expect(internet).toMatchObject({ period: "2023", value: 60.7171, unit: "% of population" });
    expect(internet.source_url).toMatch(/^https:\/\/github\.com\/open-numbers\//);
    // The snapshot's mirror file gives five series for all ten ASEAN members; the rest are Cambodia's only.
    expect(new Set(indicators.series.map((d: { country_iso3: string }) => d.country_iso3)).size).toBe(10);
    expect(indicators.comparisons.map((c: { indicator_code: string }) => c.indicator_code)).toEqual([
      "IT.CEL.SETS.P2",
      "IT.NET.BBND.P2",
      "IT.NET.USER.ZS",
      "NY.GDP.MKTP.CD",
      "SP.POP.TOTL",
    ]);
    expect(indicators.comparisons.find((c: { indicator_code: string }) => c.indicator_code === "IT.NET.USER.ZS")).toMatchObject({
      year: 2023,
      cambodia: 60.7171,
      ranked: 10,
    });
    expect(byName("timeline.").events).toHaveLength(49);
    const worldbank = byName("runs.").runs.find((r: { source_id: string }) => r.source_id === "worldbank-wdi");
    expect(worldbank.from_snapshot).toBe(true);
    // Replayed from the bundled snapshot: never "fresh", whenever the replay ran.
    expect(worldbank.freshness_label).toMatch(/^snapshot of 2026-\d\d-\d\d$/);
  });

  it("gives the overview the indicators page's headline figures and Cambodian series, not the whole indicators file", async () => {
    const data = await readAll(path.join(dist, "_file", "data"), ".json");
    const byName = (prefix: string) => JSON.parse([...data.entries()].find(([name]) => path.basename(name).startsWith(prefix))![1]);
    const indicators = byName("indicators.");
    const headline = byName("headline.");
    expect(headline.latest).toEqual(indicators.latest);
    expect(headline.series).toEqual(indicators.series.filter((d: { country_iso3: string }) => d.country_iso3 === "KHM"));
    expect(headline.series.length).toBeGreaterThan(0);
    const overview = await fs.readFile(path.join(dist, "index.html"), "utf8");
    const attached = [...overview.matchAll(/registerFile\("\.\/data\/([a-z-]+)\.json"/g)].map((m) => m[1]).sort();
    expect(attached).toEqual(["headline", "latest", "runs", "strategy"]);
  });

  it("renders the overview page and loads nothing from another host", async () => {
    const html = await fs.readFile(path.join(dist, "index.html"), "utf8");
    expect(html).toContain("Cambodia National AI Observatory");
    // Headings come from the message catalogue as the page renders (the browser tests read their text);
    // the built page carries each heading's anchor.
    expect(html).toContain('id="nais-progress-at-a-glance"');
    const pages = [...(await readAll(dist, ".html")).values(), ...(await readAll(dist, ".js")).values()];
    for (const text of pages) {
      // src/href attributes and module imports must be relative; links in the data are not requests.
      // (a link a reader may follow, <a href>, is not a request the page makes)
      expect(text).not.toMatch(/<(?!a\s)[a-z]+\s[^>]*(?:src|href)=["']https?:\/\//);
      expect(text).not.toMatch(/import\s*(?:[^'"]*from\s*)?["']https?:\/\//);
      expect(text).not.toContain("fonts.googleapis.com");
      expect(text).not.toContain("cdn.jsdelivr.net");
    }
  });

  it("serves its own Khmer font files, named in every page's @font-face rules", async () => {
    const html = await fs.readFile(path.join(dist, "reports", "2025-Q1.html"), "utf8");
    expect(html).toContain('src:url("../_fonts/noto-sans-khmer-khmer-400-normal.woff2") format("woff2")');
    for (const weight of [400, 700]) {
      const font = await fs.readFile(path.join(dist, "_fonts", `noto-sans-khmer-khmer-${weight}-normal.woff2`));
      expect(font.subarray(0, 4).toString("latin1")).toBe("wOF2");
    }
  });

  it("keeps the last good site when a build fails, and leaves no working copy behind", async () => {
    // A copy of the shared good site, in the broken config's own folder, is the site the failed build must keep.
    const broken = await tempConfig();
    const site = broken.config.paths.siteOutput;
    try {
      await fs.cp(dist, site, { recursive: true });
      const before = await fs.readFile(path.join(site, "index.html"), "utf8");
      await fs.mkdir(broken.config.paths.exports, { recursive: true });
      const activities = createActivities({ config: broken.config, projectRoot: repoRoot, log: () => undefined });
      await expect(activities.buildSite()).rejects.toThrow(/site build failed/);
      await expect(fs.readFile(path.join(site, "index.html"), "utf8")).resolves.toBe(before);
      expect((await fs.readdir(path.dirname(site))).filter((name) => name.startsWith(".site-build-") || name.includes(".old-"))).toEqual(
        [],
      );
    } finally {
      await fs.rm(broken.dir, { recursive: true, force: true });
    }
  }, 300_000);
});
