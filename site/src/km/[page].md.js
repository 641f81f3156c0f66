// The Khmer twin of a top-level page: see khmer-page.js.
import { parseArgs } from "node:util";
import { printKhmerPage } from "./khmer-page.js";

const { values } = parseArgs({ options: { page: { type: "string" } } });
printKhmerPage(values.page);
