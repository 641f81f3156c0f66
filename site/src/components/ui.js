// Shared page furniture: safe links, number and date formats, the offline-snapshot banner, "last updated",
// and chart cards that name their source and date and offer their data as CSV. Everything renders through
// htl's `html`, which escapes interpolated text, so scraped titles stay text (docs/architecture.md rule 7).
import { html } from "htl";
import * as d3 from "d3";
import { digits, formatDay, lang, num, t, withData } from "./i18n.js";

export { countTick, dateTick, digits, heading, lang, num, rich, t, text, withData, yearTick } from "./i18n.js";

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const palette = {
  blue: "#0072B2",
  orange: "#E69F00",
  green: "#009E73",
  vermillion: "#D55E00",
  sky: "#56B4E9",
  purple: "#CC79A7",
  yellow: "#F0E442",
  black: "#000000",
  grey: "#999999",
};
export const categorical = [
  palette.blue,
  palette.orange,
  palette.green,
  palette.vermillion,
  palette.sky,
  palette.purple,
  palette.black,
  palette.yellow,
];

/** Measure and event states, in the order legends list them; each with a colour and a Plot symbol. */
export const measureStates = ["done", "in progress", "not started", "overdue", "cancelled"];
export const measureStateColors = [palette.green, palette.blue, palette.grey, palette.vermillion, palette.purple];
export const eventStates = ["done", "planned", "slipped", "unconfirmed", "cancelled", "undated"];
export const eventStateColors = [palette.green, palette.orange, palette.vermillion, palette.sky, palette.purple, palette.grey];
export const eventStateSymbols = ["circle", "diamond2", "times", "triangle2", "square", "square2"];

/** The URL if it is an absolute http(s) URL, else null: no javascript:, data: or relative links from data. */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  const u = url.trim();
  return /^https?:\/\/[^\s<>"]+$/i.test(u) ? u : null;
}

/** A link when the URL is http(s); otherwise the text alone (the URL shown as text if there is no text). */
export function link(url, text) {
  const href = safeUrl(url);
  const label = text ?? url ?? "";
  return href ? html`<a href=${href} rel="noopener noreferrer">${label}</a>` : html`<span data-content>${label}</span>`;
}

export function hostname(url) {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return String(url ?? "");
  }
}

/** An ISO day as the edition reads it (ISO in English, Khmer month names in Khmer); see i18n.js formatDay. */
export const day = formatDay;

/** A readable value: 18.4 bn, 2.3 m, 60.72. */
export function formatValue(v) {
  if (v == null || Number.isNaN(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1e9) return `${digits((v / 1e9).toFixed(1))} ${t("unit.billion")}`;
  if (a >= 1e6) return `${digits((v / 1e6).toFixed(1))} ${t("unit.million")}`;
  if (lang === "km") return a >= 1e4 ? num(v, { maximumFractionDigits: 0 }) : num(v, { maximumSignificantDigits: 4 });
  if (a >= 1e4) return d3.format(",.0f")(v);
  return d3.format(",.4~r")(v);
}

/** "+3.1 pts since 2022" for percentages, "+5.2% since 2022" otherwise; null when there is no previous value. */
export function formatChange({ value, previous_value, previous_period, unit }) {
  if (previous_value == null || value == null) return null;
  const diff = value - previous_value;
  const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
  const isPct = /%/.test(unit ?? "");
  const text = isPct
    ? `${sign}${digits(d3.format(".2~f")(Math.abs(diff)))} ${t("unit.points")}`
    : previous_value !== 0
      ? `${sign}${digits(d3.format(".1~f")(Math.abs((diff / Math.abs(previous_value)) * 100)))}%`
      : `${sign}${formatValue(Math.abs(diff))}`;
  return {
    text: t("ui.changeSince", { change: text, period: digits(previous_period) }),
    direction: diff > 0 ? "up" : diff < 0 ? "down" : "flat",
  };
}

/** Cells that a spreadsheet would run as a formula are prefixed with ' (OWASP CSV injection advice). */
function csvCell(v) {
  if (v == null) return "";
  if (Array.isArray(v)) v = v.join("; ");
  else if (v instanceof Date) v = v.toISOString();
  else if (typeof v === "object") v = JSON.stringify(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(v)) return `'${v}`;
  return v;
}

/** Rows (objects) → CSV text, with a byte-order mark so spreadsheets read Khmer as UTF-8. */
export function toCsv(rows) {
  const clean = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, csvCell(v)])));
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return `\uFEFF${d3.csvFormat(clean, columns)}\n`;
}

