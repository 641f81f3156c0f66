// Finds or obtains Temporal's time-skipping test server, so the review timers can run at their real
// durations (3 and 7 days) in seconds. The SDK's createTimeSkipping() downloads a native build of this
// server from a host machines here cannot reach; the same server (the Java SDK's io.temporal.testserver)
// is published on Maven Central, and the machine has Java and Maven. Maven resolves it once into a cache
// outside the clone; every jar is checked against the sha256 below and a changed or missing jar is refused.
// Run directly (`npm run --silent test:provision`) it prints the path of the launcher script: CI runs it
// before the tests go offline.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The Java SDK release whose test server is used (its artifact io.temporal:temporal-test-server). */
export const testServerVersion = "1.31.0";

/** sha256 of every jar on the test server's class path, as Maven Central served them on 2026-12-02. */
export const testServerJars: Readonly<Record<string, string>> = {
  "HdrHistogram-2.1.12.jar": "9b47fbae444feaac4b7e04f0ea294569e4bc282bc69d8c2ce2ac3f23577281e2",
  "LatencyUtils-2.0.3.jar": "a32a9ffa06b2f4e01c5360f8f9df7bc5d9454a5d373cd8f361347fa5a57165ec",
  "animal-sniffer-annotations-1.23.jar": "9ffe526bf43a6348e9d8b33b9cd6f580a7f5eed0cf055913007eda263de974d0",
  "annotations-4.1.1.4.jar": "ba734e1e84c09d615af6a09d33034b4f0442f8772dec120efb376d86a565ae15",
  "checker-qual-3.33.0.jar": "e316255bbfcd9fe50d165314b85abb2b33cb2a66a93c491db648e498a82c2de1",
  "cron-utils-9.2.1.jar": "02af0e8b2fe93c9fa6eecf97b53b39faae14c5b996356edb132e9fe620013744",
  "error_prone_annotations-2.18.0.jar": "9e6814cb71816988a4fd1b07a993a8f21bb7058d522c162b1de849e19bea54ae",
  "failureaccess-1.0.1.jar": "a171ee4c734dd2da837e4b16be9df4661afab72a41adaf31eb84dfdaf936ca26",
  "grpc-api-1.58.1.jar": "2c33a813c63aa2c8e4db2231e4c244c8bbd1c8d9eefb8758633bc4dffb124c48",
  "grpc-context-1.58.1.jar": "d6e186190aa20fe1dbc8343fa7d7f98a32b487180aab6640b230ea38fcdd3468",
  "grpc-core-1.58.1.jar": "6aa73e0d8a05a9dcb110a04a4043025ec423c2c515a9ba235d833783bd4b805c",
  "grpc-inprocess-1.58.1.jar": "fe90bc5a1c15830b93ad0cabf4f8f10e072cb69e80d980374fbf005d60070c5f",
  "grpc-netty-shaded-1.58.1.jar": "beb30243dda938d268ba50f2bd09d3c2af9fa1ef53c681525d8ff38fa5350cc6",
  "grpc-protobuf-1.58.1.jar": "d9cdde8b14185b4d8941b3ac79f12f5e94c9f734d9b37ba4293cf06b9ca45644",
  "grpc-protobuf-lite-1.58.1.jar": "704cff056398cfe866a4c13c56136628f7e0c7740772675d1dc184147c409c04",
  "grpc-services-1.58.1.jar": "2777a4f0a323ef99f04035a85b87ce58554234704b234d22d0f28afa835307b0",
  "grpc-stub-1.58.1.jar": "6a2579a2a4536f9ff6cea48a347af47207195a3396fade5f2e3be660267c1973",
  "grpc-util-1.58.1.jar": "54e7d121d4c82969d61f340559cdcba6168415b4d0e3777d3cf998da3006ce82",
  "gson-2.10.1.jar": "4241c14a7727c34feea6507ec801318a3d4a90f070e4525681079fb94ee4c593",
  "guava-32.0.1-jre.jar": "bd7fa227591fb8509677d0d1122cf95158f3b8a9f45653f58281d879f6dc48c5",
  "j2objc-annotations-2.8.jar": "f02a95fa1a5e95edb3ed859fd0fb7df709d121a35290eff8b74dce2ab7f4d6ed",
  "jackson-annotations-2.14.2.jar": "2c6869d505cf60dc066734b7d50339f975bd3adc635e26a78abb71acb4473c0d",
  "jackson-core-2.14.2.jar": "b5d37a77c88277b97e3593c8740925216c06df8e4172bbde058528df04ad3e7a",
  "jackson-databind-2.14.2.jar": "501d3abce4d18dcc381058ec593c5b94477906bba6efbac14dae40a642f77424",
  "jackson-datatype-jdk8-2.14.2.jar": "aa55d3d545e02d959a6e8c83927acc55c9937d717d4d3fd962d27ec7b431b8c4",
  "jackson-datatype-jsr310-2.14.2.jar": "75651b65733ed94e4e28e4ba0817218d93e71e8a7f06f6ab3662752974d2bcae",
  "jsr305-3.0.2.jar": "766ad2a0783f2687962c8ad74ceecc38a28b9f72a2d085ee438b7813e928d0c7",
  "listenablefuture-9999.0-empty-to-avoid-conflict-with-guava.jar": "b372a037d4230aa57fbeffdef30fd6123f9c0c2db85d0aced00c91b974f33f99",
  "micrometer-core-1.9.9.jar": "ddec1c877a32dcf4f5e6cab5efc22707975d1d7e0fb780bcffe505384c52070c",
  "nexus-sdk-0.4.0-alpha.jar": "24b4504a489aadf820888a81642aff63e376e40192cc57a3233a6b4fabdef174",
  "perfmark-api-0.26.0.jar": "b7d23e93a34537ce332708269a0d1404788a5b5e1949e82f5535fce51b3ea95b",
  "proto-google-common-protos-2.22.0.jar": "002eebc53d27e4fb2e8cf823ea1f3565b90c4b0b4380ff508bf61bd42f2be0d3",
  "protobuf-java-3.25.7.jar": "1e312470eae15e3921d5b151897099db1c3d84cade8a94e73468b7b4ad35c30c",
  "protobuf-java-util-3.25.7.jar": "deb758b7a87d6b8f55e44fd55582b8b6a610cfcdbb9314f9fb46c5490fdd37d9",
  "slf4j-api-1.7.36.jar": "d3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0",
  "tally-core-0.13.0.jar": "b3ccc572be36be91c47447c7778bc141a74591279cdb40224882e8ac8271b58b",
  "temporal-sdk-1.31.0.jar": "5c891bff792cca71638645f9bc096f36e31e857ad6c3a7e988ff0b454ef167f4",
  "temporal-serviceclient-1.31.0.jar": "ba580c0c44af30279712059ae3c11ed9aed40871ecb7d5f45356f583a1a23853",
  "temporal-test-server-1.31.0.jar": "c33eafa1f50af5df595f37a3c2ad8d6858a9e510034fd6c92d5bcff88cbfdcaa",
};

