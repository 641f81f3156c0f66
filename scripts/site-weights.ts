// `npm run site:weights`: what each built page makes a reader download by default — its HTML, the
// JavaScript and CSS it preloads, the data files it registers (FileAttachment), and the self-hosted Khmer
// font files a page with Khmer text makes the browser fetch — read from the built site.
import fs from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../temporal.config.js";
import { commandLine } from "./lib/cli.js";

commandLine("site:weights", {
  usage: `Usage: npm run site:weights
  Per built page: bytes of HTML, preloaded JS and CSS, attached data and Khmer font a reader downloads by default.`,
});

const dist = loadConfig().paths.siteOutput;

async function size(file: string): Promise<number> {
  return (await fs.stat(file)).size;
}

// Every file in _fonts/ is a Khmer subset (site/fonts.js); a browser fetches them for a page showing Khmer.
const fontsDir = path.join(dist, "_fonts");
const fontFiles = await fs.readdir(fontsDir).catch(() => [] as string[]);
const fontBytes = (await Promise.all(fontFiles.map((f) => size(path.join(fontsDir, f))))).reduce((a, b) => a + b, 0);
const khmerText = /[\u1780-\u17FF]/;

const rows: Array<{ page: string; html: number; js: number; css: number; data: number; font: number; total: number }> = [];
for (const entry of (await fs.readdir(dist, { recursive: true })).filter((f) => f.endsWith(".html")).sort()) {
  const file = path.join(dist, entry);
  const text = await fs.readFile(file, "utf8");
  const here = path.dirname(file);
  const hrefs = (pattern: RegExp) => [...new Set([...text.matchAll(pattern)].map((m) => path.resolve(here, m[1])))];
  const js = hrefs(/<link rel="modulepreload" href="([^"]+)"/g);
  const css = hrefs(/<link rel="stylesheet" type="text\/css" href="([^"]+)"/g);
  // Framework writes each attached file's size into the page: registerFile("…", {…, "size": N}).
  const data = [...text.matchAll(/registerFile\("[^"]+", \{[^}]*"size":(\d+)\}/g)].reduce((n, m) => n + Number(m[1]), 0);
  const sum = async (files: string[]) => (await Promise.all(files.map(size))).reduce((a, b) => a + b, 0);
  const font = khmerText.test(text) ? fontBytes : 0;
  const row = {
    page: `/${entry.replace(/(index)?\.html$/, "")}`,
    html: Buffer.byteLength(text),
    js: await sum(js),
    css: await sum(css),
    data,
    font,
    total: 0,
  };
  row.total = row.html + row.js + row.css + row.data + row.font;
  rows.push(row);
}
const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log("| page | HTML | JS | CSS | data | Khmer font | total |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows)
  console.log(`| ${r.page} | ${kb(r.html)} | ${kb(r.js)} | ${kb(r.css)} | ${kb(r.data)} | ${kb(r.font)} | ${kb(r.total)} |`);
const heaviest = rows.reduce((a, b) => (b.data > a.data ? b : a));
console.log(`\nUncompressed bytes from ${dist}. Most data on one page: ${heaviest.page} (${kb(heaviest.data)}).`);
console.log(`Khmer font: ${fontFiles.length} woff2 files, ${kb(fontBytes)}, fetched once (then cached) by a page that shows Khmer.`);
