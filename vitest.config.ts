import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Integration tests start a Temporal server and build the site; on two cores they run one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 600_000,
    env: { TZ: "UTC" },
  },
});
