// The quarters that have a progress report page: every quarter from the strategy's first up to the one in
// which the exported data was built. Read by the Framework config (the report routes) and by the site build
// (which runs those reports' data loaders ahead of Framework).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { quartersUntil } from "./src/components/quarters.js";

/** The day the export in `exportsDir` was built (datapackage.json's `created`); today when there is none. */
export function dataBuiltOn(exportsDir) {
  const file = path.join(exportsDir, "datapackage.json");
  if (!existsSync(file)) return new Date().toISOString().slice(0, 10); // the loaders fail the build anyway
  return String(JSON.parse(readFileSync(file, "utf8")).created).slice(0, 10);
}

/** "2025-Q1", "2025-Q2", … up to the quarter of the export's build date. */
export function reportQuarters(exportsDir) {
  return quartersUntil(dataBuiltOn(exportsDir));
}
