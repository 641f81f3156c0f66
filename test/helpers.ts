// Test helpers: fixture reading and throwaway data folders.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, type ObservatoryConfig } from "../temporal.config.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function fixture(...parts: string[]): Promise<Uint8Array> {
  return fs.readFile(path.join(repoRoot, "test", "fixtures", ...parts));
}

/** A config whose data/, warehouse, archive, staging and exports all live in a fresh temp folder. */
export async function tempConfig(extra: Record<string, string> = {}): Promise<{ config: ObservatoryConfig; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-test-"));
  const config = loadConfig({
    OBSERVATORY_DATA_DIR: dir,
    OBSERVATORY_WAREHOUSE: path.join(dir, "observatory.duckdb"),
    OBSERVATORY_ARCHIVE_DIR: path.join(dir, "archive"),
    OBSERVATORY_STAGED_DIR: path.join(dir, "staged"),
    OBSERVATORY_EXPORTS_DIR: path.join(dir, "exports"),
    TEMPORAL_TASK_QUEUE: `test-${path.basename(dir)}`,
    ...extra,
  });
  return { config, dir };
}
