// `npm run worker`: one worker on the configured cluster (TEMPORAL_ADDRESS, default 127.0.0.1:7233).
// Run as many as needed; Ctrl-C drains and stops it.
import { loadConfig } from "../temporal.config.js";
import { createObservatoryWorker, installRuntime } from "../worker/index.js";
import { commandLine } from "./lib/cli.js";
import { connectWorker } from "./lib/temporal-runtime.js";

commandLine("worker", {
  usage: `Usage: npm run worker
  One worker on the configured cluster (TEMPORAL_ADDRESS, default 127.0.0.1:7233); Ctrl-C drains and stops it.`,
});
const config = loadConfig();
installRuntime();
const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
const connection = await connectWorker({ address, apiKey: config.temporal.apiKey, tls: config.temporal.tls });
const worker = await createObservatoryWorker(connection, config);
console.error(
  `Worker polling task queue "${config.temporal.taskQueue}" on ${address} (namespace ${config.temporal.namespace}); Ctrl-C to stop.`,
);
await worker.run();
await connection.close();
