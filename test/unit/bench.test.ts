// `npm run bench -- --quick --json`: the command runs end to end and prints one JSON object whose every
// figure has a value, a target and a verdict. The sizes are smaller still than --quick's: what is checked is
// that every stage runs and reports, which a few hundred rows show as well as thousands. Timings are not checked here (the machine is shared); the
// measurements' counts are, so a stage that handled nothing cannot pass as measured.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers.js";

const run = promisify(execFile);
const smallSizes = ["--observations", "600", "--feed-items", "60", "--derive-sizes", "60,240", "--run-items", "60"];

describe("npm run bench --quick --json", () => {
  it("prints one JSON object: every stage measured in its own process and every figure with its value, target and verdict", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", path.join(repoRoot, "scripts", "bench.ts"), "--quick", "--json", ...smallSizes],
      {
        cwd: repoRoot,
        maxBuffer: 1 << 24,
      },
    );
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]) as {
      data: string;
      mode: string;
      sizes: { observations: number; feedItems: number; deriveSizes: number[]; runItems: number };
      measurements: Record<string, { seconds?: number; count?: number; peakRssMiB?: number; error?: string }>;
      figures: Record<string, { value: number | null; unit: string; target: string; meets: boolean }>;
    };
    expect(result.mode).toBe("quick");
    expect(result.data).toMatch(/generated/);
    const expected = ["rss", "rss-bare", "stage-load", "load-bare", "export", "export-bare", "run"];
    for (const d of ["dense", "sparse"]) for (const n of result.sizes.deriveSizes) expected.push(`derive-${d}-${n}`);
    expect(Object.keys(result.measurements).sort()).toEqual(expected.sort());
    for (const [name, m] of Object.entries(result.measurements)) {
      expect(m.error, name).toBeUndefined();
      expect(m.seconds, name).toBeGreaterThan(0);
      expect(m.peakRssMiB, name).toBeGreaterThan(0);
    }
    expect(result.measurements.rss.count).toBe(result.sizes.feedItems);
    expect(result.measurements["rss-bare"].count).toBe(result.sizes.feedItems);
    expect(result.measurements["stage-load"].count).toBe(result.sizes.observations);
    expect(result.measurements.run.count).toBe(result.sizes.observations + result.sizes.runItems);
    const names = Object.keys(result.figures);
    for (const wanted of [
      /^rss parse/,
      /^stage\+load/,
      /^export/,
      /^unchanged run/,
      /^derive per item growth .* dense$/,
      /^derive per item growth .* sparse$/,
      /^peak RSS run$/,
    ]) {
      expect(
        names.some((n) => wanted.test(n)),
        String(wanted),
      ).toBe(true);
    }
    for (const [name, f] of Object.entries(result.figures)) {
      expect(typeof f.value, name).toBe("number");
      expect(f.target, name).toMatch(/^(≥|≤) [\d.]+$|^—$/);
      expect(typeof f.meets, name).toBe("boolean");
    }
  }, 300_000);
});
