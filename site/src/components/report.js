// The body of a progress report (quarterly, or the end-2026/end-2028 achievement reports): a summary of
// how the measures stand, a chart by priority, and the measures listed by priority with their evidence.
import { html } from "htl";
import { measuresByPriorityChart } from "./charts.js";
import { chartCard, dataTable, downloadCsv, links, progressColors, progressLabels, t } from "./ui.js";

export function progressCounts(measures, order) {
  return order
    .map((p) => ({ progress: p, label: progressLabels[p] ?? p, measures: measures.filter((m) => m.progress === p).length }))
    .filter((d) => d.measures > 0);
}

export function progressSummary(measures, order) {
  const counts = progressCounts(measures, order);
  return html`<ul class="report-summary">${counts.map((c) => html`<li><strong>${c.measures}</strong> ${c.label}</li>`)}</ul>`;
}

export function progressChart({ measures, priorities, order, title, date, source, filename, width }) {
  const label = new Map(priorities.map((p) => [p.priority_id, `${p.priority_id}. ${p.short_label}`]));
  const rows = measures.map((m) => ({
    priority: label.get(m.priority_id),
    measure_id: m.measure_id,
    progress: progressLabels[m.progress] ?? m.progress,
    timeframe: m.timeframe,
  }));
  const domain = order.map((p) => progressLabels[p] ?? p);
  return chartCard({
    title,
    date,
    source,
    rows,
    filename,
    chart: measuresByPriorityChart(rows, {
      width,
      priorities: priorities.map((p) => label.get(p.priority_id)),
      color: { domain, range: order.map((p) => progressColors[p]) },
      fill: "progress",
      ariaLabel: t("report.chartAria", { n: rows.length }),
      height: 40 + priorities.length * 30,
    }),
  });
}

export function measuresByPriority(measures, priorities, filename) {
  return html`${priorities
    .filter((p) => measures.some((m) => m.priority_id === p.priority_id))
    .map(
      (p) =>
        html`<h3 data-content>${p.priority_id}. ${p.title}</h3>${dataTable(
          measures.filter((m) => m.priority_id === p.priority_id),
          [
            { label: t("report.no"), value: (m) => m.measure_id },
            { label: t("report.measure"), value: (m) => m.text, content: true },
            {
              label: t("report.timeframe"),
              value: (m) => html`<span data-content=${m.timeframe ? "" : null}>${m.timeframe ?? t("report.notGiven")}</span>`,
            },
            { label: t("report.lead"), value: (m) => (m.lead_bodies ?? []).join(", "), content: true },
            {
              label: t("report.progress"),
              value: (m) =>
                html`<span class=${`status ${String(m.progress).replace(/_/g, "-")}`}>${progressLabels[m.progress] ?? m.progress}</span>`,
            },
            {
              label: t("report.evidence"),
              value: (m) => html`${m.note ? html`<div class="small" data-content>${m.note}</div>` : ""}${links(m.evidence_urls)}`,
            },
          ],
        )}`,
    )}<p class="small">${downloadCsv(measures, filename)}</p>`;
}

/** A button that opens the browser's print dialog (print to PDF); hidden when printing. */
export function printButton() {
  const b = html`<button type="button" class="no-print print-button">${t("ui.print")}</button>`;
  b.addEventListener("click", () => window.print());
  return b;
}
