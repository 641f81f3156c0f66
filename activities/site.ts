// The site activity: the Observable Framework site rebuilt from the current exports (the build itself,
// in a working copy swapped in whole, is activities/site-build.ts).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { ObservatoryConfig } from "../temporal.config.js";
import { SITE_INPUTS } from "../warehouse/export.js";
import type { ActivityEnv } from "./env.js";
import { retryable } from "./failures.js";
import { heartbeat, withHeartbeats } from "./heartbeat.js";
import { buildSite, SiteBuildError } from "./site-build.js";

export interface SiteResult {
  dir: string;
  seconds: number;
}

// Besides the export, what a build's pages are made from: the Framework project, the modules and files the
// loaders read (sources/, warehouse/), the installed packages and the settings the pages read.
const codeFolders = ["sources", "warehouse"];

/**
 * What a site build is made from, as one digest: the export's site inputs (ExportResult.siteInputs) and
 * everything else the pages depend on, so a deploy that changes a page or a loader builds again even when
 * the data did not change. Recorded in the built site as SITE_INPUTS.
 */
export async function siteBuildKey(config: ObservatoryConfig, projectRoot: string, siteInputs: string): Promise<string> {
  const hash = createHash("sha256").update(`${siteInputs}\n${config.intake.url ?? ""}\n`);
  const dist = path.resolve(config.paths.siteOutput);
  const folders = [config.paths.site, ...codeFolders.map((f) => path.join(projectRoot, f))];
  for (const folder of folders) {
    const files = (await fs.readdir(folder, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name))
      // Build output and Framework's cache (dot folders) are not inputs.
      .filter(
        (f) =>
          !f.startsWith(`${dist}${path.sep}`) &&
          !path
            .relative(folder, f)
            .split(path.sep)
            .some((p) => p.startsWith(".") || p === "dist"),
      )
      .sort();
    for (const file of files) hash.update(`${path.relative(projectRoot, file)}\0`).update(await fs.readFile(file));
  }
  hash.update(await fs.readFile(path.join(projectRoot, "package-lock.json")));
  return hash.digest("hex");
}

export function createSiteActivities(env: ActivityEnv) {
  const { config, projectRoot } = env;
  return {
    /** Builds the site from the current exports: a build that fails leaves the last good site published. */
    async buildSite(): Promise<SiteResult> {
      return withHeartbeats(async () => {
        // Read before the build: should the export change while Framework runs, the site records the older
        // inputs and the next run builds again, never the reverse.
        const inputs = await fs.readFile(path.join(config.paths.exports, SITE_INPUTS), "utf8").catch(() => undefined);
        const key = inputs ? await siteBuildKey(config, projectRoot, inputs.trim()) : undefined;
        try {
          const built = await buildSite({
            siteDir: config.paths.site,
            output: config.paths.siteOutput,
            exportsDir: config.paths.exports,
            projectRoot,
            moduleCacheDir: config.paths.siteModuleCache,
            // The report page has a form only when the intake has a public URL.
            env: { OBSERVATORY_INTAKE_URL: config.intake.url ?? "" },
            onOutput: () => heartbeat(),
          });
          // What the site now shows, so the next export can tell whether a build would change it (activities/export.ts).
          if (key) await fs.writeFile(path.join(built.dir, SITE_INPUTS), `${key}\n`);
          return built;
        } catch (error) {
          if (!(error instanceof SiteBuildError)) throw error;
          const last =
            error.output
              .split("\n")
              .map((l) => l.trim())
              .filter(Boolean)
              .at(-1) ?? "";
          throw retryable(
            "SiteBuildFailed",
            `site build failed (${error.reason}): ${last.slice(0, 300)}; the last good site stays in ${config.paths.siteOutput}\n${error.message}`,
          );
        }
      });
    },
  };
}
