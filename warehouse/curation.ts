// Analysts' decisions (docs/architecture.md rule 6): curated indicator values, tag additions and removals, rejected
// items and NAIS measure statuses. Each call writes its curated row and its curation_log entry in one
// transaction; nothing here edits or deletes an earlier decision, a later one supersedes it.
import type { DuckDBConnection } from "@duckdb/node-api";
import { LIST, VARCHAR, listValue } from "@duckdb/node-api";
import { isPeriod } from "../sources/period.js";
import { dimensionIds, type Taxonomy } from "../sources/taxonomy.js";
import { inTransaction, itemTables, queryCount, queryOne, queryRows } from "./db.js";
import { CurationInputError, httpUrl, isoDate, oneOf, text, timestamp } from "./validate.js";

// The shared validators and the transaction helper, re-exported for the callers that import them from here.
export { CurationInputError, httpUrl, isoDate, oneOf, text, timestamp } from "./validate.js";
export { inTransaction } from "./db.js";

export interface CurationOptions {
  /**
   * The clock that stamps `curated_at` and the log entry. Required, so that no caller (a test above all)
   * records a decision at whatever the machine's clock says: the activities pass their own injected clock.
   */
  now: () => Date;
}

/** What a recorded curation returns: its log entry. */
export interface CurationReceipt {
  logId: number;
  /** ISO 8601, UTC. */
  at: string;
}

export type ItemKind = "news" | "publication" | "incident";
export const itemKinds: readonly ItemKind[] = ["news", "publication", "incident"];
export const measureStatuses = ["not_started", "in_progress", "done", "cancelled"] as const;
export type MeasureStatus = (typeof measureStatuses)[number];

interface Who {
  /** The analyst, as they sign their work (e.g. "analyst:sokha"). */
  curatedBy: string;
  /** Why: kept in the log for anyone who later asks. */
  reason: string;
}

/** Who curated, why and when, checked in that order: what every curation of an item or a value records. */
function signed(input: Who, options: CurationOptions): Who & { at: string } {
  return { curatedBy: text("curatedBy", input.curatedBy), reason: text("reason", input.reason), at: timestamp(options.now) };
}

export interface ObservationKey {
  indicatorCode: string;
  /** ISO 3166-1 alpha-3, upper case. */
  countryIso3: string;
  /** YYYY, YYYY-Qn / YYYYQn or YYYY-MM / YYYYMmm, spelt as the source spells it so the value replaces it. */
  period: string;
}

export interface ObservationCuration extends ObservationKey, Who {
  value: number;
  /** @default the indicator's unit */
  unit?: string | null;
  /** The public document the value comes from (http or https). */
  sourceUrl: string;
}

export interface ItemRef {
  itemKind: ItemKind;
  /** news item_key, publication pub_key (or, to reject, a work_key) or incident incident_key. */
  itemKey: string;
}

export interface Classification extends ItemRef, Who {
  dimension: string;
  tag: string;
  action: "add" | "remove";
}

export interface ClassificationOptions extends CurationOptions {
  /** When given, the dimension and tag must be in it (sources/taxonomy.yaml). */
  taxonomy?: Taxonomy;
}

export interface MeasureStatusRecord {
  measureId: string;
  status: MeasureStatus;
  /** YYYY-MM-DD: the date the status holds from. */
  asOf: string;
  /** What the evidence shows; the log's reason. */
  note: string;
  /** Public http(s) links; required for any status but not_started. */
  evidenceUrls?: string[];
  recordedBy: string;
}

// ---------------------------------------------------------------------------------------------------
// Validation: pure, before any write; every error names its field (the shared checks are in warehouse/validate.ts).

function observationKey(input: ObservationKey): ObservationKey {
  const indicatorCode = text("indicatorCode", input.indicatorCode);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(indicatorCode)) {
    throw new CurationInputError("indicatorCode", `must be a code such as "SP.POP.TOTL", got ${JSON.stringify(indicatorCode)}`);
  }
  const countryIso3 = text("countryIso3", input.countryIso3);
  if (!/^[A-Z]{3}$/.test(countryIso3)) {
    throw new CurationInputError("countryIso3", `must be an ISO 3166-1 alpha-3 code such as "KHM", got ${JSON.stringify(countryIso3)}`);
  }
  const period = text("period", input.period);
  if (!isPeriod(period)) throw new CurationInputError("period", `must be YYYY, YYYY-Qn or YYYY-MM, got ${JSON.stringify(period)}`);
  return { indicatorCode, countryIso3, period };
}

