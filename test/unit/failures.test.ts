// The failure types in workflows/failures.ts against what the activities really throw: a type a retry
// cannot fix must be in the list the workflows' retry policies stop on, and a retryable one must not be.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ApplicationFailure } from "@temporalio/common";
import { afterEach, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import { Archive } from "../../activities/archive.js";
import { createFetchState, defaultFetchSettings, fetchToArchive, type FetchContext } from "../../activities/fetch.js";
import { describeFailure, pipelineNonRetryable, retryableTypes, reviewNonRetryable, type FailureType } from "../../workflows/failures.js";
import { repoRoot, tempConfig } from "../helpers.js";
import { fetchSettingsFor, startLoopbackServer, type Route } from "../loopback-server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-failures-"));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fetch context on a loopback server with fresh archives; one attempt per request, no pacing. */
async function fetchContext(
  routes: Record<string, Route>,
  extra: Partial<FetchContext> = {},
): Promise<{ ctx: FetchContext; base: string }> {
  const server = await startLoopbackServer(routes);
  cleanups.push(() => server.close());
  const dir = await tempDir();
  const ctx: FetchContext = {
    sourceId: "test-source",
    archive: new Archive(path.join(dir, "archive")),
    snapshot: new Archive(path.join(dir, "snapshot")),
    projectRoot: dir,
    allowedHosts: [server.host],
    offline: false,
    settings: { ...defaultFetchSettings, minIntervalMs: 0, maxAttempts: 1, ...fetchSettingsFor(server) },
    now: () => new Date("2026-03-01T00:00:00Z"),
    sleep: async () => undefined,
    state: createFetchState(),
    ...extra,
  };
  return { ctx, base: server.origin };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

/** The failure's type is one the workflows know, and its retryability agrees with the list it is in. */
function expectKnown(failure: ApplicationFailure, type: FailureType, policy: readonly string[] = pipelineNonRetryable): void {
  expect(failure.type).toBe(type);
  const retryable = (retryableTypes as readonly string[]).includes(type);
  expect(policy.includes(type)).toBe(!retryable);
  expect(failure.nonRetryable).toBe(!retryable);
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(path.join(repoRoot, dir), { recursive: true });
  return entries.filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f));
}

describe("failure types", () => {
  it("are thrown by the activities only through activities/failures.ts, which accepts only the listed types", async () => {
    const bypasses: string[] = [];
    for (const file of await sourceFiles("activities")) {
      if (file === path.join("activities", "failures.ts")) continue;
      const text = await fs.readFile(path.join(repoRoot, file), "utf8");
      for (const m of text.matchAll(/ApplicationFailure\.(nonRetryable|retryable|create)\(|new ApplicationFailure\(/g))
        bypasses.push(`${file}: ${m[0]}`);
    }
    expect(bypasses).toEqual([]);
  });

  it("never list a type as both retryable and not", () => {
    const both = retryableTypes.filter(
      (t) => (pipelineNonRetryable as readonly string[]).includes(t) || (reviewNonRetryable as readonly string[]).includes(t),
    );
    expect(both).toEqual([]);
  });

  it("match what fetchToArchive throws for a bad URL, a host outside the registry, a 4xx and a missing offline copy", async () => {
    const { ctx, base } = await fetchContext({ "/gone": { status: 404, body: "no" } });
    expectKnown(await failureOf(fetchToArchive("ftp://example.org/x", ctx)), "BadUrl");
    expectKnown(await failureOf(fetchToArchive("https://not-registered.example/x", ctx)), "HostNotAllowed");
    expectKnown(await failureOf(fetchToArchive(`${base}/gone`, ctx)), "HttpClientError");
    expectKnown(await failureOf(fetchToArchive(`${base}/never-fetched`, { ...ctx, offline: true })), "NoSnapshot");
  });

  it("leave a 5xx to the retry policy", async () => {
    const { ctx, base } = await fetchContext({ "/busy": { status: 503, body: "busy" } });
    expectKnown(await failureOf(fetchToArchive(`${base}/busy`, ctx)), "HttpRetryable");
  });

  it("match what the activities throw for an unknown source and a review item the warehouse does not hold", async () => {
    const { config, dir } = await tempConfig();
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const activities = createActivities({
      config,
      projectRoot: repoRoot,
      log: () => undefined,
      now: () => new Date("2026-03-01T00:00:00Z"),
    });
    expectKnown(await failureOf(activities.fetchSource({ sourceId: "no-such-source", offline: true })), "UnknownSource");
    expectKnown(
      await failureOf(activities.describeReviewItem({ kind: "incident", key: "no-such-candidate", proposal: {} })),
      "CurationInputError",
      reviewNonRetryable,
    );
  });
});

describe("describeFailure", () => {
  it("gives the innermost message and type of a failure wrapped the way Temporal wraps activity failures", () => {
    const inner = ApplicationFailure.nonRetryable("worldbank: https://api.example/x: HTTP 404", "HttpClientError");
    const activity = Object.assign(new Error("Activity task failed"), { cause: inner });
    const child = Object.assign(new Error("Child Workflow execution failed"), { cause: activity });
    expect(describeFailure(child)).toEqual({ message: "worldbank: https://api.example/x: HTTP 404", type: "HttpClientError" });
  });

  it("keeps an outer message when the inner failure has none, and says a thrown string as it is", () => {
    expect(describeFailure(Object.assign(new Error("outer"), { cause: {} }))).toEqual({ message: "outer", type: undefined });
    expect(describeFailure("plain")).toEqual({ message: "plain", type: undefined });
  });
});
