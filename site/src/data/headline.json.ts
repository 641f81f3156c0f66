// The overview's headline figures: Cambodia's latest value of each indicator the indicators page shows, with
// the Cambodian series its sparkline draws. Not the whole indicators file: the peers' series are most of it.
import { emit } from "./lib/exports.js";
import { readIndicators } from "./lib/indicators.js";

const { as_of, latest, series } = await readIndicators();
emit("headline", { as_of, latest, series: series.filter((d) => d.country_iso3 === "KHM") }, ["latest", "series"]);
