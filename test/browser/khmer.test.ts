/// <reference lib="dom" />
// Callbacks passed to page.evaluate and waitForFunction run in the browser, hence the DOM types.
// The Khmer edition in a real headless Chromium: the run's shared offline export and site (test/shared-site.ts:
// the snapshot through the real activities, a real Khmer headline from the recorded Khmer RSS fixture added
// to its exports, the real Framework build), served on loopback. Every Khmer page must load cleanly at desktop and
// phone widths with every string from the catalogue, Khmer drawn by the site's own Khmer font, Khmer digits
// that the reader can turn off, a language switch that keeps the page and anchor, and Khmer search.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "../../scripts/lib/static-server.js";
import { launchChromium } from "../browser-launch.js";
import { sharedSite } from "../shared-site.js";
import { pages, screenshot, settled, watchProblems } from "./site-pages.js";

const screenshots = path.join(os.tmpdir(), "observatory-test-results", "screenshots-km");
const khmerDigits = /[០-៩]/;

let dist: string;
let headline: string;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

beforeAll(async () => {
  ({ dist, headline } = await sharedSite());
  server = await serveStatic(dist);
  browser = await launchChromium();
  await fs.mkdir(screenshots, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Visit {
  page: Page;
  problems: string[];
}

/** Opens a page and records every console error or warning, page error, failed request and other host. */
async function visit(route: string, width = 1280, page?: Page): Promise<Visit> {
  page ??= await browser.newPage({ viewport: { width, height: 900 } });
  const problems = watchProblems(page, new URL(server.url).origin);
  await page.goto(new URL(route, server.url).href, { waitUntil: "networkidle" });
  await settled(page);
  return { page, problems };
}

/** The catalogue keys the page looked up and did not find, and any ⟦…⟧ mark of a missing string on it. */
async function missingStrings(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const keys = ((globalThis as { __observatoryMissingKeys?: string[] }).__observatoryMissingKeys ?? []).map((k) => `key ${k}`);
    const marks = (document.body.innerText.match(/⟦[^⟧]*⟧/g) ?? []).map((m) => `shown ${m}`);
    return [...keys, ...marks];
  });
}

/** How many glyphs of the element's text Chromium drew with the site's own Noto Sans Khmer web font. */
async function khmerWebFontGlyphs(page: Page, selector: string): Promise<{ glyphs: number; fonts: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("DOM.enable");
  await cdp.send("CSS.enable");
  const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
  const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
  const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
  const glyphs = fonts.filter((f) => f.familyName === "Noto Sans Khmer" && f.isCustomFont).reduce((n, f) => n + f.glyphCount, 0);
  return { glyphs, fonts: fonts.map((f) => `${f.familyName}${f.isCustomFont ? " (web font)" : ""}`).join(", ") };
}

/**
 * Runs of three or more Latin-letter words in the main column's visible text, outside what the page marks as
 * data (`data-content`: titles, names and sources as the data gives them), code, charts' SVG (tick labels are
 * data; axis labels come from the catalogue) and external links (whose text is a document's or outlet's own
 * title). Acronyms, identifiers (with _ or digits) and the tool names the Khmer text keeps (NAIS, UNESCO,
 * CSV, pandas…) are not words here, so a Khmer sentence naming two of them passes and an English phrase fails.
 */
async function untranslatedRuns(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const kept =
      /^(?:[A-Z0-9][A-Z0-9&-]*s?|AI|ICT|PDF|CSV|Parquet|DuckDB|JSON|URL|GitHub|GDP|USD|KHR|km|en|R-XXXX-XXXX|YYYY(?:-MM(?:-DD)?)?|https?|www|org|com)$/;
    const names = /Frictionless Data Package|Responsible AI Collaborative|Noto Sans Khmer|Python|pandas|pyarrow|Polars|arrow/g;
    const outside = "[data-content], code, pre, script, style, svg, a[href^='http'], [hidden], [aria-hidden='true']";
    const main = document.querySelector("#observablehq-main")!;
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    const runs: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (el.closest(outside) || el.getClientRects().length === 0) continue;
      // Tokens split at spaces and punctuation, not at _ . - or digits, so an identifier or a URL is one token.
      const tokens = (node.textContent ?? "")
        .replace(names, " NAIS ")
        .split(/[^A-Za-z0-9_.'’-]+/)
        .map((w) => w.replace(/^[.'’-]+|[.'’-]+$/g, ""));
      const words = tokens.filter((w) => /[A-Za-z]{2,}/.test(w) || /[0-9_]/.test(w)).map((w) => (/[0-9_.]/.test(w) ? "NAIS" : w));
      let run: string[] = [];
      for (const w of [...words, "NAIS"]) {
        if (!kept.test(w)) run.push(w);
        else {
          if (run.length >= 3) runs.push(run.join(" "));
          run = [];
        }
      }
    }
    return runs;
  });
}

