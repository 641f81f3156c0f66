import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { parse as parseCsv } from "csv-parse/sync";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { bulkInsert, queryRows, sqlString, withMemoryDb, withWarehouse } from "../../warehouse/db.js";
import { describePublicTables, exportPublicTables, publicTables, tableSchemaType, type ExportResult } from "../../warehouse/export.js";
import { buildDictionary, dictionaryFile } from "../../warehouse/dictionary.js";
import { checkAgainstSchema, licenceOf, loadMetadata, parseMetadata } from "../../warehouse/metadata.js";
import { sourceColumns } from "../../warehouse/load.js";
import { classifyItem, curateObservation, rejectItem } from "../../warehouse/curation.js";
import { recordReviewDecision } from "../../warehouse/review.js";
import { columnsOf, type RecordTable } from "../../warehouse/tables.js";
import { repoRoot, testAnalysts, testClock } from "../helpers.js";

/** Decisions recorded without a date of their own are stamped from here, never from the machine's clock. */
const clock = { now: testClock("2026-01-03T09:00:00Z") };

let dir: string;
let team: Awaited<ReturnType<typeof testAnalysts>>;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-export-"));
  team = await testAnalysts(dir, { dara: "analyst" });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Fixture: a small warehouse with the values that trip exports up: revised values, a source with values
// but no indicator definition, Khmer text, quotes, commas, newlines, a spreadsheet formula, lists,
// empty strings beside nulls and sub-second times.

const sources = [
  {
    source_id: "worldbank-wdi",
    title: "World Bank WDI",
    kind: "indicator",
    parser: "worldbank-v2",
    urls: ["https://api.worldbank.org/v2/country/KHM/indicator/IT.NET.USER.ZS?format=json"],
    cadence: "monthly",
    licence: "CC BY 4.0",
    attribution: "World Bank",
    enabled: true,
  },
  {
    source_id: "indicator-sheet",
    title: "Analyst sheet",
    kind: "indicator",
    parser: "indicator-sheet",
    urls: ["repo:sources/curated/indicators.csv"],
    cadence: "manual",
    licence: "Figures as published by their sources; sheet CC BY 4.0",
    attribution: "Observatory analysts",
    enabled: true,
  },
  {
    source_id: "khmer-times",
    title: "Khmer Times news feed",
    kind: "news",
    parser: "rss",
    urls: ["https://www.khmertimeskh.com/feed/"],
    cadence: "hourly",
    licence: "© Khmer Times; headline, link and short excerpt only",
    attribution: "Khmer Times",
    enabled: true,
  },
  {
    source_id: "aiid",
    title: "AI Incident Database",
    kind: "incident",
    parser: "aiid-graphql",
    urls: ["https://incidentdatabase.ai/api/graphql"],
    cadence: "weekly",
    licence: "CC BY-SA 4.0 (database); reports keep their own rights",
    attribution: "Responsible AI Collaborative",
    enabled: true,
  },
  {
    source_id: "odd",
    title: "A source with its own terms",
    kind: "news",
    parser: "rss",
    urls: ["https://example.org/feed"],
    cadence: "daily",
    licence: "Terms of the publisher",
    attribution: "Example",
    enabled: false,
  },
];

const prov = (source_id: string, retrieved_at = "2026-01-01T00:00:00Z") => ({
  source_id,
  snapshot_sha256: "a".repeat(64),
  retrieved_at,
  row_hash: "internal",
});

const FORMULA = '=HYPERLINK("http://evil.example","click")';
const KHMER = "យុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត";

async function insert(db: DuckDBConnection, table: RecordTable, rows: Array<Record<string, unknown>>, extra: Record<string, string> = {}) {
  await bulkInsert(db, table, { ...Object.fromEntries(columnsOf(table)), ...extra }, rows);
}

