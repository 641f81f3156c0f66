// The review kinds' handlers (warehouse/review/<kind>.ts, registered in warehouse/review/handlers.ts): the
// generic review code reads every per-kind fact from them.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withWarehouse } from "../../warehouse/db.js";
import { reviewFields, reviewKinds, secondPersonKinds, validateDecision } from "../../warehouse/review.js";
import { reviewHandlers } from "../../warehouse/review/handlers.js";
import { CurationInputError } from "../../warehouse/validate.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-review-handlers-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Review handlers", () => {
  it("give the kinds, their fields and the second-person kinds from the one map", () => {
    expect(reviewKinds).toEqual(["incident", "indicator", "range", "classification", "measure", "event", "report", "match"]);
    for (const kind of reviewKinds) expect(reviewFields[kind]).toEqual(reviewHandlers[kind].fields);
    expect(reviewFields.match).toEqual([]);
    expect(reviewFields.incident).toContain("attach_to");
    expect(reviewFields.report).not.toContain("attach_to");
    expect([...secondPersonKinds].sort()).toEqual(["event", "indicator", "measure", "range", "report"]);
  });

  it("apply each kind's own field checks, and only to that kind's fields", () => {
    const decision = (fields: Record<string, string>) => ({ action: "approve" as const, by: "analyst:a", reason: "checked", fields });
    expect(() => validateDecision("range", decision({ value: "abc" }))).toThrow(/fields\.value must be a number/);
    expect(() => validateDecision("report", decision({ severity: "dire" }))).toThrow(/fields\.severity must be low, medium or high/);
    expect(() => validateDecision("incident", decision({ occurred_on: "July" }))).toThrow(/fields\.occurred_on must be YYYY/);
    expect(() => validateDecision("classification", decision({ add: "priority 3" }))).toThrow(/fields\.add must be dimension\/tag/);
    expect(() => validateDecision("measure", decision({ value: "1" }))).toThrow(/fields\.value is not a field of a measure review/);
    expect(() => validateDecision("indicator", decision({ value: "12.5" }))).not.toThrow();
  });

  it("refuse to describe an item the warehouse does not hold, naming the key, for every kind", async () => {
    const keys: Record<string, string> = {
      incident: "nope",
      indicator: "wb/X/KHM/2024=1",
      range: "wb/X/KHM/2024=1",
      classification: "news/nope",
      measure: "9.9/1",
      event: "nope/1",
      report: "R-NOPE",
      match: "a|b",
    };
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      for (const kind of reviewKinds) {
        const error = await reviewHandlers[kind].describe(db, { kind, key: keys[kind] }, {}).catch((e: unknown) => e);
        expect(error, kind).toBeInstanceOf(CurationInputError);
        expect((error as CurationInputError).field, kind).toBe("key");
      }
    });
  });
});
