// `npm run console`: the local analyst console on loopback (OBSERVATORY_CONSOLE_HOST/PORT, default
// 127.0.0.1:8340), where each analyst signs in with their own account (npm run analysts). It talks to the configured Temporal cluster;
// a worker (npm run worker, or npm start) records the decisions. Ctrl-C stops it.
import { AnalystStore } from "../activities/analysts.js";
import { loadConfig } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";
import { startConsole } from "./lib/console-server.js";
import { connectOrExit, serveUntilSignal } from "./lib/serve.js";

commandLine("console", {
  usage: `Usage: npm run console
  The analyst console on OBSERVATORY_CONSOLE_HOST:PORT (default 127.0.0.1:8340); needs an analyst account (npm run analysts).`,
});

const config = loadConfig();
const analysts = new AnalystStore(config.analysts.file);
if ((await analysts.list()).length === 0) {
  console.error(
    `No analyst accounts in ${config.analysts.file}: the console signs in named analysts only.\n  npm run analysts -- add NAME   (the first ` +
      `account is an editor; it prints the token once)`,
  );
  process.exit(2);
}
const client = await connectOrExit("console", config);
await serveUntilSignal(
  "console",
  client,
  () =>
    startConsole({
      client,
      analysts,
      host: config.console.host,
      port: config.console.port,
      allowedHosts: config.console.publicHost ? [config.console.publicHost] : undefined,
      auditLog: config.analysts.auditLog,
      archiveDir: config.paths.archive,
    }),
  (running) => `Analyst console on ${running.url}/ (sign in with your analyst name and token); Ctrl-C to stop.`,
);
