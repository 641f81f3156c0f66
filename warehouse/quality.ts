// Data quality checks run after each load and stored with the run (table quality_results): indicator
// units and ranges (rules in warehouse/quality-rules.yaml), orphan references, duplicate keys and
// freshness per source. A failed check of severity `error` means the run's export must not be published.
import fs from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import type { cadences } from "../sources/registry.js";
import { bulkInsert, inTransaction, itemTables, queryRows, sqlIdent, sqlString } from "./db.js";
import { recordTableNames, recordTables } from "./tables.js";
import { parseYamlFile } from "./yaml.js";

export type Cadence = (typeof cadences)[number];
export type Severity = "error" | "warning";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * How long after its last successful fetch a source still counts as fresh: its cadence plus slack for a
 * missed schedule or two. Manual sources change when an analyst edits them, so they are never stale.
 */
export const freshnessAllowance: Readonly<Record<Cadence, number | null>> = {
  manual: null,
  hourly: 3 * HOUR,
  daily: 2 * DAY,
  weekly: 10 * DAY,
  monthly: 40 * DAY,
  quarterly: 100 * DAY,
  yearly: 400 * DAY,
};

// Structural checks are not per-indicator policy, so their severities live here rather than in the rules
// file. Orphans and duplicate keys corrupt what researchers download (a value without its indicator's
// definition, two "current" values for one key), so they block the export.
const ORPHAN_SEVERITY: Severity = "error";
const DUPLICATE_SEVERITY: Severity = "error";
// Incident candidates are never exported (warehouse/export.ts), so an orphaned one cannot spoil a
// publication; it is the analysts' review queue that needs a look.
const CANDIDATE_ORPHAN_SEVERITY: Severity = "warning";
// A stale source is a fact about the world (a feed down, an API moved), not a defect in what we hold:
// its last good rows are still correct and dated by retrieved_at. Blocking on it would let one source
// that is down hold back every other source's fresh data, so staleness is reported, never blocking.
const FRESHNESS_SEVERITY: Severity = "warning";

const DEFAULT_MAX_EXAMPLES = 10;

// ---------------------------------------------------------------------------------------------------
// Rules file

const indicatorCode = z.string().regex(/^[A-Za-z0-9._-]+$/, "not an indicator code");
const bound = z.number().finite();
const severitySchema = z.enum(["error", "warning"]);

const bounds = {
  min: bound.optional(),
  max: bound.optional(),
  greater_than: bound.optional(),
  note: z.string().optional(),
};

function checkBounds(b: { min?: number; max?: number; greater_than?: number }, ctx: z.RefinementCtx) {
  if (b.min !== undefined && b.greater_than !== undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "give `min` or `greater_than`, not both", path: ["greater_than"] });
  }
  const lower = b.greater_than ?? b.min;
  if (lower !== undefined && b.max !== undefined && lower > b.max) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `lower bound ${lower} is above max ${b.max}`, path: ["max"] });
  }
}

const countryRuleSchema = z.object(bounds).strict().superRefine(checkBounds);

const indicatorRuleSchema = z
  .object({
    ...bounds,
    unit: z.string().trim().min(1).optional(),
    countries: z.record(z.string().regex(/^[A-Z]{3}$/, "countries are ISO3 codes such as KHM"), countryRuleSchema).optional(),
    severity: severitySchema.default("error"),
  })
  .strict()
  .superRefine(checkBounds);

const rulesSchema = z
  .object({
    default: z
      .object({ severity: severitySchema.default("error") })
      .strict()
      .default({}),
    indicators: z.record(indicatorCode, indicatorRuleSchema).default({}),
  })
  .strict();

export type QualityRules = z.infer<typeof rulesSchema>;
export type IndicatorRule = z.infer<typeof indicatorRuleSchema>;

/** `indicators["IT.NET.USER.ZS"].max`: dotted codes stay readable as one path segment. */
function formatPath(path: Array<string | number>): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((p, i) =>
      typeof p === "number" ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `${i === 0 ? "" : "."}${p}` : `[${JSON.stringify(p)}]`,
    )
    .join("");
}

