// The one way the observatory reads a source: registry hosts only, a timeout, a size cap, no
// redirects, and every body archived before anyone parses it. When the network cannot be reached
// (or --offline is set) the capture comes from the bundled snapshot instead, and says so.
import fs from "node:fs/promises";
import path from "node:path";
import { ApplicationFailure } from "@temporalio/common";
import type { Archive, Capture } from "./archive.js";

export interface FetchSettings {
  userAgent: string;
  /** @default 30000 */
  timeoutMs: number;
  /** Largest body accepted, in bytes. @default 50 MiB */
  maxBytes: number;
}

export const defaultFetchSettings: FetchSettings = {
  userAgent: "CambodiaAIObservatory/0.1 (+https://github.com/; national AI observatory pipeline)",
  timeoutMs: 30_000,
  maxBytes: 50 * 1024 * 1024,
};

export interface FetchContext {
  sourceId: string;
  archive: Archive;
  snapshot: Archive;
  projectRoot: string;
  allowedHosts: string[];
  offline: boolean;
  settings: FetchSettings;
  now: () => Date;
}

export interface FetchOutcome {
  capture: Capture;
  /** Set when the body came from the bundled snapshot; says why. */
  snapshotReason?: string;
}

async function readCapped(response: Response, maxBytes: number, label: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    throw ApplicationFailure.nonRetryable(`${label}: body of ${declared} bytes exceeds the ${maxBytes}-byte cap`, "TooLarge");
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.byteLength;
    if (total > maxBytes) throw ApplicationFailure.nonRetryable(`${label}: body exceeds the ${maxBytes}-byte cap`, "TooLarge");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function fromRepo(url: string, ctx: FetchContext): Promise<FetchOutcome> {
  const relative = url.slice("repo:".length);
  const file = path.resolve(ctx.projectRoot, relative);
  if (!file.startsWith(ctx.projectRoot + path.sep)) {
    throw ApplicationFailure.nonRetryable(`${ctx.sourceId}: ${url} points outside the project`, "BadUrl");
  }
  let body: Uint8Array;
  try {
    body = await fs.readFile(file);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(`${ctx.sourceId}: cannot read ${url}: ${(error as Error).message}`, "MissingFile");
  }
  const capture = await ctx.archive.put(body, {
    url,
    status: 200,
    headers: { "content-type": file.endsWith(".yaml") ? "application/yaml" : "application/octet-stream" },
    retrievedAt: ctx.now().toISOString(),
    origin: "repo",
  });
  return { capture };
}

async function fromSnapshot(url: string, ctx: FetchContext, reason: string): Promise<FetchOutcome> {
  const capture = await ctx.snapshot.latest(url);
  if (!capture) {
    throw ApplicationFailure.nonRetryable(`${ctx.sourceId}: ${reason}, and the bundled snapshot has no copy of ${url}`, "NoSnapshot");
  }
  await ctx.archive.adopt(ctx.snapshot, capture);
  return { capture, snapshotReason: reason };
}

/** Returns true for failures that mean "the network is not there", as opposed to a bad answer. */
function isUnreachable(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  return ["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ECONNRESET"].includes(code ?? "");
}

export async function fetchToArchive(url: string, ctx: FetchContext): Promise<FetchOutcome> {
  if (url.startsWith("repo:")) return fromRepo(url, ctx);
  if (ctx.offline) return fromSnapshot(url, ctx, "offline mode");

  const parsed = new URL(url);
  if (!["http:", "https:"].includes(parsed.protocol)) {
    throw ApplicationFailure.nonRetryable(`${ctx.sourceId}: ${url} is not http(s)`, "BadUrl");
  }
  if (!ctx.allowedHosts.includes(parsed.host)) {
    throw ApplicationFailure.nonRetryable(`${ctx.sourceId}: host ${parsed.host} is not in the source registry`, "HostNotAllowed");
  }
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { "user-agent": ctx.settings.userAgent, accept: "application/json, application/xml, text/*;q=0.8" },
      redirect: "manual",
      signal: AbortSignal.timeout(ctx.settings.timeoutMs),
    });
  } catch (error) {
    if (isUnreachable(error)) return fromSnapshot(url, ctx, `network unreachable (${(error as Error).message})`);
    throw ApplicationFailure.retryable(`${ctx.sourceId}: fetching ${url} failed: ${(error as Error).message}`, "FetchFailed");
  }
  const label = `${ctx.sourceId}: ${url}`;
  if (response.status >= 300 && response.status < 400) {
    throw ApplicationFailure.nonRetryable(`${label}: redirect to ${response.headers.get("location") ?? "?"} refused`, "Redirect");
  }
  if (response.status === 429 || response.status >= 500) {
    throw ApplicationFailure.retryable(`${label}: HTTP ${response.status}`, "HttpRetryable");
  }
  if (response.status >= 400) throw ApplicationFailure.nonRetryable(`${label}: HTTP ${response.status}`, "HttpClientError");
  const body = await readCapped(response, ctx.settings.maxBytes, label);
  const capture = await ctx.archive.put(body, {
    url,
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    retrievedAt: ctx.now().toISOString(),
    origin: "live",
  });
  return { capture };
}
