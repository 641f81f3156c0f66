// The static checks of `npm test` (types, lint, format) at once rather than one after another: each is one
// process and mostly single-threaded, so on two cores they take the time of the longest instead of the sum.
// Each check's output is printed whole when it ends, under its name; the exit code is 1 if any failed.
import { spawn } from "node:child_process";
import path from "node:path";
import { commandLine } from "./lib/cli.js";

const checks: Array<[name: string, bin: string, args: string[]]> = [
  ["typecheck", "tsc", ["--noEmit"]],
  ["lint", "eslint", ["."]],
  ["format:check", "prettier", ["--check", "."]],
];

commandLine("checks", { usage: "npm run checks: the type check, lint and format check at once (npm test runs it first)" });

const root = path.resolve(import.meta.dirname, "..");
const results = await Promise.all(
  checks.map(
    ([name, bin, args]) =>
      new Promise<{ name: string; code: number | null; output: string; seconds: number }>((resolve, reject) => {
        const started = performance.now();
        const child = spawn(path.join(root, "node_modules", ".bin", bin), args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
          const seconds = (performance.now() - started) / 1000;
          console.log(
            `== ${name} (${bin} ${args.join(" ")}): ${code === 0 ? "passed" : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s`,
          );
          if (output.trim() && (code !== 0 || name !== "format:check")) console.log(output.trimEnd());
          resolve({ name, code, output, seconds });
        });
      }),
  ),
);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) {
  console.error(`static checks failed: ${failed.join(", ")}`);
  process.exit(1);
}