/** Parses and validates the rules; errors name the file and the path of each wrong field. */
export function parseQualityRules(text: string, file = "warehouse/quality-rules.yaml"): QualityRules {
  return parseYamlFile(rulesSchema, text, file, { formatPath, empty: {} });
}

export async function loadQualityRules(file: string): Promise<QualityRules> {
  return parseQualityRules(await fs.readFile(file, "utf8"), file);
}

// ---------------------------------------------------------------------------------------------------
// Checks

export interface QualityResult {
  /** `range/<code>`, `unit/<code>`, `orphans/<table>.<column>`, `duplicates/<table>` or `freshness/<source>`. */
  check: string;
  severity: Severity;
  status: "pass" | "fail";
  /** Failing rows (for duplicates: keys; for freshness: 1 when the source is stale). */
  count: number;
  /** Up to `maxExamples` failing rows, each named so an analyst can find it. */
  examples: string[];
}

export interface QualityReport {
  /** False iff some check of severity `error` failed: the export must then be skipped. */
  passed: boolean;
  results: QualityResult[];
}

export interface QualityInput {
  /** The pipeline run the results are stored under; re-running the checks for it replaces its rows. */
  runId: string;
  /** When the checks ran (ISO 8601), stored with each result. */
  checkedAt: string;
  /** The indicator rules, normally warehouse/quality-rules.yaml. */
  rulesFile: string;
  /** Cadence of each source to check for freshness (normally the enabled sources of the registry). */
  cadences: Readonly<Record<string, Cadence>>;
  /** The time freshness is judged against. @default checkedAt */
  now?: string | Date;
  /** Failing rows named per check. @default 10 */
  maxExamples?: number;
}

const fmt = (v: unknown): string => (v === null || v === undefined ? "NULL" : String(v));
const result = (check: string, severity: Severity, count: number, examples: string[]): QualityResult => ({
  check,
  severity,
  status: count > 0 ? "fail" : "pass",
  count,
  examples,
});

/**
 * Runs `sql` (the failing rows) and returns how many there are and the first `max` of them in `orderBy`
 * order: one query, the count taken by a window before the LIMIT.
 */
async function failing(db: DuckDBConnection, sql: string, orderBy: string, max: number) {
  const rows = await queryRows<Record<string, unknown> & { failing_total: number }>(
    db,
    `SELECT *, (count(*) OVER ())::INTEGER AS failing_total FROM (${sql}) f ORDER BY ${orderBy} LIMIT ${max}`,
  );
  return { count: rows.length === 0 ? 0 : rows[0].failing_total, rows };
}

const observationName = (r: { indicator_code?: unknown; country_iso3?: unknown; period?: unknown }) =>
  `observations ${fmt(r.indicator_code)}/${fmt(r.country_iso3)}/${fmt(r.period)}`;
const num = (v: unknown) => (typeof v === "number" ? String(v) : fmt(v));

/** A rule as rows of bounds: one for the indicator (country NULL) and one per country override. */
function boundsRows(rules: QualityRules): string {
  const lit = (v: number | undefined) => (v === undefined ? "NULL::DOUBLE" : `${v}::DOUBLE`);
  const rows = [
    "SELECT NULL::VARCHAR AS indicator_code, NULL::VARCHAR AS country_iso3, NULL::DOUBLE AS lo, NULL::BOOLEAN AS lo_strict, NULL::DOUBLE AS hi WHERE FALSE",
  ];
  for (const [code, rule] of Object.entries(rules.indicators)) {
    const row = (country: string | null, b: { min?: number; max?: number; greater_than?: number }) =>
      "SELECT " +
      [
        sqlString(code),
        country === null ? "NULL" : sqlString(country),
        lit(b.greater_than ?? b.min),
        b.greater_than !== undefined,
        lit(b.max),
      ].join(", ");
    rows.push(row(null, rule));
    for (const [country, c] of Object.entries(rule.countries ?? {})) {
      const lower = c.min !== undefined || c.greater_than !== undefined ? c : rule;
      rows.push(row(country, { min: lower.min, greater_than: lower.greater_than, max: c.max ?? rule.max }));
    }
  }
  return rows.join(" UNION ALL ");
}

