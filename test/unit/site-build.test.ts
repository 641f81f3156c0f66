import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
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

describe("The Khmer pages the site build writes ahead of Framework", () => {
  it("are what each Khmer route's page loader prints, for every page and every quarter of the export", async () => {
    // An export built on 2025-08-01 has reports for 2025-Q1 to 2025-Q3.
    await fs.writeFile(path.join(temp.dir(), "datapackage.json"), JSON.stringify({ created: "2025-08-01T00:00:00Z", resources: [] }));
    const site = path.join(repoRoot, "site");
    const { dynamicPaths } = (await import(pathToFileURL(path.join(site, "routes.js")).href)) as { dynamicPaths: (d: string) => string[] };
    const { khmerPage, khmerPageOf } = (await import(pathToFileURL(path.join(site, "src", "km", "khmer-page.js")).href)) as {
      khmerPage: (page: string) => string;
      khmerPageOf: (route: string) => string;
    };
    const routes = dynamicPaths(temp.dir()).filter((r) => r.startsWith("/km/"));
    expect(routes).toContain("/km/");
    expect(routes).toContain("/km/reports/");
    expect(routes.filter((r) => /^\/km\/reports\/\d{4}-Q\d$/.test(r))).toEqual([
      "/km/reports/2025-Q1",
      "/km/reports/2025-Q2",
      "/km/reports/2025-Q3",
    ]);
    for (const route of routes) {
      const page = khmerPageOf(route);
      // The page loader Framework would run for the route, with the parameter it would pass.
      const [loader, arg] = page.startsWith("reports/")
        ? ["reports/[quarter].md.js", `--quarter=${page.slice("reports/".length)}`]
        : ["[page].md.js", `--page=${page}`];
      const printed = spawnSync(process.execPath, [path.join(site, "src", "km", loader), arg], { encoding: "utf8" });
      expect(printed.status, `${route}: ${printed.stderr}`).toBe(0);
      expect(khmerPage(page), route).toBe(printed.stdout);
    }
    expect(routes.map(khmerPageOf).slice(0, 3)).toEqual(["index", "indicators", "strategy"]);
  });
});
