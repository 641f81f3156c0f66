// The site activity: the Observable Framework site rebuilt from the current exports (the build itself,
// in a working copy swapped in whole, is activities/site-build.ts).
import type { ActivityEnv } from "./env.js";
import { retryable } from "./failures.js";
import { heartbeat, withHeartbeats } from "./heartbeat.js";
import { buildSite, SiteBuildError } from "./site-build.js";

export interface SiteResult {
  dir: string;
  seconds: number;
}

export function createSiteActivities(env: ActivityEnv) {
  const { config, projectRoot } = env;
  return {
    /** Builds the site from the current exports: a build that fails leaves the last good site published. */
    async buildSite(): Promise<SiteResult> {
      return withHeartbeats(async () => {
        try {
          return await buildSite({
            siteDir: config.paths.site,
            output: config.paths.siteOutput,
            exportsDir: config.paths.exports,
            projectRoot,
            moduleCacheDir: config.paths.siteModuleCache,
            // The report page has a form only when the intake has a public URL.
            env: { OBSERVATORY_INTAKE_URL: config.intake.url ?? "" },
            onOutput: () => heartbeat(),
          });
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
