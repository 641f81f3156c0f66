// Vitest's global setup: one folder for the whole test run, for what several test files can share instead
// of each making its own (the workflow bundle, an offline export with its built site, Framework's bundled
// npm modules; see test/once-per-run.ts). Every project names this file, so it runs once per project in
// Vitest's main process; the folder is made by the first and removed after the last project's files.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The test run's shared folder (test/once-per-run.ts). */
    testRunDir: string;
  }
}

interface RunFolder {
  dir: string;
  projects: number;
}

const shared = globalThis as { observatoryTestRun?: Promise<RunFolder> };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.observatoryTestRun ??= fs.mkdtemp(path.join(os.tmpdir(), "observatory-test-run-")).then((dir) => ({ dir, projects: 0 }));
  const run = await shared.observatoryTestRun;
  run.projects += 1;
  project.provide("testRunDir", run.dir);
  return async () => {
    run.projects -= 1;
    if (run.projects > 0) return;
    shared.observatoryTestRun = undefined;
    await fs.rm(run.dir, { recursive: true, force: true });
  };
}
