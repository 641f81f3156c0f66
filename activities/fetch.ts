// The one way the observatory reads a source (docs/architecture.md rules 3 and 7): registry hosts only, never a
// private address, robots.txt and a per-host pace respected, conditional requests, bounded retries,
// one deadline and a decoded-size cap per response, and every body archived before anyone parses it.
// When the network cannot be reached (or --offline is set) the capture comes from the bundled
// snapshot instead, and says so. The HTTP plumbing lives in ./http/.
import fs from "node:fs/promises";
import path from "node:path";
import { ApplicationFailure } from "@temporalio/common";
import type { Archive, Capture } from "./archive.js";
import { nonRetryable, retryable } from "./failures.js";
import { AddressRefused } from "./http/address.js";
import { HostLimiter } from "./http/limiter.js";
import { BodyTooLarge, openRequest, TimedOut, Unreachable, UnsupportedEncoding, type BodyLimit } from "./http/request.js";
import { allowAll, parseRobots, RobotsCache, robotsToken, type RobotsPolicy } from "./http/robots.js";

export interface FetchSettings {
  /** Sent with every request; its first word ("CambodiaAIObservatory") is our robots.txt token. */
  userAgent: string;
  /** Deadline for one request: connect, headers and the whole body. @default 30000 */
  timeoutMs: number;
  /** Largest body accepted, in bytes, counted after decoding gzip. @default 50 MiB */
  maxBytes: number;
  /** Minimum time between the starts of two requests to one host (a larger robots.txt Crawl-delay wins). @default 1000 */
  minIntervalMs: number;
  /** Requests in flight to one host at a time. @default 2 */
  maxConcurrentPerHost: number;
  /** Tries per fetch within the activity, for 429, 5xx, timeouts and dropped connections. @default 3 */
  maxAttempts: number;
  /** First backoff between tries when the server sends no Retry-After; doubles each try. @default 500 */
  backoffBaseMs: number;
  /** Longest backoff between tries. @default 30000 */
  maxBackoffMs: number;
  /** Longest Retry-After waited inside the activity; a longer one fails retryably with `nextRetryDelay`. @default 60000 */
  maxRetryAfterMs: number;
  /** Redirects followed per fetch (each to a registry host only). @default 3 */
  maxRedirects: number;
  /** How long a host's robots.txt is trusted before it is fetched again. @default 3600000 (1 h) */
  robotsTtlMs: number;
  /** Largest robots.txt Crawl-delay honoured; a larger one is clamped to this. @default 60000 */
  maxCrawlDelayMs: number;
  /**
   * Non-public "address:port" endpoints that may be connected to anyway, e.g. "127.0.0.1:43123" for
   * a loopback fixture server in tests. Matched against the address a connection really goes to, so
   * a redirect to any other loopback/private address (127.0.0.2, another port, 10.0.0.1) is still
   * refused. Never set in production. @default []
   */
  allowPrivateAddresses: string[];
}

export const defaultFetchSettings: FetchSettings = {
  userAgent: "CambodiaAIObservatory/0.1 (+https://github.com/; national AI observatory pipeline)",
  timeoutMs: 30_000,
  maxBytes: 50 * 1024 * 1024,
  minIntervalMs: 1_000,
  maxConcurrentPerHost: 2,
  maxAttempts: 3,
  backoffBaseMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxRedirects: 3,
  robotsTtlMs: 60 * 60 * 1000,
  maxCrawlDelayMs: 60_000,
  allowPrivateAddresses: [],
};

/** robots.txt answers and per-host pacing. One instance per worker process unless a test passes its own. */
export interface FetchState {
  robots: RobotsCache;
  limiter: HostLimiter;
}

export function createFetchState(): FetchState {
  return { robots: new RobotsCache(), limiter: new HostLimiter() };
}

// Per worker process: every activity in this process shares one pace per host.
const processState = createFetchState();

export type FetchProgress =
  | { kind: "waiting"; host: string; ms: number; reason: string }
  | { kind: "retrying"; url: string; attempt: number; waitMs: number; reason: string };

