// `npm run intake`: the public incident intake on OBSERVATORY_INTAKE_HOST:PORT (default 127.0.0.1:8341),
// to be put behind the deployer's reverse proxy at OBSERVATORY_INTAKE_URL. Its own process: it holds no
// analyst credential and never opens the warehouse; it stores reports and starts their reviews.
import path from "node:path";
import { loadProvinces } from "../activities/intake.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";
import { startIntake } from "./lib/intake-server.js";
import { connectOrExit, serveUntilSignal } from "./lib/serve.js";

commandLine("intake", {
  usage: `Usage: npm run intake
  The public incident intake on OBSERVATORY_INTAKE_HOST:PORT (default 127.0.0.1:8341), for a reverse proxy at OBSERVATORY_INTAKE_URL.`,
});

const config = loadConfig();
const client = await connectOrExit("intake", config);
await serveUntilSignal(
  "intake",
  client,
  async () => startIntake({ client, config, provinces: await loadProvinces(path.join(projectRoot, "sources", "provinces.yaml")) }),
  (running) => {
    const form = config.intake.url ? ` (public at ${config.intake.url})` : " (OBSERVATORY_INTAKE_URL is unset: the site shows no form)";
    return `Incident intake on ${running.url}/report${form}; Ctrl-C to stop.`;
  },
);
