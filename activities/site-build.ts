// Builds the Observable Framework site in a working copy of its own and swaps the result in whole, so a
// failed build leaves the last good site in place, two builds never share Framework's cache, and a build
// for a test never touches the project's site/dist. The build needs no network: see seedClientLibraries.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { HostJob, HostReply } from "../site/src/data/lib/host.js";

export interface SiteBuildOptions {
  /** The Framework project: its config file and `src/`. */
  siteDir: string;
  /** Where the built site ends up (replaced whole, only after a successful build). */
  output: string;
  /** The export the data loaders read. */
  exportsDir: string;
  /** Holds node_modules and the modules the loaders import (`sources/`, `warehouse/`). */
  projectRoot: string;
  /** Called on every line of build output, so an activity can heartbeat. @default no-op */
  onOutput?: (chunk: string) => void;
  /** Settings the pages read at build time (OBSERVATORY_INTAKE_URL). @default {} */
  env?: Record<string, string>;
  /**
   * Where the npm modules Framework bundles for the pages (d3, Plot, Inputs, …) are kept between builds,
   * one folder per lock file; none kept when absent. @default undefined
   */
  moduleCacheDir?: string;
}

export interface SiteBuildResult {
  dir: string;
  seconds: number;
}

/** A build that failed; `reason` is short ("exit 1"), `output` the last part of what Framework printed. */
export class SiteBuildError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly reason = message,
  ) {
    super(message);
    this.name = "SiteBuildError";
  }
}

/** Pinned versions of the client libraries Framework may name but this project does not install. */
const pinsFile = "client-libraries.json";

/** Framework's cache folder in a working copy's `src/`, where it looks for loader output and bundled modules. */
const frameworkCache = (src: string, ...parts: string[]) => path.join(src, ".observablehq", "cache", ...parts);

export async function buildSite(options: SiteBuildOptions): Promise<SiteBuildResult> {
  const started = performance.now();
  const output = path.resolve(options.output);
  await fs.mkdir(path.dirname(output), { recursive: true });
  // Beside the output, so the finished site moves into place with a rename on the same file system.
  const work = path.join(path.dirname(output), `.site-build-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const site = await prepareWorkingCopy(options.siteDir, options.projectRoot, work);
    const src = path.join(site, "src");
    const env = { ...process.env, ...options.env, OBSERVATORY_EXPORTS_DIR: options.exportsDir };
    const onOutput = options.onOutput ?? (() => undefined);
    await seedClientLibraries(options.projectRoot, options.siteDir, src);
    const modules = options.moduleCacheDir ? await moduleCache(options.moduleCacheDir, options.projectRoot) : undefined;
    if (modules) await modules.restore(src);
    await writeKhmerTwins(site, options.exportsDir);
    await runDataLoaders(site, await dataLoaders(options.siteDir, options.exportsDir), env, onOutput);
    const printed = await runFramework(options.projectRoot, site, env, onOutput);
    if (modules) await modules.keep(src);
    const built = path.join(site, "dist");
    if (!(await exists(path.join(built, "index.html")))) {
      throw new SiteBuildError("site build wrote no index.html", printed);
    }
    await copyDownloads(options.exportsDir, path.join(built, "downloads"));
    await copyFonts(options.siteDir, options.projectRoot, built);
    await swapIn(built, output);
    return { dir: output, seconds: (performance.now() - started) / 1000 };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * `<work>/site/` is a copy of the Framework project (without its build output or cache); every other
 * top-level entry of the project is linked beside it, so loaders' relative imports (`../../../sources/…`)
 * and node_modules resolve as they do in place.
 */
async function prepareWorkingCopy(siteDir: string, projectRoot: string, work: string): Promise<string> {
  const site = path.join(work, "site");
  await fs.mkdir(site, { recursive: true });
  // Build output, Framework's cache and other builds' working copies (dot folders) stay behind.
  const copied = (from: string) => {
    const name = path.basename(from);
    return !name.startsWith(".") && !(path.dirname(from) === siteDir && name === "dist");
  };
  for (const entry of await fs.readdir(siteDir)) {
    const from = path.join(siteDir, entry);
    if (copied(from)) await fs.cp(from, path.join(site, entry), { recursive: true, filter: copied });
  }
  const realSite = await fs.realpath(siteDir);
  for (const entry of await fs.readdir(projectRoot)) {
    const from = path.join(projectRoot, entry);
    if (entry === ".git" || entry === "site" || (await fs.realpath(from)) === realSite) continue;
    await fs.symlink(from, path.join(work, entry));
  }
  return site;
}

/**
 * Framework names the client libraries its runtime may import lazily (`npm:react-dom`, `npm:d3`, …) and
 * asks the npm registry for their latest version at every build, even when no page imports them, so a
 * machine with no network cannot build and two builds a month apart name different versions. Framework
 * takes a version from its cache folder when one is there, so each is seeded with a pinned version: the
 * installed one (pinned by the lock file) or, for a library the project does not install, the version in
 * site/client-libraries.json. Nothing is downloaded for them; a page that really imported one would fail
 * the build's own import resolution, not silently fetch it.
 */
export async function seedClientLibraries(projectRoot: string, siteDir: string, srcDir: string): Promise<Record<string, string>> {
  const pins = JSON.parse(await fs.readFile(path.join(siteDir, pinsFile), "utf8")) as { versions: Record<string, string> };
  const chosen: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of await frameworkClientLibraries(projectRoot)) {
    const version = (await installedVersion(projectRoot, name)) ?? pins.versions[name];
    if (version) chosen[name] = version;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new SiteBuildError(
      `Framework's client may import ${missing.map((n) => `npm:${n}`).join(", ")}, which ${missing.length === 1 ? "is" : "are"} neither ` +
        `installed nor pinned in site/${pinsFile}: add a version there`,
      "",
    );
  }
  for (const [name, version] of Object.entries(chosen)) {
    await fs.mkdir(frameworkCache(srcDir, "_npm", `${name}@${version}`), { recursive: true });
  }
  return chosen;
}

