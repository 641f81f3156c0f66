// Chart functions in Framework's style, `(data, {width, …}) => Plot`: the pages lay out cards and pass the
// rows; the Plot specification, its labels (from the catalogue) and its number formats (for the edition)
// live here, so a page reads as layout (issue 15's site item).
import * as Plot from "@observablehq/plot";
import { categorical, chartWidth, countTick, countTicks, digits, num, palette, t } from "./ui.js";

/**
 * Measures per strategic priority as stacked bars, one colour per status or progress value.
 * `rows` are {priority, state}; `priorities` the y domain in order; `color` Plot's color scale options.
 */
export function measuresByPriorityChart(rows, { width, priorities, color }) {
  return Plot.plot({
    ariaLabel: t("overview.chartAria"),
    marginLeft: 170,
    height: 240,
    width: chartWidth(width),
    x: { label: t("report.measures"), grid: true, tickFormat: (d) => num(d) },
    y: { label: null, domain: priorities },
    color: { legend: true, ...color },
    marks: [
      Plot.barX(rows, Plot.groupY({ x: "count" }, { y: "priority", fill: "state", tip: { format: { x: countTick } } })),
      Plot.ruleX([0]),
    ],
  });
}

/** Policy news stories per month, stacked by NAIS priority; `rows` are {month, stories, priority_label}. */
export function newsByMonthChart(rows, { width }) {
  const perMonth = Object.values(Object.groupBy(rows, (d) => d.month)).map((m) => m.reduce((n, d) => n + d.stories, 0));
  return Plot.plot({
    ariaLabel: t("news.chartAria"),
    width: chartWidth(width),
    height: 240,
    x: { label: null, type: "band", tickRotate: rows.length > 12 ? -45 : 0, tickFormat: (m) => digits(m) },
    y: { label: t("news.stories"), grid: true, tickFormat: (d) => num(d), ticks: countTicks(Math.max(...perMonth)) },
    color: { legend: true, range: categorical },
    marks: [
      Plot.barY(rows, {
        x: "month",
        y: "stories",
        fill: (d) => d.priority_label ?? t("news.untagged"),
        tip: { format: { x: digits, y: countTick } },
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** A KPI's small line of values by year (`points` are {period, value}), its last value dotted. */
export function sparkline(points, { name, period }) {
  const year = (r) => Number(String(r.period).slice(0, 4));
  return Plot.plot({
    height: 56,
    width: 240,
    axis: null,
    margin: 4,
    ariaLabel: t("overview.sparklineAria", { name, n: points.length, period }),
    marks: [
      Plot.lineY(points, { x: year, y: "value", stroke: palette.blue }),
      Plot.dot(points.slice(-1), { x: year, y: "value", fill: palette.blue, r: 2.5 }),
    ],
  });
}
