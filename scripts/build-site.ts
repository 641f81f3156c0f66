// `npm run site:build`: rebuild site/dist from the current exports without running the pipeline.
import { createActivities } from "../activities/index.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";

commandLine("site:build", {
  usage: `Usage: npm run site:build
  Rebuilds site/dist (or OBSERVATORY_SITE_OUTPUT) from the current exports, without running the pipeline.`,
});

const result = await createActivities({ config: loadConfig(), projectRoot }).buildSite();
console.log(`Built ${result.dir} in ${result.seconds.toFixed(1)} s`);