/** Every package named as `npm:<name>` in Framework's client code, the set it may resolve at build time. */
export async function frameworkClientLibraries(projectRoot: string): Promise<string[]> {
  const clientDir = path.join(projectRoot, "node_modules", "@observablehq", "framework", "dist", "client");
  const names = new Set<string>();
  for (const file of await fs.readdir(clientDir, { recursive: true })) {
    if (!file.endsWith(".js")) continue;
    const code = await fs.readFile(path.join(clientDir, file), "utf8");
    for (const m of code.matchAll(/["'`]npm:((?:@[\w.-]+\/)?[\w.-]+)/g)) names.add(m[1]);
  }
  // Framework maps this one onto its own standard library, never onto a package.
  names.delete("@observablehq/duckdb");
  return [...names].sort();
}

async function installedVersion(projectRoot: string, name: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await fs.readFile(path.join(projectRoot, "node_modules", name, "package.json"), "utf8")) as { version?: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

/**
 * The npm modules Framework bundles into `_node/` at every build from scratch (Plot, d3, Inputs: seconds of
 * rollup) depend only on the installed packages, so they are kept in a folder named by the lock file's hash
 * and copied into each new working copy. A build that finds no kept folder leaves its own there, put in place
 * by a rename so that two builds at once never see half a folder.
 */
async function moduleCache(cacheDir: string, projectRoot: string) {
  const lock = await fs.readFile(path.join(projectRoot, "package-lock.json")).catch(() => Buffer.from("no lock file"));
  const kept = path.join(cacheDir, createHash("sha256").update(lock).digest("hex").slice(0, 16));
  return {
    async restore(src: string): Promise<void> {
      if (await exists(kept)) await fs.cp(kept, frameworkCache(src, "_node"), { recursive: true });
    },
    async keep(src: string): Promise<void> {
      if (await exists(kept)) return;
      const staging = `${kept}.${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await fs.cp(frameworkCache(src, "_node"), staging, { recursive: true });
        await fs.rename(staging, kept);
      } catch {
        // Another build kept its folder first, or the cache cannot be written: the next build bundles again.
      } finally {
        await fs.rm(staging, { recursive: true, force: true });
      }
    },
  };
}

/** A data loader Framework would run, as its source path and output path inside `src/`, and its arguments. */
interface DataLoader {
  source: string;
  output: string;
  args: string[];
}

/**
 * The data loaders every build runs: each `src/data/*.ts` file (`latest.json.ts` → `data/latest.json`) and
 * the quarterly report loader once for every report quarter of the export.
 */
async function dataLoaders(siteDir: string, exportsDir: string): Promise<DataLoader[]> {
  const dataDir = path.join(siteDir, "src", "data");
  const loaders: DataLoader[] = (await fs.readdir(dataDir))
    .filter((name) => /^[\w-]+\.\w+\.ts$/.test(name))
    .sort()
    .map((name) => ({ source: `data/${name}`, output: `data/${name.replace(/\.ts$/, "")}`, args: [] }));
  const { reportQuarters } = (await import(pathToFileURL(path.join(siteDir, "report-quarters.js")).href)) as {
    reportQuarters: (dir: string) => string[];
  };
  const report = "data/reports/[quarter].json.ts";
  if (await exists(path.join(siteDir, "src", report))) {
    for (const quarter of reportQuarters(exportsDir))
      loaders.push({ source: report, output: `data/reports/${quarter}.json`, args: [`--quarter=${quarter}`] });
  }
  return loaders;
}

/**
 * The Khmer edition's pages, written where Framework keeps its page loaders' output (`src/km/*.md.js` print
 * the same text), so that Framework finds them fresh instead of starting a Node process for each of two
 * dozen pages. They come from the site's own sources, not from the data.
 */
async function writeKhmerTwins(site: string, exportsDir: string): Promise<void> {
  const { dynamicPaths } = (await import(pathToFileURL(path.join(site, "routes.js")).href)) as {
    dynamicPaths: (exportsDir: string) => string[];
  };
  const { khmerPage, khmerPageOf } = (await import(pathToFileURL(path.join(site, "src", "km", "khmer-page.js")).href)) as {
    khmerPage: (page: string) => string;
    khmerPageOf: (route: string) => string;
  };
  for (const route of dynamicPaths(exportsDir).filter((r) => r.startsWith("/km/"))) {
    const page = khmerPageOf(route);
    let text: string;
    try {
      text = khmerPage(page);
    } catch (error) {
      throw new SiteBuildError(`site build failed: the Khmer page ${route}: ${(error as Error).message}`, "", "Khmer page");
    }
    const target = frameworkCache(path.join(site, "src"), "km", `${page}.md`);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, text);
  }
}

/**
 * Runs the data loaders ahead of Framework and leaves each output where Framework's loader cache keeps it;
 * Framework finds them fresh (newer than their loader) and does not run them again. Framework alone runs
 * them one after another, each in a process of its own, and only after rendering every page. Here they run
 * in loader hosts (site/src/data/lib/host.ts), as many at once as the machine has cores, each host taking
 * the next loader as it finishes one, so Node, tsx and DuckDB start a few times rather than once per loader.
 * A loader that fails fails the build at once, with what it printed last.
 */
async function runDataLoaders(site: string, loaders: DataLoader[], env: NodeJS.ProcessEnv, onOutput: (chunk: string) => void) {
  const src = path.join(site, "src");
  const failures: string[] = [];
  const queue = [...loaders];
  for (const loader of loaders) await fs.mkdir(path.dirname(frameworkCache(src, loader.output)), { recursive: true });
  // One host after another until the queue is empty: a host leaves when its memory has grown, or with a failure.
  const slot = async () => {
    while (queue.length > 0 && failures.length === 0) await runHost(site, queue, env, onOutput, failures);
  };
  await Promise.all(Array.from({ length: Math.min(os.availableParallelism(), queue.length) }, slot));
  if (failures.length > 0) {
    // The loader's own last line (its error) ends the output, which is what the build activity reports.
    const output = failures.join("\n");
    throw new SiteBuildError(`site build failed (exit 1):\n${output.slice(-4000)}`, output, "exit 1");
  }
}

/** One loader host: takes loaders off the queue until it retires, the queue is empty or a loader fails. */
async function runHost(site: string, queue: DataLoader[], env: NodeJS.ProcessEnv, onOutput: (chunk: string) => void, failures: string[]) {
  const src = path.join(site, "src");
  // As Framework runs a TypeScript loader (site/observablehq.config.js → interpreters), from the project folder.
  const host = spawn(process.execPath, ["--import", "tsx/esm", path.join("src", "data", "lib", "host.ts")], {
    cwd: site,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let printed = "";
  const print = (chunk: Buffer) => {
    printed = (printed + chunk.toString()).slice(-4000);
    onOutput(chunk.toString());
  };
  host.stdout!.on("data", print);
  host.stderr!.on("data", print);
  // Its exit and the end of its output: with an IPC channel Node does not always emit "close".
  const exited = Promise.all([once(host, "exit"), once(host.stdout!, "close"), once(host.stderr!, "close")]).then(
    ([[code]]) => code as number | null,
  );
  let current: DataLoader | undefined;
  const describe = (loader: DataLoader) => `data loader ${[`src/${loader.source}`, ...loader.args].join(" ")} for ${loader.output}`;
  const next = () => {
    current = failures.length === 0 ? queue.shift() : undefined;
    if (!current) {
      if (host.connected) host.disconnect();
      return;
    }
    printed = "";
    const job: HostJob = { source: current.source, args: current.args, target: frameworkCache(src, current.output) };
    // A host gone before its first job is answered is reported when it closes, as the loader it was given.
    if (host.connected) host.send(job);
  };
  host.on("message", (reply: HostReply) => {
    if (!current) return;
    if (!reply.ok) {
      failures.push(`${describe(current)} failed\n${`${printed.trimEnd()}\n${reply.message}`.trim()}`);
      current = undefined;
      return;
    }
    current = undefined;
    if (reply.retiring) return; // the host leaves; the slot starts another for the rest of the queue
    next();
  });
  next();
  const code = await exited;
  // A host that died in the middle of a loader (killed, out of memory) fails that loader.
  if (current) failures.push(`${describe(current)} exited with code ${code}\n${printed.trimEnd()}`);
}

async function runFramework(projectRoot: string, site: string, env: NodeJS.ProcessEnv, onOutput: (chunk: string) => void): Promise<string> {
  const bin = path.join(projectRoot, "node_modules", ".bin", "observable");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(bin, ["build"], {
      cwd: site,
      // Framework sends anonymous telemetry to its own host by default; the build calls no third party.
      env: { ...env, CI: "true", OBSERVABLE_TELEMETRY_DISABLE: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      onOutput(text);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("exit", resolve);
  });
  const printed = output.join("");
  if (code !== 0) throw new SiteBuildError(`site build failed (exit ${code}):\n${printed.slice(-4000)}`, printed, `exit ${code}`);
  return printed;
}

/**
 * The Data page's downloads: the export's Parquet and CSV files and datapackage.json, copied beside the
 * built pages so the site serves them itself. Framework only copies files a page names literally, and the
 * table list comes from the catalogue, hence a copy after the build rather than file attachments.
 */
async function copyDownloads(exportsDir: string, target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true });
  await fs.mkdir(target, { recursive: true });
  for (const name of await fs.readdir(exportsDir)) {
    if (/\.(parquet|csv)$/.test(name) || name === "datapackage.json")
      await fs.copyFile(path.join(exportsDir, name), path.join(target, name));
  }
}

/** The web fonts the site serves itself (site/fonts.js names them), from the installed font package. */
async function copyFonts(siteDir: string, projectRoot: string, built: string): Promise<void> {
  const { selfHostedFonts, fontsFolder } = (await import(pathToFileURL(path.join(siteDir, "fonts.js")).href)) as {
    selfHostedFonts: Array<{ file: string }>;
    fontsFolder: string;
  };
  await fs.mkdir(path.join(built, fontsFolder), { recursive: true });
  for (const { file } of selfHostedFonts) {
    await fs.copyFile(path.join(projectRoot, "node_modules", file), path.join(built, fontsFolder, path.basename(file)));
  }
}

/** Replaces `output` with `built`: the old site is moved aside first and removed only once the new one is in place. */
async function swapIn(built: string, output: string): Promise<void> {
  const aside = `${output}.old-${process.pid}`;
  const hadOld = await exists(output);
  if (hadOld) await fs.rename(output, aside);
  try {
    await fs.rename(built, output);
  } catch (error) {
    if (hadOld) await fs.rename(aside, output);
    throw error;
  }
  if (hadOld) await fs.rm(aside, { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