/** Folder outside the clone where the jars and the launcher are kept, keyed by version. */
export function testServerDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.OBSERVATORY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "cambodia-ai-observatory");
  return path.join(base, "temporal-test-server", `v${testServerVersion}`);
}

async function sha256(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}

/** Names each jar of `lib` that is missing, unexpected or has other bytes than pinned; empty when all match. */
export async function jarProblems(lib: string, pinned: Readonly<Record<string, string>> = testServerJars): Promise<string[]> {
  const present = (await fs.readdir(lib).catch(() => [] as string[])).filter((f) => f.endsWith(".jar"));
  const problems = present.filter((f) => !(f in pinned)).map((f) => `${f} is not pinned`);
  for (const [jar, hash] of Object.entries(pinned)) {
    if (!present.includes(jar)) problems.push(`${jar} is missing`);
    else if ((await sha256(path.join(lib, jar))) !== hash) problems.push(`${jar} does not have the pinned sha256`);
  }
  return problems;
}

const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>observatory</groupId><artifactId>temporal-test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${testServerVersion}</version></dependency>
  </dependencies>
</project>
`;

/** Has Maven copy the test server and its dependencies into `lib` (needs Maven Central; about a minute the first time). */
async function resolveWithMaven(lib: string): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "temporal-test-server-"));
  try {
    await fs.writeFile(path.join(work, "pom.xml"), pom);
    await run("mvn", ["-q", "-B", "-f", path.join(work, "pom.xml"), "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], { maxBuffer: 16 << 20 });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * The path of an executable that starts the test server as the SDK expects (`<path> <port>`), for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: "existing-path", path } } })`.
 */
export async function provisionTestServer(env: Record<string, string | undefined> = process.env): Promise<string> {
  const dir = testServerDir(env);
  const lib = path.join(dir, "lib");
  const launcher = path.join(dir, "test-server");
  if ((await jarProblems(lib)).length > 0) {
    const fresh = `${lib}.new-${process.pid}`;
    await fs.rm(fresh, { recursive: true, force: true });
    await resolveWithMaven(fresh);
    const problems = await jarProblems(fresh);
    if (problems.length > 0) {
      await fs.rm(fresh, { recursive: true, force: true });
      throw new Error(`temporal test server ${testServerVersion}: refusing what Maven resolved: ${problems.join("; ")}`);
    }
    await fs.rm(lib, { recursive: true, force: true });
    await fs.rename(fresh, lib);
  }
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, "bin", "java") : "java";
  const command = `exec ${JSON.stringify(java)} -cp ${JSON.stringify(path.join(lib, "*"))} io.temporal.testserver.TestServer "$@"`;
  await fs.writeFile(launcher, `#!/bin/sh\n${command}\n`, { mode: 0o755 });
  return launcher;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await provisionTestServer()}\n`);
}
