// Builds the Observable Framework site in a working copy of its own and swaps the result in whole, so a
// failed build leaves the last good site in place, two builds never share Framework's cache, and a build
// for a test never touches the project's site/dist. The build needs no network: see seedClientLibraries.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

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

export async function buildSite(options: SiteBuildOptions): Promise<SiteBuildResult> {
  const started = performance.now();
  const output = path.resolve(options.output);
  await fs.mkdir(path.dirname(output), { recursive: true });
  // Beside the output, so the finished site moves into place with a rename on the same file system.
  const work = path.join(path.dirname(output), `.site-build-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const site = await prepareWorkingCopy(options.siteDir, options.projectRoot, work);
    await seedClientLibraries(options.projectRoot, options.siteDir, path.join(site, "src"));
    const printed = await runFramework(
      options.projectRoot,
      site,
      { ...options.env, OBSERVATORY_EXPORTS_DIR: options.exportsDir },
      options.onOutput ?? (() => undefined),
    );
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
    await fs.mkdir(path.join(srcDir, ".observablehq", "cache", "_npm", `${name}@${version}`), { recursive: true });
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

async function runFramework(
  projectRoot: string,
  site: string,
  env: Record<string, string>,
  onOutput: (chunk: string) => void,
): Promise<string> {
  const bin = path.join(projectRoot, "node_modules", ".bin", "observable");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(bin, ["build"], {
      cwd: site,
      // Framework sends anonymous telemetry to its own host by default; the build calls no third party.
      env: { ...process.env, ...env, CI: "true", OBSERVABLE_TELEMETRY_DISABLE: "true" },
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
