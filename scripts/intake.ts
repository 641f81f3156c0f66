// `npm run intake`: the public incident intake on OBSERVATORY_INTAKE_HOST:PORT (default 127.0.0.1:8341),
// to be put behind the deployer's reverse proxy at OBSERVATORY_INTAKE_URL. Its own process: it holds no
// analyst credential and never opens the warehouse; it stores reports and starts their reviews.
import path from "node:path";
import { loadProvinces } from "../activities/intake.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";
import { startIntake } from "./lib/intake-server.js";
import { connectReviewClient } from "./lib/review-client.js";

commandLine("intake", {
  usage: `Usage: npm run intake
  The public incident intake on OBSERVATORY_INTAKE_HOST:PORT (default 127.0.0.1:8341), for a reverse proxy at OBSERVATORY_INTAKE_URL.`,
});

const config = loadConfig();
const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
const client = await connectReviewClient(config).catch((error: unknown) => {
  console.error(`intake: cannot reach Temporal at ${address} (${error instanceof Error ? error.message : String(error)}); start it with npm start -- --keep-running, or set TEMPORAL_ADDRESS`);
  process.exit(1);
});
try {
  const provinces = await loadProvinces(path.join(projectRoot, "sources", "provinces.yaml"));
  const running = await startIntake({ client, config, provinces });
  console.error(`Incident intake on ${running.url}/report${config.intake.url ? ` (public at ${config.intake.url})` : " (OBSERVATORY_INTAKE_URL is unset: the site shows no form)"}; Ctrl-C to stop.`);
  const stop = () => {
    void running.close().then(() => client.connection.close()).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`intake: ${error instanceof Error ? error.message : String(error)}`);
  await client.connection.close();
  process.exit(2);
}
