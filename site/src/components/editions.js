// The two editions of the site: English at the root, Khmer under /km/, built from the same page sources
// (src/km/*.md.js print the English page's source, so a page's layout is written once). Pure functions of
// a Framework page path ("/indicators", "/km/reports/2025-Q1"), used by the config (sidebar, head,
// header), the Khmer page loaders and the browser (the language switch).

export const languages = ["en", "km"];
export const khmerPrefix = "/km";

/** "km" for a page under /km/, else "en". */
export function editionOf(pagePath) {
  return pagePath === khmerPrefix || pagePath.startsWith(`${khmerPrefix}/`) ? "km" : "en";
}

/** The same page in the other edition: "/indicators" ⇄ "/km/indicators", "/" ⇄ "/km/". */
export function twinOf(pagePath) {
  if (editionOf(pagePath) === "km") return pagePath.slice(khmerPrefix.length) || "/";
  return `${khmerPrefix}${pagePath}`;
}

/** The page path in one edition: pathIn("/strategy", "km") is "/km/strategy". */
export function pathIn(pagePath, lang) {
  return editionOf(pagePath) === lang ? pagePath : twinOf(pagePath);
}

/** Framework's page path without a trailing "/index" ("/km/reports/index" is "/km/reports/"). */
export function canonical(pagePath) {
  return pagePath.replace(/\/index$/, "/");
}
