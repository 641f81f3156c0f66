/// <reference lib="dom" />
// What the browser tests of both editions share: the pages the site has, and how a visit watches a page.
import type { Page } from "playwright-core";

/** The quarterly report the tests open. */
export const quarter = "2025-Q3";

/** Every page of the English edition (its Khmer twin is `km/` + the same route). */
export const pages = [
  "",
  "indicators",
  "strategy",
  "governance",
  "incidents",
  "report",
  "report-status",
  "publications",
  "use-cases",
  "news",
  "open-data",
  "methodology",
  "reports/",
  `reports/${quarter}`,
  "reports/end-2026",
  "reports/end-2028",
];

/**
 * Records, from now on, every console error or warning, page error, failed request, HTTP error, request to
 * another host than `origin`, and dialog (dismissed) on the page.
 */
export function watchProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed request: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith("data:") && !url.startsWith("blob:") && new URL(url).origin !== origin)
      problems.push(`third-party request: ${url}`);
  });
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

/** Framework renders cells after the module loads; wait until the main column has settled. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector("#observablehq-main h1") && !document.querySelector(".observablehq--loading"));
}

/**
 * Whether the page visits keep a full-page screenshot of each page for a person to look at
 * (OBSERVATORY_TEST_SCREENSHOTS=1). Off by default: encoding them was a fifth of the browser tests' time,
 * and no test reads them.
 */
const keepScreenshots = process.env.OBSERVATORY_TEST_SCREENSHOTS === "1";

/** Saves a full-page screenshot of the page as `file` (a PNG in a folder that exists) when keepScreenshots. */
export async function screenshot(page: Page, file: string): Promise<void> {
  if (keepScreenshots) await page.screenshot({ path: file, fullPage: true });
}
