// `npm start`'s client side: start the pipeline with the configured activity settings and show its
// summary. The worker that runs it comes from worker/index.ts.
import type { Client } from "@temporalio/client";
import type { ObservatoryConfig } from "../../temporal.config.js";
import type { PipelineInput, PipelineSummary } from "../../workflows/index.js";
import { pipeline } from "../../workflows/index.js";

/** The run's business key: the UTC date, so two starts on one day attach to the same run. */
export function runKeyFor(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export interface RunOptions {
  runKey: string;
  offline: boolean;
  reparse?: boolean;
  buildSite: boolean;
}

export async function runPipeline(client: Client, config: ObservatoryConfig, options: RunOptions): Promise<PipelineSummary> {
  const input: PipelineInput = {
    runKey: options.runKey,
    offline: options.offline,
    reparse: options.reparse,
    buildSite: options.buildSite,
    activities: config.activities,
  };
  const handle = await client.workflow.start(pipeline, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `pipeline/${options.runKey}`,
    args: [input],
    // A second start while a run is going attaches to it; a finished run may be repeated.
    workflowIdConflictPolicy: "USE_EXISTING",
    workflowIdReusePolicy: "ALLOW_DUPLICATE",
  });
  return handle.result();
}

/** A readable per-source table for the terminal. */
export function formatSummary(summary: PipelineSummary): string {
  const header = ["source", "status", "fetched", "records", "new", "updated", "rejected", "seconds", "origin"];
  const rows = summary.sources.map((s) => [
    s.sourceId,
    s.status,
    String(s.fetched),
    String(s.records),
    String(s.newRows),
    String(s.updatedRows),
    String(s.rejected),
    s.seconds.toFixed(1),
    s.fromSnapshot
      ? `snapshot as of ${s.snapshotAsOf?.slice(0, 10) ?? "?"}`
      : s.snapshotReason
        ? "archive replay"
        : s.status === "ok" || s.status === "unchanged"
          ? "live/repo"
          : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  for (const s of summary.sources)
    if (s.error)
      out.push(`${s.status === "skipped" ? "-" : "!"} ${s.sourceId}: ${s.status === "skipped" ? "no offline copy: " : ""}${s.error}`);
  for (const s of summary.sources) for (const w of s.warnings ?? []) out.push(`- ${s.sourceId}: ${w}`);
  for (const s of summary.sources) {
    if (s.snapshotReason)
      out.push(`  ${s.sourceId} was not fetched live (${s.fromSnapshot ? "bundled snapshot" : "archive"}): ${s.snapshotReason}`);
  }
  for (const q of summary.qualityFailures) {
    out.push(
      `${q.severity === "error" ? "!" : "-"} quality ${q.severity}: ${q.check} (${q.count} ` +
        `row${q.count === 1 ? "" : "s"})${q.examples.length ? `: ${q.examples.slice(0, 3).join("; ")}` : ""}`,
    );
  }
  if (summary.reviews?.pending) {
    out.push(
      `${summary.reviews.pending} item(s) wait for an analyst (${summary.reviews.opened} review(s) opened by this run): npm run review -- ` +
        `list, or npm run console`,
    );
  }
  for (const h of summary.reviews?.held ?? []) {
    out.push(
      `- ${h.count} more ${h.kind} review(s) from ${h.sourceId ?? "derived items"} wait until the open ones are decided (at most ` +
        `OBSERVATORY_REVIEW_MAX_PER_SOURCE open per source and kind)`,
    );
  }
  if (summary.exportError) out.push(`! ${summary.exportError}`);
  if (summary.siteError) out.push(`! site not rebuilt, the last good site stays published: ${summary.siteError}`);
  if (summary.exportBlocked) out.push("Export blocked: an error-level quality check failed; the previous export and site stay published.");
  if (summary.sources.some((s) => s.status === "failed")) out.push("Partial success: some sources failed; the others were loaded.");
  return out.join("\n");
}