/** Fills the warehouse; `reversed` inserts every table's rows in the opposite order. */
async function seed(db: DuckDBConnection, { reversed = false, population = 17423880, approveSheet = true } = {}) {
  const order = <T>(rows: T[]) => (reversed ? [...rows].reverse() : rows);
  await bulkInsert(db, "sources", sourceColumns, order(sources));
  await insert(
    db,
    "indicators",
    order([
      {
        indicator_code: "IT.NET.USER.ZS",
        name: "Individuals using the Internet (% of population)",
        unit: "% of population",
        source_note: null,
        ...prov("worldbank-wdi"),
      },
      { indicator_code: "SP.POP.TOTL", name: "Population, total", unit: "people", source_note: null, ...prov("worldbank-wdi") },
    ]),
  );
  const versioned = { valid_from: "TIMESTAMPTZ", valid_to: "TIMESTAMPTZ" };
  await insert(
    db,
    "observations",
    order([
      {
        indicator_code: "IT.NET.USER.ZS",
        country_iso3: "KHM",
        period: "2022",
        value: 56.7,
        source_url: "https://data.worldbank.org/indicator/IT.NET.USER.ZS",
        ...prov("worldbank-wdi"),
        valid_from: "2026-01-01T00:00:00Z",
        valid_to: null,
      },
      {
        indicator_code: "IT.NET.USER.ZS",
        country_iso3: "KHM",
        period: "2023",
        value: 60.0,
        source_url: "https://data.worldbank.org/indicator/IT.NET.USER.ZS",
        ...prov("worldbank-wdi"),
        valid_from: "2026-01-01T00:00:00Z",
        valid_to: "2026-02-01T00:00:00Z",
      },
      {
        indicator_code: "IT.NET.USER.ZS",
        country_iso3: "KHM",
        period: "2023",
        value: 60.7171,
        source_url: "https://data.worldbank.org/indicator/IT.NET.USER.ZS",
        ...prov("worldbank-wdi", "2026-02-01T00:00:00Z"),
        valid_from: "2026-02-01T00:00:00Z",
        valid_to: null,
      },
      // The analysts' sheet gives a value but no definition of its own: name and unit come from the World Bank's.
      {
        indicator_code: "IT.NET.USER.ZS",
        country_iso3: "KHM",
        period: "2024",
        value: 62.5,
        source_url: "https://example.org/report.pdf#page=12",
        ...prov("indicator-sheet"),
        valid_from: "2026-01-01T00:00:00Z",
        valid_to: null,
      },
      {
        indicator_code: "SP.POP.TOTL",
        country_iso3: "KHM",
        period: "2023",
        value: population,
        source_url: "https://data.worldbank.org/indicator/SP.POP.TOTL",
        ...prov("worldbank-wdi"),
        valid_from: "2026-01-01T00:00:00Z",
        valid_to: null,
      },
    ]),
    versioned,
  );
  await insert(
    db,
    "news_items",
    order([
      {
        item_key: "https://kt.example/1",
        canonical_url: "https://kt.example/1",
        title: FORMULA,
        summary: `${KHMER}, "quoted"\nsecond line`,
        published_at: "2026-03-04T05:06:07.123Z",
        outlet: "Khmer Times",
        language: "km",
        categories: ["AI", "Policy; Tech", 'say "hi"'],
        kind: "news",
        ...prov("khmer-times"),
      },
      {
        item_key: "https://kt.example/2",
        canonical_url: "https://kt.example/2",
        title: "-5% growth",
        summary: "",
        published_at: null,
        outlet: "Khmer Times",
        language: "en",
        categories: [],
        kind: "news",
        ...prov("khmer-times"),
      },
    ]),
  );
  await insert(
    db,
    "incidents",
    order([
      {
        incident_key: "aiid:1",
        source_incident_id: "1",
        occurred_on: "2025-06-01",
        date_precision: "month",
        title: "Deepfake scam",
        description: "A deepfake video was used in a scam.",
        deployers: ["Unknown"],
        developers: [],
        harmed_parties: ["Residents of Phnom Penh"],
        harm_types: ["deepfake", "scam"],
        sector: null,
        severity: null,
        province: "Phnom Penh",
        status: "published",
        report_urls: ["https://news.example/a", "https://news.example/b"],
        ...prov("aiid"),
      },
    ]),
  );
  await bulkInsert(
    db,
    "item_tags",
    {
      item_kind: "VARCHAR",
      item_key: "VARCHAR",
      dimension: "VARCHAR",
      tag: "VARCHAR",
      matched: "VARCHAR",
      made_by: "VARCHAR",
      made_at: "TIMESTAMPTZ",
    },
    order([
      {
        item_kind: "news",
        item_key: "https://kt.example/1",
        dimension: "ai",
        tag: "ai",
        matched: "AI",
        made_by: "rule",
        made_at: "2026-01-01T00:00:00Z",
      },
      {
        item_kind: "news",
        item_key: "https://kt.example/1",
        dimension: "priority",
        tag: "2",
        matched: "policy",
        made_by: "rule",
        made_at: "2026-01-01T00:00:00Z",
      },
    ]),
  );
  // A sheet value is published only once an analyst has approved it (issue 6, migration 007).
  if (approveSheet) {
    await recordReviewDecision(
      db,
      { kind: "indicator", key: "indicator-sheet/IT.NET.USER.ZS/KHM/2024=62.5" },
      team.decision(
        "dara",
        { kind: "indicator", key: "indicator-sheet/IT.NET.USER.ZS/KHM/2024=62.5" },
        "approve",
        "checked against page 12 of the report",
      ),
      { now: () => new Date("2026-01-02T00:00:00Z"), analysts: team.store },
    );
  }
}

async function seededWarehouse(name: string, options?: Parameters<typeof seed>[1]) {
  const file = path.join(dir, `${name}.duckdb`);
  await withWarehouse(file, (db) => seed(db, options));
  return file;
}

const exportAt = (file: string, exportsDir: string, builtAt: string, options?: Parameters<typeof exportPublicTables>[3]) =>
  withWarehouse(file, (db) => exportPublicTables(db, exportsDir, builtAt, options));

const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await fs.readFile(file))
    .digest("hex");
const readJson = async (file: string) => JSON.parse(await fs.readFile(file, "utf8"));

