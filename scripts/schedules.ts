// `npm run schedules -- apply|list|pause|unpause [schedule-id ...]`: the registry's cadences as Temporal
// Schedules on the configured cluster (TEMPORAL_ADDRESS, default the local dev server's address).
import path from "node:path";
import { loadRegistry } from "../sources/registry.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";
import { applySchedules, describeSchedules, planSchedules, setPaused } from "./lib/schedules.js";
import { connectClient } from "./lib/temporal-runtime.js";

const usage = "Usage: npm run schedules -- apply | list | pause [id ...] | unpause [id ...]";
const [command, ...ids] = commandLine("schedules", { usage, positionals: true }).positionals;
if (!["apply", "list", "pause", "unpause"].includes(command ?? "")) {
  console.error(usage);
  process.exit(2);
}

const config = loadConfig();
const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
let client;
try {
  client = await connectClient({ address, apiKey: config.temporal.apiKey, tls: config.temporal.tls }, config.temporal.namespace);
} catch (error) {
  console.error(`Cannot reach Temporal at ${address}: ${(error as Error).message}. Start a server (or set TEMPORAL_ADDRESS) first.`);
  process.exit(1);
}
try {
  if (command === "apply") {
    const plans = planSchedules(await loadRegistry(path.join(projectRoot, "sources", "registry.yaml")), config);
    for (const o of await applySchedules(client, plans, config)) {
      const plan = plans.find((p) => p.scheduleId === o.scheduleId);
      console.log(
        `${o.action.padEnd(8)} ${o.scheduleId}${plan ? `  ${plan.cron} (${config.schedules.timezone})  ${plan.sources.join(", ")}` : ""}`,
      );
    }
  } else if (command === "list") {
    const all = await describeSchedules(client);
    if (all.length === 0) console.log("No observatory schedules. `npm run schedules -- apply` creates them.");
    for (const s of all) {
      console.log(
        `${s.scheduleId}  ${s.paused ? "PAUSED" : "active"}  next ${s.nextRun ?? "-"}  sources: ${s.sources}${s.note ? `  (${s.note})` : ""}`,
      );
    }
  } else {
    const done = await setPaused(client, command === "pause", ids, `${command}d from the command line`);
    console.log(`${command}d: ${done.join(", ") || "nothing (no observatory schedules)"}`);
  }
} finally {
  await client.connection.close();
}
