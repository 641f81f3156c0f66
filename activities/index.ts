// All of the pipeline's I/O, as Temporal activities built by one factory. Workflows import only the
// type of what this returns; they pass references (paths, hashes, counts), never bodies or rows.
import fs from "node:fs/promises";
import path from "node:path";
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import type { ObservatoryConfig } from "../temporal.config.js";
import { describeDecoding } from "../sources/decode.js";
import { ParseError } from "../sources/parser.js";
import { parsers } from "../sources/parsers.js";
import { allowedHosts, loadRegistry, startUrls, type SourceEntry } from "../sources/registry.js";
import { withWarehouse } from "../warehouse/db.js";
import { ExportNotPublished, exportPublicTables, type ExportResult } from "../warehouse/export.js";
import { CurationInputError } from "../warehouse/curation.js";
import { loadStages, type LoadCounts, type RunReport } from "../warehouse/load.js";
import { loadQualityRules, runQualityChecks, type QualityResult } from "../warehouse/quality.js";
import {
  boundReviews,
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
import { readStage, writeStage, type Provenance, type StagedCapture, type StagedRejection } from "../warehouse/staging.js";
import type { RecordTable } from "../warehouse/tables.js";
import { registerIntakeReport } from "../warehouse/intake.js";
import { AnalystAuthError, AnalystStore } from "./analysts.js";
import { Archive, ArchiveCorrupt, sha256Hex, type Capture } from "./archive.js";
import { IntakeStore, publicPart, reportSha256 } from "./intake.js";
import { buildSite, SiteBuildError } from "./site-build.js";
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

export type CaptureRef = Pick<Capture, "url" | "sha256" | "retrievedAt" | "origin" | "status" | "bytes" | "note" | "producer" | "licence" | "retrievedFrom"> & {
  /** The Content-Type the body arrived with, so a parse (and every reparse) decodes it as the server declared. */
  contentType?: string;
};

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
  /** Paging cut short (page cap, byte budget, a repeated cursor or body): what was fetched is still parsed. */
  warnings?: string[];
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
  /** The reviews to open now: at most review.maxOpenPerSourceKind per source and kind. */
  items: Array<{ id: string; kind: ReviewKind; key: string }>;
  /** Items waiting beyond that bound, counted per source and kind; they open on a later run. */
  held: Array<{ kind: ReviewKind; sourceId: string | null; count: number }>;
  remindAfterMs: number;
  escalateAfterMs: number;
}

/** A curation the warehouse refuses cannot succeed on retry: the workflow reports it to the analyst. */
async function curationCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    // A refused identity is refused input: retrying cannot make the signature right.
    if (error instanceof CurationInputError || error instanceof AnalystAuthError) throw ApplicationFailure.nonRetryable(error.message, "CurationInputError");
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

/**
 * Runs fn with a heartbeat every third of the activity's heartbeat timeout. Without heartbeats, an
 * attempt whose completion was lost (the server restarted, the worker died) is only retried when its
 * start-to-close timeout runs out, minutes later; with them the server notices within the heartbeat
 * timeout. The heartbeats come from a timer, so they prove that the worker and its event loop are alive,
 * not that fn makes progress: the start-to-close timeout still bounds a stuck attempt. A no-op outside
 * an activity (scripts, tests calling the factory directly).
 */
