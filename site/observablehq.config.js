// Observable Framework configuration. The site must build and run with no third-party host: no remote
// stylesheets (globalStylesheets: []), a Khmer web font served by the site itself (fonts.js), and every
// library imported from node_modules. The quarterly report routes are listed from the export's build date.
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {fontFaceStyle} from "./fonts.js";
import {quartersUntil} from "./src/components/quarters.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const exportsDir = process.env.OBSERVATORY_EXPORTS_DIR ?? path.resolve(here, "../data/exports");

/** The day the exported data was built; the report pages run up to that day's quarter. */
function dataBuiltOn() {
  const file = path.join(exportsDir, "datapackage.json");
  if (!existsSync(file)) return new Date().toISOString().slice(0, 10); // the loaders fail the build anyway
  return String(JSON.parse(readFileSync(file, "utf8")).created).slice(0, 10);
}

export default {
  root: "src",
  output: "dist",
  title: "Cambodia National AI Observatory",
  // The sidebar's title link is a fixed-height flex row: a Khmer label beside the name wraps into the close
  // button, so the Khmer for "Overview" is on the overview page's heading instead.
  home: "Cambodia National AI Observatory",
  style: "style.css",
  globalStylesheets: [],
  pages: [
    {name: "Indicators · សូចនាករ", path: "/indicators"},
    {name: "Strategy tracker · យុទ្ធសាស្ត្រ", path: "/strategy"},
    {name: "Governance timeline · អភិបាលកិច្ច", path: "/governance"},
    {name: "Incidents · ឧប្បត្តិហេតុ", path: "/incidents"},
    {name: "Report an incident · រាយការណ៍", path: "/report"},
    {name: "Report status · ស្ថានភាព", path: "/report-status"},
    {name: "Publications · ការបោះពុម្ពផ្សាយ", path: "/publications"},
    {name: "AI use cases · ករណីប្រើប្រាស់", path: "/use-cases"},
    {name: "Policy news · ព័ត៌មាន", path: "/news"},
    {name: "Progress reports · របាយការណ៍", path: "/reports/"},
    {name: "Data · ទិន្នន័យ", path: "/open-data"},
    {name: "Methodology · វិធីសាស្ត្រ", path: "/methodology"}
  ],
  dynamicPaths: () => quartersUntil(dataBuiltOn()).map((q) => `/reports/${q}`),
  head: ({path}) =>
    '<link rel="icon" href="data:,"><meta name="description" content="Cambodia National AI Observatory: the National AI Strategy, governance timeline, indicators, incidents, research and policy news, with their sources.">' +
    fontFaceStyle(path),
  footer: "Cambodia National AI Observatory. Every figure names its source; the data behind every chart can be downloaded as CSV, and every table as Parquet and CSV on the Data page.",
  pager: false,
  search: false,
  toc: false
};
