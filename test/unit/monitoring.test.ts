// Strategy monitoring (migration 006): measures judged quarter by quarter, and the governance timeline's
// planned dates against what analysts recorded as having happened.
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { CurationInputError, recordEventOutcome, recordMeasureStatus } from "../../warehouse/curation.js";
import { bulkInsert, queryRows, withWarehouse } from "../../warehouse/db.js";
import { columnsOf, type RecordTable } from "../../warehouse/tables.js";
import { testClock, withTempWarehouse } from "../helpers.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2025-05-01T09:00:00Z") };

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-monitoring-");

const prov = { source_id: "nais", snapshot_sha256: "f".repeat(64), retrieved_at: "2026-01-01T00:00:00Z", row_hash: "h" };

async function insert(db: DuckDBConnection, table: RecordTable, rows: Array<Record<string, unknown>>) {
  const columns = Object.fromEntries(columnsOf(table));
  await bulkInsert(
    db,
    table,
    columns,
    rows.map((r) => Object.fromEntries(Object.keys(columns).map((c) => [c, r[c] ?? null]))),
  );
}

const withDb = <T>(fn: (db: DuckDBConnection) => Promise<T>) => withWarehouse(path.join(temp.dir(), "w.duckdb"), fn);
const at = (iso: string) => ({ now: () => new Date(iso) });
const evidence = ["https://example.org/evidence"];

const measure = (measure_id: string, seq: number, timeframe: string | null, start_year: number | null, end_year: number | null) => ({
  measure_id,
  priority_id: 1,
  seq,
  text: `Measure ${measure_id}`,
  timeframe,
  start_year,
  end_year,
  ongoing: false,
  lead_bodies: ["MPTC"],
  participating_bodies: [],
  ...prov,
});

describe("Quarterly monitoring of NAIS measures", () => {
  it("judges every measure at each quarter's end: on track, slipping, overdue, not due, done", async () => {
    await withDb(async (db) => {
      await insert(db, "strategy_measures", [
        measure("1.1", 1, "2025-2026", 2025, 2026), // started in 2025-Q2, done in 2026-Q3
        measure("1.2", 2, "2025-2026", 2025, 2026), // never started: slipping from mid-timeframe, overdue in 2027
        measure("1.3", 3, "2027", 2027, 2027), // not due before 2027
        measure("1.4", 4, null, null, null), // no timeframe
      ]);
      await recordMeasureStatus(
        db,
        {
          measureId: "1.1",
          status: "in_progress",
          asOf: "2025-05-10",
          note: "Drafting began",
          evidenceUrls: evidence,
          recordedBy: "analyst:sokha",
        },
        at("2025-05-12T00:00:00Z"),
      );
      await recordMeasureStatus(
        db,
        { measureId: "1.1", status: "done", asOf: "2026-08-01", note: "Adopted", evidenceUrls: evidence, recordedBy: "analyst:dara" },
        at("2026-08-02T00:00:00Z"),
      );

      const rows = await queryRows(
        db,
        "SELECT quarter, measure_id, status, progress, updated_in_quarter FROM measures_quarterly_as_of(DATE '2027-02-15')",
      );
      const progress = (quarter: string, id: string) => rows.find((r) => r.quarter === quarter && r.measure_id === id);
      expect(rows.map((r) => r.quarter).filter((q, i, a) => a.indexOf(q) === i)).toEqual([
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
        "2027-Q1",
      ]);
      expect(progress("2025-Q1", "1.1")).toMatchObject({ status: "not_started", progress: "not_started" });
      expect(progress("2025-Q2", "1.1")).toMatchObject({ status: "in_progress", progress: "on_track", updated_in_quarter: true });
      expect(progress("2025-Q3", "1.1")).toMatchObject({ progress: "on_track", updated_in_quarter: false });
      expect(progress("2026-Q3", "1.1")).toMatchObject({ status: "done", progress: "done" });
      expect(progress("2027-Q1", "1.1")).toMatchObject({ progress: "done" });
      // Half of 2025-2026 has gone by the end of 2025: a measure not started is slipping, and overdue after 2026.
      expect(progress("2025-Q3", "1.2")).toMatchObject({ progress: "not_started" });
      expect(progress("2025-Q4", "1.2")).toMatchObject({ progress: "slipping" });
      expect(progress("2027-Q1", "1.2")).toMatchObject({ progress: "overdue" });
      expect(progress("2026-Q4", "1.3")).toMatchObject({ progress: "not_due" });
      expect(progress("2027-Q1", "1.3")).toMatchObject({ progress: "not_started" });
      expect(progress("2026-Q1", "1.4")).toMatchObject({ progress: "undated" });

      // The quarter still running is judged on the day asked, not at its end.
      const [current] = await queryRows(
        db,
        "SELECT judged_on::VARCHAR AS d FROM measures_quarterly_as_of(DATE '2027-02-15') WHERE quarter = '2027-Q1' LIMIT 1",
      );
      expect(current.d).toBe("2027-02-15");

      const summary = await queryRows(
        db,
        "SELECT progress, measures FROM measures_quarterly_summary_as_of(DATE '2027-02-15') WHERE quarter = '2026-Q4' ORDER BY progress",
      );
      expect(summary).toEqual([
        { progress: "done", measures: 1 },
        { progress: "not_due", measures: 1 },
        { progress: "slipping", measures: 1 },
        { progress: "undated", measures: 1 },
      ]);
    });
  });
});

