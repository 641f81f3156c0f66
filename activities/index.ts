// All of the pipeline's I/O, as Temporal activities built by one factory. Workflows import only the
// type of what this returns; they pass references (paths, hashes, counts), never bodies or rows.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import type { ObservatoryConfig } from "../temporal.config.js";
import { ParseError } from "../sources/parser.js";
import { parsers } from "../sources/parsers.js";
import { allowedHosts, loadRegistry, startUrls, type SourceEntry } from "../sources/registry.js";
import { withWarehouse } from "../warehouse/db.js";
import { exportPublicTables, type ExportResult } from "../warehouse/export.js";
import { CurationInputError } from "../warehouse/curation.js";
import { loadStages, type LoadCounts, type RunReport } from "../warehouse/load.js";
import { loadQualityRules, runQualityChecks, type QualityResult } from "../warehouse/quality.js";
import {
  describeReview,
  pendingReviews,
  recordedDecision,
  recordReviewDecision,
  reviewId,
  type ReviewDecisionInput,
  type ReviewItem,
  type ReviewKind,
  type ReviewReceipt,
} from "../warehouse/review.js";
import { readStage, writeStage, type Provenance, type StagedRejection } from "../warehouse/staging.js";
import type { RecordTable } from "../warehouse/tables.js";
import { Archive, type Capture } from "./archive.js";
import { defaultFetchSettings, fetchToArchive, type FetchContext, type FetchSettings } from "./fetch.js";

export interface ActivityDeps {
  config: ObservatoryConfig;
  /** Project root, for `repo:` URLs and the registry. */
  projectRoot: string;
  /** @default "<projectRoot>/sources/registry.yaml" */
  registryFile?: string;
  /** Unit and range rules for the data-quality checks. @default "<projectRoot>/warehouse/quality-rules.yaml" */
  qualityRulesFile?: string;
  fetchSettings?: Partial<FetchSettings>;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default console.error */
  log?: (message: string) => void;
}

export type CaptureRef = Pick<Capture, "url" | "sha256" | "retrievedAt" | "origin" | "status" | "bytes" | "note" | "producer" | "licence" | "retrievedFrom">;

export interface FetchResult {
  sourceId: string;
  captures: CaptureRef[];
  /** Every capture is byte-identical to what the warehouse last loaded for this source. */
  unchanged: boolean;
  fromSnapshot: boolean;
  snapshotReason?: string;
  /** Retrieval time of the newest capture taken from the bundled snapshot. */
  snapshotAsOf?: string;
  /** Set when the source could not be fetched and no copy exists to replay: why. Nothing to parse. */
  unavailable?: string;
  startedAt: string;
}

export interface ParseSummary {
  sourceId: string;
  stageDir: string;
  records: number;
  rejected: number;
}

export interface LoadResult {
  counts: Record<string, LoadCounts>;
  /** passed is false when an error-severity check failed: the export must not run. */
  quality: { passed: boolean; results: QualityResult[] };
}

/** The items waiting for a person, as review workflow ids, and the worker's review timers. */
export interface PendingReviews {
  items: Array<{ id: string; kind: ReviewKind; key: string }>;
  remindAfterMs: number;
  escalateAfterMs: number;
}

/** A curation the warehouse refuses cannot succeed on retry: the workflow reports it to the analyst. */
async function curationCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CurationInputError) throw ApplicationFailure.nonRetryable(error.message, "CurationInputError");
    throw error;
  }
}

export interface SiteResult {
  dir: string;
  seconds: number;
}

/** Same set of bodies as last loaded (order and retrieval times do not matter). */
function sameCaptures(previous: string[] | undefined, captures: CaptureRef[]): boolean {
  if (!previous || captures.length === 0) return false;
  const now = [...new Set(captures.map((c) => c.sha256))].sort();
  return now.length === previous.length && now.every((sha, i) => sha === previous[i]);
}

/**
 * Which capture bodies each source last loaded, kept beside the warehouse file so fetches (which may
 * not open the warehouse while the one writer has it) can tell "unchanged" without a parse. Ignored
 * when the warehouse file is gone, so a fresh warehouse always gets a full load.
 */
class LoadedState {
  private readonly file: string;
  constructor(private readonly warehouse: string) {
    this.file = `${warehouse}.loaded.json`;
  }

  private async all(): Promise<Record<string, string[]>> {
    try {
      await fs.access(this.warehouse);
      return JSON.parse(await fs.readFile(this.file, "utf8")) as Record<string, string[]>;
    } catch {
      return {};
    }
  }

  async read(sourceId: string): Promise<string[] | undefined> {
    return (await this.all())[sourceId];
  }

