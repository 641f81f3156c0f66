// The loader host: one process that runs data loaders one after another for the site build
// (activities/site-build.ts), so that a build pays Node's, tsx's and DuckDB's start-up once per process
// rather than once per loader (about 0.6 s each, 23 loaders for the bundled snapshot). Framework itself, a
// test or a person still runs a loader as a script; lib/exports.ts routes its output and its failure.
//
// The build sends one job at a time over the IPC channel: `{ source, args, target }` (source relative to
// src/, target the file the output goes to). The host answers each with `{ ok: true }` once the target is
// written, or `{ ok: false, message }`. Having answered, it leaves when its memory has grown past
// RETIRE_RSS (a loader's top-level data stays with its module for the life of the process) and the build
// starts another host for the jobs still to come.
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { hostRun, LoaderFailure } from "./exports.js";

export interface HostJob {
  source: string;
  args: string[];
  target: string;
}

export type HostReply = { ok: true; retiring: boolean } | { ok: false; message: string };

/** Resident memory past which the host leaves once its current job is answered. */
const RETIRE_RSS = 512 * 1024 * 1024;

let runs = 0;

async function run(job: HostJob): Promise<HostReply> {
  const chunks: string[] = [];
  hostRun({ args: job.args, write: (text) => chunks.push(text) });
  try {
    // A query string makes each run a module of its own, so a loader run twice (the report, once per
    // quarter) is evaluated twice.
    await import(`${pathToFileURL(path.resolve("src", job.source)).href}?run=${++runs}`);
  } catch (error) {
    return { ok: false, message: error instanceof LoaderFailure ? error.message : ((error as Error).stack ?? String(error)) };
  } finally {
    hostRun(undefined);
  }
  const partial = `${job.target}.host-${process.pid}`;
  await fs.writeFile(partial, chunks.join(""));
  await fs.rename(partial, job.target);
  const rss = process.memoryUsage().rss;
  if (rss <= RETIRE_RSS) return { ok: true, retiring: false };
  process.stderr.write(`loader host: ${Math.round(rss / 2 ** 20)} MiB after src/${job.source}; a new host takes the loaders still to run\n`);
  return { ok: true, retiring: true };
}

// Jobs run one at a time, in the order they come; none runs once the host has answered that it is leaving.
let queue = Promise.resolve();
let leaving = false;
process.on("message", (job: HostJob) => {
  queue = queue.then(async () => {
    if (leaving) return;
    const reply = await run(job);
    leaving = !reply.ok || reply.retiring;
    process.send!(reply, () => {
      if (leaving) process.disconnect();
    });
  });
});
// The build closes the channel when it has no more jobs; a loader's open handles must not keep the host alive.
process.on("disconnect", () => void queue.then(() => process.exit(0)));
