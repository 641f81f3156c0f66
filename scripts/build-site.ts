// `npm run site:build`: rebuild site/dist from the current exports without running the pipeline.
import { createActivities } from "../activities/index.js";
import { loadConfig, projectRoot } from "../temporal.config.js";

const result = await createActivities({ config: loadConfig(), projectRoot }).buildSite();
console.log(`Built ${result.dir} in ${result.seconds.toFixed(1)} s`);
