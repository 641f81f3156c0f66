// scripts/lib/cli.ts: how every script reads its command line (node:util parseArgs, strict, with --help).
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../../scripts/lib/cli.js";
import { repoRoot } from "../helpers.js";

const run = promisify(execFile);

const reviewLike = {
  usage: "Usage: review <command>",
  options: { reason: { type: "string" }, value: { type: "string" }, all: { type: "boolean" } },
  positionals: true,
} as const;

function usageErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("no usage error");
}

describe("parseCommandLine", () => {
  it("reads declared flags (--name value and --name=value), booleans and positionals", () => {
    const { values, positionals } = parseCommandLine(["approve", "RAM.GERD", "--reason", "page 31", "--value=0.09", "--all"], reviewLike);
    expect(positionals).toEqual(["approve", "RAM.GERD"]);
    expect(values).toEqual({ reason: "page 31", value: "0.09", all: true });
  });

  it("binds a negative figure to a string flag without an equals sign, as the scripts always did", () => {
    expect(parseCommandLine(["edit", "x", "--value", "-3.5", "--reason", "r"], reviewLike).values).toEqual({ value: "-3.5", reason: "r" });
    expect(parseCommandLine(["--", "--value", "-3"], reviewLike).positionals).toEqual(["--value", "-3"]);
  });

  it("refuses an unknown flag, naming it", () => {
    expect(usageErrorOf(() => parseCommandLine(["list", "--kindd", "incident"], reviewLike))).toBe("unknown option --kindd");
  });

  it("refuses a string flag with no value", () => {
    expect(usageErrorOf(() => parseCommandLine(["approve", "x", "--reason"], reviewLike))).toMatch(/--reason/);
  });

  it("refuses an argument that is not a flag when the script takes none", () => {
    expect(usageErrorOf(() => parseCommandLine(["--offline", "now"], { usage: "u", options: { offline: { type: "boolean" } } }))).toBe(
      'unexpected argument "now"',
    );
  });

  it("gives --help and -h to every script", () => {
    expect(parseCommandLine(["--help"], { usage: "u" }).values.help).toBe(true);
    expect(parseCommandLine(["-h"], { usage: "u" }).values.help).toBe(true);
    expect(parseCommandLine([], { usage: "u" }).values.help).toBeUndefined();
  });
});

describe("the scripts", () => {
  it("each read their command line through parseArgs, none from process.argv by hand", async () => {
    const dir = path.join(repoRoot, "scripts");
    const hand: string[] = [];
    for (const file of (await fs.readdir(dir)).filter((f) => f.endsWith(".ts"))) {
      const text = await fs.readFile(path.join(dir, file), "utf8");
      const usesParseArgs = text.includes("commandLine(") || /import \{ parseArgs \} from "node:util"/.test(text);
      if (!usesParseArgs || text.includes("process.argv")) hand.push(file);
    }
    expect(hand).toEqual([]);
  });

  it("npm start prints its usage on --help and refuses an unknown flag with exit code 2, before starting anything", async () => {
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const help = await run(tsx, ["scripts/start.ts", "--help"], { cwd: repoRoot });
    for (const flag of ["--offline", "--reparse", "--no-site", "--no-worker", "--keep-running"]) expect(help.stdout).toContain(flag);
    const bad = await run(tsx, ["scripts/start.ts", "--offlne"], { cwd: repoRoot }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("npm start: unknown option --offlne") });
  }, 60_000);
});
