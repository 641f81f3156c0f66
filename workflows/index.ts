// Orchestration only (DESIGN.md rules 1 and 2): no I/O, clocks or Node modules here. Activity
// timeouts and retries arrive in the input, built from temporal.config.ts by whoever starts the run.
import { ApplicationFailure, executeChild, proxyActivities, workflowInfo } from "@temporalio/workflow";
import type { ActivityOptions } from "@temporalio/workflow";
import type { Activities, CaptureRef } from "../activities/index.js";

export type ActivityKind = "fetch" | "parse" | "load" | "export" | "site";

/** Plain-data activity settings (temporal.config.ts → activities), safe to carry in workflow input. */
export type ActivitySettings = Record<
  ActivityKind,
  {
    startToCloseTimeout: string;
    heartbeatTimeout?: string;
    retry: { maximumAttempts: number; initialInterval: string; backoffCoefficient: number; maximumInterval: string };
  }
>;

function activitiesFor(kind: ActivityKind, settings: ActivitySettings) {
  const s = settings[kind];
  const options: ActivityOptions = {
    startToCloseTimeout: s.startToCloseTimeout as ActivityOptions["startToCloseTimeout"],
    heartbeatTimeout: s.heartbeatTimeout as ActivityOptions["heartbeatTimeout"],
    retry: {
      maximumAttempts: s.retry.maximumAttempts,
      initialInterval: s.retry.initialInterval as never,
      backoffCoefficient: s.retry.backoffCoefficient,
      maximumInterval: s.retry.maximumInterval as never,
      nonRetryableErrorTypes: ["ParseError", "UnknownSource", "HostNotAllowed", "HttpClientError", "BadUrl", "NoSnapshot", "TooLarge"],
    },
  };
  return proxyActivities<Activities>(options);
}

export interface IngestInput {
  sourceId: string;
  /** Names the run's staged folder, e.g. the run date. */
  runKey: string;
  offline: boolean;
  activities: ActivitySettings;
}

export interface IngestResult {
  sourceId: string;
  stageDir: string;
  fetched: number;
  records: number;
  rejected: number;
  fromSnapshot: boolean;
  snapshotReason?: string;
  startedAt: string;
  captures: number;
}

/** Fetch one source into the archive, then parse it into staged Parquet. Writes nothing to the warehouse. */
export async function ingestSource(input: IngestInput): Promise<IngestResult> {
  const fetched = await activitiesFor("fetch", input.activities).fetchSource({ sourceId: input.sourceId, offline: input.offline });
  const captures: CaptureRef[] = fetched.captures;
  const parsed = await activitiesFor("parse", input.activities).parseSource({ sourceId: input.sourceId, runKey: input.runKey, captures });
  return {
    sourceId: input.sourceId,
    stageDir: parsed.stageDir,
    fetched: captures.length,
    records: parsed.records,
    rejected: parsed.rejected,
    fromSnapshot: fetched.fromSnapshot,
    snapshotReason: fetched.snapshotReason,
    startedAt: fetched.startedAt,
    captures: captures.length,
  };
}

export interface PipelineInput {
  /** Date or label for this run; child workflow IDs are `ingest/<source>/<runKey>`. */
  runKey: string;
  offline: boolean;
  /** Build the static site after the export. @default true */
  buildSite?: boolean;
  activities: ActivitySettings;
}

export interface SourceSummary {
  sourceId: string;
  status: "ok" | "failed";
  fetched: number;
  records: number;
  newRows: number;
  updatedRows: number;
  rejected: number;
  fromSnapshot: boolean;
  snapshotReason?: string;
  seconds: number;
  error?: string;
}

export interface PipelineSummary {
  runId: string;
  sources: SourceSummary[];
  exportedTables: Record<string, number>;
  exportDir: string;
  siteDir?: string;
  siteSeconds?: number;
  partial: boolean;
}

function errorMessage(error: unknown): string {
  // Child failures wrap the activity failure; the innermost message names the source and URL.
  let e = error as { message?: string; cause?: unknown } | undefined;
  let message = e?.message ?? String(error);
  while (e?.cause) {
    e = e.cause as { message?: string; cause?: unknown };
    if (e?.message) message = e.message;
  }
  return message;
}

/** Every enabled source in parallel, then one load, the export and the site build. */
export async function pipeline(input: PipelineInput): Promise<PipelineSummary> {
  const runId = workflowInfo().workflowId;
  const sourceIds = await activitiesFor("fetch", input.activities).listSources();
  if (sourceIds.length === 0) throw ApplicationFailure.nonRetryable("the source registry has no enabled sources");

  const outcomes = await Promise.all(
    sourceIds.map(async (sourceId) => {
      const t0 = Date.now();
      try {
        const result = await executeChild(ingestSource, {
          workflowId: `ingest/${sourceId}/${input.runKey}`,
          args: [{ sourceId, runKey: input.runKey, offline: input.offline, activities: input.activities }],
        });
        // Date in workflow code is Temporal's deterministic clock, replayed identically.
        return { sourceId, result, seconds: (Date.now() - t0) / 1000, finishedAt: new Date().toISOString() };
      } catch (error) {
        // One broken source fails alone; the rest of the run goes on (DESIGN.md rule 7).
        return { sourceId, error: errorMessage(error), seconds: (Date.now() - t0) / 1000, finishedAt: new Date().toISOString() };
      }
    }),
  );

  const reports = outcomes.map((o) =>
    o.result
      ? {
          sourceId: o.sourceId,
          status: "ok" as const,
          startedAt: o.result.startedAt,
          finishedAt: o.finishedAt,
          fetched: o.result.fetched,
          records: o.result.records,
          rejected: o.result.rejected,
          fromSnapshot: o.result.fromSnapshot,
          snapshotReason: o.result.snapshotReason,
          stageDir: o.result.stageDir,
        }
      : { sourceId: o.sourceId, status: "failed" as const, finishedAt: o.finishedAt, fetched: 0, records: 0, rejected: 0, fromSnapshot: false, message: o.error },
  );
  const counts = await activitiesFor("load", input.activities).loadStaged({ runId, reports });
  const exported = await activitiesFor("export", input.activities).exportTables();
  const site = input.buildSite === false ? undefined : await activitiesFor("site", input.activities).buildSite();

  const sources: SourceSummary[] = outcomes.map((o, i) => ({
    sourceId: o.sourceId,
    status: reports[i].status,
    fetched: reports[i].fetched,
    records: reports[i].records,
    newRows: counts[o.sourceId]?.newRows ?? 0,
    updatedRows: counts[o.sourceId]?.updatedRows ?? 0,
    rejected: reports[i].rejected,
    fromSnapshot: reports[i].fromSnapshot,
    snapshotReason: reports[i].snapshotReason,
    seconds: o.seconds,
    error: o.error,
  }));
  return {
    runId,
    sources,
    exportedTables: Object.fromEntries(Object.entries(exported.tables).map(([t, v]) => [t, v.rows])),
    exportDir: exported.dir,
    siteDir: site?.dir,
    siteSeconds: site?.seconds,
    partial: sources.some((s) => s.status === "failed"),
  };
}
