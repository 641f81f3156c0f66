// `npm start`: the main job. With no TEMPORAL_ADDRESS it provisions and starts a local Temporal dev
// server, runs a worker and the whole pipeline once, builds the site, and stops what it started.
// Flags: --offline (replay the bundled snapshot), --reparse (parse unchanged sources again), --no-site,
// --no-worker (a cluster with its own workers), --keep-running (after the run, keep the dev server and the
// worker up so analysts can review with `npm run review` / `npm run console`; Ctrl-C stops them).
import path from "node:path";
import { commandLine } from "./lib/cli.js";
import type { DevServer } from "./lib/temporal-runtime.js";

const { values: flags } = commandLine("npm start", {
  usage: `Usage: npm start [-- FLAGS]
  --offline        replay the bundled snapshot and the archive, no network
  --reparse        parse sources again even when their bytes are the ones last loaded
  --no-site        do not rebuild the site after the export
  --no-worker      start no worker (a cluster with its own workers)
  --keep-running   after the run, keep the dev server and the worker up for reviews (Ctrl-C stops them)`,
  options: {
    offline: { type: "boolean" },
    reparse: { type: "boolean" },
    "no-site": { type: "boolean" },
    "no-worker": { type: "boolean" },
    "keep-running": { type: "boolean" },
  },
});

// The rest is loaded only once the command line is known good: --help and a mistyped flag answer at once,
// without loading Temporal's native worker and DuckDB.
const { loadConfig } = await import("../temporal.config.js");
const { provisionTemporalCli } = await import("./lib/provision-temporal.js");
const { acquireRunLock } = await import("./lib/run-lock.js");
const { createObservatoryWorker, installRuntime } = await import("../worker/index.js");
const { formatSummary, runKeyFor, runPipeline } = await import("./lib/pipeline-runner.js");
const { connectClient, connectWorker, startDevServer } = await import("./lib/temporal-runtime.js");

const config = loadConfig();
installRuntime();
const cleanups: Array<() => Promise<void>> = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(`while stopping: ${String(e)}`));
  }
  process.exit(code);
}

process.on("SIGINT", () => {
  console.error("\nInterrupted: stopping the worker and the dev server…");
  void stopAll(130);
});
process.on("SIGTERM", () => void stopAll(143));

async function main(): Promise<void> {
  const started = performance.now();
  // Before anything is started: a second `npm start` on this data folder stops here, with who holds it.
  const lock = await acquireRunLock(config.paths.dataDir);
  cleanups.push(() => lock.release());
  let address = config.temporal.address;
  let devServer: DevServer | undefined;
  if (!address) {
    const cli = await provisionTemporalCli();
    devServer = await startDevServer(cli.path, config.devServer, config.temporal.namespace);
    cleanups.push(() => devServer!.stop());
    address = devServer.address;
    console.error(`Temporal UI: ${devServer.uiUrl}`);
  } else {
    console.error(`Using Temporal at ${address} (namespace ${config.temporal.namespace}); starting no server.`);
  }
  const target = { address, apiKey: config.temporal.apiKey, tls: config.temporal.tls };
  const client = await connectClient(target, config.temporal.namespace);
  cleanups.push(() => client.connection.close());

  let workerRun: Promise<void> | undefined;
  if (!flags["no-worker"]) {
    const connection = await connectWorker(target);
    const worker = await createObservatoryWorker(connection, config);
    workerRun = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === "RUNNING") worker.shutdown();
      await workerRun;
      await connection.close();
    });
  }

  const runKey = runKeyFor(new Date());
  console.error(`Running pipeline/${runKey}${flags.offline ? " (offline: bundled snapshot)" : ""}…`);
  const summary = await runPipeline(client, config, {
    runKey,
    offline: flags.offline === true,
    reparse: flags.reparse === true,
    buildSite: !flags["no-site"],
  });
  console.log(formatSummary(summary));
  console.log(`\nWarehouse: ${path.relative(process.cwd(), config.paths.warehouse)}`);
  if (summary.exportDir) {
    console.log(
      `Exports:   ${path.relative(process.cwd(), summary.exportDir)} (${Object.keys(summary.exportedTables).length} Parquet tables + datapackage.json)`,
    );
  } else {
    const why = summary.exportError ? "the export failed" : "quality checks failed";
    console.log(`Exports:   not updated (${why}); ${path.relative(process.cwd(), config.paths.exports)} still holds the previous export`);
  }
  if (summary.siteDir) {
    console.log(
      `Site:      ${path.relative(process.cwd(), summary.siteDir)}/index.html (built in ${summary.siteSeconds?.toFixed(1)} s; \`npm run ` +
        `site:preview\` serves it)`,
    );
  } else if (summary.siteUnchanged) {
    console.log(`Site:      not rebuilt: ${path.relative(process.cwd(), config.paths.siteOutput)} already shows what this export holds`);
  }
  if (devServer)
    console.log(`Temporal UI was at ${devServer.uiUrl} (history kept in ${path.relative(process.cwd(), config.devServer.dbFile)})`);
  console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  if (flags["keep-running"]) {
    console.log(
      `Keeping the Temporal server and the worker running for reviews (Ctrl-C stops them): npm run review -- list, npm run console, ` +
        `then npm run review -- publish and npm run site:build.`,
    );
    return;
  }
  await stopAll(summary.partial ? 1 : 0);
}

main().catch(async (error) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
});