export interface FetchContext {
  sourceId: string;
  archive: Archive;
  snapshot: Archive;
  projectRoot: string;
  allowedHosts: string[];
  offline: boolean;
  settings: FetchSettings;
  /** Wall clock for retrieval times and Retry-After dates. */
  now: () => Date;
  /** Waits between requests; inside an activity pass `(ms) => Context.current().sleep(ms)` so waits are cancellable. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds for pacing and robots.txt expiry. @default performance.now */
  clock?: () => number;
  /** Told before every wait and retry (a place to heartbeat). @default no-op */
  onProgress?: (event: FetchProgress) => void;
  /** @default the worker process's shared state */
  state?: FetchState;
}

export interface FetchOutcome {
  capture: Capture;
  /** Set when the body came from the bundled snapshot; says why. */
  snapshotReason?: string;
  /**
   * The body is the same as the previous capture of this URL from the same origin: a 304 to a
   * conditional request, a live 200 whose sha256 equals the previous live capture's, or a repo
   * file whose sha256 equals its previous capture's. Always false for snapshot captures.
   */
  unchanged: boolean;
}

interface Env {
  ctx: FetchContext;
  settings: FetchSettings;
  sleep: (ms: number) => Promise<void>;
  clock: () => number;
  state: FetchState;
  progress: (event: FetchProgress) => void;
  token: string;
}

// RFC 9309 asks crawlers to parse at least 500 KiB of a robots.txt; the rest is ignored.
const robotsMaxBytes = 512 * 1024;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

function checkSettings(s: FetchSettings): void {
  const bad = (field: string, rule: string) => nonRetryable("BadSettings", `fetch settings: ${field} must be ${rule}`);
  for (const field of ["timeoutMs", "maxBytes", "maxAttempts", "maxConcurrentPerHost"] as const) {
    if (!Number.isFinite(s[field]) || s[field] < 1) throw bad(field, "a number of at least 1");
  }
  for (const field of [
    "minIntervalMs",
    "backoffBaseMs",
    "maxBackoffMs",
    "maxRetryAfterMs",
    "maxRedirects",
    "robotsTtlMs",
    "maxCrawlDelayMs",
  ] as const) {
    if (!Number.isFinite(s[field]) || s[field] < 0) throw bad(field, "a number of at least 0");
  }
  if (!s.userAgent.trim()) throw bad("userAgent", "non-empty");
}

/** Milliseconds a Retry-After header asks for (delay-seconds or an HTTP-date); undefined if absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

async function fromRepo(url: string, ctx: FetchContext): Promise<FetchOutcome> {
  const relative = url.slice("repo:".length);
  const file = path.resolve(ctx.projectRoot, relative);
  if (!file.startsWith(ctx.projectRoot + path.sep)) {
    throw nonRetryable("BadUrl", `${ctx.sourceId}: ${url} points outside the project`);
  }
  let body: Uint8Array;
  try {
    body = await fs.readFile(file);
  } catch (error) {
    throw nonRetryable("MissingFile", `${ctx.sourceId}: cannot read ${url}: ${(error as Error).message}`);
  }
  const previous = await ctx.archive.latest(url);
  const capture = await ctx.archive.put(body, {
    url,
    status: 200,
    headers: { "content-type": file.endsWith(".yaml") ? "application/yaml" : "application/octet-stream" },
    retrievedAt: ctx.now().toISOString(),
    origin: "repo",
  });
  return { capture, unchanged: previous?.origin === "repo" && previous.sha256 === capture.sha256 };
}

/**
 * Replays a URL without the network: the newest live capture in this machine's archive first (what the
 * last online run fetched), else the bundled snapshot that ships with the repository.
 */
async function fromSnapshot(url: string, ctx: FetchContext, reason: string): Promise<FetchOutcome> {
  const archived = await ctx.archive.latestLive(url);
  // A corrupt archived copy (quarantined by verify) is passed over for the bundled snapshot.
  if (archived && (await ctx.archive.verify(archived.sha256))) {
    return {
      capture: archived,
      snapshotReason: `${reason}; replayed the archived capture of ${archived.retrievedAt.slice(0, 10)}`,
      unchanged: false,
    };
  }
  const capture = await ctx.snapshot.latest(url);
  if (!capture) {
    throw nonRetryable("NoSnapshot", `${ctx.sourceId}: ${reason}, and neither the archive nor the bundled snapshot has a copy of ${url}`);
  }
  await ctx.archive.adopt(ctx.snapshot, capture);
  return { capture, snapshotReason: reason, unchanged: false };
}

interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** Only for 2xx answers. */
  body?: Buffer;
  decodedFrom?: string;
}

/** One request under the host's pace and concurrency cap; reads the body of 2xx answers only. */
async function exchange(
  target: URL,
  env: Env,
  extraHeaders: Record<string, string>,
  limit: BodyLimit,
  intervalMs: number,
): Promise<Exchange> {
  const turn = await env.state.limiter.acquire(target.host, {
    intervalMs,
    maxConcurrent: env.settings.maxConcurrentPerHost,
    clock: env.clock,
    sleep: env.sleep,
    onWait: (ms, reason) => env.progress({ kind: "waiting", host: target.host, ms, reason }),
  });
  try {
    const response = await openRequest(target, {
      headers: {
        "user-agent": env.settings.userAgent,
        accept: "application/json, application/xml, text/*;q=0.8",
        "accept-encoding": "gzip",
        ...extraHeaders,
      },
      timeoutMs: env.settings.timeoutMs,
      allowPrivateAddresses: env.settings.allowPrivateAddresses,
    });
    if (response.status >= 200 && response.status < 300) {
      const { body, decodedFrom } = await response.readBody(limit);
      return { status: response.status, headers: response.headers, body, decodedFrom };
    }
    response.discard();
    return { status: response.status, headers: response.headers };
  } finally {
    turn.release();
  }
}

/** Why a redirect target may not be followed, or undefined if it may. */
function redirectObjection(from: URL, target: URL, ctx: FetchContext): string | undefined {
  if (!["http:", "https:"].includes(target.protocol)) return "not http(s)";
  if (from.protocol === "https:" && target.protocol === "http:") return "it downgrades https to http";
  if (!ctx.allowedHosts.includes(target.host)) return `host ${target.host} is not in the source registry`;
  return undefined;
}

/**
 * The robots.txt policy for an origin, fetched once per TTL. Status rules follow RFC 9309 and
 * Google: 2xx is parsed; 4xx (other than 429) or a redirect we may not follow means "no rules";
 * 429, 5xx or a timeout means "disallow everything for now" (a retryable failure, not cached).
 */
async function robotsPolicy(target: URL, env: Env): Promise<RobotsPolicy> {
  return env.state.robots.get(target.origin, env.clock(), env.settings.robotsTtlMs, async () => {
    const robotsUrl = new URL("/robots.txt", target.origin);
    const unavailable = (why: string) =>
      retryable("RobotsUnavailable", `${env.ctx.sourceId}: ${robotsUrl.href} ${why}; treating ${target.origin} as disallowed for now`);
    let current = robotsUrl;
    for (let hop = 0; ; hop++) {
      let answer: Exchange;
      try {
        answer = await exchange(
          current,
          env,
          { accept: "text/plain, */*;q=0.1" },
          { maxBytes: robotsMaxBytes, truncate: true },
          env.settings.minIntervalMs,
        );
      } catch (error) {
        if (error instanceof AddressRefused && hop > 0) return allowAll; // a redirect we would not follow
        if (error instanceof AddressRefused || error instanceof Unreachable) throw error;
        throw unavailable(`could not be read: ${(error as Error).message}`);
      }
      if (answer.body) return parseRobots(robotsUrl.href, answer.body.toString("utf8"), env.token);
      if (answer.status === 429 || answer.status >= 500) throw unavailable(`answered HTTP ${answer.status}`);
      const location = answer.headers.location;
      if (redirectStatuses.has(answer.status) && location && hop < env.settings.maxRedirects) {
        const next = URL.canParse(location, current.href) ? new URL(location, current) : undefined;
        if (!next || redirectObjection(current, next, env.ctx)) return allowAll;
        current = next;
        continue;
      }
      return allowAll;
    }
  });
}

