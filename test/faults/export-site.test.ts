// Fault: the export folder cannot be written, and the site build fails. A failed export must leave the
// live export and its releases byte for byte as they were and say why in one line; a release is written
// only after its export went live, from the same files; a failed site build leaves the last good site.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { ApplicationFailure } from "@temporalio/common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../../activities/index.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { offlineExport, repoRoot, tempConfig, testClock } from "../helpers.js";

let config: ObservatoryConfig;
let dir: string;

/** Every file under a folder with its sha256, so "exactly as it was" can be checked. */
async function tree(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of (await fs.readdir(folder, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(folder, file)] = createHash("sha256")
      .update(await fs.readFile(file))
      .digest("hex");
  }
  return out;
}

/**
 * Makes `folder` impossible to replace: immutable for root (chattr +i, so rename gives EPERM as on the
 * machine the issue was found on), a read-only parent otherwise. Returns the undo.
 */
async function lock(folder: string): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    execFileSync("chattr", ["+i", folder]);
    return async () => void execFileSync("chattr", ["-i", folder]);
  }
  await fs.chmod(path.dirname(folder), 0o555);
  return () => fs.chmod(path.dirname(folder), 0o755);
}

const at = (iso: string) => createActivities({ config, projectRoot: repoRoot, log: () => undefined, now: () => new Date(iso) });

beforeAll(async () => {
  ({ config, dir } = await tempConfig());
  // tempConfig builds the site into its own folder, never the working tree's build output.
  // An earlier day than the exports below, so its release is one they must leave alone.
  await offlineExport(config, "fault-export", testClock("2031-05-01T06:00:00Z"));
}, 300_000);

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("Fault: the export cannot be swapped in", () => {
  it("leaves the live export and its releases exactly as they were, fails once with a one-line reason, and publishes the same files as the release once it can", async () => {
    const exportsDir = config.paths.exports;
    const before = await tree(exportsDir);
    expect(Object.keys(before)).toContain("releases/index.json");
    const unlock = await lock(exportsDir);
    let failure: unknown;
    try {
      failure = await at("2031-05-06T07:00:00Z")
        .exportTables()
        .catch((e: unknown) => e);
    } finally {
      await unlock();
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: "ExportNotPublished", nonRetryable: true });
    const message = (failure as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^export not published: .*(EPERM|EACCES).*; .*exports and its releases are unchanged$/);
    expect(await tree(exportsDir)).toEqual(before);
    expect((await fs.readdir(path.dirname(exportsDir))).filter((n) => n.startsWith("exports."))).toEqual([]);

    const result = await at("2031-05-06T07:00:00Z").exportTables();
    expect(result.release).toBe(path.join(exportsDir, "releases", "2031-05-06"));
    const live = await tree(exportsDir);
    const release = await tree(result.release!);
    // The release is the live export, file for file (the export's own bookkeeping, its dot-files such as the
    // table fingerprints that let an unchanged table be carried over, is not published in a release).
    const published = Object.entries(live).filter(([name]) => !name.startsWith("releases/") && !name.startsWith("."));
    expect(published.length).toBeGreaterThan(80);
    expect(release).toEqual(Object.fromEntries(published));
    // Every earlier release is still there, unchanged.
    for (const [name, sha] of Object.entries(before))
      if (name.startsWith("releases/") && name !== "releases/index.json") expect(live[name], name).toBe(sha);
    const index = JSON.parse(await fs.readFile(path.join(exportsDir, "releases", "index.json"), "utf8")) as {
      releases: Array<{ date: string }>;
    };
    expect(index.releases[0].date).toBe("2031-05-06");
  });
});

describe("Fault: the site build fails", () => {
  it("swaps a good build in whole, and a failed build leaves that site in place with a one-line reason", async () => {
    const acts = at("2031-05-06T08:00:00Z");
    const t0 = performance.now();
    const built = await acts.buildSite();
    const buildSeconds = (performance.now() - t0) / 1000;
    expect(built.dir).toBe(config.paths.siteOutput);
    const good = await tree(built.dir);
    expect(Object.keys(good)).toContain("index.html");
    expect(Object.keys(good)).toContain("downloads/datapackage.json");

    // The loaders cannot read the catalogue: they exit non-zero and the build fails.
    const pkg = path.join(config.paths.exports, "datapackage.json");
    await fs.rename(pkg, `${pkg}.away`);
    let failure: unknown;
    try {
      failure = await acts.buildSite().catch((e: unknown) => e);
    } finally {
      await fs.rename(`${pkg}.away`, pkg);
    }
    expect(failure).toMatchObject({ type: "SiteBuildFailed" });
    expect((failure as Error).message.split("\n")[0]).toMatch(/^site build failed \(exit \d+\): .+; the last good site stays in .*site$/);
    expect(await tree(built.dir)).toEqual(good);
    expect((await fs.readdir(path.dirname(built.dir))).filter((n) => n.startsWith(".site-build-") || n.includes(".old-"))).toEqual([]);
    console.error(
      `fault site-build: a good build took ${buildSeconds.toFixed(1)} s; the failed build left the previous ${Object.keys(good).length} files in place`,
    );
  }, 600_000);
});