// ---------------------------------------------------------------------------------------------------
// Writing: the curated row and its log entry, together or not at all.

interface LogEntry {
  at: string;
  actor: string;
  action: string;
  targetKind: string;
  targetKey: string;
  field: string | null;
  oldValue: string | null;
  newValue: string | null;
  reason: string;
}

export type { LogEntry as CurationLogEntry };

/** Appends one entry to curation_log and returns its log_id; call inside inTransaction with the row it explains. */
export async function appendCurationLog(db: DuckDBConnection, e: LogEntry): Promise<number> {
  return log(db, e);
}

async function log(db: DuckDBConnection, e: LogEntry): Promise<number> {
  // log_id is a BIGINT sequence from 1, which JSON reads give as text: read as INTEGER it is a number.
  const [row] = await queryRows<{ log_id: number }>(
    db,
    `INSERT INTO curation_log (logged_at, actor, action, target_kind, target_key, field, old_value, new_value, reason)
     VALUES ($at::TIMESTAMPTZ, $actor, $action, $kind, $key, $field, $old, $new, $reason) RETURNING log_id::INTEGER AS log_id`,
    {
      at: e.at,
      actor: e.actor,
      action: e.action,
      kind: e.targetKind,
      key: e.targetKey,
      field: e.field,
      old: e.oldValue,
      new: e.newValue,
      reason: e.reason,
    },
  );
  return row.log_id;
}

/**
 * Evidence links, validated and de-duplicated; `requiredWhy` set (possibly to "") demands at least one,
 * and completes the error message ("… for status done").
 */
function evidenceList(value: unknown, requiredWhy: string | null): string[] {
  if (!Array.isArray(value)) throw new CurationInputError("evidenceUrls", "must be a list of URLs");
  const urls = [...new Set(value.map((u, i) => httpUrl(`evidenceUrls[${i}]`, u)))];
  if (requiredWhy !== null && urls.length === 0)
    throw new CurationInputError("evidenceUrls", `must hold at least one link${requiredWhy ? ` ${requiredWhy}` : ""}`);
  return urls;
}

/** Runs an INSERT whose `$urls` parameter is the list of evidence links. */
async function insertEvidenced(db: DuckDBConnection, sql: string, params: Record<string, unknown> & { urls: string[] }): Promise<void> {
  await db.run(sql, { ...params, urls: listValue(params.urls) }, { urls: LIST(VARCHAR) });
}

async function itemExists(db: DuckDBConnection, item: ItemRef, allowWork: boolean): Promise<boolean> {
  const { table, key } = itemTables[item.itemKind];
  if ((await queryCount(db, `SELECT count(*) AS n FROM ${table} WHERE ${key} = $key`, { key: item.itemKey })) > 0) return true;
  if (!allowWork || item.itemKind !== "publication") return false;
  return (await queryCount(db, "SELECT count(*) AS n FROM publication_works WHERE work_key = $key", { key: item.itemKey })) > 0;
}

function itemRef(input: ItemRef): ItemRef {
  return { itemKind: oneOf("itemKind", input.itemKind, itemKinds), itemKey: text("itemKey", input.itemKey) };
}

const observationTarget = (k: ObservationKey) => `${k.indicatorCode}/${k.countryIso3}/${k.period}`;

/** The value the public views show for a key now, as text for the log ("v [source]; …" when sources differ). */
async function shownValue(db: DuckDBConnection, k: ObservationKey): Promise<string | null> {
  const rows = await queryRows<{ value: number | null; source: string }>(
    db,
    `SELECT value, coalesce(source_id, 'analyst') AS source FROM v_observations_current
      WHERE indicator_code = $code AND country_iso3 = $country AND period = $period ORDER BY source`,
    { code: k.indicatorCode, country: k.countryIso3, period: k.period },
  );
  if (rows.length === 0) return null;
  if (rows.length === 1) return rows[0].value == null ? null : String(rows[0].value);
  return rows.map((r) => `${r.value == null ? "null" : String(r.value)} [${r.source}]`).join("; ");
}

