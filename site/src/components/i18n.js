// The reader's edition (English or Khmer) and everything that depends on it: interface strings from the
// message catalogue (src/i18n/messages.json, which analysts edit), numbers and dates through Intl, and the
// Khmer-digits option. A key missing from the catalogue, or a Khmer string not yet written, is shown
// marked ⟦…⟧ and listed in window.__observatoryMissingKeys, never replaced silently by English.
import { FileAttachment } from "observablehq:stdlib";
import { html } from "htl";

const catalogue = (await FileAttachment("../i18n/messages.json").json()).messages;

/** The edition, from the page's head (the config writes it from the page path). */
export const lang = document.querySelector('meta[name="observatory-edition"]')?.content === "km" ? "km" : "en";

const missing = (globalThis.__observatoryMissingKeys ??= []);

const digitsKey = "observatory.khmerDigits";
/** Khmer digits ០–៩ in the Khmer edition unless the reader turned them off (kept in localStorage). */
export const khmerDigits = lang === "km" && readSetting(digitsKey) !== "off";

function readSetting(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage blocked: the default holds
  }
}

/**
 * The locale Intl formats numbers with: Khmer where the browser's ICU has Khmer data (Chrome, Firefox and
 * Node do; some trimmed builds such as the packaged test Chromium do not, and fall back to English grouping).
 */
const khmerLocaleData = Intl.NumberFormat.supportedLocalesOf(["km"]).length > 0;
export const locale = lang === "km" && khmerLocaleData ? "km-KH" : "en-GB";
const numberingSystem = khmerDigits ? "khmr" : "latn";

function fill(text, vars) {
  return String(text).replace(/\{(\w+)\}/g, (m, name) => (vars && name in vars ? String(vars[name]) : m));
}

function pluralForm(entry, vars) {
  if (typeof entry === "string" || vars?.n == null) return typeof entry === "string" ? entry : entry.other;
  return entry[new Intl.PluralRules(lang === "km" ? "km" : "en").select(vars.n)] ?? entry.other;
}

/**
 * The interface string `key` in the reader's language, with {name} placeholders filled from `vars` (a
 * number in `vars` is formatted for the edition; the English entry may be {one, other} for plurals).
 */
export function t(key, vars) {
  const entry = catalogue[key];
  const text = entry?.[lang];
  if (text == null || text === "") {
    missing.push(key);
    return `⟦${entry?.en ? fill(pluralForm(entry.en, vars), vars) : key}⟧`;
  }
  const shown = vars && Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === "number" ? num(v) : v]));
  return fill(pluralForm(text, vars), shown);
}

/** A number for reading, e.g. 1,234.5 or ១,២៣៤.៥ (never for CSV: downloads keep the raw values). */
export function num(v, options = {}) {
  if (v == null || Number.isNaN(v)) return "—";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2, numberingSystem, ...options }).format(v);
}

/** Latin digits → Khmer digits when the reader has them on (for text that is already formatted). */
export function digits(text) {
  return khmerDigits ? String(text).replace(/[0-9]/g, (d) => "០១២៣៤៥៦៧៨៩"[d]) : String(text);
}

/** An ISO day ("2025-06-30") as the edition reads it: ISO in English, "៣០ មិថុនា ២០២៥" in Khmer. */
export function formatDay(iso) {
  if (!iso) return t("ui.unknownDate");
  const dayPart = String(iso).slice(0, 10);
  if (lang !== "km" || !/^\d{4}-\d{2}-\d{2}$/.test(dayPart)) return dayPart;
  // Day, month name, year: the Khmer month names are the catalogue's (taken from CLDR), so every browser
  // shows the same names whether or not its ICU carries Khmer; digits through Intl's numbering systems.
  const [year, month, date] = dayPart.split("-").map(Number);
  return `${num(date, { useGrouping: false })} ${t(`month.${month}`)} ${num(year, { useGrouping: false })}`;
}

/**
 * A catalogue sentence whose {name} values are data (source titles, codes, names): each value is set in a
 * `data-content` span, so the reader and the Khmer edition's test can tell the page's words from the data's.
 */
export function withData(key, vars) {
  const marks = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === "number" ? v : `\uE000${k}\uE001`]));
  const span = html`<span></span>`;
  for (const [n, part] of t(key, marks)
    .split(/\uE000(\w+)\uE001/)
    .entries()) {
    span.append(n % 2 ? html`<span data-content>${vars[part] instanceof Node ? vars[part] : String(vars[part])}</span>` : part);
  }
  return span;
}

/** Plot tick formats for the edition (Khmer digits when the reader has them): counts, years, and UTC dates. */
export const countTick = (d) => num(d);
export const yearTick = (d) => num(d instanceof Date ? d.getUTCFullYear() : Number(d), { useGrouping: false });
export function dateTick(d) {
  if (!(d instanceof Date)) return String(d);
  const year = yearTick(d);
  if (d.getUTCMonth() === 0 && d.getUTCDate() === 1) return year;
  return lang === "km" ? `${t(`month.${d.getUTCMonth() + 1}`)} ${year}` : d.toISOString().slice(0, 7);
}

/** A heading: English with its Khmer beside it in the English edition, Khmer alone in the Khmer one. */
export function heading(key, vars) {
  if (lang === "km") return html`<span lang="km">${t(key, vars)}</span>`;
  const khmer = catalogue[key]?.km;
  return html`${t(key, vars)}${khmer ? html` <span lang="km">${fill(khmer, vars)}</span>` : ""}`;
}

/** Text of the reader's language, tagged so the Khmer font and line height apply. */
export function text(key, vars) {
  return lang === "km" ? html`<span lang="km">${t(key, vars)}</span>` : t(key, vars);
}

/**
 * A catalogue string that carries its own markup (a link, <span lang>, <strong>): the catalogue is the
 * project's reviewed text, never scraped data, so its HTML is rendered as written (docs/architecture.md rule 7
 * keeps scraped text escaped; that text never goes through here).
 */
export function rich(key, vars) {
  const span = document.createElement("span");
  span.innerHTML = t(key, vars);
  return span;
}

/** The page's path relative to the site root as Framework names it ("/km/strategy"), from the URL. */
function pagePath() {
  const here = new URL(document.baseURI);
  const root = new URL(document.querySelector('meta[name="observatory-root"]')?.content ?? "./", here);
  const rel = here.pathname.slice(root.pathname.length).replace(/\.html$/, "");
  return `/${rel}`;
}

/** The URL of a file at the site's root (downloads, fonts) from any page of either edition. */
export function rootUrl(file) {
  return new URL(`${document.querySelector('meta[name="observatory-root"]')?.content ?? "./"}${file}`, document.baseURI).href;
}

/** The Khmer-digits toggle in the header of Khmer pages: reloads so every figure is drawn again. */
function wireDigitsToggle() {
  const box = document.querySelector("input[data-khmer-digits]");
  if (!box) return;
  box.checked = khmerDigits;
  box.addEventListener("change", () => {
    try {
      localStorage.setItem(digitsKey, box.checked ? "on" : "off");
    } catch {
      // storage blocked: the toggle holds for this page only
    }
    location.reload();
  });
}

/**
 * Static Markdown cannot interpolate attributes, so a filter group names its label's key in
 * data-i18n-aria-label and gets the reader's language here.
 */
function labelStaticElements() {
  for (const el of document.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
}

document.documentElement.lang = lang;
labelStaticElements();
wireDigitsToggle();
export const currentPage = pagePath();
