// Chart functions in Framework's style, `(data, {width, …}) => Plot`: the pages lay out cards and pass the
// rows; the Plot specification, its labels (from the catalogue) and its number formats (for the edition)
// live here, so a page reads as layout (issue 15's site item).
import * as Plot from "@observablehq/plot";
import * as d3 from "d3";
import {
  categorical,
  chartWidth,
  countTick,
  countTicks,
  dateTick,
  day,
  digits,
  eventStateColors,
  eventStates,
  eventStateSymbols,
  formatValue,
  legendAsData,
  measureStateColors,
  measureStates,
  num,
  palette,
  stateLabel,
  t,
  yearTick,
} from "./ui.js";

/**
 * Measures per strategic priority as stacked bars, one colour per status or progress value: the overview's
 * and the progress reports'. `rows` are {priority, [fill]}; `priorities` the y domain in order; `color`
 * Plot's color scale options; `fill` the field that picks the colour.
 */
export function measuresByPriorityChart(
  rows,
  { width, priorities, color, fill = "state", ariaLabel = t("overview.chartAria"), height = 240 },
) {
  return Plot.plot({
    ariaLabel,
    marginLeft: 170,
    height,
    width: chartWidth(width),
    x: { label: t("report.measures"), grid: true, tickFormat: (d) => num(d) },
    y: { label: null, domain: priorities },
    color: { legend: true, ...color },
    marks: [Plot.barX(rows, Plot.groupY({ x: "count" }, { y: "priority", fill, tip: { format: { x: countTick } } })), Plot.ruleX([0])],
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

/**
 * Horizontal bars ranked longest first, one per row: incidents by harm type, by sector and by ASEAN member,
 * works by institution and by topic. `x` and `y` name the value and label fields; `fill` is a colour or a
 * function of the row; `ticks` whole-number ticks up to the largest value (off for the member totals);
 * `truncate` shortens long labels to that many characters.
 */
export function rankedBarChart(rows, { width, x, y, fill, ariaLabel, xLabel, rowHeight = 26, marginLeft = 130, ticks = true, truncate }) {
  return Plot.plot({
    ariaLabel,
    width: chartWidth(width),
    height: 40 + rows.length * rowHeight,
    marginLeft,
    x: { label: xLabel, grid: true, tickFormat: countTick, ...(ticks ? { ticks: countTicks(Math.max(...rows.map((d) => d[x]))) } : {}) },
    y: { label: null, ...(truncate ? { tickFormat: (l) => (l.length > truncate ? `${l.slice(0, truncate - 1)}…` : l) } : {}) },
    marks: [Plot.barX(rows, { x, y, fill, sort: { y: "-x" }, tip: { format: { x: countTick } } }), Plot.ruleX([0])],
  });
}

/**
 * The governance activities on one line per track (`rows` are events with `start`, `end` dates and `track_label`),
 * a mark per activity shaped and coloured by its state, a bar to its end date, and a dashed line at `asOf`.
 */
export function governanceTimelineChart(rows, { width, tracks, asOf }) {
  return Plot.plot({
    ariaLabel: t("governance.timelineAria", { n: rows.length }),
    width: chartWidth(width),
    height: 60 + tracks.length * 42,
    marginLeft: width < 640 ? 110 : 190,
    x: { type: "utc", label: null, grid: true, tickFormat: dateTick },
    y: { label: null, domain: tracks },
    symbol: { legend: true, domain: eventStates, range: eventStateSymbols, tickFormat: stateLabel },
    color: { domain: eventStates, range: eventStateColors },
    marks: [
      Plot.ruleX(
        rows.filter((e) => e.end),
        { x1: "start", x2: "end", y: "track_label", stroke: "state", strokeWidth: 3 },
      ),
      Plot.dot(
        rows,
        Plot.dodgeY({
          x: "start",
          y: "track_label",
          symbol: "state",
          stroke: "state",
          strokeWidth: 2,
          r: 4,
          tip: true,
          title: (d) => `${d.title}\n${d.date_text ?? ""} (${stateLabel(d.state)})`,
        }),
      ),
      Plot.ruleX([new Date(`${asOf}T00:00:00Z`)], { stroke: "#000", strokeDasharray: "4,3" }),
    ],
  });
}

/** The NAIS measures as bars from start to end year (`rows` are {measure, state, timeframe, start, end, text, lead}), a dashed line at `today`. */
export function measuresTimelineChart(rows, { width, today }) {
  return Plot.plot({
    ariaLabel: t("strategy.ganttAria", { n: rows.length }),
    width: chartWidth(width),
    height: 40 + rows.length * 15,
    marginLeft: 44,
    marginRight: 10,
    x: {
      type: "utc",
      domain: [new Date(Date.UTC(2025, 0, 1)), new Date(Date.UTC(2031, 0, 1))],
      label: null,
      grid: true,
      ticks: 6,
      tickFormat: (d) => num(d.getUTCFullYear(), { useGrouping: false }),
    },
    y: { domain: rows.map((b) => b.measure), label: null, tickSize: 0 },
    color: { legend: true, domain: measureStates, range: measureStateColors, tickFormat: stateLabel },
    marks: [
      Plot.barX(rows, {
        x1: "start",
        x2: "end",
        y: "measure",
        fill: "state",
        insetTop: 2,
        insetBottom: 2,
        tip: true,
        title: (d) => `${d.measure} (${d.timeframe}) — ${stateLabel(d.state)}\n${d.text}\n${t("strategy.lead")}: ${d.lead}`,
      }),
      Plot.ruleX([today], { stroke: "#000", strokeDasharray: "4,3" }),
    ],
  });
}

/** One dot per dated incident along a time axis (`rows` are {incident, occurred_on, harm}), coloured by harm type. */
export function incidentTimelineChart(rows, { width }) {
  return legendAsData(
    Plot.plot({
      ariaLabel: t("incidents.timelineAria", { n: rows.length }),
      width: chartWidth(width),
      height: 130,
      marginLeft: 10,
      x: { type: "utc", label: null, tickFormat: dateTick },
      y: { axis: null },
      color: { legend: true, range: categorical },
      marks: [
        Plot.dot(
          rows,
          Plot.dodgeY({
            x: (d) => new Date(`${d.occurred_on}T00:00:00Z`),
            fill: "harm",
            r: 6,
            tip: true,
            title: (d) => `${d.incident}\n${day(d.occurred_on)}`,
          }),
        ),
        Plot.ruleY([0]),
      ],
    }),
  );
}

/** AIID incidents naming ASEAN members per year, stacked by harm type; `rows` are {year, harm_type, incidents}. */
export function incidentsByYearChart(rows, { width }) {
  return legendAsData(
    Plot.plot({
      ariaLabel: t("incidents.stackedBarChartOf"),
      width: chartWidth(width),
      height: 260,
      x: { label: null, tickFormat: yearTick, interval: 1 },
      y: { label: t("incidents.incidents"), grid: true, tickFormat: countTick },
      color: { legend: true, range: categorical },
      marks: [
        Plot.barY(rows, { x: "year", y: "incidents", fill: "harm_type", tip: { format: { x: yearTick, y: countTick } } }),
        Plot.ruleY([0]),
      ],
    }),
  );
}

/** Research works per year, the open-access ones drawn over the total; `rows` are {year, works, open_access_works}. */
export function worksByYearChart(rows, { width }) {
  return Plot.plot({
    ariaLabel: t("publications.barChartOfResearch"),
    width: chartWidth(width),
    height: 220,
    x: { label: null, tickFormat: yearTick, type: "band" },
    y: { label: t("publications.works"), grid: true, tickFormat: countTick, ticks: countTicks(Math.max(...rows.map((d) => d.works))) },
    marks: [
      Plot.barY(rows, { x: "year", y: "works", fill: palette.sky, tip: { format: { x: yearTick, y: countTick } } }),
      Plot.barY(rows, { x: "year", y: "open_access_works", fill: palette.blue }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * One indicator's values over time: Cambodia's line and dots in blue over the peers' grey lines. `khm` and
 * `others` are rows with `x` (a year or a date), `value`, `period`, `country`; `annual` picks the year axis;
 * `comparedYear` draws a dashed line at the year the peers are compared (null for none).
 */
export function indicatorChart({ khm, others }, { width, name, unit, annual, comparedYear, cambodia }) {
  const rows = [...khm, ...others];
  const percent = /%/.test(unit ?? "");
  return Plot.plot({
    ariaLabel: t(others.length ? "indicators.lineAriaPeers" : "indicators.lineAria", { name, n: khm.length }),
    width: chartWidth(width),
    height: 220,
    marginLeft: 50,
    x: annual
      ? { label: null, tickFormat: yearTick, ticks: Math.min(8, new Set(rows.map((d) => d.period)).size) }
      : { type: "utc", label: null, tickFormat: dateTick },
    y: {
      label: unit ?? null,
      grid: true,
      zero: percent,
      tickFormat: rows.some((d) => Math.abs(d.value) >= 1e6) ? (d) => digits(d3.format("~s")(d)) : countTick,
    },
    marks: [
      Plot.line(others, {
        x: "x",
        y: "value",
        z: "country",
        stroke: palette.grey,
        strokeWidth: 1,
        tip: true,
        title: (d) => `${d.country} ${digits(d.period)}: ${formatValue(d.value)}`,
      }),
      Plot.line(khm, { x: "x", y: "value", stroke: palette.blue, strokeWidth: 2.5 }),
      Plot.ruleX(comparedYear == null ? [] : [comparedYear], { stroke: palette.grey, strokeDasharray: "3,3" }),
      Plot.dot(khm, {
        x: "x",
        y: "value",
        fill: palette.blue,
        r: 3,
        tip: true,
        title: (d) =>
          `${cambodia} ${digits(d.period)}: ${formatValue(d.value)}${d.value_source === "analyst" ? ` ${t("indicators.analystsValue")}` : ""}`,
      }),
      Plot.ruleY(percent ? [0] : []),
    ],
  });
}
