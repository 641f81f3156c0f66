// The site's routes that are not files of src/: a progress report per quarter (listed from the export's
// build date) and the Khmer twin of every page. Read by the Framework config (the sidebar and its dynamic
// paths) and by the site build, which writes the Khmer twins ahead of Framework (activities/site-build.ts).
import { reportQuarters } from "./report-quarters.js";

/** The sidebar's pages, in order, each with its catalogue title key ("title.indicators"). */
export const sidebarPages = [
  "/indicators",
  "/strategy",
  "/governance",
  "/incidents",
  "/report",
  "/report-status",
  "/publications",
  "/use-cases",
  "/news",
  "/reports/",
  "/open-data",
  "/methodology",
];

/** Every page that is not a quarterly report; the Khmer edition has a twin of each. */
export const khmerTwins = ["/", ...sidebarPages, "/reports/end-2026", "/reports/end-2028"];

/** The routes Framework builds from parameterised pages: the reports' quarters, then every Khmer twin. */
export function dynamicPaths(exportsDir) {
  const quarters = reportQuarters(exportsDir).map((q) => `/reports/${q}`);
  return [...quarters, ...khmerTwins.map((p) => `/km${p}`), ...quarters.map((p) => `/km${p}`)];
}