/** Sets an analyst's value for (indicator, country, period); it wins over every source's value for that key. */
export async function curateObservation(
  db: DuckDBConnection,
  input: ObservationCuration,
  options: CurationOptions,
): Promise<CurationReceipt> {
  const key = observationKey(input);
  if (typeof input.value !== "number" || !Number.isFinite(input.value)) {
    throw new CurationInputError("value", `must be a finite number, got ${JSON.stringify(input.value)}`);
  }
  const unit = input.unit == null ? null : text("unit", input.unit);
  const sourceUrl = httpUrl("sourceUrl", input.sourceUrl);
  const { curatedBy, reason, at } = signed(input, options);
  return inTransaction(db, async () => {
    const n = await queryCount(
      db,
      "SELECT (SELECT count(*) FROM indicators WHERE indicator_code = $code) + (SELECT count(*) FROM indicator_metadata WHERE indicator_code = $code) AS n",
      { code: key.indicatorCode },
    );
    if (n === 0)
      throw new CurationInputError("indicatorCode", `${JSON.stringify(key.indicatorCode)} is not an indicator the warehouse knows`);
    const logId = await log(db, {
      at,
      actor: curatedBy,
      action: "curate_observation",
      targetKind: "observation",
      targetKey: observationTarget(key),
      field: "value",
      oldValue: await shownValue(db, key),
      newValue: String(input.value),
      reason,
    });
    await db.run(
      `INSERT INTO curated_observations (log_id, action, indicator_code, country_iso3, period, value, unit, source_url, curated_by, curated_at, reason)
       VALUES ($log, 'set', $code, $country, $period, $value, $unit, $url, $by, $at::TIMESTAMPTZ, $reason)`,
      {
        log: logId,
        code: key.indicatorCode,
        country: key.countryIso3,
        period: key.period,
        value: input.value,
        unit,
        url: sourceUrl,
        by: curatedBy,
        at,
        reason,
      },
    );
    return { logId, at };
  });
}

/** Withdraws the analyst's value for a key, so the sources' values show again. */
export async function withdrawObservationCuration(
  db: DuckDBConnection,
  input: ObservationKey & Who,
  options: CurationOptions,
): Promise<CurationReceipt> {
  const key = observationKey(input);
  const { curatedBy, reason, at } = signed(input, options);
  return inTransaction(db, async () => {
    const current = await queryRows<{ action: string }>(
      db,
      `SELECT action FROM curated_observations WHERE indicator_code = $code AND country_iso3 = $country AND period = $period
        ORDER BY log_id DESC LIMIT 1`,
      { code: key.indicatorCode, country: key.countryIso3, period: key.period },
    );
    if (current[0]?.action !== "set") throw new CurationInputError("period", `${observationTarget(key)} has no curated value to withdraw`);
    const logId = await log(db, {
      at,
      actor: curatedBy,
      action: "withdraw_observation",
      targetKind: "observation",
      targetKey: observationTarget(key),
      field: "value",
      oldValue: await shownValue(db, key),
      newValue: null,
      reason,
    });
    await db.run(
      `INSERT INTO curated_observations (log_id, action, indicator_code, country_iso3, period, value, unit, source_url, curated_by, curated_at, reason)
       VALUES ($log, 'withdraw', $code, $country, $period, NULL, NULL, NULL, $by, $at::TIMESTAMPTZ, $reason)`,
      { log: logId, code: key.indicatorCode, country: key.countryIso3, period: key.period, by: curatedBy, at, reason },
    );
    return { logId, at };
  });
}

/** Adds a tag the rules missed or removes one they got wrong; a later run of the rules does not undo it. */
export async function classifyItem(db: DuckDBConnection, input: Classification, options: ClassificationOptions): Promise<CurationReceipt> {
  const item = itemRef(input);
  const dimension = oneOf("dimension", input.dimension, dimensionIds);
  const tag = text("tag", input.tag);
  if (options.taxonomy) {
    const tags = options.taxonomy.dimensions.find((d) => d.id === dimension)?.tags.map((t) => t.id) ?? [];
    if (!tags.includes(tag))
      throw new CurationInputError("tag", `must be one of the ${dimension} tags (${tags.join(", ")}), got ${JSON.stringify(tag)}`);
  } else if (dimension === "priority" && !/^[1-6]$/.test(tag)) {
    throw new CurationInputError("tag", `must be a NAIS priority "1" to "6", got ${JSON.stringify(tag)}`);
  }
  const action = oneOf("action", input.action, ["add", "remove"] as const);
  const { curatedBy, reason, at } = signed(input, options);
  return inTransaction(db, async () => {
    if (!(await itemExists(db, item, false)))
      throw new CurationInputError("itemKey", `no ${item.itemKind} ${JSON.stringify(item.itemKey)} in the warehouse`);
    const n = await queryCount(
      db,
      "SELECT count(*) AS n FROM v_item_tags_effective WHERE item_kind = $kind AND item_key = $key AND dimension = $dim AND tag = $tag",
      { kind: item.itemKind, key: item.itemKey, dim: dimension, tag },
    );
    const logId = await log(db, {
      at,
      actor: curatedBy,
      action: `classify_${action}`,
      targetKind: item.itemKind,
      targetKey: item.itemKey,
      field: `${dimension}/${tag}`,
      oldValue: n > 0 ? "tagged" : "untagged",
      newValue: action === "add" ? "tagged" : "untagged",
      reason,
    });
    await db.run(
      `INSERT INTO curated_classifications (log_id, item_kind, item_key, dimension, tag, action, curated_by, curated_at, reason)
       VALUES ($log, $kind, $key, $dim, $tag, $action, $by, $at::TIMESTAMPTZ, $reason)`,
      {
        log: logId,
        kind: item.itemKind,
        key: item.itemKey,
        dim: dimension,
        tag,
        action,
        by: curatedBy,
        at,
        reason,
      },
    );
    return { logId, at };
  });
}

