// Labels for the tag ids in item_tags (NAIS priorities, sectors, RAM dimensions, harms), read from the
// analysts' taxonomy (sources/taxonomy.yaml) so the site names tags exactly as the tagging rules do.
import path from "node:path";
import { loadTaxonomy } from "../../../../sources/taxonomy.js";
import { repoRoot } from "./exports.js";

const KHMER = /[\u1780-\u17FF\u19E0-\u19FF]/;

export interface TagInfo {
  id: string;
  label: string;
  en: string[];
  km: string[];
}

export interface DimensionInfo {
  id: string;
  label: string;
  tags: TagInfo[];
}

export async function taxonomy(): Promise<DimensionInfo[]> {
  const t = await loadTaxonomy(process.env.OBSERVATORY_TAXONOMY ?? path.join(repoRoot, "sources", "taxonomy.yaml"));
  return t.dimensions.map((d) => ({
    id: d.id,
    label: d.label,
    tags: d.tags.map((tag) => ({
      id: tag.id,
      label: tag.label,
      en: tag.terms.map((x) => x.term).filter((x) => !KHMER.test(x)),
      km: tag.terms.map((x) => x.term).filter((x) => KHMER.test(x)),
    })),
  }));
}

/** `{dimension: {tag id: label}}`, for pages that only show tags. */
export async function tagLabels(): Promise<Record<string, Record<string, string>>> {
  return Object.fromEntries((await taxonomy()).map((d) => [d.id, Object.fromEntries(d.tags.map((t) => [t.id, t.label]))]));
}