/**
 * A link that downloads `rows` as `<name>.csv`. The file is made when the link is clicked, so a filtered
 * view downloads what it shows (`rows` may be a function returning the current rows).
 */
export function downloadCsv(rows, name, label = t("ui.downloadCsv")) {
  const file = `${String(name).replace(/[^\w.-]+/g, "-")}.csv`;
  const a = html`<a class="download" href="#" download=${file} aria-label=${`${label}: ${file}`}>${label}</a>`;
  a.addEventListener("click", () => {
    const data = typeof rows === "function" ? rows() : rows;
    const url = URL.createObjectURL(new Blob([toCsv(data ?? [])], { type: "text/csv;charset=utf-8" }));
    a.href = url;
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
  return a;
}

/** Where the figures come from: a list of {title, url} (or a string), rendered as links where http(s). */
function sourceList(source) {
  const list = (Array.isArray(source) ? source : [source]).filter(Boolean);
  return list.map((s, i) => html`${i ? "; " : ""}${typeof s === "string" ? html`<span data-content>${s}</span>` : link(s.url, s.title)}`);
}

/**
 * A chart in a card: title, optional subtitle, the chart, then its source, the date of its data and a CSV
 * download of the rows it draws.
 */
export function chartCard({ title, subtitle, chart, rows, filename, source, date, note }) {
  return html`<figure class="card chart-card">
    <h3>${title}</h3>
    ${subtitle ? html`<p class="chart-subtitle">${subtitle}</p>` : ""}
    ${chart}
    <figcaption class="chart-meta">${t("ui.source")} ${sourceList(source)}. ${t("ui.dataAsOf", { date: day(date) })}${note ? html` ${note}` : ""}
      ${rows ? downloadCsv(rows, filename ?? title) : ""}</figcaption>
  </figure>`;
}

/** The banner every page shows when some figures come from the bundled offline snapshot (rule 8). */
export function snapshotBanner(status) {
  const snap = (status?.runs ?? []).filter((r) => r.from_snapshot);
  const none = (status?.runs ?? []).filter((r) => r.enabled !== false && !r.data_as_of);
  if (snap.length === 0 && none.length === 0) return document.createDocumentFragment();
  const dates = [...new Set(snap.map((r) => day(r.data_as_of)))].sort();
  const figures = withData("ui.snapshotFigures", { sources: snap.map((r) => r.title).join("; "), dates: dates.join(", ") });
  return html`<div class="banner" role="status" aria-label=${t("ui.aboutThisData")}>
    ${snap.length ? html`<p><strong>${t("ui.offlineSnapshot")}</strong> ${figures}</p>` : ""}
    ${none.length ? html`<p>${withData("ui.noDataYet", { n: none.length, sources: none.map((r) => r.title).join("; ") })}</p>` : ""}
  </div>`;
}

/** "Last updated" line: the day the data was built, and the newest capture behind the page. */
export function lastUpdated(asOf, newest) {
  const iso = (d) => (d ? String(d).slice(0, 10) : "");
  const capture = newest ? html`; ${t("ui.newestCapture")} <time datetime=${iso(newest)}>${day(newest)}</time>` : "";
  return html`<p class="last-updated">${t("ui.dataBuilt")} <time datetime=${iso(asOf)}>${day(asOf)}</time>${capture}${t("ui.fullStop")}</p>`;
}

/** A chart whose colour legend names data values (harm types from the taxonomy): its swatches are marked data-content. */
export function legendAsData(figure) {
  for (const el of figure.querySelectorAll?.("[class*='-swatches']") ?? []) el.dataset.content = "";
  return figure;
}

/** Tags as small labelled chips; `labels` maps tag ids to names (the taxonomy's own words: data, hence data-content). */
export function tags(list, kind, labels = {}) {
  return (list ?? []).map((t) => html`<span class=${`tag ${kind}`} data-content>${labels[t] ?? t}</span>`);
}

export function statusBadge(state) {
  return html`<span class=${`status ${String(state).replace(/\s+/g, "-")}`}>${stateLabel(state)}</span>`;
}

/** A table of rows with named columns: [{label, value: (row) => node|string, num?}]; on a phone each row stacks as a card (style.css). */
export function dataTable(rows, columns, { caption } = {}) {
  const cell = (r, c) =>
    html`<td class=${c.num ? "num" : ""} data-label=${c.label} data-content=${c.content ? "" : null}>${c.value(r)}</td>`;
  return html`<div class="table-wrap"><table class="data">
    ${caption ? html`<caption class="small muted" style="text-align:left">${caption}</caption>` : ""}
    <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.num ? "num" : ""}>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${columns.map((c) => cell(r, c))}</tr>`)}</tbody>
  </table></div>`;
}

/** What every page starts with: the offline-snapshot banner and the "last updated" line. */
export function pageTop(runs, newest) {
  return html`<div class="page-top">${snapshotBanner(runs)}${lastUpdated(runs?.as_of, newest ?? runs?.newest_capture)}</div>`;
}

/** Said plainly when a list has nothing in it, rather than an empty chart or table. */
export function empty(text) {
  return html`<p class="empty" role="note">${text}</p>`;
}

/** Progress words for the reports (measures_quarterly's vocabulary), with colours in the Okabe–Ito set. */
export const progressLabels = Object.fromEntries(
  ["done", "on_track", "slipping", "overdue", "not_started", "not_due", "undated", "cancelled"].map((p) => [p, t(`progress.${p}`)]),
);

/** A measure's or event's status ("in progress", "slipped") in the reader's language; unknown ones as they are. */
export function stateLabel(state) {
  const key = `state.${String(state).replace(/\s+/g, "_")}`;
  return stateKeys.has(key) ? t(key) : String(state);
}
const stateKeys = new Set(
  [...measureStates, ...eventStates, "never run", "ok", "failed", "skipped"].map((s) => `state.${s.replace(/\s+/g, "_")}`),
);
export const progressColors = {
  done: palette.green,
  on_track: palette.blue,
  slipping: palette.orange,
  overdue: palette.vermillion,
  not_started: palette.grey,
  not_due: palette.sky,
  undated: palette.black,
  cancelled: palette.purple,
};

/** Links for a list of URLs, only the http(s) ones as links, each labelled by its host. */
export function links(urls) {
  const list = (urls ?? []).filter(Boolean);
  if (!list.length) return html`<span class="muted">${t("ui.none")}</span>`;
  return html`<ul class="links">${list.map((u) => html`<li>${link(u, safeUrl(u) ? hostname(u) : u)}</li>`)}</ul>`;
}

/** A stable id for an element from a key such as "sheet:hun-sen-deepfake". */
export function slug(key) {
  return String(key ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Bytes as "12.3 kB". */
export function formatBytes(n) {
  if (n == null) return "—";
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A chart's width inside a card from Framework's `width` (0 before the first layout, hence the floor). */
/**
 * Whole-number ticks for a count axis, 0 to max in at most about eight steps: with `tickFormat: "d"` alone,
 * Plot's fractional ticks on a small count (0, 0.5, 1…) print as 0, 1, 1, 2, 2.
 */
export function countTicks(max) {
  const top = Math.max(1, Math.ceil(Number(max) || 0));
  return d3.range(0, top + 1, Math.max(1, Math.ceil(top / 8)));
}

export function chartWidth(width) {
  return Math.max(280, Math.min(width || 0, 1100) - 34);
}