export async function withHeartbeats<T>(fn: () => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return fn();
  }
  const timeout = context.info.heartbeatTimeoutMs;
  if (!timeout) return fn();
  const ctx = context;
  const timer = setInterval(() => ctx.heartbeat(), Math.max(500, Math.floor(timeout / 3)));
  try {
    ctx.heartbeat();
    return await fn();
  } finally {
    clearInterval(timer);
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

  /**
   * A capture's body from the archive, every read checked against its sha256. A corrupt copy (now
   * quarantined) is restored from the bundled snapshot or the repository file with the same sha256;
   * failing both, ArchiveCorrupt (non-retryable: the workflow fetches the source again) names the file,
   * the sha, the source and the URL.
   */
  async function captureBody(sourceId: string, capture: CaptureRef): Promise<Uint8Array> {
    try {
      return await archive.read(capture.sha256);
    } catch (error) {
      if (!(error instanceof ArchiveCorrupt)) throw error;
      const from = await restoreBody(capture);
      if (from) {
        log(`${sourceId}: ${capture.url}: ${error.message}; restored from ${from}`);
        return archive.read(capture.sha256);
      }
      throw ApplicationFailure.nonRetryable(
        `${sourceId}: ${capture.url}: ${error.message}; neither the bundled snapshot nor the repository holds these bytes, so the source must be fetched again`,
        "ArchiveCorrupt",
      );
    }
  }

  async function restoreBody(capture: CaptureRef): Promise<string | undefined> {
    if (await snapshot.has(capture.sha256)) {
      try {
        await archive.restore(capture.sha256, await snapshot.read(capture.sha256));
        return "the bundled snapshot";
      } catch {
        /* the snapshot's copy is bad too: try the repository */
      }
    }
    if (capture.url.startsWith("repo:")) {
      const file = path.resolve(projectRoot, capture.url.slice("repo:".length));
      const body = file.startsWith(projectRoot + path.sep) ? await fs.readFile(file).catch(() => undefined) : undefined;
      if (body && sha256Hex(body) === capture.sha256) {
        await archive.restore(capture.sha256, body);
        return `the repository file ${capture.url.slice("repo:".length)}`;
      }
    }
    return undefined;
  }

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
      return withHeartbeats(async () => {
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
        // Bounded work (a source's paging may never end): a page cap and a byte budget per run, and a
        // repeated URL or a page whose body repeats an earlier one ends that chain of pages.
        const warnings: string[] = [];
        const warn = (message: string) => {
          warnings.push(message);
          log(`${entry.id}: ${message}`);
        };
        const followed = new Set<string>();
        const bodies = new Set<string>();
        let bytes = 0;
        while (queue.length > 0) {
          const url = queue.shift()!;
          if (seen.has(url)) {
            if (followed.has(url)) warn(`paging stopped: ${url} was already fetched in this run (a repeated cursor or link)`);
            continue;
          }
          if (seen.size >= entry.fetch.max_pages) {
            warn(`paging stopped at the cap of ${entry.fetch.max_pages} pages per run (fetch.max_pages); ${queue.length + 1} page(s) not fetched, the first ${url}`);
            break;
          }
          if (bytes >= entry.fetch.max_run_bytes) {
            warn(`paging stopped: the run's budget of ${entry.fetch.max_run_bytes} bytes (fetch.max_run_bytes) is spent; ${queue.length + 1} page(s) not fetched, the first ${url}`);
            break;
          }
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
          bytes += c.bytes;
          if (followed.has(url) && bodies.has(c.sha256)) {
            warn(`paging stopped: ${url} returned the same body as an earlier page (sha256 ${c.sha256.slice(0, 12)}…)`);
            continue;
          }
          bodies.add(c.sha256);
          const contentType = c.headers["content-type"];
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
            contentType,
          });
          heartbeat({ fetched: captures.length, pending: queue.length });
          if (parser.nextPages) {
            try {
              const next = parser.nextPages({ sourceId: entry.id, url, body: await captureBody(entry.id, c), contentType, options: entry.options });
              for (const n of next) followed.add(n);
              queue.push(...next);
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
        return { sourceId: entry.id, captures, unchanged, fromSnapshot: snapshotAsOf !== undefined, snapshotReason, snapshotAsOf, startedAt, warnings };
      });
    },

    /** Parses archived captures into staged Parquet under data/staged/<runKey>/<source>/. */
    async parseSource(input: { sourceId: string; runKey: string; captures: CaptureRef[] }): Promise<ParseSummary> {
      return withHeartbeats(async () => {
        const entry = await source(input.sourceId);
        const parser = parsers[entry.parser];
        const rows: Partial<Record<RecordTable, Array<Record<string, unknown> & Provenance>>> = {};
        const rejections: StagedRejection[] = [];
        const staged: StagedCapture[] = [];
        for (const { contentType, ...capture } of input.captures) {
          const body = await captureBody(entry.id, capture);
          let result;
          try {
            result = await parser.parse({ sourceId: entry.id, url: capture.url, body, contentType, options: entry.options, retrievedFrom: capture.retrievedFrom?.[0]?.url });
          } catch (error) {
            if (error instanceof ParseError) throw ApplicationFailure.nonRetryable(error.message, "ParseError");
            throw error;
          }
          const provenance: Provenance = { source_id: entry.id, snapshot_sha256: capture.sha256, retrieved_at: capture.retrievedAt };
          for (const [table, tableRows] of Object.entries(result.rows) as Array<[RecordTable, Array<Record<string, unknown>>]>) {
            (rows[table] ??= []).push(...tableRows.map((r) => ({ ...r, ...provenance })));
          }
          rejections.push(...result.rejected.map((r) => ({ url: capture.url, ...r })));
          const encoding = result.decoding ? describeDecoding(result.decoding) : undefined;
          if (result.decoding && result.decoding.decidedBy !== "undeclared-utf-8" && result.decoding.encoding !== "utf-8") log(`${entry.id}: ${capture.url} decoded as ${encoding}`);
          staged.push({ ...capture, ...(encoding ? { encoding } : {}) });
        }
        const stageDir = path.join(config.paths.staged, input.runKey.replace(/[^A-Za-z0-9._-]/g, "_"), entry.id);
        const manifest = await writeStage(stageDir, entry.id, rows, staged, rejections);
        // The stage adds a rejection for every repeated key, so the manifest's list is the complete one.
        for (const r of manifest.rejections) log(`${entry.id}: rejected ${r.record} from ${r.url}: ${r.reason}`);
        const records = Object.values(manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
        return { sourceId: entry.id, stageDir, records, rejected: manifest.rejections.length };
      });
    },

    /**
     * The one writer: merges all staged sources in one transaction, then runs the data-quality checks on
     * what the warehouse now holds and stores their results with the run.
     */
    async loadStaged(input: { runId: string; reports: RunReport[] }): Promise<LoadResult> {
      return withHeartbeats(async () => {
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
        // A source set aside at the load is not loaded: its next fetch must parse it again.
        for (const [sourceId, manifest] of manifests) {
          const error = result.counts[sourceId]?.error;
          if (error) log(`${sourceId}: set aside at the load, the other sources were loaded: ${error}`);
          else await loadedState.write(sourceId, manifest.captures);
        }
        return result;
      });
    },

    /** The data-quality checks alone, on what the warehouse holds now (a publish after reviews). */
    async checkQuality(input: { runId: string }): Promise<{ passed: boolean; results: QualityResult[] }> {
      return withHeartbeats(async () => {
        const registry = await loadRegistry(registryFile);
        return withWarehouse(config.paths.warehouse, (db) =>
          runQualityChecks(db, {
            runId: input.runId,
            checkedAt: now().toISOString(),
            rulesFile: deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"),
            cadences: Object.fromEntries(registry.filter((s) => s.enabled).map((s) => [s.id, s.cadence])),
          }),
        );
      });
    },

    /** Items that need a person (incident candidates, sheet values, range failures, uncertain tags) with no decision yet. */
    async listPendingReviews(): Promise<PendingReviews> {
      return withHeartbeats(async () => {
        const rules = await loadQualityRules(deps.qualityRulesFile ?? path.join(projectRoot, "warehouse", "quality-rules.yaml"));
        const refs = await withWarehouse(config.paths.warehouse, (db) => pendingReviews(db, { rules }));
        const { open, held } = boundReviews(refs, config.review.maxOpenPerSourceKind);
        for (const h of held) log(`${h.sourceId ?? "-"}: ${h.count} more ${h.kind} review(s) wait until earlier ones are decided (review.maxOpenPerSourceKind ${config.review.maxOpenPerSourceKind})`);
        return {
          items: open.map((r) => ({ id: reviewId(r.kind, r.key), kind: r.kind, key: r.key })),
          held,
          remindAfterMs: config.review.remindAfterMs,
          escalateAfterMs: config.review.escalateAfterMs,
        };
      });
    },

    /** What the analyst needs to see about one review item (small: title, links, the proposal). */
    async describeReviewItem(input: { kind: ReviewKind; key: string; proposal: Record<string, string> }): Promise<ReviewItem> {
      return curationCall(() =>
        withWarehouse(config.paths.warehouse, async (db) => {
          // A public report is registered (its public part only) when its review opens; the contact stays in the intake store.
          if (input.kind === "report") {
            const report = publicPart(await new IntakeStore(config.intake.dir).read(input.key));
            await registerIntakeReport(db, { ...report, sha256: reportSha256(report) }, now().toISOString());
          }
          return describeReview(db, input, input.proposal);
        }),
      );
    },

    /** Writes an analyst's decision and its curation_log entry in one transaction. */
    async applyReviewDecision(input: { kind: ReviewKind; key: string; proposal: Record<string, string>; decision: ReviewDecisionInput }): Promise<ReviewReceipt> {
      const receipt = await curationCall(() =>
        withWarehouse(config.paths.warehouse, async (db) => {
          // A retry of an attempt that committed but never reported back gets the first attempt's receipt.
          const earlier = await recordedDecision(db, input);
          if (earlier && earlier.decision === input.decision.action && earlier.by === input.decision.by) return earlier;
          return recordReviewDecision(db, input, input.decision, { now, proposal: input.proposal, analysts: new AnalystStore(config.analysts.file) });
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
      return withHeartbeats(async () => {
        try {
          return await withWarehouse(config.paths.warehouse, (db) => exportPublicTables(db, config.paths.exports, now().toISOString()));
        } catch (error) {
          throw exportFailure(error);
        }
      });
    },

    /**
     * Builds the Observable Framework site from the current exports in a working copy of its own and swaps
     * it in whole (activities/site-build.ts): a build that fails leaves the last good site published.
     */
    async buildSite(): Promise<SiteResult> {
      return withHeartbeats(async () => {
        try {
          return await buildSite({
            siteDir: config.paths.site,
            output: config.paths.siteOutput,
            exportsDir: config.paths.exports,
            projectRoot,
            // The report page has a form only when the intake has a public URL.
            env: { OBSERVATORY_INTAKE_URL: config.intake.url ?? "" },
            onOutput: () => heartbeat(),
          });
        } catch (error) {
          if (!(error instanceof SiteBuildError)) throw error;
          const last = error.output.split("\n").map((l) => l.trim()).filter(Boolean).at(-1) ?? "";
          throw ApplicationFailure.retryable(
            `site build failed (${error.reason}): ${last.slice(0, 300)}; the last good site stays in ${config.paths.siteOutput}\n${error.message}`,
            "SiteBuildFailed",
          );
        }
      });
    },
  };
}

/**
 * An export failure in one line (the run's summary shows it). What a retry cannot fix fails at once: a
 * folder the worker may not write, or a data check the export refuses (the previous export stays live
 * either way); anything else (a busy file, a full disk being cleared) is retried.
 */
function exportFailure(error: unknown): ApplicationFailure {
  const message = ((error as Error).message ?? String(error)).split("\n")[0];
  if (error instanceof ExportNotPublished && ["EPERM", "EACCES", "EROFS"].includes(error.code ?? "")) {
    return ApplicationFailure.nonRetryable(message, "ExportNotPublished");
  }
  if (/^export of |^exportPublicTables|is invalid/.test(message)) return ApplicationFailure.nonRetryable(message, "ExportCheckFailed");
  return ApplicationFailure.retryable(message, "ExportFailed");
}

export type Activities = ReturnType<typeof createActivities>;
