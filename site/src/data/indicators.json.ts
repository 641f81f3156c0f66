// The indicators page: every indicator the export holds, as lib/indicators.ts reads them.
import { emit } from "./lib/exports.js";
import { readIndicators } from "./lib/indicators.js";

emit("indicators", await readIndicators(), ["indicators", "latest", "series"]);
