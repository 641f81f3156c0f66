// The one period parser (sources/period.ts) and the warehouse's SQL macro period_start
// (warehouse/views/01_period.sql) read the same texts as the same periods.
import { describe, expect, it } from "vitest";
import { parsePeriod, periodStart } from "../../sources/period.js";
import { listViews, queryRows, withMemoryDb } from "../../warehouse/db.js";

const inputs = [
  "2024",
  "2024Q1",
  "2024-Q4",
  "2024M01",
  "2024-12",
  "2024M12",
  "2024-M01",
  "2024Q5",
  "2024-Q0",
  "2024M13",
  "2024-00",
  "202401",
  "24",
  "twenty",
  "2024 ",
  "Q1-2024",
  "",
];

describe("Periods", () => {
  it("reads years, quarters and months as the sources spell them, and nothing else", () => {
    expect(parsePeriod("2024")).toEqual({ year: 2024 });
    expect(parsePeriod("2024-Q3")).toEqual({ year: 2024, quarter: 3 });
    expect(parsePeriod("2024Q3")).toEqual({ year: 2024, quarter: 3 });
    expect(parsePeriod("2024M07")).toEqual({ year: 2024, month: 7 });
    expect(parsePeriod("2024-07")).toEqual({ year: 2024, month: 7 });
    expect(periodStart("2024-Q3")).toBe("2024-07-01");
    expect(periodStart("2024M12")).toBe("2024-12-01");
    for (const bad of ["2024Q5", "2024M13", "2024-00", "202401", "2024-M01", "twenty", ""]) expect(parsePeriod(bad), bad).toBeNull();
  });

  it("gives the same first day as the SQL macro period_start for every input", async () => {
    const [periodFile] = await listViews();
    expect(periodFile.name).toBe("01_period.sql");
    const sql = await withMemoryDb(async (db) => {
      await db.run(periodFile.sql);
      const rows = await queryRows<{ p: string; start: string | null }>(
        db,
        `SELECT p, period_start(p)::VARCHAR AS start FROM (SELECT unnest([${inputs.map((i) => `'${i}'`).join(", ")}]::VARCHAR[]) AS p)`,
      );
      return Object.fromEntries(rows.map((r) => [r.p, r.start]));
    });
    expect(sql).toEqual(Object.fromEntries(inputs.map((p) => [p, periodStart(p)])));
  });
});
