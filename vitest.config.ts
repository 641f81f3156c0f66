import { defineConfig } from "vitest/config";

/**
 * Options every project shares. The reporters are the run's, not a project's: the summary reporter sees the
 * test modules of every project and its working-tree guard fingerprints data/ and site/dist/ once per run.
 */
// A test's time limit catches a hang, not slowness: on two shared cores a warehouse export test has taken
// 32 s while other work ran, so the limit leaves room (speed targets live in npm run bench).
// Every project names the global setup (one shared folder for the run: test/global-setup.ts).
const shared = { testTimeout: 120_000, hookTimeout: 600_000, env: { TZ: "UTC" }, globalSetup: ["./test/global-setup.ts"] };

/**
 * A project whose files start a Temporal server, build the site or drive Chromium. Such a file mostly waits
 * (on the server, on Framework's child processes, on Chromium), so three of them share the two cores with each
 * other and with the unit tests: every project is in one group and the run keeps three files going at a time
 * (measured 2026-12-04: 229 s with three against 240–251 s with two).
 */
const heavy = (name: string) => ({
  extends: true as const,
  test: { ...shared, name, include: [`test/${name}/**/*.test.ts`], sequence: { groupOrder: 0 } },
});

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    maxWorkers: 3,
    projects: [
      // Unit tests own their temp folders and in-memory servers: their files run in parallel, three at a time
      // (vitest's default is one worker fewer than the cores, which on two cores is one: no parallelism at all).
      // They mock no module and set no environment variable, so the files of one worker share its imported
      // modules (isolate: false) instead of importing DuckDB, cheerio and the rest again for each file.
      {
        extends: true,
        test: { ...shared, name: "unit", include: ["test/unit/**/*.test.ts"], maxWorkers: 3, isolate: false, sequence: { groupOrder: 0 } },
      },
      heavy("integration"),
      heavy("browser"),
      heavy("faults"),
    ],
  },
});
