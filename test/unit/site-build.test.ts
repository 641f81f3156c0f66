import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { frameworkClientLibraries, seedClientLibraries } from "../../activities/site-build.js";
import { repoRoot, withTempWarehouse } from "../helpers.js";

/** A fresh folder per test (removed after it); the warehouse and stages live in it. */
const temp = withTempWarehouse("observatory-site-build-");

describe("The site build's pinned client libraries", () => {
  it("gives every library Framework's client names a version: the installed one, else the pin", async () => {
    const named = await frameworkClientLibraries(repoRoot);
    expect(named).toEqual(expect.arrayContaining(["react-dom", "d3", "htl", "@duckdb/duckdb-wasm", "apache-arrow"]));
    const src = path.join(temp.dir(), "src");
    const chosen = await seedClientLibraries(repoRoot, path.join(repoRoot, "site"), src);
    expect(Object.keys(chosen).sort()).toEqual(named);
    const installed = JSON.parse(await fs.readFile(path.join(repoRoot, "node_modules", "d3", "package.json"), "utf8")).version;
    expect(chosen.d3).toBe(installed);
    const pins = JSON.parse(await fs.readFile(path.join(repoRoot, "site", "client-libraries.json"), "utf8")).versions;
    expect(chosen["react-dom"]).toBe(pins["react-dom"]);
    // Framework reads a library's version from the name of its cache folder.
    await expect(fs.stat(path.join(src, ".observablehq", "cache", "_npm", `react-dom@${pins["react-dom"]}`))).resolves.toBeTruthy();
    await expect(
      fs.stat(path.join(src, ".observablehq", "cache", "_npm", "@duckdb", `duckdb-wasm@${chosen["@duckdb/duckdb-wasm"]}`)),
    ).resolves.toBeTruthy();
  });

  it("fails naming the library when Framework names one that is neither installed nor pinned", async () => {
    const site = path.join(temp.dir(), "site");
    await fs.mkdir(site);
    await fs.writeFile(path.join(site, "client-libraries.json"), JSON.stringify({ versions: { "react-dom": "19.3.1" } }));
    const seeding = seedClientLibraries(repoRoot, site, path.join(temp.dir(), "src"));
    await expect(seeding).rejects.toThrow(/npm:leaflet.*neither installed nor pinned in site\/client-libraries\.json/);
  });
});
