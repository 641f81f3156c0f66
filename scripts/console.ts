// `npm run console`: the local analyst console on loopback (OBSERVATORY_CONSOLE_HOST/PORT, default
// 127.0.0.1:8340), signed in with OBSERVATORY_CONSOLE_TOKEN. It talks to the configured Temporal cluster;
// a worker (npm run worker, or npm start) records the decisions. Ctrl-C stops it.
import { loadConfig } from "../temporal.config.js";
import { startConsole } from "./lib/console-server.js";
import { connectReviewClient } from "./lib/review-client.js";

const config = loadConfig();
if (!config.console.token) {
  console.error("OBSERVATORY_CONSOLE_TOKEN is not set: the console needs a token (at least 16 characters) and does not start without one.\n  e.g. export OBSERVATORY_CONSOLE_TOKEN=$(openssl rand -hex 24)");
  process.exit(2);
}
const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
const client = await connectReviewClient(config).catch((error: unknown) => {
  console.error(`console: cannot reach Temporal at ${address} (${error instanceof Error ? error.message : String(error)}); start it with npm start -- --keep-running, or set TEMPORAL_ADDRESS`);
  process.exit(1);
});
try {
  const running = await startConsole({ client, token: config.console.token, host: config.console.host, port: config.console.port, archiveDir: config.paths.archive });
  console.error(`Analyst console on ${running.url}/ (sign in with OBSERVATORY_CONSOLE_TOKEN); Ctrl-C to stop.`);
  const stop = () => {
    void running.close().then(() => client.connection.close()).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`console: ${error instanceof Error ? error.message : String(error)}`);
  await client.connection.close();
  process.exit(2);
}