async function recordRejection(
  db: DuckDBConnection,
  input: ItemRef & Who,
  action: "reject" | "restore",
  options: CurationOptions,
): Promise<CurationReceipt> {
  const item = itemRef(input);
  const { curatedBy, reason, at } = signed(input, options);
  return inTransaction(db, async () => {
    if (!(await itemExists(db, item, true)))
      throw new CurationInputError("itemKey", `no ${item.itemKind} ${JSON.stringify(item.itemKey)} in the warehouse`);
    const n = await queryCount(db, "SELECT count(*) AS n FROM v_rejected_items WHERE item_kind = $kind AND item_key = $key", {
      kind: item.itemKind,
      key: item.itemKey,
    });
    const was = n > 0 ? "rejected" : "public";
    if (action === "restore" && was !== "rejected")
      throw new CurationInputError("itemKey", `${item.itemKind} ${JSON.stringify(item.itemKey)} is not rejected`);
    const logId = await log(db, {
      at,
      actor: curatedBy,
      action,
      targetKind: item.itemKind,
      targetKey: item.itemKey,
      field: "visibility",
      oldValue: was,
      newValue: action === "reject" ? "rejected" : "public",
      reason,
    });
    await db.run(
      `INSERT INTO curated_rejections (log_id, item_kind, item_key, action, curated_by, curated_at, reason)
       VALUES ($log, $kind, $key, $action, $by, $at::TIMESTAMPTZ, $reason)`,
      {
        log: logId,
        kind: item.itemKind,
        key: item.itemKey,
        action,
        by: curatedBy,
        at,
        reason,
      },
    );
    return { logId, at };
  });
}

/** Hides an item from every public view; a re-ingest of the item does not bring it back. */
export function rejectItem(db: DuckDBConnection, input: ItemRef & Who, options: CurationOptions): Promise<CurationReceipt> {
  return recordRejection(db, input, "reject", options);
}

/** Undoes a rejection: the item shows again. */
export function restoreItem(db: DuckDBConnection, input: ItemRef & Who, options: CurationOptions): Promise<CurationReceipt> {
  return recordRejection(db, input, "restore", options);
}

/** What a measure's status and an activity's outcome record: one row with its evidence, about a target that must exist. */
interface EvidencedRecord {
  /** The curation_log entry's target (its key is the row's $id) and the field it changes. */
  target: { kind: string; id: string; field: string; action: string };
  /** count(*) AS n of the target by $id; none throws `missing` (the field and the message). */
  existsSql: string;
  missing: [field: string, message: string];
  /** What the target shows now (`shown`, by $id) for the log's old value; `noneShown` when nothing is recorded yet. */
  shownSql: string;
  noneShown: string | null;
  newValue: string;
  /** The INSERT, given $log, $id, $note, $urls, $by, $at and the `values` of its own columns. */
  insertSql: string;
  values: Record<string, string | null>;
  note: string;
  evidenceUrls: string[];
  recordedBy: string;
}

