// The Khmer twin of a report page (the index, the achievement reports and each quarter): see khmer-page.js.
import { parseArgs } from "node:util";
import { khmerPage } from "../khmer-page.js";

const { values } = parseArgs({ options: { quarter: { type: "string" } } });
process.stdout.write(khmerPage(`reports/${values.quarter}`));
