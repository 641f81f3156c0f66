// `npm run status`: how the observatory is doing, for an analyst. Per source the last success, freshness
// against its cadence and recent failures, and the overdue NAIS measures, all read from the public
// exports (never the live warehouse, which the worker may hold: docs/architecture.md rule 4); the review queue
// sizes from Temporal. Each part reports on its own when it cannot be read; only a missing export fails.
import fs from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../temporal.config.js";
import { queryRows, sqlString, withMemoryDb } from "../warehouse/db.js";
import { judgeFreshness } from "../warehouse/freshness.js";
import { commandLine } from "./lib/cli.js";
import { connectReviewClient, listReviews } from "./lib/review-client.js";

commandLine("status", {
  usage: `Usage: npm run status
  Per source the last success, freshness and recent failures, overdue NAIS measures, and the review queue when Temporal answers.`,
});

const config = loadConfig();
const exportsDir = config.paths.exports;
const parquet = (table: string) => sqlString(path.join(exportsDir, `${table}.parquet`));
const progress = (text: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
};
const endProgress = () => {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
};

function ago(ms: number): string {
  const h = ms / 3_600_000;
  return h < 48 ? `${h.toFixed(1)} h ago` : `${(h / 24).toFixed(1)} d ago`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function sources(now: number): Promise<boolean> {
  try {
    await fs.access(path.join(exportsDir, "fetch_runs.parquet"));
  } catch {
    console.log(`Sources: no export in ${path.relative(process.cwd(), exportsDir) || "."} yet (npm start writes one).`);
    return false;
  }
  const rows = await withMemoryDb((db) =>
    queryRows(
      db,
      `WITH runs AS (SELECT * FROM read_parquet(${parquet("fetch_runs")})),
            last AS (SELECT source_id, status, message FROM runs
                     QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST, run_id DESC) = 1),
            recent AS (SELECT source_id, count(*) FILTER (WHERE status = 'failed') AS failures, count(*) AS runs
                         FROM (SELECT * FROM runs
                               QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY finished_at DESC NULLS LAST) <= 10)
                        GROUP BY source_id),
            ok AS (SELECT source_id, max(finished_at) AS last_ok FROM runs WHERE status IN ('ok', 'unchanged') GROUP BY source_id),
            captures AS (SELECT source_id, max(retrieved_at) AS newest, arg_max(origin, retrieved_at) AS origin
                           FROM read_parquet(${parquet("snapshots")}) GROUP BY source_id)
       SELECT s.source_id, s.cadence, s.enabled, l.status AS last_status, l.message,
              strftime(timezone('UTC', ok.last_ok), '%Y-%m-%dT%H:%M:%SZ') AS last_ok,
              coalesce(r.failures, 0)::INTEGER AS failures, coalesce(r.runs, 0)::INTEGER AS runs,
              strftime(timezone('UTC', c.newest), '%Y-%m-%dT%H:%M:%SZ') AS newest_capture, c.origin AS newest_origin
         FROM read_parquet(${parquet("sources")}) s
         LEFT JOIN last l USING (source_id) LEFT JOIN recent r USING (source_id) LEFT JOIN ok USING (source_id) LEFT JOIN captures c USING (source_id)
        ORDER BY s.source_id`,
    ),
  );
  const body = rows.map((r) => {
    const last = r.last_ok ? Date.parse(String(r.last_ok)) : undefined;
    const freshness = judgeFreshness(
      {
        cadence: String(r.cadence),
        enabled: Boolean(r.enabled),
        newestCapture: r.newest_capture ? String(r.newest_capture) : null,
        newestOrigin: r.newest_origin ? String(r.newest_origin) : null,
      },
      now,
    );
    return [
      String(r.source_id),
      String(r.cadence),
      last === undefined ? "never" : `${String(r.last_ok).slice(0, 16).replace("T", " ")} (${ago(now - last)})`,
      freshness.state === "stale" || freshness.state === "never" ? freshness.label.toUpperCase() : freshness.label,
      String(r.last_status ?? "-"),
      `${r.failures}/${r.runs}`,
    ];
  });
  console.log("Sources (from the latest export)");
  console.log(table(["source", "cadence", "last success", "data (newest capture)", "last run", "failed (last 10)"], body));
  for (const r of rows) if (r.last_status === "failed" && r.message) console.log(`! ${r.source_id}: ${String(r.message).slice(0, 200)}`);
  return true;
}

async function measures(): Promise<void> {
  try {
    await fs.access(path.join(exportsDir, "measures_status.parquet"));
  } catch {
    return;
  }
  const rows = await withMemoryDb((db) =>
    queryRows(
      db,
      `SELECT measure_id, timeframe, status, as_of_date::VARCHAR AS as_of FROM read_parquet(${parquet("measures_status")})
        WHERE overdue ORDER BY priority_id, seq`,
    ),
  );
  console.log(`\nOverdue NAIS measures: ${rows.length}${rows.length ? ` (judged on ${rows[0].as_of}, the export's date)` : ""}`);
  for (const r of rows.slice(0, 15)) console.log(`  ${r.measure_id}  ${r.timeframe}  ${r.status}`);
  if (rows.length > 15) console.log(`  … and ${rows.length - 15} more`);
}

async function queue(): Promise<boolean> {
  const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
  let client;
  try {
    client = await connectReviewClient(config);
  } catch (error) {
    console.log(
      `\nReview queue: unavailable, no Temporal server answers at ${address} (${(error as Error).message.split("\n")[0]}).\n` +
        "  To see it, keep a dev server running with `npm start -- --keep-running`, or set TEMPORAL_ADDRESS to your cluster.",
    );
    return false;
  }
  try {
    const rows = await listReviews(client, { onProgress: (n) => progress(`reading the review queue… ${n}`) });
    endProgress();
    const by = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const m = by.get(r.kind) ?? new Map<string, number>();
      m.set(r.status, (m.get(r.status) ?? 0) + 1);
      by.set(r.kind, m);
    }
    console.log(`\nReview queue on ${address}: ${rows.length} waiting`);
    for (const [kind, m] of [...by].sort()) console.log(`  ${kind.padEnd(15)} ${[...m].map(([s, n]) => `${n} ${s}`).join(", ")}`);
    return true;
  } catch (error) {
    endProgress();
    console.log(`\nReview queue: could not list reviews on ${address}: ${(error as Error).message.split("\n")[0]}`);
    return false;
  } finally {
    await client.connection.close();
  }
}

// The warehouse part is the report; a review queue that cannot be reached is said, not an error.
const okSources = await sources(Date.now());
await measures();
await queue();
process.exit(okSources ? 0 : 1);
