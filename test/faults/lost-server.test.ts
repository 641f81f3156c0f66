// Fault: the worker or the Temporal dev server dies in the middle of a run. A real dev server (SQLite file,
// so it can be killed and started again) and a worker in a child process that is killed with SIGKILL while
// the load runs; then the dev server killed while the load runs and started again. Each run must recover
// through the 30 s heartbeat timeout, never by waiting out a start-to-close timeout (minutes), and end with
// exactly the rows and exports of an undisturbed run. How many seconds that takes depends on the machine
// (38-40 s after the restart on a quiet day here, 60-67 s on a slow one), so the tests print it and bound it
// by the timeouts, not by a wall-clock target.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import { decodeTimeoutType } from "@temporalio/common";
import { NativeConnection, type Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";
import { createObservatoryWorker, installRuntime } from "../../worker/index.js";
import { durationMs, loadConfig, type ObservatoryConfig } from "../../temporal.config.js";
import { queryRows, withWarehouse } from "../../warehouse/db.js";
import { recordTableNames } from "../../warehouse/tables.js";
import { describeFailure } from "../../workflows/failures.js";
import { pipeline, type PipelineSummary } from "../../workflows/index.js";
import { repoRoot, sharedWorkflowBundle, tempConfig, withSharedBundle } from "../helpers.js";
import { copyOfSharedExport } from "../shared-site.js";

const dirs: string[] = [];
let cliPath: string;
let expected: Facts;

type Facts = { rows: Record<string, unknown[]>; exports: Record<string, number> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A dev server on its own SQLite file; killed with SIGKILL, it loses only what it had not written. */
async function startServer(dbFile: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    cliPath,
    [
      "server",
      "start-dev",
      "--headless",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--db-filename",
      dbFile,
      "--namespace",
      "default",
      "--log-level",
      "error",
    ],
    {
      stdio: "ignore",
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: "default" });
        return child;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dev server did not start: ${String(error)}`);
      await sleep(200);
    }
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** `npm run worker` in its own process, with the test world's environment. Resolves once it polls. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  // tsx as a loader inside this one node process: the tsx command would run the worker in a grandchild
  // that a kill of its parent leaves running.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Worker polling task queue")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return child;
}

async function facts(config: ObservatoryConfig): Promise<Facts> {
  const rows = await withWarehouse(config.paths.warehouse, async (db) => {
    const out: Record<string, unknown[]> = {};
    for (const table of recordTableNames) {
      // When bytes were retrieved and loaded differs from run to run; what they say must not.
      const exclude = table === "observations" ? "retrieved_at, valid_from, valid_to" : "retrieved_at";
      out[table] = await queryRows(db, `SELECT * EXCLUDE (${exclude}) FROM ${table} ORDER BY ALL`);
    }
    return out;
  });
  const pkg = JSON.parse(await fs.readFile(path.join(config.paths.exports, "datapackage.json"), "utf8")) as {
    resources: Array<{ name: string; rows: number }>;
  };
  return { rows, exports: Object.fromEntries(pkg.resources.map((r) => [r.name, r.rows])) };
}

/** Polls the run (and its children) until an activity of this type is running. */
async function whenRunning(client: Client, workflowId: string, activityType: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const d = await client.workflow.getHandle(workflowId).describe();
    // State 2 is PENDING_ACTIVITY_STATE_STARTED: a worker holds the attempt (1 would be only scheduled).
    if ((d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === activityType && Number(a.state) === 2)) return;
    await sleep(20);
  }
  throw new Error(`${activityType} never started in ${workflowId}`);
}

/**
 * How many attempts the run's activity of this type took, and why the last one was started: the timeout
 * ("HEARTBEAT", "START_TO_CLOSE", …) that ended the attempt before it, if a timeout did.
 */
async function attemptsOf(client: Client, workflowId: string, activityType: string): Promise<{ attempts: number; retriedAfter?: string }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  let last: { attempts: number; retriedAfter?: string } = { attempts: 0 };
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? "");
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activityType && (started.attempt ?? 0) > last.attempts)
      last = { attempts: started.attempt ?? 0, retriedAfter: decodeTimeoutType(started.lastFailure?.timeoutFailureInfo?.timeoutType) };
  }
  return last;
}

/** An activity kind's start-to-close timeout, in seconds. */
const startToCloseSeconds = (settings: ObservatoryConfig["activities"]["load"]) =>
  durationMs("startToCloseTimeout", settings.startToCloseTimeout) / 1000;

/** The shortest start-to-close timeout among the activities a run without a site build uses, in seconds. */
const shortestStartToClose = ({ activities: a }: ObservatoryConfig) =>
  Math.min(...[a.fetch, a.parse, a.load, a.export].map(startToCloseSeconds));

async function world(name: string) {
  const port = await freePort();
  const made = await tempConfig();
  dirs.push(made.dir);
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_TASK_QUEUE: `fault-${name}-${path.basename(made.dir)}`,
    OBSERVATORY_DATA_DIR: made.dir,
    OBSERVATORY_WAREHOUSE: made.config.paths.warehouse,
    OBSERVATORY_ARCHIVE_DIR: made.config.paths.archive,
    OBSERVATORY_STAGED_DIR: made.config.paths.staged,
    OBSERVATORY_EXPORTS_DIR: made.config.paths.exports,
    OBSERVATORY_LOG_LEVEL: "ERROR",
    // The run's workflow bundle, so a worker started after a kill does not spend its first seconds bundling.
    OBSERVATORY_WORKFLOW_BUNDLE: await sharedWorkflowBundle(),
    // Passed through so the recovery without heartbeats can be measured (OBSERVATORY_HEARTBEAT_TIMEOUT=1d).
    ...(process.env.OBSERVATORY_HEARTBEAT_TIMEOUT ? { OBSERVATORY_HEARTBEAT_TIMEOUT: process.env.OBSERVATORY_HEARTBEAT_TIMEOUT } : {}),
  };
  const config = loadConfig(env);
  return { port, env, config, dbFile: path.join(made.dir, "temporal.sqlite") };
}

/** The run's summary; should the run fail, an error naming the innermost failure (the activity's own message and type). */
async function resultOf(handle: { result(): Promise<PipelineSummary> }): Promise<PipelineSummary> {
  try {
    return await handle.result();
  } catch (error) {
    const { message, type } = describeFailure(error);
    throw new Error(`the run failed: ${type ? `${type}: ` : ""}${message}`, { cause: error });
  }
}

const start = (client: Client, config: ObservatoryConfig, runKey: string) =>
  client.workflow.start(pipeline, {
    taskQueue: config.temporal.taskQueue,
    workflowId: `pipeline/${runKey}`,
    args: [{ runKey, offline: true, buildSite: false, activities: config.activities }],
  });

beforeAll(async () => {
  installRuntime("ERROR");
  cliPath = (await provisionTemporalCli({ log: () => undefined })).path;
  // What an undisturbed run holds: a copy of the run's shared offline export (test/shared-site.ts).
  const clean = await copyOfSharedExport();
  dirs.push(clean.dir);
  expected = await facts(clean.config);
  expect(expected.rows.observations.length).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe("Fault: a lost worker or server costs seconds", () => {
  it("retries the load after its heartbeat timeout, not its start-to-close timeout, when the worker is killed during it and another one starts, with every row and export", async () => {
    const w = await world("worker");
    const server = await startServer(w.dbFile, w.port);
    const connection = await Connection.connect({ address: w.env.TEMPORAL_ADDRESS });
    const client = new Client({ connection });
    let worker: ChildProcess | undefined;
    try {
      worker = await startWorkerProcess(w.env);
      const handle = await start(client, w.config, "fault-worker");
      await whenRunning(client, handle.workflowId, "loadStaged");
      await kill(worker);
      const killed = performance.now();
      worker = await startWorkerProcess(w.env);
      const restarted = performance.now();
      const summary: PipelineSummary = await resultOf(handle);
      const seconds = (performance.now() - restarted) / 1000;
      console.error(
        `fault killed-worker: finished ${seconds.toFixed(1)} s after the new worker polled (${((restarted - killed) / 1000).toFixed(1)} s to ` +
          `start it), killed during loadStaged`,
      );
      // The second attempt started because the first stopped heartbeating, and the run ended before even
      // the first attempt's start-to-close timeout could have fired.
      expect(await attemptsOf(client, handle.workflowId, "loadStaged")).toEqual({ attempts: 2, retriedAfter: "HEARTBEAT" });
      expect((performance.now() - killed) / 1000).toBeLessThan(startToCloseSeconds(w.config.activities.load));
      expect(summary.partial).toBe(false);
      // The run's review workflows go on reading the warehouse in the worker after the run returns; DuckDB
      // admits one process, so the worker stops before the warehouse is compared.
      await kill(worker);
      worker = undefined;
      expect(await facts(w.config)).toEqual(expected);
    } finally {
      if (worker) await kill(worker);
      await connection.close();
      await kill(server);
    }
  }, 720_000); // past the load's 10-minute start-to-close timeout, so a regression fails on the bound above

  it.each([
    ["0.5 s into the run", "early"],
    ["while the load runs", "load"],
  ])(
    "finishes before any start-to-close timeout could fire when the dev server is killed %s and started again from its SQLite file, with every row and export",
    async (_when, moment) => {
      const w = await world(`server-${moment}`);
      let server = await startServer(w.dbFile, w.port);
      const nativeConnection = await NativeConnection.connect({ address: w.env.TEMPORAL_ADDRESS });
      const worker: Worker = await createObservatoryWorker(nativeConnection, await withSharedBundle(w.config), { log: () => undefined });
      const workerRun = worker.run();
      let connection = await Connection.connect({ address: w.env.TEMPORAL_ADDRESS });
      try {
        const handle = await start(new Client({ connection }), w.config, `fault-server-${moment}`);
        if (moment === "early") await sleep(500);
        else await whenRunning(new Client({ connection }), handle.workflowId, "loadStaged");
        await kill(server);
        await connection.close();
        await sleep(2000);
        server = await startServer(w.dbFile, w.port);
        const restarted = performance.now();
        connection = await Connection.connect({ address: w.env.TEMPORAL_ADDRESS });
        const client = new Client({ connection });
        const summary: PipelineSummary = await resultOf(client.workflow.getHandle<typeof pipeline>(handle.workflowId));
        const seconds = (performance.now() - restarted) / 1000;
        console.error(
          `fault killed-dev-server (${moment}): finished ${seconds.toFixed(1)} s after the server came back (down 2 s); loadStaged attempts ` +
            `${(await attemptsOf(client, handle.workflowId, "loadStaged")).attempts}`,
        );
        // Nothing waited out a start-to-close timeout: the run ended inside the shortest of them.
        expect(seconds).toBeLessThan(shortestStartToClose(w.config));
        expect(summary.partial).toBe(false);
        expect(await facts(w.config)).toEqual(expected);
      } finally {
        worker.shutdown();
        await workerRun.catch(() => undefined);
        await nativeConnection.close();
        await connection.close().catch(() => undefined);
        await kill(server);
      }
    },
    420_000, // past the 5-minute parse timeout, so a regression fails on the bound above
  );
});
