import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { ApplicationFailure } from "@temporalio/common";
import { afterEach, describe, expect, it } from "vitest";
import { Archive } from "../../activities/archive.js";
import {
  createFetchState,
  defaultFetchSettings,
  fetchToArchive,
  parseRetryAfter,
  type FetchContext,
  type FetchSettings,
} from "../../activities/fetch.js";
import { isPublicAddress } from "../../activities/http/address.js";
import { fetchSettingsFor, startLoopbackServer, type LoopbackServer, type Route } from "../loopback-server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const fixedNow = new Date("2026-03-01T00:00:00Z");

interface Harness {
  server: LoopbackServer;
  archive: Archive;
  snapshot: Archive;
  dir: string;
  ctx: FetchContext;
  /** Waits asked of the injected sleep, in order; they advance the injected clock instead of passing. */
  sleeps: number[];
}

/** A fixture server, a fresh archive and a context with a fake clock; pacing is off unless a test sets it. */
async function harness(
  routes: Record<string, Route>,
  settings: Partial<FetchSettings> = {},
  extra: Partial<FetchContext> = {},
): Promise<Harness> {
  const server = await startLoopbackServer(routes);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-fetch-"));
  cleanups.push(
    () => server.close(),
    () => fs.rm(dir, { recursive: true, force: true }),
  );
  const archive = new Archive(path.join(dir, "archive"));
  const snapshot = new Archive(path.join(dir, "snapshot"));
  const sleeps: number[] = [];
  let clock = 0;
  const ctx: FetchContext = {
    sourceId: "test-source",
    archive,
    snapshot,
    projectRoot: dir,
    allowedHosts: [server.host],
    offline: false,
    settings: {
      ...defaultFetchSettings,
      minIntervalMs: 0,
      timeoutMs: 5_000,
      maxBytes: 1024 * 1024,
      ...fetchSettingsFor(server),
      ...settings,
    },
    now: () => fixedNow,
    clock: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    state: createFetchState(),
    ...extra,
  };
  return { server, archive, snapshot, dir, ctx, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

async function countFiles(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

const ok = (body: string, headers: Record<string, string> = {}) => ({
  status: 200,
  headers: { "content-type": "text/plain", ...headers },
  body,
});

describe("fetchToArchive", () => {
  it("sends the observatory's User-Agent and asks for gzip", async () => {
    const h = await harness({ "/data": ok("hello") });
    const outcome = await fetchToArchive(h.server.url("/data"), h.ctx);
    const [request] = h.server.requestsTo("/data");
    expect(request.headers["user-agent"]).toMatch(/^CambodiaAIObservatory\//);
    expect(request.headers["accept-encoding"]).toBe("gzip");
    expect(outcome.unchanged).toBe(false);
    expect(Buffer.from(await h.archive.read(outcome.capture.sha256)).toString()).toBe("hello");
    expect(outcome.capture).toMatchObject({
      url: h.server.url("/data"),
      status: 200,
      origin: "live",
      retrievedAt: fixedNow.toISOString(),
      bytes: 5,
    });
  });

  it("refuses a URL that robots.txt disallows, naming the source and the URL, without requesting it", async () => {
    const h = await harness({ "/robots.txt": ok("User-agent: *\nDisallow: /private\n"), "/private/page": ok("secret") });
    const url = h.server.url("/private/page");
    const error = await failure(fetchToArchive(url, h.ctx));
    expect(error.type).toBe("RobotsDisallowed");
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toContain("test-source");
    expect(error.message).toContain(url);
    expect(h.server.requestsTo("/private/page")).toHaveLength(0);
  });

  it("follows our own robots.txt group with the longest matching rule winning", async () => {
    const robots = [
      "User-agent: *",
      "Disallow: /",
      "",
      "User-agent: CambodiaAIObservatory",
      "Disallow: /data",
      "Allow: /data/open",
      "",
    ].join("\n");
    const h = await harness({ "/robots.txt": ok(robots), "/data/open/file": ok("open"), "/data/closed": ok("closed") });
    await expect(fetchToArchive(h.server.url("/data/open/file"), h.ctx)).resolves.toMatchObject({ unchanged: false });
    expect((await failure(fetchToArchive(h.server.url("/data/closed"), h.ctx))).type).toBe("RobotsDisallowed");
  });

  it("fetches robots.txt once per host and treats a missing one as allowing everything", async () => {
    const h = await harness({ "/a": ok("a"), "/b": ok("b") });
    await fetchToArchive(h.server.url("/a"), h.ctx);
    await fetchToArchive(h.server.url("/b"), h.ctx);
    expect(h.server.requestsTo("/robots.txt")).toHaveLength(1);
    expect(h.server.requests.map((r) => r.path)).toEqual(["/robots.txt", "/a", "/b"]);
  });

  it("treats a robots.txt that answers 5xx as a retryable disallow and requests nothing else", async () => {
    const h = await harness({ "/robots.txt": { status: 503 }, "/a": ok("a") });
    const error = await failure(fetchToArchive(h.server.url("/a"), h.ctx));
    expect(error.type).toBe("RobotsUnavailable");
    expect(error.nonRetryable).toBe(false);
    expect(h.server.requestsTo("/a")).toHaveLength(0);
  });

  it("honours a robots.txt Crawl-delay longer than the configured interval", async () => {
    const h = await harness({ "/robots.txt": ok("User-agent: *\nCrawl-delay: 5\n"), "/a": ok("a"), "/b": ok("b") }, { minIntervalMs: 100 });
    await fetchToArchive(h.server.url("/a"), h.ctx);
    await fetchToArchive(h.server.url("/b"), h.ctx);
    // robots.txt at 0 reserves 100 ms; /a then starts at 100 and holds the host for 5 s.
    expect(h.sleeps).toEqual([100, 5000]);
  });

  it("sends If-None-Match and If-Modified-Since and keeps the previous body on 304", async () => {
    const lastModified = "Sun, 01 Feb 2026 00:00:00 GMT";
    const h = await harness({
      "/feed": (req, res) => {
        if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
        res.writeHead(200, { etag: '"v1"', "last-modified": lastModified }).end("first body");
      },
    });
    const url = h.server.url("/feed");
    const first = await fetchToArchive(url, h.ctx);
    const second = await fetchToArchive(url, h.ctx);
    const [, conditional] = h.server.requestsTo("/feed");
    expect(conditional.headers["if-none-match"]).toBe('"v1"');
    expect(conditional.headers["if-modified-since"]).toBe(lastModified);
    expect(second.unchanged).toBe(true);
    expect(second.capture).toMatchObject({ sha256: first.capture.sha256, status: 200, revalidated: true });
    expect(await countFiles(path.join(h.dir, "archive", "bodies"))).toBe(1);
    expect(Buffer.from(await h.archive.read(second.capture.sha256)).toString()).toBe("first body");
  });

  it("calls an identical 200 body unchanged", async () => {
    const h = await harness({ "/page": ok("same") });
    await fetchToArchive(h.server.url("/page"), h.ctx);
    const again = await fetchToArchive(h.server.url("/page"), h.ctx);
    expect(again.unchanged).toBe(true);
    expect(h.server.requestsTo("/page")[1].headers["if-none-match"]).toBeUndefined();
  });

  it("calls a different 200 body changed", async () => {
    const h = await harness({ "/page": [ok("version one"), ok("version two")] });
    const first = await fetchToArchive(h.server.url("/page"), h.ctx);
    const second = await fetchToArchive(h.server.url("/page"), h.ctx);
    expect(second.unchanged).toBe(false);
    expect(second.capture.sha256).not.toBe(first.capture.sha256);
    expect((await h.archive.latestLive(h.server.url("/page")))?.sha256).toBe(second.capture.sha256);
  });

  it("waits as long as Retry-After asks before trying again", async () => {
    const h = await harness({ "/busy": [{ status: 429, headers: { "retry-after": "2" } }, ok("done")] });
    const outcome = await fetchToArchive(h.server.url("/busy"), h.ctx);
    expect(h.sleeps).toEqual([2000]);
    expect(h.server.requestsTo("/busy")).toHaveLength(2);
    expect(outcome.capture.status).toBe(200);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("120", fixedNow)).toBe(120_000);
    expect(parseRetryAfter("Sun, 01 Mar 2026 00:00:05 GMT", fixedNow)).toBe(5_000);
    expect(parseRetryAfter("Sat, 28 Feb 2026 00:00:00 GMT", fixedNow)).toBe(0);
    expect(parseRetryAfter("soon", fixedNow)).toBeUndefined();
  });

  it("hands a Retry-After longer than the cap to Temporal with nextRetryDelay", async () => {
    const h = await harness({ "/busy": { status: 503, headers: { "retry-after": "3600" } } });
    const error = await failure(fetchToArchive(h.server.url("/busy"), h.ctx));
    expect(error.nonRetryable).toBe(false);
    expect(error.nextRetryDelay).toBe(3_600_000);
    expect(h.sleeps).toEqual([]);
  });

  it("succeeds when a 500 is followed by a 200", async () => {
    const h = await harness({ "/flaky": [{ status: 500 }, ok("fine")] });
    const outcome = await fetchToArchive(h.server.url("/flaky"), h.ctx);
    expect(Buffer.from(await h.archive.read(outcome.capture.sha256)).toString()).toBe("fine");
    expect(h.sleeps).toEqual([500]);
  });

  it("gives up on a persistent 500 with a retryable failure naming the URL and status", async () => {
    const h = await harness({ "/down": { status: 500 } });
    const url = h.server.url("/down");
    const error = await failure(fetchToArchive(url, h.ctx));
    expect(error).toMatchObject({ type: "HttpRetryable", nonRetryable: false });
    expect(error.message).toContain(url);
    expect(error.message).toContain("test-source");
    expect(error.message).toContain("HTTP 500");
    expect(h.server.requestsTo("/down")).toHaveLength(3);
    expect(h.sleeps).toEqual([500, 1000]);
  });

  it("fails a 404 without retrying", async () => {
    const h = await harness({});
    const error = await failure(fetchToArchive(h.server.url("/missing"), h.ctx));
    expect(error).toMatchObject({ type: "HttpClientError", nonRetryable: true });
    expect(h.server.requestsTo("/missing")).toHaveLength(1);
  });

  it("refuses a body whose Content-Length exceeds the cap", async () => {
    const h = await harness({ "/big": ok("x".repeat(2048)) }, { maxBytes: 1024 });
    const error = await failure(fetchToArchive(h.server.url("/big"), h.ctx));
    expect(error).toMatchObject({ type: "TooLarge", nonRetryable: true });
  });

  it("refuses a chunked body without a length once it passes the cap", async () => {
    const h = await harness(
      {
        "/stream": (_req, res) => {
          res.writeHead(200, { "content-type": "text/plain" });
          for (let i = 0; i < 64; i++) res.write("y".repeat(1024));
          res.end();
        },
      },
      { maxBytes: 10 * 1024 },
    );
    const error = await failure(fetchToArchive(h.server.url("/stream"), h.ctx));
    expect(error).toMatchObject({ type: "TooLarge", nonRetryable: true });
  });

  it("refuses a gzip bomb by its decompressed size", async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const h = await harness({ "/bomb": { headers: { "content-encoding": "gzip" }, body: bomb } }, { maxBytes: 1024 * 1024 });
    const error = await failure(fetchToArchive(h.server.url("/bomb"), h.ctx));
    expect(error).toMatchObject({ type: "TooLarge", nonRetryable: true });
    expect(error.message).toContain("decoded from gzip");
  });

  it("decompresses a gzip body and archives it decompressed", async () => {
    const text = JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => ({ i })) });
    const h = await harness({
      "/data.json": { headers: { "content-encoding": "gzip", "content-type": "application/json" }, body: gzipSync(text) },
    });
    const outcome = await fetchToArchive(h.server.url("/data.json"), h.ctx);
    expect(Buffer.from(await h.archive.read(outcome.capture.sha256)).toString()).toBe(text);
    expect(outcome.capture).toMatchObject({ bytes: Buffer.byteLength(text), decodedFrom: "gzip" });
  });

  it("refuses a redirect to another loopback or private address even on a registry host", async () => {
    const h = await harness({ "/to-private": { status: 302, headers: { location: "http://10.0.0.1/x" } } });
    h.server.route("/to-loopback", { status: 302, headers: { location: `http://127.0.0.2:${h.server.port}/x` } });
    h.ctx.allowedHosts.push(`127.0.0.2:${h.server.port}`, "10.0.0.1");
    for (const [route, target] of [
      ["/to-loopback", `http://127.0.0.2:${h.server.port}/x`],
      ["/to-private", "http://10.0.0.1/x"],
    ]) {
      const url = h.server.url(route);
      const error = await failure(fetchToArchive(url, h.ctx));
      expect(error).toMatchObject({ type: "RedirectRefused", nonRetryable: true });
      expect(error.message).toContain("test-source");
      expect(error.message).toContain(url);
      expect(error.message).toContain(target);
    }
  });

  it("refuses a redirect to a host outside the registry", async () => {
    const h = await harness({ "/away": { status: 301, headers: { location: "https://example.org/elsewhere" } } });
    const error = await failure(fetchToArchive(h.server.url("/away"), h.ctx));
    expect(error).toMatchObject({ type: "RedirectRefused", nonRetryable: true });
    expect(error.message).toContain("https://example.org/elsewhere");
    expect(error.message).toContain("not in the source registry");
  });

  it("follows a redirect within the registry's hosts and archives under the requested URL", async () => {
    const h = await harness({ "/old": { status: 301, headers: { location: "/new?page=1" } }, "/new": ok("moved here") });
    const url = h.server.url("/old");
    const outcome = await fetchToArchive(url, h.ctx);
    expect(outcome.capture).toMatchObject({ url, finalUrl: h.server.url("/new?page=1"), status: 200 });
    expect(Buffer.from(await h.archive.read(outcome.capture.sha256)).toString()).toBe("moved here");
  });

  it("refuses a chain of redirects longer than the limit", async () => {
    const h = await harness(
      { "/r1": { status: 302, headers: { location: "/r2" } }, "/r2": { status: 302, headers: { location: "/r3" } }, "/r3": ok("end") },
      { maxRedirects: 1 },
    );
    const error = await failure(fetchToArchive(h.server.url("/r1"), h.ctx));
    expect(error).toMatchObject({ type: "RedirectRefused", nonRetryable: true });
    expect(error.message).toContain("more than 1 redirects");
  });

  it("refuses a registry host whose name resolves to a loopback address unless that endpoint is allowed", async () => {
    const h = await harness({ "/a": ok("a") }, { allowPrivateAddresses: [] });
    const host = `localhost:${h.server.port}`;
    h.ctx.allowedHosts = [host];
    const error = await failure(fetchToArchive(`http://${host}/a`, h.ctx));
    expect(error).toMatchObject({ type: "PrivateAddress", nonRetryable: true });
    expect(h.server.requests).toHaveLength(0);
  });

  it("knows which addresses are private", () => {
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:7f00:1",
      "::ffff:10.0.0.1",
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "2606:4700::1111"]) expect(isPublicAddress(a), a).toBe(true);
  });

  it("refuses a host that is not in the registry", async () => {
    const h = await harness({});
    const error = await failure(fetchToArchive("https://example.org/", h.ctx));
    expect(error).toMatchObject({ type: "HostNotAllowed", nonRetryable: true });
    expect(error.message).toContain("https://example.org/");
  });

  it("times out a response whose body trickles in past the deadline", async () => {
    const h = await harness(
      {
        "/slow": (_req, res) => {
          res.writeHead(200, { "content-type": "text/plain" });
          const timer = setInterval(() => res.write("."), 50);
          res.on("close", () => clearInterval(timer));
        },
      },
      { timeoutMs: 300, maxAttempts: 1 },
    );
    const url = h.server.url("/slow");
    const started = performance.now();
    const error = await failure(fetchToArchive(url, h.ctx));
    expect(error).toMatchObject({ type: "FetchTimeout", nonRetryable: false });
    expect(error.message).toContain(url);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("spaces requests to one host by the minimum interval", async () => {
    const h = await harness({ "/1": ok("1"), "/2": ok("2"), "/3": ok("3") }, { minIntervalMs: 1000 });
    for (const p of ["/1", "/2", "/3"]) await fetchToArchive(h.server.url(p), h.ctx);
    // robots.txt goes first; each later request waits one interval on the injected clock.
    expect(h.sleeps).toEqual([1000, 1000, 1000]);
    expect(h.server.requests.map((r) => r.path)).toEqual(["/robots.txt", "/1", "/2", "/3"]);
  });

  it("keeps no more requests in flight to one host than the cap", async () => {
    const slow = (body: string): Route => ({ ...ok(body), delayMs: 50 });
    const h = await harness({ "/a": slow("a"), "/b": slow("b"), "/c": slow("c") }, { maxConcurrentPerHost: 1 });
    await Promise.all(["/a", "/b", "/c"].map((p) => fetchToArchive(h.server.url(p), h.ctx)));
    expect(h.server.maxInFlight).toBe(1);
  });

  it("falls back to the bundled snapshot when the host cannot be reached", async () => {
    const h = await harness({});
    const url = h.server.url("/gone");
    await h.snapshot.put(Buffer.from("archived"), {
      url,
      status: 200,
      headers: {},
      retrievedAt: "2025-01-01T00:00:00.000Z",
      origin: "snapshot",
    });
    await h.server.close();
    const outcome = await fetchToArchive(url, h.ctx);
    expect(outcome.snapshotReason).toMatch(/^network unreachable/);
    expect(outcome).toMatchObject({ unchanged: false, capture: { origin: "snapshot" } });
    expect(Buffer.from(await h.archive.read(outcome.capture.sha256)).toString()).toBe("archived");
  });

  it("reads from the snapshot in offline mode without any request", async () => {
    const h = await harness({ "/a": ok("live") }, {}, { offline: true });
    const url = h.server.url("/a");
    await h.snapshot.put(Buffer.from("archived"), {
      url,
      status: 200,
      headers: {},
      retrievedAt: "2025-01-01T00:00:00.000Z",
      origin: "snapshot",
    });
    const outcome = await fetchToArchive(url, h.ctx);
    expect(outcome).toMatchObject({ snapshotReason: "offline mode", unchanged: false });
    expect(h.server.requests).toHaveLength(0);
  });

  it("archives repo: files and calls an identical one unchanged", async () => {
    const h = await harness({});
    await fs.writeFile(path.join(h.dir, "sheet.yaml"), "a: 1\n");
    const first = await fetchToArchive("repo:sheet.yaml", h.ctx);
    const second = await fetchToArchive("repo:sheet.yaml", h.ctx);
    expect(first).toMatchObject({ unchanged: false, capture: { origin: "repo", headers: { "content-type": "application/yaml" } } });
    expect(second.unchanged).toBe(true);
  });
});
