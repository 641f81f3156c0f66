// Renders docs/data.md, the researchers' data dictionary, from warehouse/metadata.yaml plus the prose in
// warehouse/dictionary-intro.md, so the document cannot drift from what the exports publish.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultMetadataFile, loadMetadata, type Metadata } from "./metadata.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const dictionaryFile = path.resolve(here, "../docs/data.md");
export const introFile = path.join(here, "dictionary-intro.md");

/** Table cells hold one line; a pipe would end the cell early. */
const cell = (text: string) => text.replace(/\s+/g, " ").replaceAll("|", "\\|").trim();

export function renderDictionary(metadata: Metadata, intro: string): string {
  const out: string[] = [intro.trimEnd(), "", "## Data dictionary", ""];
  out.push("Every table is published as `<table>.parquet` (zstd) and `<table>.csv` in `data/exports/`.", "");
  for (const [name, table] of Object.entries(metadata.tables)) {
    out.push(`### \`${name}\``, "", cell(table.description), "");
    if (table.primary_key) out.push(`Primary key: ${table.primary_key.map((k) => `\`${k}\``).join(", ")}.`, "");
    out.push("| column | unit | description |", "| --- | --- | --- |");
    for (const [column, meta] of Object.entries(table.columns)) {
      out.push(`| \`${column}\` | ${meta.unit ? cell(meta.unit) : ""} | ${cell(meta.description)} |`);
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

export async function buildDictionary(metadataFile = defaultMetadataFile): Promise<string> {
  return renderDictionary(await loadMetadata(metadataFile), await fs.readFile(introFile, "utf8"));
}
