// Views and macros live in warehouse/views/ and are re-created on every open; the migrations define none.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listMigrations, listViews, queryRows, withWarehouse } from "../../warehouse/db.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-views-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const defined = (sql: string) => [...sql.matchAll(/^CREATE OR REPLACE (?:VIEW|MACRO) (\w+)/gim)].map((m) => m[1]);

describe("Views", () => {
  it("are defined in warehouse/views/ only: no migration creates, replaces or renames a view or macro", async () => {
    for (const m of await listMigrations())
      expect(m.sql, `${m.version}_${m.name}`).not.toMatch(/^\s*(CREATE(\s+OR\s+REPLACE)?\s+(VIEW|MACRO)|ALTER\s+VIEW)\b/im);
    const names = (await listViews()).flatMap((v) => defined(v.sql));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "period_start",
        "observations_as_of",
        "v_incidents_public",
        "v_incidents_unmatched",
        "v_observations_published",
      ]),
    );
  });

  it("exist in an opened warehouse exactly as the files define them, and are restored on the next open when changed", async () => {
    const file = path.join(dir, "w.duckdb");
    const names = (await listViews()).flatMap((v) => defined(v.sql));
    const present = async () =>
      withWarehouse(file, async (db) =>
        (
          await queryRows<{ name: string }>(
            db,
            "SELECT view_name AS name FROM duckdb_views() WHERE NOT internal UNION SELECT function_name FROM duckdb_functions() WHERE " +
              "function_type IN ('macro', 'table_macro') AND NOT internal",
          )
        ).map((r) => r.name),
      );
    expect(await present()).toEqual(expect.arrayContaining(names));
    await withWarehouse(file, async (db) => {
      await db.run("CREATE OR REPLACE VIEW v_news_public AS SELECT 1 AS stale");
      expect(await queryRows(db, "SELECT * FROM v_news_public")).toEqual([{ stale: 1 }]);
    });
    await withWarehouse(file, async (db) => {
      const columns = (
        await queryRows<{ column_name: string }>(
          db,
          "SELECT column_name FROM information_schema.columns WHERE table_name = 'v_news_public'",
        )
      ).map((r) => r.column_name);
      expect(columns).not.toContain("stale");
      expect(columns).toContain("item_key");
    });
  });
});