  async write(sourceId: string, captures: Array<{ sha256: string }>): Promise<void> {
    const state = await this.all();
    state[sourceId] = [...new Set(captures.map((c) => c.sha256))].sort();
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(state, null, 1)}\n`);
    await fs.rename(tmp, this.file);
  }
}

/**
 * Waits inside the fetch layer (pacing, Retry-After): cancellable through the activity context, and cut into
 * slices with a heartbeat between them, so a long Retry-After never looks like a lost worker.
 */
async function activitySleep(ms: number): Promise<void> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined;
  }
  for (let left = ms; left > 0; left -= 10_000) {
    const step = Math.min(left, 10_000);
    if (context) await context.sleep(step);
    else await new Promise((resolve) => setTimeout(resolve, step));
    heartbeat();
  }
}

/** Heartbeats when running inside an activity; a no-op when called directly (tests, scripts). */
function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity context */
  }
}

export function createActivities(deps: ActivityDeps) {
  const { config, projectRoot } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? ((m: string) => console.error(m));
  const registryFile = deps.registryFile ?? path.join(projectRoot, "sources", "registry.yaml");
  const archive = new Archive(config.paths.archive);
  const snapshot = new Archive(config.paths.snapshot);
  const fetchSettings = { ...defaultFetchSettings, ...deps.fetchSettings };
  const loadedState = new LoadedState(config.paths.warehouse);

  async function source(sourceId: string): Promise<SourceEntry> {
    const found = (await loadRegistry(registryFile)).find((s) => s.id === sourceId);
    if (!found) throw ApplicationFailure.nonRetryable(`unknown source "${sourceId}" (not in ${registryFile})`, "UnknownSource");
    return found;
  }

  return {
    /** Ids of the enabled sources in the registry. */
    async listSources(): Promise<string[]> {
      return (await loadRegistry(registryFile)).filter((s) => s.enabled).map((s) => s.id);
    },

    /** Fetches every URL of a source (following pages) into the archive; returns capture references. */
    async fetchSource(input: { sourceId: string; offline: boolean }): Promise<FetchResult> {
      const entry = await source(input.sourceId);
      const parser = parsers[entry.parser];
      const startedAt = now().toISOString();
      const queue = [...startUrls(entry)];
      const seen = new Set<string>();
      const captures: CaptureRef[] = [];
      let snapshotReason: string | undefined;
      const ctx: FetchContext = {
        sourceId: entry.id,
        archive,
        snapshot,
        projectRoot,
        allowedHosts: allowedHosts(entry),
        offline: input.offline,
        settings: {
          ...fetchSettings,
          minIntervalMs: entry.fetch.min_interval_ms ?? fetchSettings.minIntervalMs,
          maxConcurrentPerHost: entry.fetch.max_concurrency ?? fetchSettings.maxConcurrentPerHost,
          timeoutMs: entry.fetch.timeout_ms ?? fetchSettings.timeoutMs,
          maxBytes: entry.fetch.max_bytes ?? fetchSettings.maxBytes,
        },
        now,
        sleep: activitySleep,
        onProgress: (event) => {
          heartbeat({ fetched: captures.length, pending: queue.length, ...event });
          if (event.kind === "retrying") log(`${entry.id}: retrying ${event.url} in ${Math.round(event.waitMs / 1000)} s (${event.reason})`);
        },
      };
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        seen.add(url);
        let outcome;
        try {
          outcome = await fetchToArchive(url, ctx);
        } catch (error) {
          // No network and nothing archived to replay is not this source's fault: report it, do not fail.
          if (error instanceof ApplicationFailure && error.type === "NoSnapshot") {
            return { sourceId: entry.id, captures: [], unchanged: false, fromSnapshot: false, unavailable: error.message, startedAt };
          }
          throw error;
        }
        snapshotReason ??= outcome.snapshotReason;
        const c = outcome.capture;
        captures.push({
          url: c.url,
          sha256: c.sha256,
          retrievedAt: c.retrievedAt,
          origin: c.origin,
          status: c.status,
          bytes: c.bytes,
          note: c.note,
          producer: c.producer,
          licence: c.licence,
          retrievedFrom: c.retrievedFrom,
        });
        heartbeat({ fetched: captures.length, pending: queue.length });
        if (parser.nextPages) {
          try {
            queue.push(...parser.nextPages({ sourceId: entry.id, url, body: await archive.read(c.sha256), options: entry.options }));
          } catch (error) {
            if (error instanceof ParseError) throw ApplicationFailure.nonRetryable(error.message, "ParseError");
            throw error;
          }
        }
      }
      const unchanged = sameCaptures(await loadedState.read(entry.id), captures);
      const snapshotAsOf = captures.filter((c) => c.origin === "snapshot").map((c) => c.retrievedAt).sort().at(-1);
      log(
        `${entry.id}: fetched ${captures.length} capture(s)${snapshotReason ? ` from the bundled snapshot (${snapshotReason})` : ""}` +
          `${unchanged ? ", unchanged since the last load" : ""}`,
      );
      return { sourceId: entry.id, captures, unchanged, fromSnapshot: snapshotAsOf !== undefined, snapshotReason, snapshotAsOf, startedAt };
    },

    /** Parses archived captures into staged Parquet under data/staged/<runKey>/<source>/. */
    async parseSource(input: { sourceId: string; runKey: string; captures: CaptureRef[] }): Promise<ParseSummary> {
      const entry = await source(input.sourceId);
      const parser = parsers[entry.parser];
      const rows: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>> = {};
      const rejections: StagedRejection[] = [];
      for (const capture of input.captures) {
        const body = await archive.read(capture.sha256);
        let result;
        try {
          result = await parser.parse({ sourceId: entry.id, url: capture.url, body, options: entry.options, retrievedFrom: capture.retrievedFrom?.[0]?.url });
        } catch (error) {
          if (error instanceof ParseError) throw ApplicationFailure.nonRetryable(error.message, "ParseError");
          throw error;
        }
        const provenance: Provenance = { source_id: entry.id, snapshot_sha256: capture.sha256, retrieved_at: capture.retrievedAt };
        for (const [table, tableRows] of Object.entries(result.rows) as Array<[RecordTable, Array<Record<string, unknown>>]>) {
          (rows[table] ??= []).push(...tableRows.map((r) => ({ ...r, ...provenance })));
        }
        rejections.push(...result.rejected.map((r) => ({ url: capture.url, ...r })));
      }
      for (const r of rejections) log(`${entry.id}: rejected ${r.record} from ${r.url}: ${r.reason}`);
      const stageDir = path.join(config.paths.staged, input.runKey.replace(/[^A-Za-z0-9._-]/g, "_"), entry.id);
      const manifest = await writeStage(stageDir, entry.id, rows, input.captures, rejections);
      const records = Object.values(manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
      return { sourceId: entry.id, stageDir, records, rejected: rejections.length };
    },

    /** The one writer: merges all staged sources in one transaction. */
    /**
     * The one writer: merges all staged sources in one transaction, then runs the data-quality checks on
     * what the warehouse now holds and stores their results with the run.
     */
    async loadStaged(input: { runId: string; reports: RunReport[] }): Promise<LoadResult> {
      const registry = await loadRegistry(registryFile);
      const manifests = new Map<string, Awaited<ReturnType<typeof readStage>>>();
      for (const r of input.reports) if (r.status === "ok" && r.stageDir) manifests.set(r.sourceId, await readStage(r.stageDir));
      const loadedAt = now().toISOString();
      const result = await withWarehouse(config.paths.warehouse, async (db) => {
        const counts = await loadStages(db, {
          runId: input.runId,
          loadedAt,
          sources: registry.map((s) => ({
            source_id: s.id,
            title: s.title,
            kind: s.kind,
            parser: s.parser,
            urls: startUrls(s),
            cadence: s.cadence,
            licence: s.licence,
            attribution: s.attribution,
            enabled: s.enabled,
          })),
          reports: input.reports,
          manifests,
          taxonomyFile: path.join(projectRoot, "sources", "taxonomy.yaml"),
        });
        const quality = await runQualityChecks(db, {
          runId: input.runId,
          checkedAt: loadedAt,
          rulesFile: deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"),
          cadences: Object.fromEntries(registry.filter((s) => s.enabled).map((s) => [s.id, s.cadence])),
        });
        return { counts, quality };
      });
      // Only after the commit: the next fetch may skip parsing what the warehouse now holds.
      for (const [sourceId, manifest] of manifests) await loadedState.write(sourceId, manifest.captures);
      return result;
    },

    /** The data-quality checks alone, on what the warehouse holds now (a publish after reviews). */
    async checkQuality(input: { runId: string }): Promise<{ passed: boolean; results: QualityResult[] }> {
      const registry = await loadRegistry(registryFile);
      return withWarehouse(config.paths.warehouse, (db) =>
        runQualityChecks(db, {
          runId: input.runId,
          checkedAt: now().toISOString(),
          rulesFile: deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"),
          cadences: Object.fromEntries(registry.filter((s) => s.enabled).map((s) => [s.id, s.cadence])),
        }),
      );
    },

    /** Items that need a person (incident candidates, sheet values, range failures, uncertain tags) with no decision yet. */
    async listPendingReviews(): Promise<PendingReviews> {
      const rules = await loadQualityRules(deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"));
      const refs = await withWarehouse(config.paths.warehouse, (db) => pendingReviews(db, { rules }));
      return {
        items: refs.map((r) => ({ id: reviewId(r.kind, r.key), ...r })),
        remindAfterMs: config.review.remindAfterMs,
        escalateAfterMs: config.review.escalateAfterMs,
      };
    },

    /** What the analyst needs to see about one review item (small: title, links, the proposal). */
    async describeReviewItem(input: { kind: ReviewKind; key: string; proposal: Record<string, string> }): Promise<ReviewItem> {
      return curationCall(() => withWarehouse(config.paths.warehouse, (db) => describeReview(db, input, input.proposal)));
    },

    /** Writes an analyst's decision and its curation_log entry in one transaction. */
    async applyReviewDecision(input: { kind: ReviewKind; key: string; proposal: Record<string, string>; decision: ReviewDecisionInput }): Promise<ReviewReceipt> {
      const receipt = await curationCall(() =>
        withWarehouse(config.paths.warehouse, async (db) => {
          // A retry of an attempt that committed but never reported back gets the first attempt's receipt.
          const earlier = await recordedDecision(db, input);
          if (earlier && earlier.decision === input.decision.action && earlier.by === input.decision.by) return earlier;
          return recordReviewDecision(db, input, input.decision, { now, proposal: input.proposal });
        }),
      );
      log(`${reviewId(input.kind, input.key)}: ${input.decision.action} by ${input.decision.by}: ${receipt.effect}`);
      return receipt;
    },

    /** Appends a reminder or escalation to the review events log (JSON lines) and says so on the worker's stderr. */
    async recordReviewEvent(input: { reviewId: string; event: "reminder" | "escalation"; at: string; title: string; openedAt: string }): Promise<void> {
      await fs.mkdir(path.dirname(config.review.eventsLog), { recursive: true });
      await fs.appendFile(config.review.eventsLog, `${JSON.stringify({ ...input, loggedAt: now().toISOString() })}\n`);
      log(`${input.event === "reminder" ? "Reminder" : "ESCALATION (overdue)"}: ${input.reviewId} "${input.title}" waits for an analyst since ${input.openedAt}`);
    },

    /** Writes the public Parquet exports and their datapackage.json. */
    async exportTables(): Promise<ExportResult> {
      return withWarehouse(config.paths.warehouse, (db) => exportPublicTables(db, config.paths.exports, now().toISOString()));
    },

    /** Builds the Observable Framework site into site/dist from the current exports. */
    async buildSite(): Promise<SiteResult> {
      const started = performance.now();
      // Framework caches loader output keyed on the loader's source, not on the Parquet it reads;
      // a stale cache would publish the previous run's numbers.
      await fs.rm(path.join(config.paths.site, "src", ".observablehq", "cache"), { recursive: true, force: true });
      const bin = path.join(projectRoot, "node_modules", ".bin", "observable");
      const output: string[] = [];
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(bin, ["build"], {
          cwd: config.paths.site,
          // Framework sends anonymous telemetry to its own host by default; the build calls no third party.
          env: { ...process.env, OBSERVATORY_EXPORTS_DIR: config.paths.exports, CI: "true", OBSERVABLE_TELEMETRY_DISABLE: "true" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const keep = (chunk: Buffer) => {
          output.push(chunk.toString());
          if (output.length > 200) output.shift();
          heartbeat();
        };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("error", reject);
        child.on("exit", resolve);
      });
      if (code !== 0) {
        throw ApplicationFailure.retryable(`site build failed (exit ${code}):\n${output.join("").slice(-4000)}`, "SiteBuildFailed");
      }
      const dist = path.join(config.paths.site, "dist");
      await copyDownloads(config.paths.exports, path.join(dist, "downloads"));
      return { dir: dist, seconds: (performance.now() - started) / 1000 };
    },
  };
}

/**
 * The Data page's downloads: the export's Parquet and CSV files and datapackage.json, copied beside the
 * built pages so the site serves them itself. Framework only copies files a page names literally, and the
 * table list comes from the catalogue, hence a copy after the build rather than file attachments.
 */
async function copyDownloads(exportsDir: string, target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true });
  await fs.mkdir(target, { recursive: true });
  for (const name of await fs.readdir(exportsDir)) {
    if (/\.(parquet|csv)$/.test(name) || name === "datapackage.json") await fs.copyFile(path.join(exportsDir, name), path.join(target, name));
  }
}

export type Activities = ReturnType<typeof createActivities>;
