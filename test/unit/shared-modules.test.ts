// The unit project runs its files without isolation (vitest.config.ts: the files of one worker share their
// imported modules). That holds only while no unit file changes what another would import or read: no
// module mock, no environment variable set, no fake clock left on the global timers, no change of folder.
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers.js";

const forbidden: Array<[string, RegExp]> = [
  ["a module mock", /\bvi\.(?:mock|doMock|stubGlobal|stubEnv)\(/],
  ["an environment variable set", /\bprocess\.env(?:\.\w+|\[[^\]]+\])\s*=(?!=)|\bdelete\s+process\.env\b/],
  ["fake timers", /\bvi\.useFakeTimers\(/],
  ["a change of folder", /\bprocess\.chdir\(/],
];

describe("Unit files sharing their modules", () => {
  it("change nothing another file would import or read", async () => {
    const dir = path.join(repoRoot, "test", "unit");
    const found: string[] = [];
    for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith(".ts") && n !== "shared-modules.test.ts")) {
      const text = await fs.readFile(path.join(dir, name), "utf8");
      for (const [what, pattern] of forbidden) if (pattern.test(text)) found.push(`${name}: ${what}`);
    }
    expect(found).toEqual([]);
  });

  it("would see each of those", () => {
    const samples = [
      'vi.mock("x")',
      "process.env.TZ = 'UTC'",
      'process.env["A"] = "1"',
      "delete process.env.A",
      "vi.useFakeTimers()",
      "process.chdir(d)",
    ];
    expect(samples.map((s) => forbidden.some(([, p]) => p.test(s)))).toEqual(samples.map(() => true));
    expect(forbidden.some(([, p]) => p.test('if (process.env.CI === "true") {}'))).toBe(false);
  });
});
