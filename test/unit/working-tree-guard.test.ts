import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { guardWorkingTree } from "../working-tree-guard.js";

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "observatory-guard-"));
  await fs.mkdir(path.join(root, "data", "exports"), { recursive: true });
  await fs.writeFile(path.join(root, "data", "exports", "a.csv"), "x\n1\n");
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe("The working-tree guard", () => {
  it("sees nothing when the guarded folders are left alone, even when other folders change", async () => {
    const check = await guardWorkingTree(root);
    await fs.writeFile(path.join(root, "elsewhere.txt"), "fine");
    expect(await check()).toEqual([]);
  });

  it("names data/ when a file there is added, rewritten or removed", async () => {
    const added = await guardWorkingTree(root);
    await fs.writeFile(path.join(root, "data", "probe.txt"), "x");
    expect(await added()).toEqual(["data/ (1 files before, 2 after)"]);

    const rewritten = await guardWorkingTree(root);
    await fs.writeFile(path.join(root, "data", "exports", "a.csv"), "x\n2\n3\n");
    expect(await rewritten()).toEqual(["data/ (2 files before, 2 after)"]);

    const removed = await guardWorkingTree(root);
    await fs.rm(path.join(root, "data", "probe.txt"));
    expect(await removed()).toEqual(["data/ (2 files before, 1 after)"]);
  });

  it("names site/dist/ when a build appears where there was none", async () => {
    const check = await guardWorkingTree(root);
    await fs.mkdir(path.join(root, "site", "dist"), { recursive: true });
    await fs.writeFile(path.join(root, "site", "dist", "index.html"), "<p>fake</p>");
    expect(await check()).toEqual(["site/dist/ (0 files before, 1 after)"]);
  });
});