function crawlInterval(policy: RobotsPolicy, settings: FetchSettings): number {
  return Math.max(settings.minIntervalMs, Math.min(policy.crawlDelayMs ?? 0, settings.maxCrawlDelayMs));
}

type Attempt =
  | { kind: "body"; exchange: Exchange; finalUrl: URL }
  | { kind: "notModified"; headers: Record<string, string> }
  | { kind: "retry"; host: string; why: string; status?: number; timedOut?: boolean; retryAfterMs?: number };

/** One try at a URL, following allowed redirects; throws for answers that retrying cannot fix. */
async function attempt(start: URL, env: Env, validators: Record<string, string>): Promise<Attempt> {
  const { ctx, settings } = env;
  const label = `${ctx.sourceId}: ${start.href}`;
  let current = start;
  for (let hop = 0; ; hop++) {
    const redirected = hop > 0;
    const via = redirected ? ` (redirected from ${start.href})` : "";
    let answer: Exchange;
    try {
      const policy = await robotsPolicy(current, env);
      if (!policy.allows(current.href)) {
        throw nonRetryable("RobotsDisallowed", `${ctx.sourceId}: robots.txt of ${current.origin} disallows ${current.href}${via}`);
      }
      answer = await exchange(current, env, validators, { maxBytes: settings.maxBytes }, crawlInterval(policy, settings));
    } catch (error) {
      if (error instanceof ApplicationFailure || error instanceof Unreachable) throw error;
      if (error instanceof AddressRefused) {
        if (redirected) throw nonRetryable("RedirectRefused", `${label}: redirect to ${current.href} refused: ${error.message}`);
        throw nonRetryable("PrivateAddress", `${label}: refused: ${error.message}`);
      }
      if (error instanceof BodyTooLarge) throw nonRetryable("TooLarge", `${label}${via}: ${error.message}`);
      if (error instanceof UnsupportedEncoding) throw nonRetryable("BadEncoding", `${label}${via}: ${error.message}`);
      if (error instanceof TimedOut) return { kind: "retry", host: current.host, why: error.message, timedOut: true };
      // A connection dropped mid-body, a truncated gzip stream: worth another try.
      return { kind: "retry", host: current.host, why: (error as Error).message };
    }
    const { status, headers } = answer;
    if (answer.body) return { kind: "body", exchange: answer, finalUrl: current };
    if (status === 304) {
      if (Object.keys(validators).length > 0) return { kind: "notModified", headers };
      throw nonRetryable("HttpUnexpected", `${label}${via}: HTTP 304 to a request that was not conditional`);
    }
    if (redirectStatuses.has(status) && headers.location) {
      const target = URL.canParse(headers.location, current.href) ? new URL(headers.location, current) : undefined;
      const objection = !target
        ? "not a valid URL"
        : hop >= settings.maxRedirects
          ? `more than ${settings.maxRedirects} redirects`
          : redirectObjection(current, target, ctx);
      if (objection) {
        throw nonRetryable("RedirectRefused", `${label}: redirect to ${target?.href ?? headers.location} refused: ${objection}`);
      }
      current = target!;
      continue;
    }
    if (status === 429 || status >= 500) {
      return {
        kind: "retry",
        host: current.host,
        why: `HTTP ${status}${via}`,
        status,
        retryAfterMs: parseRetryAfter(headers["retry-after"], ctx.now()),
      };
    }
    if (status >= 400) throw nonRetryable("HttpClientError", `${label}${via}: HTTP ${status}`);
    throw nonRetryable("HttpUnexpected", `${label}${via}: unexpected HTTP ${status}`);
  }
}

/** Validators of the previous live capture, for If-None-Match / If-Modified-Since. */
function conditionalHeaders(previous: Capture): Record<string, string> {
  const headers: Record<string, string> = {};
  if (previous.headers.etag) headers["if-none-match"] = previous.headers.etag;
  if (previous.headers["last-modified"]) headers["if-modified-since"] = previous.headers["last-modified"];
  return headers;
}

// Headers a 304 may update on the stored response (RFC 9111 §4.3.4), limited to the ones that matter here.
const freshenedHeaders = ["etag", "last-modified", "date", "expires", "cache-control"];

