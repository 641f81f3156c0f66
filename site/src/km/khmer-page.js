// An English page's source as its Khmer twin: the same Markdown and code, with the front matter's
// title taken from the catalogue (the pages themselves pick their strings by the edition at run time).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const catalogue = JSON.parse(readFileSync(path.join(src, "i18n", "messages.json"), "utf8")).messages;

/** The English source of `page` ("indicators", "reports/2025-Q1"), falling back to the folder's [param] page. */
function englishSource(page) {
  const direct = path.join(src, `${page}.md`);
  if (existsSync(direct)) return { file: direct, key: page };
  const dir = path.dirname(page);
  const param = readdirParam(path.join(src, dir));
  return { file: path.join(src, dir, param), key: path.join(dir, param.replace(/\.md$/, "")) };
}

function readdirParam(dir) {
  const file = ["[quarter].md"].find((f) => existsSync(path.join(dir, f)));
  if (!file) throw new Error(`no English page for the Khmer page in ${dir}`);
  return file;
}

/** The Khmer twin of `page`, as its page loader prints it (the site build writes it ahead of Framework). */
export function khmerPage(page) {
  const { file, key } = englishSource(page);
  const title = catalogue[`title.${key}`]?.km;
  if (!title) throw new Error(`the catalogue has no Khmer title.${key}`);
  return readFileSync(file, "utf8").replace(/^title: .*$/m, `title: ${JSON.stringify(title)}`);
}

/** The page (`indicators`, `reports/index`) whose Khmer twin a route of the Khmer edition (`/km/indicators`, `/km/reports/`) is. */
export function khmerPageOf(route) {
  const page = route.replace(/^\/km\/?/, "");
  return page === "" || page.endsWith("/") ? `${page}index` : page;
}
