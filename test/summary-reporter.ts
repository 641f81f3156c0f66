// Prints one plain closing line, "tests: N passed, N failed, N skipped", after vitest's own report,
// so a CI log can be read for counts without parsing ANSI output. It also fails the run when a test
// changed the working tree's data/ or site/dist/ (test/working-tree-guard.ts), counting that as a failure.
import type { Reporter, TestModule } from "vitest/node";
import { guardWorkingTree } from "./working-tree-guard.js";

export default class SummaryReporter implements Reporter {
  private check: Promise<() => Promise<string[]>> | undefined;

  onInit(): void {
    this.check = guardWorkingTree();
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A suite whose setup failed leaves its tests skipped; count the suite itself as a failure.
      if (module.state() === "failed" && ![...module.children.allTests()].some((t) => t.result().state === "failed")) failed++;
    }
    const changed = this.check ? await (await this.check)() : [];
    if (changed.length > 0) {
      failed++;
      process.exitCode = 1;
      process.stderr.write(
        `\nFAIL the tests changed the working tree's ${changed.join(" and ")}: a test wrote outside its temporary folder\n`,
      );
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
