// The shortcuts that make tagging cheap (sources/taxonomy.ts) must not change a single result: words
// split without ICU must be ICU's words, and an English term decided or ruled out from the text's Latin
// words must match exactly where its pattern does.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadTaxonomy, tagText, textWords, type Taxonomy } from "../../sources/taxonomy.js";
import { words } from "../../sources/text.js";
import { seeded } from "../../bench/generate.js";
import { repoRoot } from "../helpers.js";

// Characters of every kind news text holds, and some it rarely does: ASCII letters and digits, the
// characters that join a word across them (. , ; : ' ’ ·), punctuation, spaces, zero-width characters,
// accented and other Latin letters, Khmer letters, signs and digits, combining marks, other scripts, emoji.
const pools = [
  "abcxyzABCXYZ",
  "0123456789",
  ".,;:'\u2018\u2019\u00B7_",
  '!"#$%&()*+-/<=>?@[\\]^`{|}~\u201C\u201D\u2013\u2014\u2026\u00AB\u00BB',
  "   \u00A0\t\n",
  "\u200B\u200C\u200D\u2060\uFEFF",
  "\u00C0\u00E9\u00F1\u00DF\u0130\u0131\u017F\u01C4\u01C5\u0149\u00AA\u00BA\u00D7\u00F7\u0250\u024F",
  "\u1780\u1781\u1784\u179A\u179F\u17B6\u17B7\u17BB\u17C1\u17C6\u17C7\u17D2\u178A\u178F\u17E0\u17E9\u17D4\u17D5\u19E0",
  "\u0301\u0308\u20E3",
  "\u0430\u0431\u03B1\u05D0\u0E01\u0E32\u3042\u4E00",
  "\u{1F600}\u{1F1F0}\u{1F1ED}\u00A9\u200E\u202E",
].map((p) => [...p]);
const khmerWords = ["ការឆបោក", "បញ្ញាសិប្បនិម្មិត", "យុទ្ធសាស្ដ្រជាតិស្ដីពី", "គ្រូពេទ្យ", "ក្នុង"];

function randomText(random: () => number, poolCount: number): string {
  let text = "";
  const length = Math.floor(random() * 30);
  for (let i = 0; i < length; i++) {
    if (random() < 0.08) text += khmerWords[Math.floor(random() * khmerWords.length)];
    else {
      const pool = pools[Math.floor(random() * poolCount)];
      text += pool[Math.floor(random() * pool.length)];
    }
  }
  return text;
}

describe("Words without ICU", () => {
  it("are ICU's words on random text of every kind, and on mostly Latin text", () => {
    let compared = 0;
    const differ: string[] = [];
    for (const poolCount of [pools.length, 4, 7]) {
      const random = seeded(poolCount);
      for (let n = 0; n < 6000; n++) {
        const text = randomText(random, poolCount);
        const [fast, icu] = [textWords(text), words(text)];
        if (JSON.stringify(fast) !== JSON.stringify(icu)) differ.push(text);
        compared += icu.length;
      }
    }
    expect(differ).toEqual([]);
    expect(compared).toBeGreaterThan(50_000);
  });

  it("are ICU's words for every character up to U+202F between letters, digits and spaces", () => {
    const differ: string[] = [];
    for (let c = 0; c < 0x2030; c++) {
      if (c >= 0xd800 && c < 0xe000) continue;
      const ch = String.fromCharCode(c);
      for (const context of ["a#b", "1#2", "a#1", "1#a", "#a", "a#", "#", "##", "a##b", "x #y", "ab.#cd"]) {
        const text = context.replaceAll("#", ch);
        if (JSON.stringify(textWords(text)) !== JSON.stringify(words(text))) differ.push(`U+${c.toString(16)} in ${context}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("split Latin words on the joining rules and send Khmer to ICU", () => {
    expect(textWords("Don't miss U.S.A. data: 3.5% of 1,000 e-gov sites; Cambodia’s AI")).toEqual([
      "don't",
      "miss",
      "u.s.a",
      "data",
      "3.5",
      "of",
      "1,000",
      "e",
      "gov",
      "sites",
      "cambodia’s",
      "ai",
    ]);
    expect(textWords("ការប្រើAIក្នុងវិស័យសាធារណៈ, AI-powered")).toEqual([...words("ការប្រើAIក្នុងវិស័យសាធារណៈ"), "ai", "powered"]);
  });
});

describe("Shortcuts for English terms", () => {
  it("are only ever folded onto by characters that lower-case to them, or by ſ", () => {
    const folded: string[] = [];
    for (let c = 0x80; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c < 0xe000) continue;
      const ch = String.fromCodePoint(c);
      if (/^[a-z]$/iu.test(ch) && !/^[a-z]$/.test(ch.toLowerCase())) folded.push(ch);
    }
    expect(folded).toEqual(["\u017F"]);
  });

  it("never change the tags: the taxonomy with and without them tags random text alike", async () => {
    const taxonomy = await loadTaxonomy(path.join(repoRoot, "sources", "taxonomy.yaml"));
    const withoutNeedles: Taxonomy = {
      dimensions: taxonomy.dimensions.map((d) => ({
        ...d,
        tags: d.tags.map((t) => ({ ...t, terms: t.terms.map(({ term, pattern, letters }) => ({ term, pattern, letters })) })),
      })),
    };
    const terms = taxonomy.dimensions.flatMap((d) => d.tags.flatMap((t) => t.terms.map((term) => term.term.replace(/\*$/, ""))));
    const glue = [" ", "", "-", ", ", "s ", "ing ", "’s ", " A.I. ", "\u017F", "\u212A", "é", "AI", "ក", "\u0301", "\u200B"];
    const random = seeded(5);
    const differ: string[] = [];
    let tagged = 0;
    for (let n = 0; n < 3000; n++) {
      let text = "";
      for (let i = Math.floor(random() * 8); i > 0; i--) {
        const term = terms[Math.floor(random() * terms.length)];
        const form = random();
        if (form < 0.2) text += term.toUpperCase();
        else if (form < 0.35) text += term.replace(/ /g, "-");
        else if (form < 0.45) text += term.replace(/-/g, "");
        else if (form < 0.5)
          text += term.replace(/k/gi, "\u212A"); // the Kelvin sign, which case folding reads as k
        else if (form < 0.55)
          text += term.replace(/s/g, "\u017F"); // ſ, read as s
        else text += term;
        text += glue[Math.floor(random() * glue.length)];
      }
      const tags = tagText(taxonomy, text);
      if (JSON.stringify(tags) !== JSON.stringify(tagText(withoutNeedles, text))) differ.push(text);
      if (tags.length) tagged++;
    }
    expect(differ).toEqual([]);
    expect(tagged).toBeGreaterThan(2000);
  });
});
