// `npm run site:preview`: serve the built site (site/dist, or OBSERVATORY_SITE_OUTPUT) on loopback. PORT overrides the port.
import fs from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";
import { serveStatic } from "./lib/static-server.js";

commandLine("site:preview", {
  usage: `Usage: npm run site:preview
  Serves the built site (site/dist, or OBSERVATORY_SITE_OUTPUT) on loopback; PORT sets the port (default 3000).`,
});

const dist = loadConfig().paths.siteOutput;
if (!(await fs.stat(path.join(dist, "index.html")).catch(() => undefined))) {
  console.error(`No built site at ${dist}. Run \`npm start\` (or \`npm run site:build\`) first.`);
  process.exit(1);
}
const { url } = await serveStatic(dist, Number(process.env.PORT ?? 3000));
console.log(`Serving ${dist} at ${url} (Ctrl-C to stop)`);
