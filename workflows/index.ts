// Orchestration only (docs/architecture.md rules 1 and 2): no I/O, clocks or Node modules here. Activity
// timeouts and retries arrive in the input, built from temporal.config.ts by whoever starts the run.
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import { ApplicationFailure, executeChild, ParentClosePolicy, patched, startChild, workflowInfo } from "@temporalio/workflow";
import type { CaptureRef, FetchResult } from "../activities/index.js";
import { activitiesFor, type ActivitySettings } from "./activity-options.js";
import { describeFailure, type FailureType, type NonRetryableType } from "./failures.js";
import { review } from "./review.js";

export * from "./review.js";

export type { ActivityKind, ActivitySettings } from "./activity-options.js";

export interface IngestInput {
  sourceId: string;
  /** Names the run's staged folder, e.g. the run date. */
  runKey: string;
  offline: boolean;
  /** Parse even when the bytes are the ones last loaded (after a parser fix). @default false */
  reparse?: boolean;
  activities: ActivitySettings;
}

/**
 * What the fetch said (less its capture list, which stays in the child's history) and what the parse made
 * of it. `unchanged` here means the parse was skipped (a reparse parses unchanged bytes and says false).
 */
export interface IngestResult extends Omit<FetchResult, "captures"> {
  /** Absent when the source was unchanged and nothing was parsed. */
  stageDir?: string;
  fetched: number;
  records: number;
  rejected: number;
}

/** Fetch one source into the archive, then parse it into staged Parquet. Writes nothing to the warehouse. */
export async function ingestSource(input: IngestInput): Promise<IngestResult> {
  const fetched = await activitiesFor("fetch", input.activities).fetchSource({ sourceId: input.sourceId, offline: input.offline });
  const captures: CaptureRef[] = fetched.captures;
  const base = {
    sourceId: input.sourceId,
    fetched: captures.length,
    fromSnapshot: fetched.fromSnapshot,
    snapshotReason: fetched.snapshotReason,
    snapshotAsOf: fetched.snapshotAsOf,
    unavailable: fetched.unavailable,
    startedAt: fetched.startedAt,
    ...(fetched.warnings?.length ? { warnings: fetched.warnings } : {}),
  };
  if (fetched.unavailable) return { ...base, records: 0, rejected: 0, unchanged: false };
  // Fetch once, parse only what changed (docs/architecture.md rule 3): an unchanged source costs no parse and no load.
  if (fetched.unchanged && !input.reparse) return { ...base, records: 0, rejected: 0, unchanged: true };
  let parsed;
  try {
    parsed = await activitiesFor("parse", input.activities).parseSource({ sourceId: input.sourceId, runKey: input.runKey, captures });
  } catch (error) {
    // An archived body was corrupt and nothing held a good copy; it is quarantined, so one more fetch
    // stores the source's bytes again (a 304 is impossible without a good body) and the parse follows.
    if (describeFailure(error).type !== ("ArchiveCorrupt" satisfies FailureType)) throw error;
    const again = await activitiesFor("fetch", input.activities).fetchSource({ sourceId: input.sourceId, offline: input.offline });
    if (again.unavailable) return { ...base, unavailable: again.unavailable, records: 0, rejected: 0, unchanged: false };
    parsed = await activitiesFor("parse", input.activities).parseSource({
      sourceId: input.sourceId,
      runKey: input.runKey,
      captures: again.captures,
    });
    return {
      ...base,
      fetched: again.captures.length,
      stageDir: parsed.stageDir,
      records: parsed.records,
      rejected: parsed.rejected,
      unchanged: false,
    };
  }
  return { ...base, stageDir: parsed.stageDir, records: parsed.records, rejected: parsed.rejected, unchanged: false };
}

export interface PipelineInput {
  /**
   * Date or label for this run; child workflow IDs are `ingest/<source>/<runKey>`.
   * @default the workflow's start time to the minute (schedules leave it out)
   */
  runKey?: string;
  offline: boolean;
  /** Parse every source even when its bytes are the ones last loaded. @default false */
  reparse?: boolean;
  /** Only these source ids (a schedule passes the sources of its cadence). @default every enabled source */
  sources?: string[];
  /** Build the static site after the export. @default true */
  buildSite?: boolean;
  activities: ActivitySettings;
}

/**
 * ok: parsed and loaded; unchanged: same bytes as last loaded, nothing parsed; skipped: offline (or the
 * network unreachable) and no archived or bundled copy exists; failed: the source's own error, the rest
 * of the run went on.
 */
export type SourceStatus = "ok" | "unchanged" | "skipped" | "failed";

