import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Archive, type Capture } from "../../activities/archive.js";
import { repoRoot } from "../helpers.js";

const root = path.join(repoRoot, "sources", "snapshot");

async function captures(): Promise<Capture[]> {
  const out: Capture[] = [];
  for (const dir of await fs.readdir(path.join(root, "captures"))) {
    for (const name of await fs.readdir(path.join(root, "captures", dir))) {
      out.push(JSON.parse(await fs.readFile(path.join(root, "captures", dir, name), "utf8")) as Capture);
    }
  }
  return out;
}

describe("The bundled offline snapshot", () => {
  it("says of every capture who produced it, under which licence, when it was retrieved and how it was made", async () => {
    const all = await captures();
    expect(all.length).toBeGreaterThan(0);
    for (const c of all) {
      expect(c.origin, c.url).toBe("snapshot");
      expect(c.producer, c.url).toMatch(/\S/);
      expect(c.licence, c.url).toMatch(/\S/);
      expect(c.note, c.url).toMatch(/\S/);
      expect(Number.isNaN(Date.parse(c.retrievedAt)), c.url).toBe(false);
      for (const from of c.retrievedFrom ?? []) {
        // A file retrieved from a repository is named at its commit, and the commit is recorded.
        expect(from.url, c.url).toContain(`/blob/${from.commit}/`);
        expect(from.commit, c.url).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });

  it("holds the body of every capture, intact, and no body that no capture uses", async () => {
    const all = await captures();
    const archive = new Archive(root);
    for (const c of all) expect((await archive.read(c.sha256)).byteLength, c.url).toBe(c.bytes);
    const bodies = (await fs.readdir(path.join(root, "bodies"), { recursive: true }))
      .filter((n) => n.endsWith(".gz"))
      .map((n) => path.basename(n, ".gz"));
    expect(new Set(bodies)).toEqual(new Set(all.map((c) => c.sha256)));
  });
});
