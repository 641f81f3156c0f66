// The Khmer twin of a top-level page: see khmer-page.js.
import { parseArgs } from "node:util";
import { khmerPage } from "./khmer-page.js";

const { values } = parseArgs({ options: { page: { type: "string" } } });
process.stdout.write(khmerPage(values.page));