/** Checks who records it and when (after the caller's own fields), then writes the log entry and the row in one transaction. */
async function recordEvidenced(db: DuckDBConnection, options: CurationOptions, r: EvidencedRecord): Promise<CurationReceipt> {
  const recordedBy = text("recordedBy", r.recordedBy);
  const at = timestamp(options.now);
  return inTransaction(db, async () => {
    if ((await queryCount(db, r.existsSql, { id: r.target.id })) === 0) throw new CurationInputError(...r.missing);
    const previous = await queryOne<{ shown: string }>(db, r.shownSql, { id: r.target.id });
    const logId = await log(db, {
      at,
      actor: recordedBy,
      action: r.target.action,
      targetKind: r.target.kind,
      targetKey: r.target.id,
      field: r.target.field,
      oldValue: previous ? previous.shown : r.noneShown,
      newValue: r.newValue,
      reason: r.note,
    });
    await insertEvidenced(db, r.insertSql, {
      ...r.values,
      log: logId,
      id: r.target.id,
      note: r.note,
      urls: r.evidenceUrls,
      by: recordedBy,
      at,
    });
    return { logId, at };
  });
}

/** Records a NAIS measure's status from a date, with the evidence for it. */
export async function recordMeasureStatus(
  db: DuckDBConnection,
  input: MeasureStatusRecord,
  options: CurationOptions,
): Promise<CurationReceipt> {
  const measureId = text("measureId", input.measureId);
  const status = oneOf("status", input.status, measureStatuses);
  const asOf = isoDate("asOf", input.asOf);
  const note = text("note", input.note);
  const evidenceUrls = evidenceList(input.evidenceUrls ?? [], status === "not_started" ? null : `for status ${status}`);
  return recordEvidenced(db, options, {
    target: { kind: "measure", id: measureId, field: "status", action: "measure_status" },
    existsSql: "SELECT count(*) AS n FROM strategy_measures WHERE measure_id = $id",
    missing: ["measureId", `${JSON.stringify(measureId)} is not a NAIS measure in the warehouse`],
    shownSql:
      "SELECT status || ' as of ' || as_of::VARCHAR AS shown FROM measure_status WHERE measure_id = $id ORDER BY as_of DESC, log_id DESC LIMIT 1",
    noneShown: "not_started",
    newValue: `${status} as of ${asOf}`,
    insertSql: `INSERT INTO measure_status (log_id, measure_id, status, as_of, note, evidence_urls, recorded_by, recorded_at)
                VALUES ($log, $id, $status, $asOf::DATE, $note, $urls, $by, $at::TIMESTAMPTZ)`,
    values: { status, asOf },
    note,
    evidenceUrls,
    recordedBy: input.recordedBy,
  });
}

export const eventOutcomes = ["happened", "rescheduled", "cancelled"] as const;
export type EventOutcome = (typeof eventOutcomes)[number];

export interface EventOutcomeRecord {
  /** A governance-timeline activity (events.event_id). */
  eventId: string;
  outcome: EventOutcome;
  /** YYYY-MM-DD: the day it happened, or the new planned date when rescheduled; omitted when cancelled. */
  onDate?: string | null;
  /** What the evidence shows; the log's reason. */
  note: string;
  /** Public http(s) links; at least one. */
  evidenceUrls: string[];
  recordedBy: string;
}

/** Records what actually happened to a planned governance activity, so the timeline can show done vs slipped. */
export async function recordEventOutcome(
  db: DuckDBConnection,
  input: EventOutcomeRecord,
  options: CurationOptions,
): Promise<CurationReceipt> {
  const eventId = text("eventId", input.eventId);
  const outcome = oneOf("outcome", input.outcome, eventOutcomes);
  const onDate = input.onDate == null || input.onDate === "" ? null : isoDate("onDate", input.onDate);
  if (outcome !== "cancelled" && onDate === null) throw new CurationInputError("onDate", `is required when the outcome is ${outcome}`);
  const note = text("note", input.note);
  const evidenceUrls = evidenceList(input.evidenceUrls, "");
  return recordEvidenced(db, options, {
    target: { kind: "event", id: eventId, field: "outcome", action: "event_outcome" },
    existsSql: "SELECT count(*) AS n FROM events WHERE event_id = $id",
    missing: ["eventId", `${JSON.stringify(eventId)} is not a governance-timeline event in the warehouse`],
    shownSql:
      "SELECT outcome || coalesce(' on ' || on_date::VARCHAR, '') AS shown FROM event_outcomes WHERE event_id = $id ORDER BY log_id DESC LIMIT 1",
    noneShown: null,
    newValue: onDate ? `${outcome} on ${onDate}` : outcome,
    insertSql: `INSERT INTO event_outcomes (log_id, event_id, outcome, on_date, note, evidence_urls, recorded_by, recorded_at)
                VALUES ($log, $id, $outcome, $onDate::DATE, $note, $urls, $by, $at::TIMESTAMPTZ)`,
    values: { outcome, onDate },
    note,
    evidenceUrls,
    recordedBy: input.recordedBy,
  });
}
