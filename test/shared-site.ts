// The offline export and its built site that the site and browser tests read, made once per test run
// (test/once-per-run.ts): the bundled snapshot through the real activities, a few test-only rows appended to
// its exports (never to the real data or the snapshot: Khmer titles, script and javascript: payloads, a real
// Khmer headline from the recorded RSS fixture), then the real Framework build. Tests that only read it share
// it; a test that changes a site or an export copies what it changes into a folder of its own first.
import fs from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ObservatoryConfig } from "../temporal.config.js";
import { createActivities } from "../activities/index.js";
import { configIn, offlineExport, repoRoot, tempConfig, testClock } from "./helpers.js";
import { oncePerRun } from "./once-per-run.js";

/** The day the shared export is built on: it fixes which quarterly reports exist, whatever the machine's date. */
export const builtOn = "2026-11-25T06:00:00Z";

/** The Khmer headline of the recorded RSS fixture (zero-width spaces between some words, as published). */
export async function khmerHeadline(): Promise<string> {
  const feed = await fs.readFile(path.join(repoRoot, "test", "fixtures", "rss", "khmer.xml"), "utf8");
  return feed.match(/<title><!\[CDATA\[([^\]]*ការឆបោក[^\]]*)\]\]><\/title>/)![1];
}

export const khmerNews = "ក្រសួងប្រៃសណីយ៍ និងទូរគមនាគមន៍ ប្រកាសយុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត";
export const khmerIncident = "ការបោកប្រាស់តាមរយៈវីដេអូក្លែងក្លាយ (deepfake) នៅភ្នំពេញ";
export const xssTitle = `<script>window.__xss = "script"</script><img src=x onerror="window.__xss = 'img'"> AI deepfake scam alert`;

/** A SQL string literal. */
const lit = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Test-only rows appended to the exports (never to the real data or the bundled snapshot): a news item
 * and an incident whose text carries script and javascript: payloads, and Khmer-titled items.
 */
const fixtureRows: Record<string, string> = {
  news_items: `
    SELECT 'test:xss' AS item_key, 'javascript:window.__xss = "link"' AS canonical_url, ${lit(xssTitle)} AS title,
           '<b onmouseover="window.__xss = 1">bold?</b> Summary' AS summary, TIMESTAMPTZ '2026-11-20 03:00:00+00' AS published_at,
           'Test Outlet' AS outlet, 'en' AS language, CAST([] AS VARCHAR[]) AS categories, 'news' AS kind, 'news-digest' AS source_id
    UNION ALL
    SELECT 'test:km', 'https://example.org/km-story', ${lit(khmerNews)}, 'សេចក្តីសង្ខេប', TIMESTAMPTZ '2026-11-21 03:00:00+00',
           'Test Outlet KM', 'km', CAST([] AS VARCHAR[]), 'news', 'news-digest'`,
  news_stories: `SELECT 'test:xss' AS item_key, 'test:xss' AS story_key UNION ALL SELECT 'test:km', 'test:km'`,
  item_tags: `SELECT 'news' AS item_kind, 'test:km' AS item_key, 'priority' AS dimension, '2' AS tag, 'rule' AS made_by, 'rule' AS tag_source`,
  incidents: `
    SELECT 'sheet:test-khmer' AS incident_key, 'test-khmer' AS source_incident_id, DATE '2026-11-15' AS occurred_on, 'day' AS date_precision,
           ${lit(khmerIncident)} AS title, ${lit(xssTitle)} AS description, ['deepfake', 'fraud'] AS harm_types,
           ['javascript:window.__xss = "report"', 'https://example.org/report'] AS report_urls, 'finance' AS sector,
           'reported' AS status, 'incident-sheet' AS source_id`,
  curation_log: `
    SELECT 9001 AS log_id, TIMESTAMPTZ '2026-11-16 08:00:00+00' AS logged_at, 'test-analyst' AS actor, 'review' AS action,
           'incident' AS target_kind, 'sheet:test-khmer' AS target_key, 'status' AS field, 'candidate' AS old_value,
           'reviewed' AS new_value, 'Two independent reports' AS reason`,
  publications: `
    SELECT 'arxiv:test.0001' AS pub_key, 'test.0001' AS arxiv_id, 'ការវិភាគអត្ថបទភាសាខ្មែរ: Khmer text analysis' AS title, 2026 AS year,
           ['Test Author'] AS authors, ['cs.CL'] AS topics, true AS open_access, 'https://arxiv.org/abs/test.0001' AS url, 'arxiv' AS source_id,
           'arxiv:test.0001' AS work_key`,
};

