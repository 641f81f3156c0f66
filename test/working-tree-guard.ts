// Guards the user's own data: fingerprints of data/ and site/dist/ of the working tree, taken before the
// suite and compared after it (test/summary-reporter.ts fails the run on a difference).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const guardedFolders = ["data", path.join("site", "dist")];

/** Path, size and modification time of every file below `folder` (none when it does not exist), hashed. */
export async function fingerprint(folder: string): Promise<{ files: number; hash: string }> {
  const hash = createHash("sha256");
  let files = 0;
  let entries: string[];
  try {
    entries = (await fs.readdir(folder, { recursive: true })).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { files: 0, hash: "absent" };
    throw error;
  }
  for (const entry of entries) {
    const stat = await fs.lstat(path.join(folder, entry));
    if (stat.isDirectory()) continue;
    files += 1;
    hash.update(`${entry}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return { files, hash: hash.digest("hex") };
}

/** Takes the fingerprints now; the returned check names every guarded folder that changed since. */
export async function guardWorkingTree(root = repoRoot): Promise<() => Promise<string[]>> {
  const before = new Map<string, { files: number; hash: string }>();
  for (const folder of guardedFolders) before.set(folder, await fingerprint(path.join(root, folder)));
  return async () => {
    const changed: string[] = [];
    for (const folder of guardedFolders) {
      const was = before.get(folder)!;
      const now = await fingerprint(path.join(root, folder));
      if (now.hash !== was.hash) changed.push(`${folder}/ (${was.files} files before, ${now.files} after)`);
    }
    return changed;
  };
}
