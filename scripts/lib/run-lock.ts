// One `npm start` at a time per data folder: a lock file holding the holder's pid, host and start time,
// created atomically (O_EXCL), so two starts cannot both go on to start a dev server on one SQLite file
// (a port check is a race). A lock whose process is gone is stale and is taken over.
import { hostname } from "node:os";
import fs from "node:fs/promises";
import { readFileSync, unlinkSync } from "node:fs";
import path from "node:path";

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

/** Another live process holds the data folder. The message says who and what to do. */
export class DataFolderLocked extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another \`npm start\` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}) is using the data folder ${path.dirname(lockFile)}; ` +
        `wait for it to finish or stop it. If that process is gone, delete ${lockFile}.`,
    );
    this.name = "DataFolderLocked";
  }
}

export interface RunLock {
  file: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await fs.readFile(file, "utf8")) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<dataDir>/npm-start.lock` or throws DataFolderLocked. A lock left by a process that no longer
 * runs on this host (killed, crashed) is stale and is replaced; so is an unreadable one (a crash between
 * create and write). A lock held from another host cannot be checked and is respected. Two starts that
 * find the same stale lock at the same instant could both replace it; a live holder is never displaced.
 */
export async function acquireRunLock(dataDir: string, options: { now?: () => Date; command?: string } = {}): Promise<RunLock> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, "npm-start.lock");
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: (options.now ?? (() => new Date()))().toISOString(),
    command: options.command ?? process.argv.slice(1).join(" "),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${JSON.stringify(me, null, 2)}\n`);
      } finally {
        await handle.close();
      }
      const release = async () => {
        const holder = await readHolder(file);
        if (holder?.pid === me.pid && holder.host === me.host) await fs.rm(file, { force: true });
      };
      // Also on an exit that skips the cleanups (process.exit from elsewhere).
      process.once("exit", () => {
        try {
          const holder = JSON.parse(readFileSync(file, "utf8")) as LockHolder;
          if (holder.pid === me.pid && holder.host === me.host) unlinkSync(file);
        } catch {
          /* already released */
        }
      });
      return { file, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(file);
    if (holder && (holder.host !== me.host || alive(holder.pid))) throw new DataFolderLocked(file, holder);
    // Stale: its process is gone (or it never got written). Replace it and try again.
    await fs.rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}: it keeps reappearing`);
}