/** The Khmer edition's news row: the recorded Khmer headline, in the language it was published in. */
function khmerHeadlineRows(title: string): Record<string, string> {
  return {
    news_items: `SELECT 'test:km-scam' AS item_key, 'https://example.org/km-scam' AS canonical_url, ${lit(title)} AS title,
      NULL::VARCHAR AS summary, TIMESTAMPTZ '2026-11-21 03:00:00+00' AS published_at, 'Test Outlet KM' AS outlet, 'km' AS language,
      CAST([] AS VARCHAR[]) AS categories, 'news' AS kind, 'news-digest' AS source_id`,
    news_stories: `SELECT 'test:km-scam' AS item_key, 'test:km-scam' AS story_key`,
  };
}

/** Appends each table's rows (a SELECT per table) to its Parquet export. */
async function appendRows(exportsDir: string, tables: Array<Record<string, string>>): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    for (const table of new Set(tables.flatMap((t) => Object.keys(t)))) {
      const selects = tables.flatMap((t) => (t[table] ? [`(${t[table]})`] : []));
      const file = path.join(exportsDir, `${table}.parquet`);
      const tmp = `${file}.tmp`;
      await db.run(
        `COPY (SELECT * FROM read_parquet('${file}') UNION ALL BY NAME ${selects.join(" UNION ALL BY NAME ")}) TO '${tmp}' (FORMAT parquet)`,
      );
      await fs.rename(tmp, file);
    }
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

export interface SharedSite {
  /** The data folder (configIn(dir) is its config). */
  dir: string;
  /** The built site. */
  dist: string;
  /** The build's own measure of its time, and the wall time around it. */
  buildSeconds: number;
  buildWallSeconds: number;
  /** The Khmer headline added to the news. */
  headline: string;
}

/**
 * The run's shared offline export: the bundled snapshot and the repository's sheets through the real
 * activities on `builtOn`, warehouse and exports. Read-only: use copyOfSharedExport to change anything.
 */
export async function sharedExport(): Promise<{ dir: string; config: ObservatoryConfig }> {
  const made = await oncePerRun("offline-export", async (dir) => {
    await offlineExport(configIn(dir), "shared-offline", testClock(builtOn));
    return { dir };
  });
  return { dir: made.dir, config: configIn(made.dir) };
}

/**
 * A data folder holding a copy of the shared export's warehouse and exports, the caller's to change: a fresh
 * temp folder (the caller removes it), or `into`.
 */
export async function copyOfSharedExport(into?: string): Promise<{ dir: string; config: ObservatoryConfig }> {
  const shared = await sharedExport();
  const own = into ? { dir: into, config: configIn(into) } : await tempConfig();
  await fs.mkdir(path.dirname(own.config.paths.warehouse), { recursive: true });
  await fs.copyFile(shared.config.paths.warehouse, own.config.paths.warehouse);
  await fs.cp(shared.config.paths.exports, own.config.paths.exports, { recursive: true });
  return own;
}

/** The run's shared offline export and built site; read it, never change it (copy first). */
export async function sharedSite(): Promise<SharedSite & { config: ObservatoryConfig }> {
  const made = await oncePerRun("offline-site", async (into): Promise<SharedSite> => {
    const { dir, config } = await copyOfSharedExport(into);
    const headline = await khmerHeadline();
    await appendRows(config.paths.exports, [fixtureRows, khmerHeadlineRows(headline)]);
    const started = performance.now();
    const built = await createActivities({ config, projectRoot: repoRoot, log: () => undefined, now: testClock(builtOn) }).buildSite();
    return { dir, dist: built.dir, buildSeconds: built.seconds, buildWallSeconds: (performance.now() - started) / 1000, headline };
  });
  return { ...made, config: configIn(made.dir) };
}
