// `npm run temporal:provision`: find or obtain the Temporal CLI and print its path (used by .ci/run).
import { provisionTemporalCli } from "./lib/provision-temporal.js";

try {
  const result = await provisionTemporalCli();
  console.log(result.path);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