export interface SourceSummary {
  sourceId: string;
  status: SourceStatus;
  fetched: number;
  records: number;
  newRows: number;
  updatedRows: number;
  rejected: number;
  fromSnapshot: boolean;
  snapshotReason?: string;
  snapshotAsOf?: string;
  seconds: number;
  error?: string;
  /** Work cut short but the source loaded: the page cap, the byte budget, a repeated cursor or page. */
  warnings?: string[];
}

export interface PipelineSummary {
  runId: string;
  sources: SourceSummary[];
  /** Row counts of the tables exported by this run; empty when the quality gate blocked the export. */
  exportedTables: Record<string, number>;
  exportDir?: string;
  /** Failed quality checks (errors block the export; warnings are reported only). */
  qualityFailures: Array<{ check: string; severity: string; count: number; examples: string[] }>;
  exportBlocked: boolean;
  /** Why the export failed (one line); the previous export and its releases stayed as they were. */
  exportError?: string;
  siteDir?: string;
  /** Why the site build failed (one line); the last good site stayed published. */
  siteError?: string;
  siteSeconds?: number;
  /**
   * The site was not rebuilt: the built site already shows what this run's export holds (activities/export.ts
   * siteCurrent), so a build would write the same pages.
   */
  siteUnchanged?: boolean;
  /**
   * Items waiting for a person after this run, how many of their reviews this run opened, and (when
   * any) how many wait beyond the bound on open reviews per source and kind, per source and kind.
   */
  reviews: { pending: number; opened: number; held?: Array<{ kind: string; sourceId: string | null; count: number }> };
  partial: boolean;
}

/** Every enabled source in parallel, then one load, the export and the site build. */
export async function pipeline(input: PipelineInput): Promise<PipelineSummary> {
  const runId = workflowInfo().workflowId;
  // Date in workflow code is Temporal's deterministic clock, replayed identically.
  const runKey = input.runKey ?? new Date().toISOString().slice(0, 16).replace(":", "");
  const enabled = await activitiesFor("fetch", input.activities).listSources();
  const unknown = (input.sources ?? []).filter((id) => !enabled.includes(id));
  if (unknown.length > 0)
    throw ApplicationFailure.nonRetryable(
      `not enabled in the source registry: ${unknown.join(", ")}`,
      "UnknownSource" satisfies NonRetryableType,
    );
  const sourceIds = input.sources ?? enabled;
  if (sourceIds.length === 0) throw ApplicationFailure.nonRetryable("the source registry has no enabled sources");

  const outcomes = await Promise.all(
    sourceIds.map(async (sourceId) => {
      const t0 = Date.now();
      try {
        const result = await executeChild(ingestSource, {
          workflowId: `ingest/${sourceId}/${runKey}`,
          args: [{ sourceId, runKey, offline: input.offline, reparse: input.reparse, activities: input.activities }],
        });
        return { sourceId, result, seconds: (Date.now() - t0) / 1000, finishedAt: new Date().toISOString() };
      } catch (error) {
        // One broken source fails alone; the rest of the run goes on (docs/architecture.md rule 7).
        return { sourceId, failure: describeFailure(error), seconds: (Date.now() - t0) / 1000, finishedAt: new Date().toISOString() };
      }
    }),
  );

  const reports = outcomes.map((o) =>
    o.result
      ? {
          sourceId: o.sourceId,
          status: o.result.unavailable ? ("skipped" as const) : o.result.unchanged ? ("unchanged" as const) : ("ok" as const),
          startedAt: o.result.startedAt,
          finishedAt: o.finishedAt,
          fetched: o.result.fetched,
          records: o.result.records,
          rejected: o.result.rejected,
          fromSnapshot: o.result.fromSnapshot,
          snapshotReason: o.result.snapshotReason,
          stageDir: o.result.stageDir,
          message: o.result.unavailable ?? o.result.warnings?.join("; "),
        }
      : {
          sourceId: o.sourceId,
          status: "failed" as const,
          finishedAt: o.finishedAt,
          fetched: 0,
          records: 0,
          rejected: 0,
          fromSnapshot: false,
          message: o.failure?.message,
        },
  );
  const { counts, quality } = await activitiesFor("load", input.activities).loadStaged({ runId, reports });
  // Before the export: a range failure blocks it, and its review is how an analyst unblocks it. Patched,
  // so a pipeline that was running when this was deployed replays as it ran.
  const reviews = patched("open-reviews") ? await openReviews(input.activities) : { pending: 0, opened: 0 };
  // A failed error-severity check blocks publishing: the previous export and site stay as they were.
  // So does an export or a site build that fails: the run still returns its per-source summary.
  let exportError: string | undefined;
  let siteError: string | undefined;
  let exported;
  if (quality.passed) {
    try {
      exported = await activitiesFor("export", input.activities).exportTables();
    } catch (error) {
      exportError = describeFailure(error).message.split("\n")[0];
    }
  }
  let site;
  // An export whose pages the built site already shows is not built again (an older export result has no
  // siteCurrent, so a replayed run builds as it did).
  const siteUnchanged = exported?.siteCurrent === true;
  if (exported && input.buildSite !== false && !siteUnchanged) {
    try {
      site = await activitiesFor("site", input.activities).buildSite();
    } catch (error) {
      siteError = describeFailure(error).message.split("\n")[0];
    }
  }

  // A source whose stage the load set aside failed alone; its rows are not in the warehouse.
  const sources: SourceSummary[] = outcomes.map((o, i) => ({
    sourceId: o.sourceId,
    status: counts[o.sourceId]?.error ? "failed" : reports[i].status,
    fetched: reports[i].fetched,
    records: reports[i].records,
    newRows: counts[o.sourceId]?.newRows ?? 0,
    updatedRows: counts[o.sourceId]?.updatedRows ?? 0,
    rejected: reports[i].rejected,
    fromSnapshot: reports[i].fromSnapshot,
    snapshotReason: reports[i].snapshotReason,
    snapshotAsOf: o.result?.snapshotAsOf,
    seconds: o.seconds,
    error:
      o.failure?.message ??
      (counts[o.sourceId]?.error ? `${o.sourceId}: set aside at the load: ${counts[o.sourceId].error}` : o.result?.unavailable),
    ...(o.result?.warnings?.length ? { warnings: o.result.warnings } : {}),
  }));
  return {
    runId,
    sources,
    exportedTables: Object.fromEntries(Object.entries(exported?.tables ?? {}).map(([t, v]) => [t, v.rows])),
    exportDir: exported?.dir,
    qualityFailures: quality.results
      .filter((r) => r.status === "fail")
      .map((r) => ({ check: r.check, severity: r.severity, count: r.count, examples: r.examples })),
    exportBlocked: !quality.passed,
    ...(exportError ? { exportError } : {}),
    siteDir: site?.dir,
    siteSeconds: site?.seconds,
    ...(siteError ? { siteError } : {}),
    ...(siteUnchanged && input.buildSite !== false ? { siteUnchanged: true } : {}),
    reviews,
    partial: sources.some((s) => s.status === "failed") || !quality.passed || exportError !== undefined || siteError !== undefined,
  };
}

