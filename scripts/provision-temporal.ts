// `npm run temporal:provision`: find or obtain the Temporal CLI and print its path (used by .ci/run).
import { commandLine } from "./lib/cli.js";
import { provisionTemporalCli } from "./lib/provision-temporal.js";

commandLine("temporal:provision", {
  usage: `Usage: npm run temporal:provision
  Finds or obtains the Temporal CLI (TEMPORAL_CLI uses that one as is) and prints its path.`,
});

try {
  const result = await provisionTemporalCli();
  console.log(result.path);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
