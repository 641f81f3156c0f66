// What the analyst console and the public intake share to hold up against hostile requests: bodies read
// with a size cap (413) and parsed strictly (400), the Host header checked against the configured names,
// backoff after failed sign-ins, a per-address rate limit, and an append-only audit log.
import fs from "node:fs/promises";
import type http from "node:http";
import path from "node:path";

/** A refusal with its HTTP status; the message is safe to show to the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Past this much, an oversized body is no longer drained to answer 413 politely: the socket is cut. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

async function drain(req: http.IncomingMessage, already: number): Promise<void> {
  let seen = already;
  for await (const chunk of req) {
    seen += (chunk as Buffer).length;
    if (seen > DRAIN_LIMIT) {
      req.destroy();
      return;
    }
  }
}

/**
 * Reads a form (application/x-www-form-urlencoded) or JSON object body of at most `maxBytes`. Too large
 * is 413 (the rest is read and dropped, so the client gets the answer rather than a reset connection);
 * not UTF-8, not JSON, JSON that is not an object, or another content type is 400.
 */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  const tooLarge = () => new HttpError(413, `request body over ${maxBytes} bytes`, { Connection: "close" });
  if (declared > maxBytes) {
    await drain(req, 0);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      await drain(req, size);
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, "request body is not UTF-8 text");
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json") {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, "request body is not valid JSON");
    }
    if (!json || typeof json !== "object" || Array.isArray(json)) throw new HttpError(400, "request body must be a JSON object");
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (k === "fields" && v && typeof v === "object" && !Array.isArray(v)) {
        for (const [f, fv] of Object.entries(v)) params.set(`f_${f}`, typeof fv === "string" ? fv : JSON.stringify(fv));
      } else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") params.set(k, String(v));
      else throw new HttpError(400, `field ${JSON.stringify(k)} must be text`);
    }
    return params;
  }
  if (type === "application/x-www-form-urlencoded" || (type === "" && text === "")) {
    if (/%(?![0-9a-fA-F]{2})/.test(text)) throw new HttpError(400, "request body is not a valid form (a stray %)");
    return new URLSearchParams(text);
  }
  throw new HttpError(400, `unsupported content type ${JSON.stringify(type)}: send a form or JSON`);
}

/** Whether the request's Host header is one this server answers to (case-insensitive, exact host:port). */
export function hostAllowed(req: http.IncomingMessage, allowed: readonly string[]): boolean {
  const host = (req.headers.host ?? "").toLowerCase();
  return host !== "" && allowed.some((a) => a.toLowerCase() === host);
}

/**
 * The caller's address: the socket's, or with `trustProxy` the address the deployer's reverse proxy put
 * last in X-Forwarded-For (earlier entries are the client's own say and prove nothing).
 */
export function clientAddress(req: http.IncomingMessage, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (forwarded.length > 0) return forwarded.at(-1)!;
  }
  return req.socket.remoteAddress ?? "unknown";
}

export interface BackoffOptions {
  /** Failures allowed before any wait. @default 3 */
  freeFailures?: number;
  /** The first wait; each further failure doubles it. @default 1000 */
  baseMs?: number;
  /** @default 900_000 (15 minutes) */
  maxMs?: number;
  /** How long a failure is remembered without a new one. @default 3_600_000 */
  forgetAfterMs?: number;
  /** @default () => Date.now() */
  now?: () => number;
}

/** Failed-attempt backoff per key (an account, an address): the wait grows exponentially with each failure. */
export class Backoff {
  private readonly failures = new Map<string, { count: number; last: number }>();
  constructor(private readonly options: BackoffOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private entry(key: string) {
    const e = this.failures.get(key);
    if (e && this.now() - e.last > (this.options.forgetAfterMs ?? 3_600_000)) {
      this.failures.delete(key);
      return undefined;
    }
    return e;
  }

  count(key: string): number {
    return this.entry(key)?.count ?? 0;
  }

  /** Milliseconds until the next attempt for `key` is heard; 0 when it may try now. */
  waitMs(key: string): number {
    const e = this.entry(key);
    const free = this.options.freeFailures ?? 3;
    if (!e || e.count < free) return 0;
    const delay = Math.min((this.options.baseMs ?? 1000) * 2 ** (e.count - free), this.options.maxMs ?? 900_000);
    return Math.max(0, e.last + delay - this.now());
  }

  fail(key: string): number {
    const e = this.entry(key) ?? { count: 0, last: 0 };
    e.count += 1;
    e.last = this.now();
    this.failures.set(key, e);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
    return e.count;
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}

/** At most `limit` requests per address per `windowMs` (a fixed window). */
export class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Counts one request; returns 0 when allowed, else the milliseconds until the window reopens. */
  take(key: string): number {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.windows.delete(this.windows.keys().next().value!);
    }
    if (w.count >= this.limit) return w.start + this.windowMs - t;
    w.count += 1;
    return 0;
  }
}

/** An append-only JSON-lines log (sign-ins and their failures, intake refusals). */
export class AuditLog {
  private pending: Promise<void> = Promise.resolve();
  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Appends one event; writes are serialised so lines never interleave. */
  write(event: Record<string, unknown>): Promise<void> {
    const line = `${JSON.stringify({ at: this.now().toISOString(), ...event })}\n`;
    this.pending = this.pending.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.appendFile(this.file, line, { mode: 0o600 });
    });
    return this.pending;
  }
}