async function fetchLive(url: string, start: URL, env: Env): Promise<FetchOutcome> {
  const { ctx, settings } = env;
  const label = `${ctx.sourceId}: ${url}`;
  const previous = await ctx.archive.latestLive(url);
  // Only revalidate a body this archive can still hand to the parser: a corrupt one (quarantined by
  // verify) is fetched whole again, so a 304 can never leave the parser a body it cannot read.
  const validators = previous && (await ctx.archive.verify(previous.sha256)) ? conditionalHeaders(previous) : {};
  for (let n = 1; ; n++) {
    const result = await attempt(start, env, validators);
    if (result.kind === "notModified") {
      // A cheap record, no new body: the archive keeps when the URL was last confirmed current,
      // and the returned capture's retrievedAt says so honestly for provenance.
      const confirmed: Capture = {
        ...previous!,
        headers: {
          ...previous!.headers,
          ...Object.fromEntries(freshenedHeaders.filter((h) => result.headers[h]).map((h) => [h, result.headers[h]])),
        },
        retrievedAt: ctx.now().toISOString(),
        revalidated: true,
      };
      await ctx.archive.record(confirmed);
      return { capture: confirmed, unchanged: true };
    }
    if (result.kind === "body") {
      const { exchange: answer, finalUrl } = result;
      const capture = await ctx.archive.put(answer.body!, {
        url,
        status: answer.status,
        headers: answer.headers,
        retrievedAt: ctx.now().toISOString(),
        origin: "live",
        ...(finalUrl.href !== start.href ? { finalUrl: finalUrl.href } : {}),
        ...(answer.decodedFrom ? { decodedFrom: answer.decodedFrom } : {}),
      });
      return { capture, unchanged: previous?.sha256 === capture.sha256 };
    }
    const type = result.status ? "HttpRetryable" : result.timedOut ? "FetchTimeout" : "FetchFailed";
    if (result.retryAfterMs !== undefined && result.retryAfterMs > settings.maxRetryAfterMs) {
      // Too long to sleep inside the activity: hand the wait to Temporal's retry.
      throw retryable(
        type,
        `${label}: ${result.why} with Retry-After of ${Math.ceil(result.retryAfterMs / 1000)} s (longer than the ${settings.maxRetryAfterMs / 1000} ` +
          `s waited in the activity)`,
        result.retryAfterMs,
      );
    }
    if (n >= settings.maxAttempts) throw retryable(type, `${label}: ${result.why} (gave up after ${n} attempt(s))`);
    // No jitter: the per-host limiter already staggers this process's requests, and tests stay exact.
    const wait = result.retryAfterMs ?? Math.min(settings.maxBackoffMs, settings.backoffBaseMs * 2 ** (n - 1));
    // Held against the host, not just this URL: every request to a struggling host waits.
    env.state.limiter.holdOff(result.host, env.clock() + wait, result.retryAfterMs !== undefined ? "Retry-After" : "backoff");
    env.progress({ kind: "retrying", url, attempt: n + 1, waitMs: wait, reason: result.why });
  }
}

export async function fetchToArchive(url: string, ctx: FetchContext): Promise<FetchOutcome> {
  if (url.startsWith("repo:")) return fromRepo(url, ctx);
  if (ctx.offline) return fromSnapshot(url, ctx, "offline mode");

  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
    throw nonRetryable("BadUrl", `${ctx.sourceId}: ${url} is not an http(s) URL`);
  }
  if (!ctx.allowedHosts.includes(parsed.host)) {
    throw nonRetryable("HostNotAllowed", `${ctx.sourceId}: ${url}: host ${parsed.host} is not in the source registry`);
  }
  checkSettings(ctx.settings);
  const env: Env = {
    ctx,
    settings: ctx.settings,
    sleep: ctx.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    clock: ctx.clock ?? (() => performance.now()),
    state: ctx.state ?? processState,
    progress: ctx.onProgress ?? (() => {}),
    token: robotsToken(ctx.settings.userAgent),
  };
  try {
    return await fetchLive(url, parsed, env);
  } catch (error) {
    if (error instanceof Unreachable) return fromSnapshot(url, ctx, `network unreachable (${error.message})`);
    throw error;
  }
}
