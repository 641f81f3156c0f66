import { describe, expect, it } from "vitest";
import { canonicalUrl, htmlToText, khmerDigitsToAscii, normaliseText, parseKhmerDate, truncateText, words } from "../../sources/text.js";

describe("Text normalisation", () => {
  it("drops zero-width characters, collapses whitespace and composes to NFC", () => {
    expect(normaliseText("  ក្រសួង\u200Bប្រៃសណីយ៍\u200C \n\t និង\u200D\uFEFF ")).toBe("ក្រសួងប្រៃសណីយ៍ និង");
    expect(normaliseText("Cafe\u0301")).toBe("Café");
  });

  it("turns Khmer digits into ASCII digits and leaves everything else alone", () => {
    expect(khmerDigitsToAscii("ឆ្នាំ២០២៤ ខែ១២ and 7")).toBe("ឆ្នាំ2024 ខែ12 and 7");
  });

  it("reads HTML as plain text, dropping scripts and keeping block boundaries", () => {
    expect(htmlToText("<p>One&#8230;</p><p>Two<script>alert(1)</script></p><style>p{}</style>AT&amp;T")).toBe("One… Two AT&T");
    expect(htmlToText("no markup at all")).toBe("no markup at all");
  });

  it("truncates long text at a word boundary and marks the cut", () => {
    expect(truncateText("short", 10)).toBe("short");
    expect(truncateText("alpha beta gamma delta epsilon", 20)).toBe("alpha beta gamma…");
  });
});

describe("Word segmentation", () => {
  it("splits the Khmer title of the national AI strategy into its six words", () => {
    expect(words("យុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត")).toEqual(["យុទ្ធសាស្ត្រ", "ជាតិ", "ស្តី", "ពី", "បញ្ញា", "សិប្បនិម្មិត"]);
  });

  it("segments the same whether a writer used subscript DA or TA, or inserted zero-width spaces", () => {
    const plain = words("យុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត");
    expect(words("យុទ្ធសាស្ត្រជាតិស្ដីពីបញ្ញាសិប្បនិម្មិត")).toEqual(plain);
    expect(words("យុទ្ធសាស្ត្រ\u200Bជាតិ\u200Bស្តីពី\u200Bបញ្ញាសិប្បនិម្មិត")).toEqual(plain);
  });

  it("lower-cases English words and leaves punctuation and spaces out", () => {
    expect(words("AI-powered Chatbots, in Phnom Penh!")).toEqual(["ai", "powered", "chatbots", "in", "phnom", "penh"]);
  });

  it("handles mixed Khmer and English text", () => {
    expect(words("ការស្រាវជ្រាវ AI ក្នុងវិស័យសាធារណៈ")).toEqual(["ការស្រាវជ្រាវ", "ai", "ក្នុង", "វិស័យ", "សាធារណៈ"]);
  });
});

describe("Date parsing", () => {
  it.each([
    ["០៦ ធ្នូ ២០២៤", "2024-12-06"],
    ["ថ្ងៃទី៦ ខែធ្នូ ឆ្នាំ២០២៤", "2024-12-06"],
    ["ថ្ងៃសុក្រ ទី២៣ ខែមេសា ឆ្នាំ២០២៥", "2025-04-23"],
    ["១ មករា ២០២៥", "2025-01-01"],
    ["២៨ កុម្ភៈ ២០២៥", "2025-02-28"],
    ["១៥ កក្កដា ២០២៥", "2025-07-15"],
    ["30 វិច្ឆិកា 2024", "2024-11-30"],
    ["December 6, 2024", "2024-12-06"],
    ["Dec. 6th, 2024", "2024-12-06"],
    ["6 Dec 2024", "2024-12-06"],
    ["6 December 2024", "2024-12-06"],
    ["Sept 3 2024", "2024-09-03"],
    ["2024-12-06", "2024-12-06"],
    ["Phnom Penh, 6 December 2024", "2024-12-06"],
    ["Posted on May 5, 2025 by admin", "2025-05-05"],
  ])("reads %s as %s", (text, iso) => {
    expect(parseKhmerDate(text)).toBe(iso);
  });

  it.each([["no date here"], ["30 កុម្ភៈ 2024"], ["31 June 2024"], ["2024-13-01"], ["Monday 6, 2024"]])(
    "finds no valid date in %s",
    (text) => {
      expect(parseKhmerDate(text)).toBeNull();
    },
  );
});

describe("Canonical URLs", () => {
  it("lower-cases the host, drops the fragment, tracking parameters and trailing slash, and sorts the rest", () => {
    expect(
      canonicalUrl("HTTPS://News.Example.KH/a/b/?utm_source=rss&b=2&a=1&fbclid=x&gclid=y&mc_cid=1&mc_eid=2&ref=tw&igshid=3&_ga=4#comments"),
    ).toBe("https://news.example.kh/a/b?a=1&b=2");
  });

  it("keeps the root slash and removes a question mark left without parameters", () => {
    expect(canonicalUrl("https://example.kh/")).toBe("https://example.kh/");
    expect(canonicalUrl("https://example.kh/?utm_medium=feed")).toBe("https://example.kh/");
  });

  it("keeps the trailing slash when asked, for URLs that will be fetched", () => {
    expect(canonicalUrl("https://mptc.gov.kh/en/news/page/2/#top", { keepTrailingSlash: true })).toBe(
      "https://mptc.gov.kh/en/news/page/2/",
    );
  });

  it("drops credentials in the URL", () => {
    expect(canonicalUrl("https://user:secret@example.kh/p")).toBe("https://example.kh/p");
  });

  it.each([
    ["javascript:alert(1)"],
    ["data:text/html,<script>x</script>"],
    ["mailto:press@example.kh"],
    ["ftp://example.kh/file"],
    ["not a url"],
    [""],
  ])("refuses %s because only http(s) links are allowed", (url) => {
    expect(canonicalUrl(url)).toBeNull();
  });
});