describe("Governance timeline against what happened", () => {
  const event = (
    event_id: string,
    status: string,
    date_start: string | null,
    date_precision: string | null,
    deadline_kind: string | null,
  ) => ({
    event_id,
    track: "national",
    title: `Event ${event_id}`,
    status,
    date_start,
    date_end: null,
    date_precision,
    date_text: date_start ?? "no date",
    deadline_kind,
    reported_in: "mptc-2025-04-23",
    reported_on: "2025-04-23",
    document_url: null,
    note: null,
    ...prov,
    source_id: "governance-timeline",
  });

  it("marks planned activities done, slipped, rescheduled or cancelled from the analysts' records", async () => {
    await withDb(async (db) => {
      await insert(db, "events", [
        event("done-in-release", "done", "2024-12-06", "day", "on"),
        event("late", "planned", "2025-05-30", "day", "by"),
        event("slipped-month", "planned", "2025-06-01", "month", "by"),
        event("moved", "planned", "2025-06-30", "day", "by"),
        event("dropped", "planned", "2025-07-01", "day", "on"),
        event("starting", "planned", "2025-04-01", "month", "from"),
        event("future", "planned", "2027-01-01", "day", "by"),
        event("undated", "planned", null, null, null),
      ]);
      const who = { recordedBy: "analyst:sokha", evidenceUrls: evidence };
      await recordEventOutcome(
        db,
        { eventId: "late", outcome: "happened", onDate: "2025-06-09", note: "Launched at a ministry event", ...who },
        at("2025-06-10T00:00:00Z"),
      );
      await recordEventOutcome(
        db,
        { eventId: "moved", outcome: "rescheduled", onDate: "2027-03-31", note: "Ministry announced a new date", ...who },
        at("2025-07-01T00:00:00Z"),
      );
      await recordEventOutcome(
        db,
        { eventId: "dropped", outcome: "cancelled", note: "Replaced by another workshop", ...who },
        at("2025-07-02T00:00:00Z"),
      );

      const rows = await queryRows(
        db,
        "SELECT event_id, state, due_on::VARCHAR AS due_on, days_late FROM events_progress_as_of(DATE '2026-12-01') ORDER BY event_id",
      );
      expect(rows).toEqual([
        { event_id: "done-in-release", state: "done", due_on: "2024-12-06", days_late: null },
        { event_id: "dropped", state: "cancelled", due_on: "2025-07-01", days_late: null },
        { event_id: "future", state: "planned", due_on: "2027-01-01", days_late: null },
        { event_id: "late", state: "done", due_on: "2025-05-30", days_late: 10 },
        { event_id: "moved", state: "planned", due_on: "2027-03-31", days_late: null },
        // A month printed alone is due by its last day.
        { event_id: "slipped-month", state: "slipped", due_on: "2025-06-30", days_late: 519 },
        { event_id: "starting", state: "unconfirmed", due_on: "2025-04-30", days_late: null },
        { event_id: "undated", state: "undated", due_on: null, days_late: null },
      ]);
      // Reproducible: before the outcome was recorded, the late activity was slipping.
      const [before] = await queryRows(db, "SELECT state FROM events_progress_as_of(DATE '2025-06-05') WHERE event_id = 'late'");
      expect(before.state).toBe("slipped");
      const log = await queryRows(db, "SELECT actor, action, target_key, new_value FROM curation_log ORDER BY log_id");
      expect(log[0]).toEqual({ actor: "analyst:sokha", action: "event_outcome", target_key: "late", new_value: "happened on 2025-06-09" });
    });
  });

  it("refuses an outcome with no date, no evidence or an unknown event, naming the field", async () => {
    await withDb(async (db) => {
      await insert(db, "events", [event("e1", "planned", "2025-05-30", "day", "by")]);
      const base = {
        eventId: "e1",
        outcome: "happened" as const,
        onDate: "2025-06-01",
        note: "n",
        evidenceUrls: evidence,
        recordedBy: "a",
      };
      await expect(recordEventOutcome(db, { ...base, onDate: null }, clock)).rejects.toThrow(
        new CurationInputError("onDate", "is required when the outcome is happened"),
      );
      await expect(recordEventOutcome(db, { ...base, evidenceUrls: [] }, clock)).rejects.toThrow(
        /evidenceUrls must hold at least one link/,
      );
      await expect(recordEventOutcome(db, { ...base, evidenceUrls: ["javascript:alert(1)"] }, clock)).rejects.toThrow(
        /evidenceUrls\[0\] must be an http\(s\) URL/,
      );
      await expect(recordEventOutcome(db, { ...base, eventId: "nope" }, clock)).rejects.toThrow(
        /eventId "nope" is not a governance-timeline event/,
      );
      const [{ n }] = await queryRows(db, "SELECT count(*) AS n FROM event_outcomes");
      expect(Number(n)).toBe(0);
    });
  });
});
