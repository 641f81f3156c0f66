// News search in Khmer (site/src/components/search.js) with a real Khmer headline from the recorded RSS
// fixture: Node's ICU splits unspaced Khmer into words, so a query finds a word inside the title.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { matchesQuery, words } from "../../site/src/components/search.js";
import { repoRoot } from "../helpers.js";

const feed = fs.readFileSync(path.join(repoRoot, "test", "fixtures", "rss", "khmer.xml"), "utf8");
const title = feed.match(/<title><!\[CDATA\[([^\]]*ការឆបោក[^\]]*)\]\]><\/title>/)![1];

describe("Khmer news search", () => {
  it("splits an unspaced Khmer headline into its words", () => {
    const split = words(title);
    expect(split).toContain("ឆបោក");
    expect(split).toContain("សិប្បនិម្មិត");
    expect(split.length).toBeGreaterThan(6);
  });

  it("finds a word and a run of words inside the unspaced title, but not a word the title lacks", () => {
    expect(matchesQuery(title, "ឆបោក")).toBe(true);
    expect(matchesQuery(title, "បញ្ញាសិប្បនិម្មិត")).toBe(true);
    expect(matchesQuery(title, "ការអប់រំ")).toBe(false);
  });

  it("matches whole Khmer words, so a shorter word does not match inside a longer one", () => {
    expect(matchesQuery("គ្រូពេទ្យ", "គ្រូ")).toBe(false);
    expect(matchesQuery("គ្រូ បង្រៀន", "គ្រូ")).toBe(true);
  });

  it("keeps the case-insensitive substring match for Latin-script queries", () => {
    expect(matchesQuery("Ministry warns of AI scams", "minis")).toBe(true);
    expect(matchesQuery("Ministry warns of AI scams", "deepfake")).toBe(false);
    expect(matchesQuery("anything", "  ")).toBe(true);
  });
});
