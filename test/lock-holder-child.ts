// Child process for test/faults/run-lock.test.ts: takes the data folder's run lock as `npm start` does,
// says so on stdout, and holds it until it is killed.
import { acquireRunLock } from "../scripts/lib/run-lock.js";

await acquireRunLock(process.argv[2]);
process.stdout.write("locked\n");
setInterval(() => undefined, 60_000);