/**
 * Starts a review workflow for every item that waits for a person. They are child workflows that the
 * pipeline abandons (they outlive the run by days); the workflow id review/<kind>/<key> makes a start for
 * an item whose review is open, or was decided, a no-op. The activity lists keys only, never the items.
 */
async function openReviews(settings: ActivitySettings): Promise<PipelineSummary["reviews"]> {
  const pending = await activitiesFor("review", settings).listPendingReviews();
  const started = await Promise.all(
    pending.items.map(async (item) => {
      try {
        await startChild(review, {
          workflowId: item.id,
          args: [
            {
              kind: item.kind,
              key: item.key,
              remindAfterMs: pending.remindAfterMs,
              escalateAfterMs: pending.escalateAfterMs,
              activities: settings,
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          // A decided review is never reopened by a run; the warehouse's review_decisions say so for good.
          workflowIdReusePolicy: "REJECT_DUPLICATE",
          memo: { kind: item.kind, key: item.key, status: "opening" },
        });
        return true;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw error;
      }
    }),
  );
  // Schedules started before the bound existed get no `held` from an older worker.
  const held = pending.held ?? [];
  const waiting = held.reduce((n, h) => n + h.count, 0);
  return { pending: pending.items.length + waiting, opened: started.filter(Boolean).length, ...(waiting > 0 ? { held } : {}) };
}

export interface PublishInput {
  /** Names the quality check run, e.g. the minute the publish started. */
  runKey: string;
  activities: ActivitySettings;
}

export interface PublishSummary {
  runId: string;
  exportBlocked: boolean;
  qualityFailures: PipelineSummary["qualityFailures"];
  exportedTables: Record<string, number>;
  exportDir?: string;
}

/**
 * After analysts decide: the quality checks again (an approved out-of-range value no longer fails), then
 * the export, run by a worker like every other write (docs/architecture.md rule 4). `npm run site:build` follows.
 */
export async function publish(input: PublishInput): Promise<PublishSummary> {
  const runId = workflowInfo().workflowId;
  const quality = await activitiesFor("load", input.activities).checkQuality({ runId });
  const exported = quality.passed ? await activitiesFor("export", input.activities).exportTables() : undefined;
  return {
    runId,
    exportBlocked: !quality.passed,
    qualityFailures: quality.results
      .filter((r) => r.status === "fail")
      .map((r) => ({ check: r.check, severity: r.severity, count: r.count, examples: r.examples })),
    exportedTables: Object.fromEntries(Object.entries(exported?.tables ?? {}).map(([t, v]) => [t, v.rows])),
    exportDir: exported?.dir,
  };
}