/** The CTEs `bounds`, `judged` and `problems` (one row per current value, `problem` null when it passes). */
function rangeProblemsSql(rules: QualityRules): string {
  return `WITH bounds AS (${boundsRows(rules)}),
     judged AS (
       SELECT o.indicator_code, o.country_iso3, o.period, o.value, o.source_id,
              g.indicator_code IS NOT NULL AS ruled,
              CASE WHEN k.indicator_code IS NOT NULL THEN k.lo ELSE g.lo END AS lo,
              CASE WHEN k.indicator_code IS NOT NULL THEN k.lo_strict ELSE g.lo_strict END AS lo_strict,
              CASE WHEN k.indicator_code IS NOT NULL THEN k.hi ELSE g.hi END AS hi
         FROM observations o
         LEFT JOIN bounds g ON g.indicator_code = o.indicator_code AND g.country_iso3 IS NULL
         LEFT JOIN bounds k ON k.indicator_code = o.indicator_code AND k.country_iso3 = o.country_iso3
        WHERE o.valid_to IS NULL AND o.value IS NOT NULL
          -- An analyst who approved (or rejected) exactly this value has decided on it (migration 007).
          AND NOT EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                           WHERE r.source_id = o.source_id AND r.indicator_code = o.indicator_code AND r.country_iso3 = o.country_iso3
                             AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value)),
     problems AS (
       SELECT CASE WHEN ruled THEN indicator_code END AS rule_code, *,
              CASE WHEN NOT isfinite(value) THEN 'finite'
                   WHEN value < lo OR (lo_strict AND value = lo) THEN 'low'
                   WHEN value > hi THEN 'high' END AS problem
         FROM judged)`;
}

/**
 * Current values failing their range rule that no analyst has decided on yet, for the review queue
 * (values from analyst sheets are reviewed as sheet values instead).
 */
export interface RangeFailure {
  source_id: string;
  indicator_code: string;
  country_iso3: string;
  period: string;
  value: number;
  problem: string;
}

export async function rangeFailures(db: DuckDBConnection, rules: QualityRules): Promise<RangeFailure[]> {
  return queryRows<RangeFailure>(
    db,
    `${rangeProblemsSql(rules)}
     SELECT source_id, indicator_code, country_iso3, period, value, problem FROM problems
      WHERE problem IS NOT NULL AND isfinite(value)
        AND source_id NOT IN (SELECT source_id FROM sources WHERE parser = 'indicator-sheet')
      ORDER BY indicator_code, country_iso3, period, source_id`,
  );
}

/** A value rangeProblemsSql judged out of bounds, with the bounds it broke and how many its rule has in all. */
interface RangeProblem {
  rule_code: string | null;
  source_id: string;
  indicator_code: string;
  country_iso3: string;
  period: string;
  value: number | string | null;
  lo: number | null;
  lo_strict: boolean | null;
  hi: number | null;
  problem: string;
  failing_total: number;
}

/** (a) Every current value within its indicator's bounds, and finite; indicators without a rule take the default. */
async function rangeChecks(db: DuckDBConnection, rules: QualityRules, max: number): Promise<QualityResult[]> {
  const rows = await queryRows<RangeProblem>(
    db,
    `${rangeProblemsSql(rules)}
     SELECT *, (count(*) OVER (PARTITION BY rule_code))::INTEGER AS failing_total FROM problems WHERE problem IS NOT NULL
     QUALIFY row_number() OVER (PARTITION BY rule_code ORDER BY indicator_code, country_iso3, period, source_id) <= ${max}
     ORDER BY indicator_code, country_iso3, period, source_id`,
  );
  const byRule = new Map<string | null, RangeProblem[]>();
  for (const r of rows) byRule.set(r.rule_code, [...(byRule.get(r.rule_code) ?? []), r]);
  const describe = (r: RangeProblem) => {
    const value = `value ${num(r.value)}`;
    const why =
      r.problem === "finite"
        ? "is not a finite number"
        : r.problem === "high"
          ? `> max ${num(r.hi)}`
          : r.lo_strict
            ? `is not > ${num(r.lo)}`
            : `< min ${num(r.lo)}`;
    return `${observationName(r)} ${value} ${why} (source ${fmt(r.source_id)})`;
  };
  const out = [];
  for (const [code, rule] of Object.entries(rules.indicators)) {
    const found = byRule.get(code) ?? [];
    out.push(result(`range/${code}`, rule.severity, found.length ? found[0].failing_total : 0, found.map(describe)));
  }
  const other = byRule.get(null) ?? [];
  out.push(result("range/default", rules.default.severity, other.length ? other[0].failing_total : 0, other.map(describe)));
  return out;
}