// ---------------------------------------------------------------------------------------------------
// The Frictionless Data Package and Table Schema (v2, https://datapackage.org/standard/) rules the
// export must keep, written as a zod schema. The npm `datapackage` validator is unmaintained (last
// release 2021, on axios 0.21 and tv4), so the spec's required properties are encoded here instead.

const nameRule = z.string().regex(/^[-a-z0-9._/]+$/, "names are lower-case letters, digits, '-', '.', '_' or '/'");
const fieldTypes = [
  "string",
  "number",
  "integer",
  "boolean",
  "object",
  "array",
  "list",
  "date",
  "time",
  "datetime",
  "year",
  "yearmonth",
  "duration",
  "geopoint",
  "geojson",
  "any",
] as const;

const licenseSchema = z
  .object({
    name: z
      .string()
      .regex(/^[-a-zA-Z0-9._]+$/)
      .optional(),
    path: z.string().url().optional(),
    title: z.string().optional(),
  })
  .refine((l) => l.name !== undefined || l.path !== undefined, "a licence needs a name or a path");

const tableSchemaSchema = z
  .object({
    fields: z
      .array(
        z
          .object({ name: z.string().min(1), type: z.enum(fieldTypes), description: z.string().optional(), format: z.string().optional() })
          .passthrough(),
      )
      .min(1)
      .refine((fs) => new Set(fs.map((f) => f.name)).size === fs.length, "field names must be unique"),
    primaryKey: z.array(z.string()).optional(),
  })
  .passthrough()
  .refine((s) => (s.primaryKey ?? []).every((k) => s.fields.some((f) => f.name === k)), "primaryKey must name fields of the schema");

const resourceSchema = z
  .object({
    name: nameRule,
    path: z
      .string()
      .refine((p) => !p.startsWith("/") && !p.split("/").includes("..") && !/^[a-z]+:/.test(p), "path must be a relative POSIX path"),
    type: z.literal("table").optional(),
    format: z.string().min(1),
    mediatype: z.string().regex(/^[^/]+\/[^/]+$/),
    encoding: z.string().optional(),
    bytes: z.number().int().nonnegative(),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    title: z.string().optional(),
    description: z.string().optional(),
    licenses: z.array(licenseSchema).min(1).optional(),
    schema: tableSchemaSchema,
    dialect: z.object({}).passthrough().optional(),
  })
  .passthrough()
  .refine((r) => !("data" in r), "a resource has a path or inline data, not both");

const dataPackageSchema = z
  .object({
    $schema: z.string().url().optional(),
    name: nameRule,
    title: z.string().min(1),
    description: z.string().min(1),
    version: z.string().optional(),
    created: z.string().datetime({ offset: true }),
    keywords: z.array(z.string()).optional(),
    contributors: z.array(z.object({ title: z.string().min(1) }).passthrough()).optional(),
    licenses: z.array(licenseSchema).min(1),
    sources: z.array(z.object({ title: z.string().min(1), path: z.string().url().optional() }).passthrough()).min(1),
    resources: z
      .array(resourceSchema)
      .min(1)
      .refine((rs) => new Set(rs.map((r) => r.name)).size === rs.length, "resource names must be unique"),
  })
  .passthrough();

type DataPackage = z.infer<typeof dataPackageSchema>;

// ---------------------------------------------------------------------------------------------------

describe("Export catalogue (warehouse/metadata.yaml)", () => {
  it("describes every public table and column of the migrated warehouse, in the warehouse's column order", async () => {
    const metadata = await loadMetadata();
    await withWarehouse(path.join(dir, "w.duckdb"), async (db) => {
      const schema = await describePublicTables(db);
      const names = Object.fromEntries(Object.entries(schema).map(([t, cols]) => [t, cols.map((c) => c.name)]));
      expect(() => checkAgainstSchema(metadata, names)).not.toThrow();
      for (const [table, columns] of Object.entries(names)) expect(Object.keys(metadata.tables[table].columns), table).toEqual(columns);
      for (const [table, columns] of Object.entries(schema)) {
        for (const c of columns) expect(tableSchemaType(c.type), `${table}.${c.name} ${c.type}`).toBeDefined();
      }
    });
    expect(Object.keys(metadata.tables).sort()).toEqual(Object.keys(publicTables).sort());
  });

  it("names the table and column when the warehouse has a column metadata.yaml does not describe, and the reverse", async () => {
    const metadata = await loadMetadata();
    const actual = { ...Object.fromEntries(Object.entries(metadata.tables).map(([t, m]) => [t, Object.keys(m.columns)])) };
    actual.observations = [...actual.observations.filter((c) => c !== "unit"), "new_column"];
    expect(() => checkAgainstSchema(metadata, actual)).toThrow(
      /column observations\.new_column has no description[\s\S]*tables\.observations\.columns\.unit describes a column the export does not have/,
    );
  });

  it("rejects a column without a description, naming the field", () => {
    const yaml = `
package: { name: p, title: T, description: D, citation: C }
licences: { observatory: { name: CC-BY-4.0, title: CC BY }, sources: [] }
tables:
  things:
    title: Things
    description: Some things.
    primary_key: [thing_id]
    columns:
      thing_id: { unit: rows }
      label: ""
`;
    expect(() => parseMetadata(yaml, "m.yaml")).toThrow(
      "m.yaml is invalid:\n  tables.things.columns.thing_id.description: Required\n  tables.things.columns.label.description: must not be empty",
    );
    const badKey = yaml.replace("[thing_id]", "[thing_id, missing]").replace("{ unit: rows }", "Identifier.").replace('""', "Label.");
    expect(() => parseMetadata(badKey, "m.yaml")).toThrow('tables.things.primary_key.1: "missing" is not one of the table\'s columns');
  });

  it("maps each source's licence text to an Open Definition licence, first match wins", async () => {
    const metadata = await loadMetadata();
    expect(licenceOf(metadata, "CC BY-SA 4.0 (database); reports keep their own rights")).toMatchObject({ name: "CC-BY-SA-4.0" });
    expect(licenceOf(metadata, "Government document; transcription CC BY 4.0")).toMatchObject({ name: "CC-BY-4.0" });
    expect(licenceOf(metadata, "CC0 1.0 (metadata, arXiv API Terms of Use)")).toMatchObject({ name: "CC0-1.0" });
    expect(licenceOf(metadata, "© CamboJA News; headline, link and short excerpt only")).toMatchObject({ name: "other-closed" });
    expect(licenceOf(metadata, "Terms of the publisher")).toEqual({ name: "notspecified", title: "Terms of the publisher" });
  });
});

