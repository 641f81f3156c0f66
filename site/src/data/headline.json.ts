// The overview's headline figures: Cambodia's latest value of each indicator the indicators page shows, with
// the Cambodian series its sparkline draws. Not the whole indicators file: the peers' series are most of it.
import { emit } from "./lib/exports.js";
import { readHeadline } from "./lib/indicators.js";

emit("headline", await readHeadline(), ["latest", "series"]);
