// Indicator metadata is kept in one file, warehouse/indicator-metadata.json, read by the warehouse (the
// entries marked "warehouse", written into indicator_metadata on every open) and by the site's indicators
// loader (every entry, for codes an export does not describe). Editing the file is how a definition, a
// RAM dimension or a unit override changes; the next open carries it into the table and the export.
import { readFileSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";

const ramDimensions = ["legal_regulatory", "social_cultural", "scientific_educational", "economic", "technical_infrastructural"] as const;

const entrySchema = z
  .object({
    definition: z.string().min(1),
    ram_dimension: z.enum(ramDimensions),
    nais_priority: z.number().int().min(1).max(6).nullable(),
    unit_override: z.string().min(1).nullable(),
    /** Whether the warehouse's indicator_metadata table holds this code (the registry's World Bank codes). */
    warehouse: z.boolean(),
  })
  .strict();

const fileSchema = z
  .object({
    about: z.string(),
    ram_dimensions: z.array(z.object({ id: z.enum(ramDimensions), label: z.string().min(1) }).strict()),
    countries: z.record(z.string().regex(/^[A-Z]{3}$/), z.string().min(1)),
    indicators: z.record(z.string().min(1), entrySchema),
  })
  .strict();

export type IndicatorMetadataFile = z.infer<typeof fileSchema>;

export const indicatorMetadataFile = new URL("./indicator-metadata.json", import.meta.url);

export function readIndicatorMetadata(file: URL | string = indicatorMetadataFile): IndicatorMetadataFile {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`warehouse/indicator-metadata.json: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

const CURATED_BY = "observatory (warehouse/indicator-metadata.json)";

/** Writes the file's warehouse entries into indicator_metadata, replacing what an earlier file wrote. */
export async function seedIndicatorMetadata(connection: DuckDBConnection, file: URL | string = indicatorMetadataFile): Promise<void> {
  for (const [code, entry] of Object.entries(readIndicatorMetadata(file).indicators)) {
    if (!entry.warehouse) continue;
    await connection.run(
      `INSERT OR REPLACE INTO indicator_metadata (indicator_code, definition, ram_dimension, nais_priority, unit_override, curated_by)
       VALUES ($code, $definition, $ram, $priority, $unit, $by)`,
      {
        code,
        definition: entry.definition,
        ram: entry.ram_dimension,
        priority: entry.nais_priority,
        unit: entry.unit_override,
        by: CURATED_BY,
      },
    );
  }
}