/** (a) The unit the indicators table carries for a code, where the rule names one. */
async function unitChecks(db: DuckDBConnection, rules: QualityRules, max: number): Promise<QualityResult[]> {
  const out = [];
  for (const [code, rule] of Object.entries(rules.indicators)) {
    if (rule.unit === undefined) continue;
    const { count, rows } = await failing(
      db,
      `SELECT indicator_code, source_id, unit FROM indicators
        WHERE indicator_code = ${sqlString(code)} AND unit IS DISTINCT FROM ${sqlString(rule.unit)}`,
      "source_id",
      max,
    );
    const examples = rows.map(
      (r) =>
        `indicators ${code} (source ${fmt(r.source_id)}) unit ${r.unit === null ? "NULL" : JSON.stringify(r.unit)}, expected ${JSON.stringify(rule.unit)}`,
    );
    out.push(result(`unit/${code}`, rule.severity, count, examples));
  }
  return out;
}

interface OrphanCheck {
  check: string;
  severity: Severity;
  sql: string;
  orderBy: string;
  describe: (r: Record<string, unknown>) => string;
}

const orphanChecks: OrphanCheck[] = [
  {
    // Only current values: a closed version may outlive its indicator's definition without harm.
    check: "orphans/observations.indicator_code",
    severity: ORPHAN_SEVERITY,
    sql: `SELECT o.indicator_code, o.country_iso3, o.period, o.source_id FROM observations o
           WHERE o.valid_to IS NULL
             AND NOT EXISTS (SELECT 1 FROM indicators i WHERE i.indicator_code = o.indicator_code AND i.source_id = o.source_id)`,
    orderBy: "indicator_code, country_iso3, period, source_id",
    describe: (r) => `${observationName(r)} (source ${fmt(r.source_id)}): no indicators row ${fmt(r.indicator_code)} in that source`,
  },
  {
    check: "orphans/item_tags.item_key",
    severity: ORPHAN_SEVERITY,
    sql: `SELECT t.item_kind, t.item_key, t.dimension, t.tag, t.made_by FROM item_tags t
           WHERE NOT CASE t.item_kind
             ${Object.entries(itemTables)
               .map(
                 ([kind, { table, key }]) =>
                   `WHEN ${sqlString(kind)} THEN EXISTS (SELECT 1 FROM ${sqlIdent(table)} x WHERE x.${sqlIdent(key)} = t.item_key)`,
               )
               .join("\n             ")}
             ELSE FALSE END`,
    orderBy: "item_kind, item_key, dimension, tag, made_by",
    describe: (r) => {
      const kind = typeof r.item_kind === "string" ? r.item_kind : null;
      const target = kind === null ? undefined : (itemTables as Record<string, { table: string } | undefined>)[kind];
      const missing = target ? `no ${target.table} row ${fmt(r.item_key)}` : `unknown item kind ${fmt(r.item_kind)}`;
      return `item_tags ${fmt(r.item_kind)}/${fmt(r.item_key)} (${fmt(r.dimension)}/${fmt(r.tag)}, by ${fmt(r.made_by)}): ${missing}`;
    },
  },
  {
    check: "orphans/publication_works.pub_key",
    severity: ORPHAN_SEVERITY,
    sql: `SELECT w.pub_key, w.source_id, w.work_key FROM publication_works w
           WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.pub_key = w.pub_key AND p.source_id = w.source_id)`,
    orderBy: "pub_key, source_id",
    describe: (r) => `publication_works ${fmt(r.pub_key)} (source ${fmt(r.source_id)}, work ${fmt(r.work_key)}): no publications row`,
  },
  {
    check: "orphans/news_stories.item_key",
    severity: ORPHAN_SEVERITY,
    sql: `SELECT s.item_key, s.story_key FROM news_stories s
           WHERE NOT EXISTS (SELECT 1 FROM news_items n WHERE n.item_key = s.item_key)`,
    orderBy: "item_key",
    describe: (r) => `news_stories ${fmt(r.item_key)} (story ${fmt(r.story_key)}): no news_items row`,
  },
  {
    check: "orphans/incident_candidates.item_key",
    severity: CANDIDATE_ORPHAN_SEVERITY,
    sql: `SELECT c.candidate_key, c.item_key FROM incident_candidates c
           WHERE NOT EXISTS (SELECT 1 FROM news_items n WHERE n.item_key = c.item_key)`,
    orderBy: "candidate_key",
    describe: (r) => `incident_candidates ${fmt(r.candidate_key)}: no news_items row ${fmt(r.item_key)}`,
  },
];

