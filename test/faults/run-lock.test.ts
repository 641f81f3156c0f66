// Fault: two `npm start` on one data folder. The second must stop at once with a message naming the
// holder, before it starts a dev server; a lock left by a killed process is stale and is taken over.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireRunLock, DataFolderLocked } from "../../scripts/lib/run-lock.js";
import { repoRoot, tempConfig } from "../helpers.js";

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ dir } = await tempConfig());
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function tsx(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

async function holdLock(dataDir: string): Promise<ChildProcess> {
  const child = tsx([path.join("test", "lock-holder-child.ts"), dataDir]);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

const lockFile = (dataDir: string) => path.join(dataDir, "npm-start.lock");

describe("Fault: two runs on one data folder", () => {
  it("refuses a second lock naming the holder's pid, takes over the lock of a killed holder, and releases its own", async () => {
    const dataDir = path.join(dir, "a");
    const holder = await holdLock(dataDir);
    const refused = await acquireRunLock(dataDir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataFolderLocked);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^another \`npm start\` \\(pid ${holder.pid} on .*\\) is using the data folder ${dataDir}; .*delete ${lockFile(dataDir)}\\.$`,
      ),
    );

    const killed = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await killed;
    // SIGKILL runs no exit handler: the file stays, naming a pid that no longer runs.
    expect(JSON.parse(await fs.readFile(lockFile(dataDir), "utf8"))).toMatchObject({ pid: holder.pid });
    const started = performance.now();
    const lock = await acquireRunLock(dataDir);
    const ms = performance.now() - started;
    expect(JSON.parse(await fs.readFile(lockFile(dataDir), "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
    await expect(fs.access(lockFile(dataDir))).rejects.toThrow();
    console.error(`fault stale-lock: taken over ${ms.toFixed(0)} ms after its holder was killed`);
  });

  it("stops a second `npm start` before it starts anything, with the holder named, and leaves the first's lock alone", async () => {
    const dataDir = path.join(dir, "b");
    const holder = await holdLock(dataDir);
    const before = await fs.readFile(lockFile(dataDir), "utf8");
    const start = tsx(["scripts/start.ts", "--offline", "--no-site"], {
      OBSERVATORY_DATA_DIR: dataDir,
      OBSERVATORY_WAREHOUSE: path.join(dataDir, "observatory.duckdb"),
      TEMPORAL_ADDRESS: "",
      TEMPORAL_DEV_DB: path.join(dataDir, "temporal.sqlite"),
    });
    let stderr = "";
    start.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => start.kill("SIGKILL"), 60_000);
    const code = await new Promise<number | null>((resolve) => start.once("exit", resolve));
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(stderr).toContain(`npm start failed: another \`npm start\` (pid ${holder.pid} on`);
    expect(stderr).not.toContain("Temporal");
    await expect(fs.access(path.join(dataDir, "temporal.sqlite"))).rejects.toThrow();
    expect(await fs.readFile(lockFile(dataDir), "utf8")).toBe(before);
    holder.kill("SIGKILL");
  }, 90_000);
});
