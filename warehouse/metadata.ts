// The catalogue of the public exports (warehouse/metadata.yaml): titles, descriptions, units, primary keys
// and licences, validated here so a gap or a typo fails the export with a message naming the field.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseYamlFile } from "./yaml.js";

/** The metadata file beside the warehouse schema. */
export const defaultMetadataFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "metadata.yaml");

const text = z.string().trim().min(1, "must not be empty");
const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier");

// `name: "text"` is shorthand for `name: { description: "text" }`.
const columnSchema = z.preprocess(
  (value) => (typeof value === "string" ? { description: value } : value),
  z
    .object({
      description: text,
      /** The unit every value of the column is in (bytes, rows, year…); omit where it varies by row. */
      unit: text.optional(),
    })
    .strict(),
);

const tableSchema = z
  .object({
    title: text,
    description: text,
    /** Columns that identify a row; the export checks they do. Omit where no column set is unique. */
    primary_key: z.array(identifier).min(1).optional(),
    /** Every exported column in export order; a column without a description is an error. */
    columns: z.record(identifier, columnSchema).refine((c) => Object.keys(c).length > 0, "a table needs columns"),
  })
  .strict()
  .superRefine((t, ctx) => {
    for (const [i, key] of (t.primary_key ?? []).entries()) {
      if (!(key in t.columns))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["primary_key", i], message: `"${key}" is not one of the table's columns` });
    }
  });

const licenceSchema = z
  .object({
    /** An Open Definition licence id (https://licenses.opendefinition.org/), e.g. CC-BY-4.0. */
    name: z.string().regex(/^[-a-zA-Z0-9._]+$/, "must be an Open Definition licence id such as CC-BY-4.0"),
    path: z.string().url().optional(),
    title: text,
  })
  .strict();

const metadataSchema = z
  .object({
    package: z
      .object({
        name: z.string().regex(/^[-a-z0-9._/]+$/, "must be lower-case letters, digits, '-', '.', '_' or '/'"),
        title: text,
        description: text,
        keywords: z.array(text).default([]),
        contributors: z.array(z.object({ title: text, roles: z.array(text).default([]) }).strict()).default([]),
        /** Citation text; `{year}` and `{date}` are replaced with the build's year and date. */
        citation: text,
      })
      .strict(),
    licences: z
      .object({
        observatory: licenceSchema,
        /** First entry whose `match` occurs in a source's licence text gives that source's licence. */
        sources: z.array(licenceSchema.extend({ match: text })),
      })
      .strict(),
    tables: z.record(identifier, tableSchema),
  })
  .strict();

export type Metadata = z.output<typeof metadataSchema>;
export type TableMetadata = Metadata["tables"][string];
export interface Licence {
  name: string;
  path?: string;
  title: string;
}

/** Parses and validates metadata text; errors name the file and the field (tables.observations.columns.value). */
export function parseMetadata(source: string, file = "warehouse/metadata.yaml"): Metadata {
  return parseYamlFile(metadataSchema, source, file, { formatPath: (p) => p.join(".") || "(top level)" });
}

export async function loadMetadata(file = defaultMetadataFile): Promise<Metadata> {
  return parseMetadata(await fs.readFile(file, "utf8"), file);
}

/**
 * Checks that the metadata describes exactly the given tables, and each exactly its exported columns;
 * throws one error listing every table or column that lacks a description or is described but absent.
 */
export function checkAgainstSchema(
  metadata: Metadata,
  actual: Readonly<Record<string, readonly string[]>>,
  file = "warehouse/metadata.yaml",
): void {
  const problems: string[] = [];
  for (const table of Object.keys(actual)) {
    if (!metadata.tables[table]) problems.push(`public table "${table}" has no entry under tables`);
  }
  for (const table of Object.keys(metadata.tables)) {
    if (!(table in actual)) problems.push(`tables.${table} describes a table that is not public (or does not exist)`);
  }
  for (const [table, columns] of Object.entries(actual)) {
    const described = metadata.tables[table]?.columns;
    if (!described) continue;
    for (const column of columns) {
      if (!(column in described)) problems.push(`column ${table}.${column} has no description (add it under tables.${table}.columns)`);
    }
    for (const column of Object.keys(described)) {
      if (!columns.includes(column)) problems.push(`tables.${table}.columns.${column} describes a column the export does not have`);
    }
  }
  if (problems.length > 0) throw new Error(`${file} does not match the warehouse:\n${problems.map((p) => `  ${p}`).join("\n")}`);
}

/** The Open Definition licence for a source's licence text (sources/registry.yaml `licence`). */
export function licenceOf(metadata: Metadata, licenceText: string): Licence {
  const hit = metadata.licences.sources.find((l) => licenceText.includes(l.match));
  if (!hit) return { name: "notspecified", title: licenceText };
  return { name: hit.name, title: hit.title, ...(hit.path ? { path: hit.path } : {}) };
}

/** The citation text for a build, with `{year}` and `{date}` filled in. */
export function citationFor(metadata: Metadata, builtAt: string): string {
  const date = builtAt.slice(0, 10);
  return metadata.package.citation.replaceAll("{year}", date.slice(0, 4)).replaceAll("{date}", date);
}