/** (b) References from derived and observation rows to rows that no longer exist. */
async function orphanResults(db: DuckDBConnection, max: number): Promise<QualityResult[]> {
  const out = [];
  for (const c of orphanChecks) {
    const { count, rows } = await failing(db, c.sql, c.orderBy, max);
    out.push(result(c.check, c.severity, count, rows.map(c.describe)));
  }
  return out;
}

/** (c) More than one row (for versioned tables, more than one open row) per source and natural key. */
async function duplicateResults(db: DuckDBConnection, max: number): Promise<QualityResult[]> {
  const out = [];
  for (const table of recordTableNames) {
    const spec = recordTables[table];
    const versioned = spec.mode === "versioned";
    const keys = spec.key.map(sqlIdent);
    const { count, rows } = await failing(
      db,
      `SELECT source_id, ${keys.join(", ")}, count(*)::INTEGER AS n FROM ${sqlIdent(table)}
        ${versioned ? "WHERE valid_to IS NULL" : ""} GROUP BY source_id, ${keys.join(", ")} HAVING count(*) > 1`,
      `${keys.join(", ")}, source_id`,
      max,
    );
    const examples = rows.map(
      (r) =>
        `${table} ${spec.key.map((k) => fmt(r[k])).join("/")} (source ${fmt(r.source_id)}): ${fmt(r.n)} ${versioned ? "open rows" : "rows"}`,
    );
    out.push(result(`duplicates/${table}`, DUPLICATE_SEVERITY, count, examples));
  }
  return out;
}

function duration(ms: number): string {
  return ms < 2 * DAY ? `${Math.round(ms / HOUR)} h` : `${Math.round(ms / DAY)} days`;
}

/** (d) Each source's last successful fetch (ok or unchanged) against what its cadence allows. */
async function freshnessResults(
  db: DuckDBConnection,
  sourceCadences: Readonly<Record<string, Cadence>>,
  nowMs: number,
): Promise<QualityResult[]> {
  // A run that finished with no recorded finish time still proves the source answered when it started.
  const rows = await queryRows<{ source_id: string; last_ok: number | null }>(
    db,
    `SELECT source_id, epoch(max(coalesce(finished_at, started_at))) AS last_ok FROM fetch_runs
      WHERE status IN ('ok', 'unchanged') GROUP BY source_id`,
  );
  const lastOk = new Map(rows.map((r) => [r.source_id, r.last_ok === null ? null : r.last_ok * 1000]));
  return Object.keys(sourceCadences)
    .sort()
    .map((sourceId) => {
      const cadence = sourceCadences[sourceId];
      const allowed = freshnessAllowance[cadence];
      if (allowed === undefined) throw new Error(`runQualityChecks: cadences.${sourceId}: unknown cadence "${cadence}"`);
      const check = `freshness/${sourceId}`;
      if (allowed === null) return result(check, FRESHNESS_SEVERITY, 0, []);
      const last = lastOk.get(sourceId) ?? null;
      if (last === null) return result(check, FRESHNESS_SEVERITY, 1, [`${sourceId} (${cadence}): no successful fetch recorded`]);
      const age = nowMs - last;
      if (age <= allowed) return result(check, FRESHNESS_SEVERITY, 0, []);
      return result(check, FRESHNESS_SEVERITY, 1, [
        `${sourceId} (${cadence}): last successful fetch ${new Date(last).toISOString()}, ${duration(age)} ago; allowed ${duration(allowed)}`,
      ]);
    });
}