const htmlFile = (route: string) => (route.endsWith("/") ? `${route}index.html` : `${route || "index"}.html`);

describe("The Khmer edition in Chromium", { timeout: 120_000 }, () => {
  it("builds a Khmer twin of every English page and of every quarterly report", async () => {
    for (const route of pages) await expect(fs.stat(path.join(dist, "km", htmlFile(route)))).resolves.toBeTruthy();
    const english = (await fs.readdir(path.join(dist, "reports"))).filter((f) => f.endsWith(".html")).sort();
    const khmer = (await fs.readdir(path.join(dist, "km", "reports"))).filter((f) => f.endsWith(".html")).sort();
    expect(khmer).toEqual(english);
    expect(khmer).toContain("2026-Q4.html");
  });

  // Several pages at a time, each in its own tab (as in site.test.ts); concurrent tests use their context's expect.
  for (const route of pages) {
    it.concurrent(
      `loads /km/${route} at 1280 and 360 px in Khmer with no errors, no missing string and no overflow`,
      async ({ expect }) => {
        for (const width of [1280, 360]) {
          const { page, problems } = await visit(`km/${route}`, width);
          try {
            expect(problems).toEqual([]);
            expect(await page.locator(".observablehq--error").count()).toBe(0);
            expect(await missingStrings(page)).toEqual([]);
            // Nothing the page itself writes is left in English (data values are marked data-content).
            if (width === 1280) expect(await untranslatedRuns(page)).toEqual([]);
            await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe("km");
            // The heading and the "data built" line are Khmer, the date with Khmer digits and a Khmer month name.
            await expect(page.locator("h1").textContent()).resolves.toMatch(/[\u1780-\u17FF]/);
            await expect(page.locator(".last-updated").first().textContent()).resolves.toMatch(/ទិន្នន័យរៀបចំនៅ [០-៩]+ វិច្ឆិកា [០-៩]{4}/);
            // hreflang alternates name both editions of this page.
            const alternates = await page
              .locator('link[rel~="alternate"][hreflang]')
              .evaluateAll((ls) => ls.map((l) => `${l.getAttribute("hreflang")} ${new URL((l as HTMLLinkElement).href).pathname}`));
            expect(alternates).toHaveLength(2);
            expect(alternates[0]).toMatch(new RegExp(`^en /${route.replace(/\/$/, "")}`));
            expect(alternates[1]).toMatch(new RegExp(`^km /km/${route.replace(/\/$/, "")}`));
            if (width === 360) {
              const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
              expect(overflow).toBeLessThanOrEqual(1);
              // Stacked subscripts need room: no Khmer text line set tighter than 1.5 times its font size.
              const tight = await page.evaluate(
                () =>
                  Array.from(document.querySelectorAll("#observablehq-main :is(h1, h2, h3, p, td, th, li, span, label)"))
                    .filter((el) => /[\u1780-\u17FF]/.test(el.textContent ?? "") && (el as HTMLElement).offsetParent !== null)
                    .map((el) => getComputedStyle(el))
                    .filter((s) => s.lineHeight !== "normal" && parseFloat(s.lineHeight) < 1.5 * parseFloat(s.fontSize)).length,
              );
              expect(tight).toBe(0);
            }
            await screenshot(page, path.join(screenshots, `km-${route.replace(/\W+/g, "_") || "index"}-${width}.png`));
          } finally {
            await page.close();
          }
        }
      },
    );
  }

  it("draws the Khmer headings with the Noto Sans Khmer web font the site serves itself", async () => {
    for (const route of ["", "strategy", "reports/end-2026"]) {
      const { page } = await visit(`km/${route}`);
      try {
        const { glyphs, fonts } = await khmerWebFontGlyphs(page, '#observablehq-main h1 span[lang="km"]');
        expect(fonts).toContain("Noto Sans Khmer (web font)");
        expect(glyphs).toBeGreaterThanOrEqual(5);
      } finally {
        await page.close();
      }
    }
  });

  it("switches to the same page and anchor in English and back", async () => {
    const { page } = await visit("km/strategy#measures");
    try {
      await page.locator("a[data-edition-switch]").click();
      await page.waitForURL(/\/strategy#measures$/);
      await settled(page);
      expect(new URL(page.url()).pathname).toBe("/strategy");
      await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe("en");
      await expect(page.locator("a[data-edition-switch]").textContent()).resolves.toBe("ភាសាខ្មែរ");
      await page.locator("a[data-edition-switch]").click();
      await page.waitForURL(/\/km\/strategy#measures$/);
      await settled(page);
      await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe("km");
    } finally {
      await page.close();
    }
  });

  it("finds a Khmer word inside the unspaced Khmer headline with the news search", async () => {
    const { page } = await visit("km/news");
    try {
      const list = page.locator("#news-list");
      await expect(list.textContent()).resolves.toContain(headline);
      await page.locator('input[type="text"]').first().fill("ឆបោក");
      await page.waitForFunction(() => document.querySelectorAll("#news-list > li").length === 1);
      await expect(list.locator("h3").first().getAttribute("lang")).resolves.toBe("km");
      await expect(list.locator("h3").first().textContent()).resolves.toBe(headline);
      // A word the headline does not have finds nothing.
      await page.locator('input[type="text"]').first().fill("សុខាភិបាលឆបោក");
      await page.waitForFunction(() => !document.querySelector("#news-list"));
    } finally {
      await page.close();
    }
  });

  it("shows Khmer digits until the reader turns them off, and remembers the choice", async () => {
    const { page } = await visit("km/");
    try {
      await expect(page.locator(".last-updated").first().textContent()).resolves.toMatch(khmerDigits);
      // Turning the digits off reloads the page: wait for that load, not for the page already shown.
      await Promise.all([page.waitForEvent("load"), page.locator("input[data-khmer-digits]").click()]);
      await page.waitForLoadState("networkidle");
      await settled(page);
      await expect(page.locator(".last-updated").first().textContent()).resolves.toMatch(/ទិន្នន័យរៀបចំនៅ \d+ វិច្ឆិកា 2026/);
      await page.reload({ waitUntil: "networkidle" });
      await settled(page);
      await expect(page.locator("input[data-khmer-digits]").isChecked()).resolves.toBe(false);
      await expect(page.locator(".last-updated").first().textContent()).resolves.not.toMatch(khmerDigits);
    } finally {
      await page.close();
    }
  });

  it("keeps machine-readable numbers and ISO dates in a CSV downloaded from a Khmer page", async () => {
    const { page } = await visit("km/news");
    try {
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a.download").last().click()]);
      const csv = await fs.readFile((await download.path())!, "utf8");
      expect(csv).toContain("2026-11-21");
      expect(csv).toContain(headline);
      expect(csv).not.toMatch(khmerDigits);
    } finally {
      await page.close();
    }
  });

  it("prints the achievement report to PDF in Khmer with the Khmer web font embedded", async () => {
    const { page } = await visit("km/reports/end-2026");
    try {
      await page.emulateMedia({ media: "print" });
      const pdf = await page.pdf({ format: "A4", printBackground: true });
      expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
      // Chromium embeds the subset of each font it drew with, named in the PDF's font dictionaries.
      expect(pdf.toString("latin1")).toMatch(/NotoSansKhmer/);
      await fs.writeFile(path.join(screenshots, "km-report-end-2026.pdf"), pdf);
    } finally {
      await page.close();
    }
  });
});
