// The ingest activities: a source's URLs fetched (following pages) into the archive, then its captures
// parsed into staged Parquet. They never open the warehouse (docs/architecture.md rule 4).
import fs from "node:fs/promises";
import path from "node:path";
import { describeDecoding } from "../sources/decode.js";
import { ParseError } from "../sources/parser.js";
import { parsers } from "../sources/parsers.js";
import { allowedHosts, startUrls, type SourceEntry } from "../sources/registry.js";
import { buildStage, type Provenance, type StagedCapture, type StagedRejection } from "../warehouse/staging.js";
import type { RecordTable } from "../warehouse/tables.js";
import { ArchiveCorrupt, sha256Hex, type Capture } from "./archive.js";
import type { ActivityEnv } from "./env.js";
import { isFailure, nonRetryable } from "./failures.js";
import { fetchToArchive, type FetchContext, type FetchSettings } from "./fetch.js";
import { activitySleep, heartbeat, withHeartbeats } from "./heartbeat.js";
import { sameCaptures } from "./loaded-state.js";

export type CaptureRef = Pick<
  Capture,
  "url" | "sha256" | "retrievedAt" | "origin" | "status" | "bytes" | "note" | "producer" | "licence" | "retrievedFrom"
> & {
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

/** A parser's refusal of a body cannot succeed on retry: the source fails with the parser's reason. */
async function parsing<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ParseError) throw nonRetryable("ParseError", error.message);
    throw error;
  }
}

/** The worker's fetch settings with the source's own limits (registry `fetch:`) applied. */
function sourceFetchSettings(entry: SourceEntry, base: FetchSettings): FetchSettings {
  return {
    ...base,
    minIntervalMs: entry.fetch.min_interval_ms ?? base.minIntervalMs,
    maxConcurrentPerHost: entry.fetch.max_concurrency ?? base.maxConcurrentPerHost,
    timeoutMs: entry.fetch.timeout_ms ?? base.timeoutMs,
    maxBytes: entry.fetch.max_bytes ?? base.maxBytes,
  };
}

/** What travels through workflow history about a capture: references, never its body or headers (rule 2). */
function captureRef(c: Capture): CaptureRef {
  return {
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
    contentType: c.headers["content-type"],
  };
}

export function createIngestActivities(env: ActivityEnv) {
  const { config, projectRoot, archive, snapshot, log, now } = env;

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
      throw nonRetryable(
        "ArchiveCorrupt",
        `${sourceId}: ${capture.url}: ${error.message}; neither the bundled snapshot nor the repository holds these bytes, so the source must be fetched again`,
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
    const found = (await env.registry()).find((s) => s.id === sourceId);
    if (!found) throw nonRetryable("UnknownSource", `unknown source "${sourceId}" (not in ${env.registryFile})`);
    return found;
  }

  return {
    /** Ids of the enabled sources in the registry. */
    async listSources(): Promise<string[]> {
      return (await env.registry()).filter((s) => s.enabled).map((s) => s.id);
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
          settings: sourceFetchSettings(entry, env.fetchSettings),
          now,
          sleep: activitySleep,
          onProgress: (event) => {
            heartbeat({ fetched: captures.length, pending: queue.length, ...event });
            if (event.kind === "retrying")
              log(`${entry.id}: retrying ${event.url} in ${Math.round(event.waitMs / 1000)} s (${event.reason})`);
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
            warn(
              `paging stopped at the cap of ${entry.fetch.max_pages} pages per run (fetch.max_pages); ${queue.length + 1} page(s) not fetched, ` +
                `the first ${url}`,
            );
            break;
          }
          if (bytes >= entry.fetch.max_run_bytes) {
            warn(
              `paging stopped: the run's budget of ${entry.fetch.max_run_bytes} bytes (fetch.max_run_bytes) is spent; ${queue.length + 1} ` +
                `page(s) not fetched, the first ${url}`,
            );
            break;
          }
          seen.add(url);
          let outcome;
          try {
            outcome = await fetchToArchive(url, ctx);
          } catch (error) {
            // No network and nothing archived to replay is not this source's fault: report it, do not fail.
            if (isFailure(error, "NoSnapshot")) {
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
          const ref = captureRef(c);
          captures.push(ref);
          heartbeat({ fetched: captures.length, pending: queue.length });
          if (parser.nextPages) {
            const body = await captureBody(entry.id, c);
            const next = await parsing(() =>
              parser.nextPages!({ sourceId: entry.id, url, body, contentType: ref.contentType, options: entry.options }),
            );
            for (const n of next) followed.add(n);
            queue.push(...next);
          }
        }
        const unchanged = sameCaptures(await env.loadedState.read(entry.id), captures);
        const snapshotAsOf = captures
          .filter((c) => c.origin === "snapshot")
          .map((c) => c.retrievedAt)
          .sort()
          .at(-1);
        log(
          `${entry.id}: fetched ${captures.length} capture(s)${snapshotReason ? ` from the bundled snapshot (${snapshotReason})` : ""}` +
            `${unchanged ? ", unchanged since the last load" : ""}`,
        );
        return {
          sourceId: entry.id,
          captures,
          unchanged,
          fromSnapshot: snapshotAsOf !== undefined,
          snapshotReason,
          snapshotAsOf,
          startedAt,
          warnings,
        };
      });
    },

    /** Parses archived captures into staged Parquet under data/staged/<runKey>/<source>/. */
    async parseSource(input: { sourceId: string; runKey: string; captures: CaptureRef[] }): Promise<ParseSummary> {
      return withHeartbeats(async () => {
        const entry = await source(input.sourceId);
        const parser = parsers[entry.parser];
        const stageDir = path.join(config.paths.staged, input.runKey.replace(/[^A-Za-z0-9._-]/g, "_"), entry.id);
        // Each capture's rows are staged as soon as it is parsed and then let go, so a source of many pages
        // holds one page's rows at a time (a million observations would otherwise be held twice over).
        const manifest = await buildStage(stageDir, entry.id, async (add) => {
          const rejections: StagedRejection[] = [];
          const staged: StagedCapture[] = [];
          for (const { contentType, ...capture } of input.captures) {
            const body = await captureBody(entry.id, capture);
            const result = await parsing(() =>
              parser.parse({
                sourceId: entry.id,
                url: capture.url,
                body,
                contentType,
                options: entry.options,
                retrievedFrom: capture.retrievedFrom?.[0]?.url,
              }),
            );
            const provenance: Provenance = { source_id: entry.id, snapshot_sha256: capture.sha256, retrieved_at: capture.retrievedAt };
            for (const [table, tableRows] of Object.entries(result.rows) as Array<[RecordTable, Array<Record<string, unknown>>]>)
              await add(table, tableRows, provenance);
            rejections.push(...result.rejected.map((r) => ({ url: capture.url, ...r })));
            const encoding = result.decoding ? describeDecoding(result.decoding) : undefined;
            if (result.decoding && result.decoding.decidedBy !== "undeclared-utf-8" && result.decoding.encoding !== "utf-8")
              log(`${entry.id}: ${capture.url} decoded as ${encoding}`);
            staged.push({ ...capture, ...(encoding ? { encoding } : {}) });
          }
          return { captures: staged, rejections };
        });
        // The stage adds a rejection for every repeated key, so the manifest's list is the complete one.
        for (const r of manifest.rejections) log(`${entry.id}: rejected ${r.record} from ${r.url}: ${r.reason}`);
        const records = Object.values(manifest.tables).reduce((n, t) => n + (t?.rows ?? 0), 0);
        return { sourceId: entry.id, stageDir, records, rejected: manifest.rejections.length };
      });
    },
  };
}
