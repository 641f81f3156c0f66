// Public exports: one zstd Parquet file per public table, in a stable order, plus a small
// Frictionless-style datapackage.json. Written to a temporary folder and swapped in whole, so
// readers never see half an export.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, sqlIdent, sqlString } from "./db.js";

/** Public tables and the order their rows are written in. */
export const publicTables: Record<string, { orderBy: string; description: string }> = {
  sources: { orderBy: "source_id", description: "Source registry: what the observatory reads, cadence and licence" },
  fetch_runs: { orderBy: "run_id, source_id", description: "Each pipeline run per source, with counts" },
  snapshots: { orderBy: "retrieved_at, url, sha256", description: "Archived captures that loaded rows come from" },
  rejections: { orderBy: "run_id, source_id, record", description: "Records set aside by parsers, with the reason" },
  strategy_priorities: { orderBy: "priority_id", description: "Draft NAIS 2025-2030 strategic priorities" },
  strategy_measures: { orderBy: "priority_id, seq", description: "Draft NAIS 2025-2030 strategic measures with timeframe and bodies" },
  strategy_flagships: { orderBy: "priority_id, flagship_id", description: "Draft NAIS flagship activities and the measures they address" },
  strategy_sector_directions: { orderBy: "direction_id", description: "Draft NAIS sector strategic directions" },
  events: { orderBy: "date_start NULLS LAST, event_id", description: "AI governance timeline: activities done and planned" },
  indicators: { orderBy: "indicator_code, source_id", description: "Indicator definitions and units" },
  observations: {
    orderBy: "indicator_code, country_iso3, period, source_id, valid_from",
    description: "Indicator values, versioned: valid_to is null for the current value",
  },
  publications: { orderBy: "pub_key, source_id", description: "Research publications with Cambodian affiliations or on Khmer language technology" },
  publication_works: { orderBy: "work_key, pub_key, source_id", description: "One work per publication across sources (DOI, then arXiv id, then title and year)" },
  news_items: { orderBy: "published_at NULLS LAST, item_key, source_id", description: "Policy news, press releases and digest items about AI in Cambodia" },
  news_stories: { orderBy: "story_key, item_key", description: "Near-duplicate news items across outlets grouped into one story" },
  incidents: { orderBy: "occurred_on NULLS LAST, incident_key, source_id", description: "AI incidents involving Cambodia (AI Incident Database and analyst-curated press reports)" },
  item_tags: {
    orderBy: "item_kind, item_key, dimension, tag, made_by",
    description: "Tags linking items to NAIS priorities, sectors, RAM dimensions and harm types, with who made each (rule or analyst)",
  },
  // incident_candidates is deliberately absent: candidates are unreviewed and never published.
};

export interface ExportResult {
  dir: string;
  tables: Record<string, { rows: number; sha256: string; bytes: number }>;
}

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const body = await fs.readFile(file);
  return { sha256: createHash("sha256").update(body).digest("hex"), bytes: body.byteLength };
}

export async function exportPublicTables(db: DuckDBConnection, dir: string, builtAt: string): Promise<ExportResult> {
  const staging = `${dir}.tmp-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true });
  const tables: ExportResult["tables"] = {};
  for (const [table, spec] of Object.entries(publicTables)) {
    const file = path.join(staging, `${table}.parquet`);
    const hasHash = (await queryRows(db, `SELECT count(*) AS n FROM information_schema.columns WHERE table_name = $t AND column_name = 'row_hash'`, { t: table }))[0].n;
    const select = `SELECT * ${Number(hasHash) > 0 ? "EXCLUDE (row_hash)" : ""} FROM ${sqlIdent(table)} ORDER BY ${spec.orderBy}`;
    await db.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    const [{ n }] = await queryRows(db, `SELECT count(*) AS n FROM ${sqlIdent(table)}`);
    tables[table] = { rows: Number(n), ...(await sha256File(file)) };
  }
  const datapackage = {
    name: "cambodia-ai-observatory",
    title: "Cambodia National AI Observatory data",
    created: builtAt,
    resources: Object.entries(tables).map(([name, t]) => ({
      name,
      path: `${name}.parquet`,
      format: "parquet",
      description: publicTables[name].description,
      bytes: t.bytes,
      hash: `sha256:${t.sha256}`,
      rows: t.rows,
    })),
  };
  await fs.writeFile(path.join(staging, "datapackage.json"), `${JSON.stringify(datapackage, null, 2)}\n`);
  const old = `${dir}.old-${process.pid}`;
  await fs.rm(old, { recursive: true, force: true });
  await fs.rename(dir, old).catch(() => undefined);
  await fs.rename(staging, dir);
  await fs.rm(old, { recursive: true, force: true });
  return { dir, tables };
}