function timeOf(field: string, value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`runQualityChecks: ${field} is not a valid time: ${String(value)}`);
  return ms;
}

const resultColumns = {
  run_id: "VARCHAR",
  checked_at: "TIMESTAMPTZ",
  check_name: "VARCHAR",
  severity: "VARCHAR",
  status: "VARCHAR",
  failing_count: "INTEGER",
  examples: "VARCHAR[]",
} as const;

/**
 * Runs every check and stores the results under `runId`, replacing what an earlier call stored for that
 * run. Call it after the load has committed, outside any open transaction.
 */
export async function runQualityChecks(db: DuckDBConnection, input: QualityInput): Promise<QualityReport> {
  const checkedAtMs = timeOf("checkedAt", input.checkedAt);
  const nowMs = input.now === undefined ? checkedAtMs : timeOf("now", input.now);
  const max = input.maxExamples ?? DEFAULT_MAX_EXAMPLES;
  if (!Number.isInteger(max) || max < 1) throw new Error(`runQualityChecks: maxExamples must be a positive integer, got ${max}`);
  const rules = await loadQualityRules(input.rulesFile);

  const results = [
    ...(await unitChecks(db, rules, max)),
    ...(await rangeChecks(db, rules, max)),
    ...(await orphanResults(db, max)),
    ...(await duplicateResults(db, max)),
    ...(await freshnessResults(db, input.cadences, nowMs)),
  ];

  await inTransaction(db, async () => {
    await db.run("DELETE FROM quality_results WHERE run_id = $run", { run: input.runId });
    await bulkInsert(
      db,
      "quality_results",
      resultColumns,
      results.map((r) => ({
        run_id: input.runId,
        checked_at: new Date(checkedAtMs).toISOString(),
        check_name: r.check,
        severity: r.severity,
        status: r.status,
        failing_count: r.count,
        examples: r.examples,
      })),
    );
  });
  return { passed: !results.some((r) => r.severity === "error" && r.status === "fail"), results };
}

// ---------------------------------------------------------------------------------------------------
// Report

/** A terminal summary: failed checks first (errors, then warnings) with the rows they name. */
export function formatQualityReport(results: readonly QualityResult[]): string {
  const failed = results
    .filter((r) => r.status === "fail")
    .sort((a, b) => (a.severity !== b.severity ? (a.severity === "error" ? -1 : 1) : a.check < b.check ? -1 : a.check > b.check ? 1 : 0));
  const errors = failed.filter((r) => r.severity === "error").length;
  const warnings = failed.length - errors;
  if (failed.length === 0) return `Quality checks: all ${results.length} passed.`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const lines = [
    `Quality checks: ${failed.length} of ${results.length} failed (${plural(errors, "error")}, ${plural(warnings, "warning")}).`,
  ];
  for (const r of failed) {
    lines.push(`  ${r.severity === "error" ? "ERROR  " : "WARNING"} ${r.check}: ${r.count} failing`);
    for (const e of r.examples) lines.push(`      ${e}`);
    if (r.count > r.examples.length) lines.push(`      ... and ${r.count - r.examples.length} more`);
  }
  lines.push(
    errors > 0
      ? `Export blocked: ${plural(errors, "error-severity check")} failed; the previous export stays published.`
      : "Warnings only: the export goes ahead.",
  );
  return lines.join("\n");
}