describe("Public exports", () => {
  it("writes byte-identical Parquet and CSV files for the same data, whatever order the rows were inserted in", async () => {
    const first = await exportAt(await seededWarehouse("a"), path.join(dir, "a"), "2026-05-01T10:00:00Z");
    const second = await exportAt(await seededWarehouse("b", { reversed: true }), path.join(dir, "b"), "2026-05-02T10:00:00Z");
    expect(Object.keys(first.tables)).toEqual(Object.keys(publicTables));
    for (const table of Object.keys(publicTables)) {
      expect(second.tables[table].sha256, `${table}.parquet`).toBe(first.tables[table].sha256);
      expect(second.tables[table].csv.sha256, `${table}.csv`).toBe(first.tables[table].csv.sha256);
      expect(await sha256(path.join(dir, "b", `${table}.parquet`))).toBe(first.tables[table].sha256);
    }
    const parquet = path.join(dir, "a", "observations.parquet");
    const meta = await withMemoryDb((db) => queryRows(db, `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(parquet)})`));
    expect(meta).toEqual([{ compression: "ZSTD" }]);
  });

  it("sorts rows by the table's order and leaves out the internal row_hash", async () => {
    const file = await seededWarehouse("w", { reversed: true });
    const exportsDir = path.join(dir, "exports");
    await exportAt(file, exportsDir, "2026-05-01T10:00:00Z");
    await withMemoryDb(async (db) => {
      const obs = path.join(exportsDir, "observations.parquet");
      const rows = await queryRows(
        db,
        `SELECT indicator_code, period, source_id, valid_from::VARCHAR AS valid_from FROM read_parquet(${sqlString(obs)})`,
      );
      expect(rows.map((r) => `${r.indicator_code}/${r.period}/${r.source_id}/${r.valid_from}`)).toEqual([
        "IT.NET.USER.ZS/2022/worldbank-wdi/2026-01-01 00:00:00+00",
        "IT.NET.USER.ZS/2023/worldbank-wdi/2026-01-01 00:00:00+00",
        "IT.NET.USER.ZS/2023/worldbank-wdi/2026-02-01 00:00:00+00",
        "IT.NET.USER.ZS/2024/indicator-sheet/2026-01-01 00:00:00+00",
        "SP.POP.TOTL/2023/worldbank-wdi/2026-01-01 00:00:00+00",
      ]);
      for (const table of Object.keys(publicTables)) {
        const cols = await queryRows(
          db,
          `SELECT name FROM parquet_schema(${sqlString(path.join(exportsDir, `${table}.parquet`))}) WHERE name = 'row_hash'`,
        );
        expect(cols, table).toEqual([]);
      }
    });
  });

  it("writes a CSV twin of every table with the same rows, lists as JSON arrays, UTC ISO 8601 times and inert formulas", async () => {
    const exportsDir = path.join(dir, "exports");
    const result = await exportAt(await seededWarehouse("w"), exportsDir, "2026-05-01T10:00:00Z");
    for (const table of Object.keys(publicTables)) {
      const body = await fs.readFile(path.join(exportsDir, `${table}.csv`), "utf8");
      const records = parseCsv(body, { columns: true, relax_quotes: false }) as Array<Record<string, string>>;
      expect(records.length, table).toBe(result.tables[table].rows);
      const header = body.slice(0, body.indexOf("\r\n")).split(",");
      const parquetCols = await withMemoryDb((db) =>
        queryRows(db, `DESCRIBE SELECT * FROM read_parquet(${sqlString(path.join(exportsDir, `${table}.parquet`))})`),
      );
      expect(header, table).toEqual(parquetCols.map((c) => c.column_name));
    }
    const body = await fs.readFile(path.join(exportsDir, "news_items.csv"), "utf8");
    expect(body.endsWith("\r\n")).toBe(true);
    const [first, second] = parseCsv(body, { columns: true }) as Array<Record<string, string>>;
    expect(first).toMatchObject({
      title: `'${FORMULA}`,
      summary: `${KHMER}, "quoted"\nsecond line`,
      published_at: "2026-03-04T05:06:07.123000Z",
      categories: '["AI","Policy; Tech","say \\"hi\\""]',
      retrieved_at: "2026-01-01T00:00:00Z",
    });
    expect(JSON.parse(first.categories)).toEqual(["AI", "Policy; Tech", 'say "hi"']);
    // A null is an empty field; an empty string is a quoted empty field.
    expect(second).toMatchObject({ title: "'-5% growth", published_at: "", categories: "[]", summary: "" });
    expect(body).toContain(',"",');
    const obs = parseCsv(await fs.readFile(path.join(exportsDir, "observations.csv"), "utf8"), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(obs[0]).toMatchObject({ indicator_code: "IT.NET.USER.ZS", value: "56.7", unit: "% of population", valid_to: "" });
  });

  it("publishes a datapackage.json that follows the Data Package spec and describes every file as its Parquet reads back", async () => {
    const exportsDir = path.join(dir, "exports");
    await exportAt(await seededWarehouse("w"), exportsDir, "2026-05-01T10:00:00+07:00");
    const parsed = dataPackageSchema.safeParse(await readJson(path.join(exportsDir, "datapackage.json")));
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues, null, 2)).toBe(true);
    const pkg = parsed.data as DataPackage;
    expect(pkg.created).toBe("2026-05-01T03:00:00.000Z");
    expect(pkg.licenses.map((l) => l.name)).toEqual(["CC-BY-4.0", "CC-BY-SA-4.0", "other-closed", "notspecified"]);
    expect(pkg.sources.map((s) => s.title)).toEqual([
      "AI Incident Database",
      "Analyst sheet",
      "Khmer Times news feed",
      "A source with its own terms",
      "World Bank WDI",
    ]);
    expect(pkg.sources.find((s) => s.title === "Analyst sheet")?.path).toBeUndefined();
    expect(pkg.sources.find((s) => s.title === "World Bank WDI")).toMatchObject({
      path: expect.stringMatching(/^https:\/\/api\.worldbank\.org\//),
      licence: "CC BY 4.0",
    });
    expect(pkg.citation).toContain("(2026)");

    const metadata = await loadMetadata();
    expect(pkg.resources.map((r) => r.name)).toEqual(Object.keys(publicTables).flatMap((t) => [t, `${t}-csv`]));
    await withMemoryDb(async (db) => {
      for (const resource of pkg.resources) {
        const file = path.join(exportsDir, resource.path);
        const body = await fs.readFile(file);
        expect(resource.bytes, resource.name).toBe(body.byteLength);
        expect(resource.hash, resource.name).toBe(`sha256:${createHash("sha256").update(body).digest("hex")}`);
        const table = resource.name.replace(/-csv$/, "");
        const parquet = path.join(exportsDir, `${table}.parquet`);
        const cols = await queryRows(db, `DESCRIBE SELECT * FROM read_parquet(${sqlString(parquet)})`);
        expect(
          resource.schema.fields.map((f) => [f.name, f.type]),
          resource.name,
        ).toEqual(cols.map((c) => [c.column_name, tableSchemaType(String(c.column_type))]));
        expect(resource.schema.fields.every((f) => (f.description ?? "").length > 0)).toBe(true);
        expect(resource.schema.primaryKey).toEqual(metadata.tables[table].primary_key);
        const [{ n }] = await queryRows(db, `SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(parquet)})`);
        expect(resource.rows, resource.name).toBe(n);
        if (resource.format === "csv")
          expect(resource).toMatchObject({ mediatype: "text/csv", encoding: "utf-8", dialect: { header: true, delimiter: "," } });
        else expect(resource).toMatchObject({ format: "parquet", mediatype: "application/vnd.apache.parquet" });
      }
    });
    const obs = pkg.resources.find((r) => r.name === "observations")!;
    expect(obs.schema.fields.find((f) => f.name === "value")).toMatchObject({ type: "number" });
    expect(obs.schema.fields.find((f) => f.name === "valid_to")).toMatchObject({ type: "datetime" });
    expect(pkg.resources.find((r) => r.name === "news_items")!.schema.fields.find((f) => f.name === "categories")).toMatchObject({
      type: "array",
    });
    expect(pkg.resources.find((r) => r.name === "snapshots")!.schema.fields.find((f) => f.name === "bytes")).toMatchObject({
      type: "integer",
      unit: "bytes",
    });
    // Record tables carry their own sources' licences as well as the observatory's.
    expect(obs.licenses?.map((l) => l.name)).toEqual(["CC-BY-4.0"]);
    expect(pkg.resources.find((r) => r.name === "news_items")!.licenses?.map((l) => l.name)).toEqual(["CC-BY-4.0", "other-closed"]);
    expect(pkg.resources.find((r) => r.name === "incidents")!.licenses?.map((l) => l.name)).toEqual(["CC-BY-4.0", "CC-BY-SA-4.0"]);
  });

  it("lets a researcher read values with their units and sources from observations.parquet alone", async () => {
    const exportsDir = path.join(dir, "exports");
    await exportAt(await seededWarehouse("w"), exportsDir, "2026-05-01T10:00:00Z");
    // The query docs/data.md gives for current values, run against the export folder.
    const rows = await withMemoryDb((db) =>
      queryRows(
        db,
        `SELECT indicator_name, period, value, unit, source_id, source_url
           FROM read_parquet(${sqlString(path.join(exportsDir, "observations.parquet"))})
          WHERE indicator_code = 'IT.NET.USER.ZS' AND country_iso3 = 'KHM' AND valid_to IS NULL
          ORDER BY period`,
      ),
    );
    expect(rows).toEqual([
      {
        indicator_name: "Individuals using the Internet (% of population)",
        period: "2022",
        value: 56.7,
        unit: "% of population",
        source_id: "worldbank-wdi",
        source_url: "https://data.worldbank.org/indicator/IT.NET.USER.ZS",
      },
      {
        indicator_name: "Individuals using the Internet (% of population)",
        period: "2023",
        value: 60.7171,
        unit: "% of population",
        source_id: "worldbank-wdi",
        source_url: "https://data.worldbank.org/indicator/IT.NET.USER.ZS",
      },
      {
        indicator_name: "Individuals using the Internet (% of population)",
        period: "2024",
        value: 62.5,
        unit: "% of population",
        source_id: "indicator-sheet",
        source_url: "https://example.org/report.pdf#page=12",
      },
    ]);
    // As of mid-January, before the 2023 revision.
    const asOf = await withMemoryDb((db) =>
      queryRows(
        db,
        `SELECT value FROM read_parquet(${sqlString(path.join(exportsDir, "observations.parquet"))})
          WHERE period = '2023' AND indicator_code = 'IT.NET.USER.ZS'
            AND valid_from <= TIMESTAMPTZ '2026-01-15 00:00:00+00' AND (valid_to IS NULL OR valid_to > TIMESTAMPTZ '2026-01-15 00:00:00+00')`,
      ),
    );
    expect(asOf).toEqual([{ value: 60 }]);
  });

  it("keeps an analyst-sheet value out of every public table until an analyst approves it, and a rejected value out for good", async () => {
    const file = await seededWarehouse("w", { approveSheet: false });
    const exportsDir = path.join(dir, "exports");
    const sheetRows = async () => {
      const read = (table: string, where: string) =>
        withMemoryDb((db) =>
          queryRows(
            db,
            `SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(path.join(exportsDir, `${table}.parquet`))}) WHERE ${where}`,
          ),
        );
      return {
        observations: (await read("observations", "source_id = 'indicator-sheet'"))[0].n,
        current: (await read("observations_current", "source_id = 'indicator-sheet'"))[0].n,
        latest: (await read("indicator_latest", "latest_period = '2024'"))[0].n,
      };
    };
    await exportAt(file, exportsDir, "2026-05-01T10:00:00Z");
    expect(await sheetRows()).toEqual({ observations: 0, current: 0, latest: 0 });
    const key = "indicator-sheet/IT.NET.USER.ZS/KHM/2024=62.5";
    await withWarehouse(file, (db) =>
      recordReviewDecision(
        db,
        { kind: "indicator", key },
        team.decision("dara", { kind: "indicator", key }, "approve", "matches the report"),
        { analysts: team.store, ...clock },
      ),
    );
    await exportAt(file, exportsDir, "2026-05-01T11:00:00Z");
    expect(await sheetRows()).toEqual({ observations: 1, current: 1, latest: 1 });
    // A value the World Bank gives can be rejected too: it leaves every public table.
    await withWarehouse(file, (db) =>
      recordReviewDecision(
        db,
        { kind: "range", key: "worldbank-wdi/IT.NET.USER.ZS/KHM/2022=56.7" },
        team.decision(
          "dara",
          { kind: "range", key: "worldbank-wdi/IT.NET.USER.ZS/KHM/2022=56.7" },
          "reject",
          "a transcription error at the source",
        ),
        { analysts: team.store, ...clock },
      ),
    );
    await exportAt(file, exportsDir, "2026-05-01T12:00:00Z");
    const values = await withMemoryDb((db) =>
      queryRows(
        db,
        `SELECT period FROM read_parquet(${sqlString(path.join(exportsDir, "observations_current.parquet"))}) WHERE indicator_code = ` +
          `'IT.NET.USER.ZS' ORDER BY period`,
      ),
    );
    expect(values).toEqual([{ period: "2023" }, { period: "2024" }]);
  });

  it("publishes what analysts decided: a rejected incident and a removed tag are left out, a curated value wins, and the log says who and why", async () => {
    const file = await seededWarehouse("w");
    const now = () => new Date("2026-04-01T08:00:00Z");
    await withWarehouse(file, async (db) => {
      await rejectItem(db, { itemKind: "incident", itemKey: "aiid:1", curatedBy: "analyst:sokha", reason: "not in Cambodia" }, { now });
      await classifyItem(
        db,
        {
          itemKind: "news",
          itemKey: "https://kt.example/1",
          dimension: "priority",
          tag: "2",
          action: "remove",
          curatedBy: "analyst:sokha",
          reason: "not about governance",
        },
        { now },
      );
      await curateObservation(
        db,
        {
          indicatorCode: "IT.NET.USER.ZS",
          countryIso3: "KHM",
          period: "2024",
          value: 63,
          sourceUrl: "https://example.org/report.pdf#page=13",
          curatedBy: "analyst:dara",
          reason: "the report's corrected table",
        },
        { now },
      );
    });
    const exportsDir = path.join(dir, "exports");
    await exportAt(file, exportsDir, "2026-05-01T10:00:00Z");
    const read = (table: string, sql = "*") =>
      withMemoryDb((db) => queryRows(db, `SELECT ${sql} FROM read_parquet(${sqlString(path.join(exportsDir, `${table}.parquet`))})`));
    expect(await read("incidents")).toEqual([]);
    expect(await read("item_tags", "dimension, tag")).toEqual([{ dimension: "ai", tag: "ai" }]);
    expect(await read("indicator_latest", "latest_period, latest_value, value_source")).toContainEqual({
      latest_period: "2024",
      latest_value: 63,
      value_source: "analyst",
    });
    expect(await read("curation_log", "actor, action, target_key, reason")).toEqual([
      {
        actor: "analyst:dara",
        action: "review_approve",
        target_key: "indicator-sheet/IT.NET.USER.ZS/KHM/2024=62.5",
        reason: "checked against page 12 of the report",
      },
      { actor: "analyst:sokha", action: "reject", target_key: "aiid:1", reason: "not in Cambodia" },
      { actor: "analyst:sokha", action: "classify_remove", target_key: "https://kt.example/1", reason: "not about governance" },
      {
        actor: "analyst:dara",
        action: "curate_observation",
        target_key: "IT.NET.USER.ZS/KHM/2024",
        reason: "the report's corrected table",
      },
    ]);
    // The raw history keeps the source's own value beside the analyst's.
    expect(await read("observations", "value").then((r) => r.map((x) => x.value))).toContain(62.5);
  });

  it("judges overdue measures by the export's build date, not the machine's clock", async () => {
    const file = await seededWarehouse("w");
    await withWarehouse(file, (db) =>
      db.run(
        `INSERT INTO strategy_measures (measure_id, priority_id, seq, text, timeframe, start_year, end_year, ongoing, lead_bodies, ` +
          `source_id, snapshot_sha256, retrieved_at, row_hash)
              VALUES ('1.1', 1, 1, 'Draft an AI law', '2025-2026', 2025, 2026, false, ['MPTC'], 'nais-strategy', '${"a".repeat(64)}', ` +
          `TIMESTAMPTZ '2026-01-01', 'x')`,
      ),
    );
    const overdue = async (builtAt: string) => {
      const exportsDir = path.join(dir, `exports-${builtAt.slice(0, 4)}`);
      await exportAt(file, exportsDir, builtAt, { release: false });
      return withMemoryDb((db) =>
        queryRows(
          db,
          `SELECT overdue, as_of_date::VARCHAR AS d FROM read_parquet(${sqlString(path.join(exportsDir, "measures_status.parquet"))})`,
        ),
      );
    };
    expect(await overdue("2026-12-01T00:00:00Z")).toEqual([{ overdue: false, d: "2026-12-01" }]);
    expect(await overdue("2027-01-02T00:00:00Z")).toEqual([{ overdue: true, d: "2027-01-02" }]);
  });

  it("keeps dated releases across exports, replaces a release made the same day, and lists them in releases/index.json", async () => {
    const exportsDir = path.join(dir, "exports");
    const day1 = await exportAt(await seededWarehouse("w1"), exportsDir, "2026-05-01T23:59:00Z");
    expect(day1.release).toBe(path.join(exportsDir, "releases", "2026-05-01"));
    const day2 = await seededWarehouse("w2");
    await exportAt(day2, exportsDir, "2026-05-02T08:00:00Z");
    await withWarehouse(day2, (db) => db.run("UPDATE observations SET value = 17638801 WHERE indicator_code = 'SP.POP.TOTL'"));
    const day2Again: ExportResult = await exportAt(day2, exportsDir, "2026-05-02T18:00:00Z");

    const index = await readJson(path.join(exportsDir, "releases", "index.json"));
    expect(index.releases.map((r: { date: string; created: string }) => [r.date, r.created])).toEqual([
      ["2026-05-02", "2026-05-02T18:00:00.000Z"],
      ["2026-05-01", "2026-05-01T23:59:00.000Z"],
    ]);
    expect(index.releases[0]).toMatchObject({
      path: "2026-05-02/datapackage.json",
      tables: { observations: 5, news_items: 2, sources: 5 },
    });
    expect(Object.keys(index.releases[0].tables)).toEqual(Object.keys(publicTables));
    // Each release is a whole, self-describing export: its own datapackage.json with matching hashes.
    for (const [date, result] of [
      ["2026-05-01", day1],
      ["2026-05-02", day2Again],
    ] as const) {
      const releaseDir = path.join(exportsDir, "releases", date);
      expect(await sha256(path.join(releaseDir, "observations.parquet")), date).toBe(result.tables.observations.sha256);
      expect(await sha256(path.join(releaseDir, "observations.csv")), date).toBe(result.tables.observations.csv.sha256);
      expect((await readJson(path.join(releaseDir, "datapackage.json"))).resources[0].path).toBe("sources.parquet");
    }
    expect(day2Again.tables.observations.sha256).not.toBe(day1.tables.observations.sha256);
    expect(await sha256(path.join(exportsDir, "observations.parquet"))).toBe(day2Again.tables.observations.sha256);
    expect((await fs.readdir(path.join(exportsDir, "releases"))).sort()).toEqual(["2026-05-01", "2026-05-02", "index.json"]);
    expect((await fs.readdir(dir)).filter((n) => n.startsWith("exports."))).toEqual([]);
  });

  it("writes no release when releases are turned off, and still keeps the ones already made", async () => {
    const file = await seededWarehouse("w");
    const exportsDir = path.join(dir, "exports");
    await exportAt(file, exportsDir, "2026-05-01T10:00:00Z");
    const result = await exportAt(file, exportsDir, "2026-05-03T10:00:00Z", { release: false });
    expect(result.release).toBeUndefined();
    expect((await fs.readdir(path.join(exportsDir, "releases"))).sort()).toEqual(["2026-05-01", "index.json"]);
  });

  it("refuses to export when metadata.yaml does not describe a column, naming it, and leaves the previous export published", async () => {
    const file = await seededWarehouse("w");
    const exportsDir = path.join(dir, "exports");
    await exportAt(file, exportsDir, "2026-05-01T10:00:00Z");
    const before = await fs.readFile(path.join(exportsDir, "datapackage.json"), "utf8");
    const metadata = parseYaml(await fs.readFile(path.join(repoRoot, "warehouse", "metadata.yaml"), "utf8"));
    delete metadata.tables.observations.columns.unit;
    const metadataFile = path.join(dir, "metadata.yaml");
    await fs.writeFile(metadataFile, stringifyYaml(metadata));
    await expect(exportAt(file, exportsDir, "2026-05-02T10:00:00Z", { metadataFile })).rejects.toThrow(
      /metadata\.yaml does not match the warehouse:\n {2}column observations\.unit has no description \(add it under tables\.observations\.columns\)/,
    );
    expect(await fs.readFile(path.join(exportsDir, "datapackage.json"), "utf8")).toBe(before);
    expect(await fs.readdir(path.join(exportsDir, "releases"))).toEqual(["2026-05-01", "index.json"]);
  });

  it("refuses to export when a declared primary key does not hold, naming the table and a duplicate key", async () => {
    const file = await seededWarehouse("w");
    await withWarehouse(file, (db) =>
      insert(db, "news_items", [
        {
          item_key: "https://kt.example/2",
          canonical_url: null,
          title: "again",
          summary: null,
          published_at: null,
          outlet: null,
          language: null,
          categories: null,
          kind: "news",
          ...prov("khmer-times"),
        },
      ]),
    );
    await expect(exportAt(file, path.join(dir, "exports"), "2026-05-01T10:00:00Z")).rejects.toThrow(
      "export of news_items: primary key (item_key, source_id) is not unique, e.g. https://kt.example/2/khmer-times",
    );
    expect((await fs.readdir(dir)).filter((n) => n.startsWith("exports"))).toEqual([]);
  });

  it("maps DuckDB column types to Table Schema types", () => {
    expect(
      ["VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]", "INTERVAL"].map(
        tableSchemaType,
      ),
    ).toEqual(["string", "integer", "integer", "number", "boolean", "date", "datetime", "array", undefined]);
  });
});

describe("docs/data.md", () => {
  it("is what npm run docs:data makes of metadata.yaml, so it is never out of date", async () => {
    const docs = await fs.readFile(dictionaryFile, "utf8");
    expect(docs, "docs/data.md is stale: run npm run docs:data").toBe(await buildDictionary());
  });

  it("documents every public table and exactly its columns in the data dictionary", async () => {
    const docs = await fs.readFile(path.join(repoRoot, "docs", "data.md"), "utf8");
    const metadata = await loadMetadata();
    for (const [table, meta] of Object.entries(metadata.tables)) {
      const start = docs.indexOf(`### \`${table}\``);
      expect(start, `docs/data.md has no "### \`${table}\`" section`).toBeGreaterThan(-1);
      const rest = docs.slice(start + 4);
      const section = rest.slice(0, rest.search(/\n#{2,3} /) === -1 ? undefined : rest.search(/\n#{2,3} /));
      const documented = [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]);
      expect(documented, table).toEqual(Object.keys(meta.columns));
    }
  });
});
