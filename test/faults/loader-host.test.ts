// The site build runs its data loaders in a few shared processes (site/src/data/lib/host.ts). A host must
// write what the loader prints as a script, and stop at a loader's failure. Faults injected into one
// loader of a real build: it ends its process with SIGKILL, or it throws. Either way the build fails naming
// that loader, and the site already published stays as it was.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSite } from "../../activities/site-build.js";
import type { HostJob, HostReply } from "../../site/src/data/lib/host.js";
import { repoRoot } from "../helpers.js";
import { sharedExport } from "../shared-site.js";

let dir: string;
let exportsDir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-loader-host-"));
  exportsDir = (await sharedExport()).config.paths.exports;
}, 600_000);

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** A copy of the Framework project with one more data loader, `zz-fault.json.ts` (the last of the page loaders). */
async function siteWith(name: string, loader: string): Promise<string> {
  const siteDir = path.join(dir, name);
  const site = path.join(repoRoot, "site");
  // Without its build output or Framework's cache (dot folders), as the build's own working copy.
  await fs.cp(site, siteDir, {
    recursive: true,
    filter: (from) => !path.basename(from).startsWith(".") && path.relative(site, from) !== "dist",
  });
  await fs.writeFile(path.join(siteDir, "src", "data", "zz-fault.json.ts"), loader);
  return siteDir;
}

/** Builds `siteDir` over a published site and returns the build's error, after checking the published site is untouched. */
async function failedBuild(siteDir: string): Promise<Error> {
  const output = path.join(dir, `${path.basename(siteDir)}-dist`);
  await fs.mkdir(output, { recursive: true });
  await fs.writeFile(path.join(output, "index.html"), "the site published before\n");
  const error = await buildSite({ siteDir, output, exportsDir, projectRoot: repoRoot }).then(
    () => new Error("the build succeeded"),
    (e: Error) => e,
  );
  await expect(fs.readFile(path.join(output, "index.html"), "utf8")).resolves.toBe("the site published before\n");
  expect((await fs.readdir(dir)).filter((n) => n.startsWith(".site-build-"))).toEqual([]);
  return error;
}

/** Runs `jobs` in one loader host over its IPC channel, as the build does, and returns its replies. */
async function inHost(jobs: HostJob[]): Promise<HostReply[]> {
  const host = spawn(process.execPath, ["--import", "tsx/esm", path.join("src", "data", "lib", "host.ts")], {
    cwd: path.join(repoRoot, "site"),
    env: { ...process.env, OBSERVATORY_EXPORTS_DIR: exportsDir },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: HostReply[] = [];
  const exited = once(host, "exit");
  host.on("message", (reply: HostReply) => {
    replies.push(reply);
    if (replies.length === jobs.length) host.disconnect();
  });
  for (const job of jobs) host.send(job);
  await exited;
  return replies;
}

describe("The site build's loader hosts", () => {
  it("write what each loader prints when run as a script, the same loader twice with different arguments included", async () => {
    const loaders = [
      { source: "data/reports/[quarter].json.ts", args: ["--quarter=2025-Q3"] },
      { source: "data/reports/[quarter].json.ts", args: ["--quarter=2026-Q2"] },
      { source: "data/latest.json.ts", args: [] },
    ];
    const jobs = loaders.map((l, i) => ({ ...l, target: path.join(dir, `hosted-${i}.json`) }));
    expect(await inHost(jobs)).toEqual(jobs.map(() => ({ ok: true, retiring: false })));
    for (const [i, loader] of loaders.entries()) {
      const script = spawnSync(
        path.join(repoRoot, "node_modules", ".bin", "tsx"),
        [path.join(repoRoot, "site", "src", loader.source), ...loader.args],
        {
          env: { ...process.env, OBSERVATORY_EXPORTS_DIR: exportsDir },
          encoding: "utf8",
        },
      );
      expect(script.status).toBe(0);
      expect(await fs.readFile(jobs[i].target, "utf8")).toBe(script.stdout);
    }
    const quarters = await Promise.all(jobs.slice(0, 2).map(async (j) => JSON.parse(await fs.readFile(j.target, "utf8")).quarter.id));
    expect(quarters).toEqual(["2025-Q3", "2026-Q2"]);
  }, 120_000);

  it("answer a loader's own failure with its reason and leave, running nothing sent after it", async () => {
    const jobs = [
      { source: "data/reports/[quarter].json.ts", args: ["--quarter=2025-Q9"], target: path.join(dir, "bad-quarter.json") },
      { source: "data/latest.json.ts", args: [], target: path.join(dir, "after-bad.json") },
    ];
    expect(await inHost(jobs)).toEqual([{ ok: false, message: "report: 2025-Q9 is not a quarter (YYYY-Qn)" }]);
    await expect(fs.stat(jobs[0].target)).rejects.toThrow(/ENOENT/);
    await expect(fs.stat(jobs[1].target)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("fail the build naming the loader whose process was killed under it", async () => {
    const siteDir = await siteWith("killed", `process.stderr.write("about to die\\n");\nprocess.kill(process.pid, "SIGKILL");\n`);
    const error = await failedBuild(siteDir);
    expect(error.message).toMatch(/^site build failed \(exit 1\):/);
    expect(error.message).toContain("data loader src/data/zz-fault.json.ts for data/zz-fault.json exited with code null");
    expect(error.message).toContain("about to die");
  }, 300_000);

  it("fail the build with the loader's own error when it throws", async () => {
    const siteDir = await siteWith("throws", `throw new Error("the fault injected here");\n`);
    const error = await failedBuild(siteDir);
    expect(error.message).toContain("data loader src/data/zz-fault.json.ts for data/zz-fault.json failed");
    expect(error.message).toContain("Error: the fault injected here");
    // The loaders before it succeeded, and none is given to a host once one has failed.
    expect(error.message.match(/^data loader /gm)).toHaveLength(1);
  }, 300_000);
});
