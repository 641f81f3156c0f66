// One HTTP GET over node:http/node:https, with the controls the global fetch does not give us:
//  - the address check runs inside the connection's own DNS lookup (fetch/undici exposes no hook
//    for that without the separate `undici` package), so DNS rebinding cannot slip past it;
//  - the body is decoded here, so the size cap counts decompressed bytes as they stream (undici
//    decodes gzip itself, and its Content-Length is the compressed size): a gzip bomb is stopped
//    after maxBytes of output, never inflated in full;
//  - one deadline covers connect, headers and the whole body, so a trickling body cannot hang us;
//  - redirects are never followed here; the caller decides hop by hop.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { AddressRefused, addressGuard, guardedLookup } from "./address.js";

/** The whole exchange took longer than the deadline. */
export class TimedOut extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
    this.name = "TimedOut";
  }
}

/** The network is not there (no DNS, connection refused or reset before any answer). */
export class Unreachable extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "Unreachable";
  }
}

/** The body (declared, received or decoded) is larger than allowed. */
export class BodyTooLarge extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BodyTooLarge";
  }
}

/** The server used a Content-Encoding we cannot decode (we only ever ask for gzip). */
export class UnsupportedEncoding extends Error {
  constructor(readonly encoding: string) {
    super(`unsupported content-encoding "${encoding}"`);
    this.name = "UnsupportedEncoding";
  }
}

const unreachableCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ECONNRESET"]);

export interface RequestOptions {
  headers: Record<string, string>;
  /** Deadline for the whole exchange, body included. */
  timeoutMs: number;
  /** Non-public "address:port" endpoints this request may connect to anyway. */
  allowPrivateAddresses: readonly string[];
}

export interface BodyLimit {
  maxBytes: number;
  /** Keep the first maxBytes instead of failing (robots.txt: RFC 9309 says parse at least 500 KiB). */
  truncate?: boolean;
}

export interface OpenResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Reads and decodes the body under the limit, then closes the exchange. */
  readBody(limit: BodyLimit): Promise<{ body: Buffer; decodedFrom?: string }>;
  /** Drops the body and closes the exchange. */
  discard(): void;
}

function decoderFor(encoding: string) {
  switch (encoding) {
    case "":
    case "identity":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      throw new UnsupportedEncoding(encoding);
  }
}

function flattenHeaders(raw: IncomingMessage["headers"]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

const stopReading = Symbol("stop reading");

/** Sends a GET and resolves once the status and headers are in; the deadline keeps running until the body is read or discarded. */
export function openRequest(url: URL, options: RequestOptions): Promise<OpenResponse> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const check = addressGuard(hostname, port, options.allowPrivateAddresses);
  const client = url.protocol === "https:" ? https : http;

  return new Promise((resolve, reject) => {
    // An IP literal never goes through lookup, so it is checked here (a throw rejects the promise).
    if (isIP(hostname)) check(hostname);
    let response: IncomingMessage | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const error = new TimedOut(options.timeoutMs);
      request.destroy(error);
      response?.destroy(error);
    }, options.timeoutMs);
    const finish = () => clearTimeout(timer);

    const request = client.request(
      {
        protocol: url.protocol,
        hostname,
        port,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: options.headers,
        lookup: guardedLookup(check),
        // A fresh connection per request: each one is address-checked, and the per-host rate
        // limit (one request a second by default) leaves little for keep-alive to save.
        agent: false,
      },
      (res) => {
        response = res;
        const headers = flattenHeaders(res.headers);
        resolve({
          status: res.statusCode ?? 0,
          headers,
          discard() {
            finish();
            res.destroy();
          },
          async readBody(limit) {
            const chunks: Buffer[] = [];
            let decoded = 0;
            let received = 0;
            let decodedFrom: string | undefined;
            const encoding = (headers["content-encoding"] ?? "").trim().toLowerCase();
            try {
              const declared = Number(headers["content-length"]);
              if (!limit.truncate && Number.isFinite(declared) && declared > limit.maxBytes) {
                throw new BodyTooLarge(`declared body of ${declared} bytes exceeds the ${limit.maxBytes}-byte cap`);
              }
              const decoder = decoderFor(encoding);
              if (decoder) decodedFrom = encoding;
              const countReceived = async function* (source: AsyncIterable<Buffer>) {
                for await (const chunk of source) {
                  received += chunk.byteLength;
                  if (!limit.truncate && received > limit.maxBytes) {
                    throw new BodyTooLarge(`body exceeds the ${limit.maxBytes}-byte cap (more than ${limit.maxBytes} bytes received)`);
                  }
                  yield chunk;
                }
              };
              const collect = async (source: AsyncIterable<Buffer>) => {
                for await (const chunk of source) {
                  const room = limit.maxBytes - decoded;
                  if (chunk.byteLength > room) {
                    if (!limit.truncate) {
                      throw new BodyTooLarge(
                        `body exceeds the ${limit.maxBytes}-byte cap${decoder ? ` once decoded from ${encoding}` : ""} (stopped reading at ` +
                          `${received} bytes received)`,
                      );
                    }
                    chunks.push(chunk.subarray(0, room));
                    throw stopReading;
                  }
                  decoded += chunk.byteLength;
                  chunks.push(chunk);
                }
              };
              // Each stage pulls from the one before, so no more than a chunk or two of decoded
              // output exists beyond what has been counted.
              if (decoder) await pipeline(res, countReceived, decoder, collect);
              else await pipeline(res, countReceived, collect);
            } catch (error) {
              res.destroy();
              if (error !== stopReading) {
                if (timedOut) throw new TimedOut(options.timeoutMs);
                throw error;
              }
            } finally {
              finish();
            }
            return { body: Buffer.concat(chunks), decodedFrom };
          },
        });
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (response) return; // after the headers, errors surface through readBody
      finish();
      if (timedOut || error instanceof TimedOut) return reject(new TimedOut(options.timeoutMs));
      if (error instanceof AddressRefused) return reject(error);
      if (error.code && unreachableCodes.has(error.code)) return reject(new Unreachable(error.message, error.code));
      reject(error);
    });
    request.end();
  });
}
