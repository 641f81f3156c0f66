// Observable Framework configuration. The site must build and run with no third-party host: no remote
// stylesheets (globalStylesheets: []), a Khmer web font served by the site itself (fonts.js), and every
// library imported from node_modules. The quarterly report routes are listed from the export's build date.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fontFaceStyle } from "./fonts.js";
import { dynamicPaths, sidebarPages } from "./routes.js";
import { canonical, editionOf, twinOf } from "./src/components/editions.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const exportsDir = process.env.OBSERVATORY_EXPORTS_DIR ?? path.resolve(here, "../data/exports");

const catalogue = JSON.parse(readFileSync(path.join(here, "src", "i18n", "messages.json"), "utf8")).messages;

/** A catalogue string for the config's own HTML (sidebar, head, header); the pages use components/i18n.js. */
function message(key, lang) {
  const text = catalogue[key]?.[lang];
  if (!text) throw new Error(`site/src/i18n/messages.json has no ${lang} string for ${key}`);
  return text;
}

const escapeAttr = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function sidebar(lang) {
  const prefix = lang === "km" ? "/km" : "";
  const key = (p) => `title.${p.slice(1).replace(/\/$/, "/index")}`;
  // The English sidebar keeps each page's Khmer name beside its English one, as before the Khmer edition.
  const name = (p) => (lang === "km" ? message(key(p), "km") : `${message(key(p), "en")} · ${message(key(p), "km")}`);
  return sidebarPages.map((p) => ({ name: name(p), path: `${prefix}${p}` }));
}

/** "../../" from a page at `pagePath` back to the site's root. */
function rootPrefix(pagePath) {
  const depth = Math.max(0, pagePath.split("/").length - 2);
  return depth === 0 ? "./" : "../".repeat(depth);
}

/** The edition's marks in the head: lang on <html>, the edition and root for the scripts, hreflang links. */
function editionHead(pagePath) {
  const lang = editionOf(pagePath);
  const root = rootPrefix(pagePath);
  const here = canonical(pagePath);
  const en = lang === "en" ? here : canonical(twinOf(pagePath));
  const km = lang === "km" ? here : canonical(twinOf(pagePath));
  return (
    `<script>document.documentElement.lang="${lang}"</script><meta name="observatory-edition" content="${lang}">` +
    `<meta name="observatory-root" content="${root}">` +
    // "external" keeps Framework from treating the alternates as files to copy; the hrefs are already relative.
    `<link rel="alternate external" hreflang="en" href="${root}${en.slice(1)}"><link rel="alternate external" hreflang="km" href="${root}${km.slice(1)}">`
  );
}

/**
 * The language switch (to the same page in the other edition) and, on Khmer pages, the Khmer-digits toggle.
 * The link takes the reader's current anchor when clicked, by an inline handler: it works before (and
 * without) the page's modules have loaded, which a listener added by a module did not on a busy machine.
 */
function editionSwitch(pagePath) {
  const lang = editionOf(pagePath);
  const other = lang === "km" ? "en" : "km";
  const target = `${rootPrefix(pagePath)}${canonical(twinOf(pagePath)).slice(1)}` || "./";
  const toggle =
    lang === "km"
      ? `<label class="digits-toggle"><input type="checkbox" data-khmer-digits checked> ${message("ui.khmerDigits", "km")}</label>`
      : "";
  return (
    `<nav class="edition-switch" aria-label="${escapeAttr(message("ui.languageSwitch", lang))}">` +
    `<a data-edition-switch hreflang="${other}" lang="${other}" href="${target}" onclick="this.hash = ` +
    `location.hash">${message("ui.otherEdition", lang)}</a>${toggle}</nav>`
  );
}

export default {
  root: "src",
  output: "dist",
  title: "Cambodia National AI Observatory",
  // The sidebar's title link is a fixed-height flex row: a Khmer label beside the name wraps into the close
  // button, so the Khmer for "Overview" is on the overview page's heading instead.
  home: "Cambodia National AI Observatory",
  style: "style.css",
  globalStylesheets: [],
  // One sidebar for both editions: the English pages, then the Khmer edition as a section of its own.
  pages: [
    ...sidebar("en"),
    {
      name: message("nav.khmerEdition", "km"),
      open: false,
      pages: [{ name: message("nav.khmerHome", "km"), path: "/km/" }, ...sidebar("km")],
    },
  ],
  dynamicPaths: () => dynamicPaths(exportsDir),
  head: ({ path }) =>
    `<link rel="icon" href="data:,"><meta name="description" content="${escapeAttr(message("site.description", editionOf(path)))}">` +
    editionHead(path) +
    fontFaceStyle(path),
  header: ({ path }) => editionSwitch(path),
  footer: ({ path }) => message("site.footer", editionOf(path)),
  // TypeScript loaders run in one Node process with tsx's loader hook, not through the tsx command (which
  // starts a second Node for every loader): half the time per loader, and the site has two dozen.
  interpreters: { ".ts": ["node", "--import", "tsx/esm"] },
  pager: false,
  search: false,
  toc: false,
};
