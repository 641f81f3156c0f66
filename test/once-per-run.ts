// What several test files can share within one test run, made once by whichever file asks first and read
// by the others (in any worker process): the workflow bundle every test worker would otherwise rebuild, and
// the offline export with its built site that the site and browser tests read. Outside a Vitest run (no
// run folder provided) each call makes its own copy in a temporary folder.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";

const waitLimitMs = 15 * 60_000;

/** The run's shared folder, or undefined outside a Vitest run that has test/global-setup.ts. */
export function testRunDir(): string | undefined {
  try {
    return inject("testRunDir");
  } catch {
    return undefined;
  }
}

/**
 * Makes `name` once per run in `<run folder>/<name>/` with `make` and returns what `make` returned (JSON).
 * The first caller takes `<name>.lock` (mkdir is atomic) and makes it; every later caller waits for its
 * result, and is told the maker's error if making failed.
 */
export async function oncePerRun<T>(name: string, make: (dir: string) => Promise<T>): Promise<T> {
  const root = testRunDir();
  if (!root) return make(await fs.mkdtemp(path.join(os.tmpdir(), `observatory-${name}-`)));
  const dir = path.join(root, name);
  const made = path.join(root, `${name}.json`);
  const failed = path.join(root, `${name}.failed`);
  const first = await fs.mkdir(`${dir}.lock`).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") return false;
      throw error;
    },
  );
  if (first) {
    try {
      await fs.mkdir(dir, { recursive: true });
      const value = await make(dir);
      await fs.writeFile(`${made}.tmp`, JSON.stringify(value));
      await fs.rename(`${made}.tmp`, made);
      return value;
    } catch (error) {
      await fs.writeFile(failed, error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw error;
    }
  }
  const deadline = Date.now() + waitLimitMs;
  for (;;) {
    const value = await fs.readFile(made, "utf8").catch(() => undefined);
    if (value !== undefined) return JSON.parse(value) as T;
    const error = await fs.readFile(failed, "utf8").catch(() => undefined);
    if (error !== undefined) throw new Error(`${name}, shared by this run's test files, could not be made: ${error}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${waitLimitMs / 60_000} min waiting for another test file to make ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
