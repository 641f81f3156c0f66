// Builds the bundled offline snapshot (sources/snapshot/) from real published facts only, each part
// in the format its parser reads and each capture's note saying how it was assembled:
// - worldbank: World Bank API v2-shaped responses from shared/reference/indicators.csv, one per series
//   that the WDI mirror file does not hold, each observation keeping the URL its value was published at
//   (Cambodia only);
// - wdi-peers: shared/reference/realdata/wdi-asean/wdi-asean.csv byte for byte (five series for the ten
//   ASEAN members, copied from WDI mirrors), replaying each of those series' API URLs; the World Bank
//   parser reads that CSV as it is (sources/wdi-mirror.ts);
// - aiid: the AI Incident Database's incident table (shared/reference/realdata/aiid/incidents.csv) byte
//   for byte, at its mirror's raw URL;
// - arxiv: an arXiv Atom response holding the Khmer-language paper recorded in the references;
// - mptc: the MPTC press release of 6 December 2024 (text from shared/seeds) at its published URL, and
//   a list page linking to it.
// Run by a developer when the references change:
//   npx tsx scripts/build-snapshot.ts [--only worldbank,wdi-peers,aiid,arxiv,mptc] [indicators.csv]
// Bodies no capture refers to any more are removed afterwards.
import fs from "node:fs/promises";
import path from "node:path";
import { Archive } from "../activities/archive.js";
import { loadConfig, projectRoot } from "../temporal.config.js";
import { loadRegistry, startUrls } from "../sources/registry.js";
import { queryRows, sqlString, withMemoryDb } from "../warehouse/db.js";
import { commandLine } from "./lib/cli.js";

const { values, positionals } = commandLine("build-snapshot", {
  usage: `Usage: npx tsx scripts/build-snapshot.ts [--only worldbank,wdi-peers,aiid,arxiv,mptc] [indicators.csv]
  Rebuilds the bundled snapshot (sources/snapshot/) from the references; bodies no capture refers to are removed.`,
  options: { only: { type: "string" } },
  positionals: true,
});
const only = values.only === undefined ? undefined : new Set(values.only.split(","));
const wanted = (part: string) => !only || only.has(part);
const sharedDir = path.join(projectRoot, "..", "shared");
const csvFile = path.resolve(positionals[0] ?? path.join(sharedDir, "reference", "indicators.csv"));
const realDataDir = path.join(sharedDir, "reference", "realdata");
const config = loadConfig();
const snapshot = new Archive(config.paths.snapshot);
const builtAt = new Date().toISOString();
const registry = await loadRegistry(path.join(projectRoot, "sources", "registry.yaml"));
const encode = (text: string) => new TextEncoder().encode(text);
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function startUrlOf(sourceId: string): string {
  const source = registry.find((s) => s.id === sourceId);
  if (!source) throw new Error(`no source "${sourceId}" in sources/registry.yaml`);
  return startUrls(source)[0];
}

interface MirrorFile {
  repo: string;
  path: string;
  last_commit_touching_file: string;
  snapshot_head: string;
}

/** The WDI mirror file's provenance: series code → the mirror repository, path and commit it came from. */
async function wdiMirrorProvenance(): Promise<Record<string, MirrorFile>> {
  return JSON.parse(await fs.readFile(path.join(realDataDir, "wdi-asean", "provenance.json"), "utf8")) as Record<string, MirrorFile>;
}

/** The day the reference data sets were retrieved, as their README states it. */
async function realDataRetrievedOn(): Promise<string> {
  const readme = await fs.readFile(path.join(realDataDir, "README.md"), "utf8");
  const day = /retrieved on (\d{4}-\d{2}-\d{2})/.exec(readme)?.[1];
  if (!day) throw new Error(`${path.join(realDataDir, "README.md")} no longer says "retrieved on YYYY-MM-DD"`);
  return day;
}

async function worldBank(): Promise<void> {
  const mirrored = new Set(Object.keys(await wdiMirrorProvenance()));
  const rows = await withMemoryDb((db) =>
    queryRows(
      db,
      `SELECT indicator_code, indicator_name, year, value, source_url, notes
       FROM read_csv(${sqlString(csvFile)}, header = true, all_varchar = true)
      ORDER BY indicator_code, year DESC`,
    ),
  );
  for (const source of registry.filter((s) => s.parser === "worldbank-v2")) {
    const urls = startUrls(source);
    for (const [i, code] of source.indicators!.entries()) {
      if (mirrored.has(code)) continue; // the wdi-peers part replays this series from the mirror file
      const series = rows.filter((r) => r.indicator_code === code);
      if (series.length === 0) {
        console.error(`no reference values for ${code}; no snapshot written`);
        continue;
      }
      const observations = series.map((r) => ({
        indicator: { id: code, value: String(r.indicator_name) },
        country: { id: "KH", value: "Cambodia" },
        countryiso3code: "KHM",
        date: String(r.year),
        value: Number(r.value),
        unit: "",
        obs_status: "",
        decimal: 0,
        // Not an API field: where this value was actually published (the reference's source URL).
        source_url: String(r.source_url),
      }));
      const paging = { page: 1, pages: 1, per_page: 100, total: observations.length, sourceid: "2", lastupdated: null };
      const body = new TextEncoder().encode(`${JSON.stringify([paging, observations], null, 1)}\n`);
      const capture = await snapshot.put(body, {
        url: urls[i],
        status: 200,
        headers: { "content-type": "application/json;charset=utf-8" },
        retrievedAt: builtAt,
        origin: "snapshot",
        note:
          `API-shaped response assembled ${builtAt.slice(0, 10)} from shared/reference/indicators.csv (${series.length} values, ` +
          "Cambodia only: no peer values could be obtained for this series); each observation's source_url is where the value " +
          "was published; lastupdated is unknown and left null",
        producer: "World Bank, World Development Indicators",
        licence: "CC BY 4.0",
      });
      console.error(`${code}: ${series.length} values → ${capture.sha256.slice(0, 12)}`);
    }
  }
}

/**
 * The WDI mirror file of the reference data, byte for byte, as the capture of each series' API URL. One
 * body serves the five series; the parser takes the rows of the series the URL asks for.
 */
async function wdiPeers(): Promise<void> {
  const file = path.join(realDataDir, "wdi-asean", "wdi-asean.csv");
  const body = await fs.readFile(file);
  const provenance = await wdiMirrorProvenance();
  const retrievedOn = await realDataRetrievedOn();
  const source = registry.find((s) => s.id === "worldbank-wdi");
  if (!source?.indicators) throw new Error('no "worldbank-wdi" source with indicators in sources/registry.yaml');
  const urls = startUrls(source);
  const lines = body.toString("utf8").trim().split("\n").slice(1);
  for (const [code, mirror] of Object.entries(provenance)) {
    const at = source.indicators.indexOf(code);
    if (at < 0) throw new Error(`${code} is in the mirror file but not a series of worldbank-wdi`);
    const values = lines.filter((l) => l.startsWith(`${code},`));
    const countries = new Set(values.map((l) => l.split(",")[1]));
    const datahub = mirror.repo.startsWith("datasets/");
    const mirrorName = datahub ? "datahub.io core data sets" : "Gapminder (open-numbers) Systema Globalis";
    const capture = await snapshot.put(body, {
      url: urls[at],
      status: 200,
      headers: { "content-type": "text/csv; charset=utf-8" },
      retrievedAt: `${retrievedOn}T00:00:00.000Z`,
      origin: "snapshot",
      note:
        `Not an API response: the observatory's reference file wdi-asean.csv as retrieved on ${retrievedOn}, byte for byte ` +
        "(columns indicator,country,year,value; rows copied by script from each series' mirror file, filtered to the ten " +
        "ASEAN members, no value edited, interpolated or computed). It replays this API URL; the parser reads its " +
        `${values.length} ${code} values for ${countries.size} countries. Mirror: ${mirrorName}, ${mirror.repo} ${mirror.path} ` +
        `at commit ${mirror.snapshot_head} (the file last changed in ${mirror.last_commit_touching_file}).`,
      producer: `World Bank, World Development Indicators (https://data.worldbank.org/indicator/${code})`,
      licence: datahub ? "CC BY 4.0 (World Bank WDI); mirror ODC-PDDL" : "CC BY 4.0 (World Bank WDI); mirror CC BY 4.0",
      retrievedFrom: [
        {
          url: `https://github.com/${mirror.repo}/blob/${mirror.snapshot_head}/${mirror.path}`,
          repository: mirror.repo,
          path: mirror.path,
          commit: mirror.snapshot_head,
          mirror: mirrorName,
        },
      ],
    });
    console.error(`wdi-peers ${code}: ${values.length} values, ${countries.size} countries → ${capture.sha256.slice(0, 12)}`);
  }
}

/** The AI Incident Database's incident table as the reference data retrieved it from its mirror, byte for byte. */
async function aiid(): Promise<void> {
  const dir = path.join(realDataDir, "aiid");
  const body = await fs.readFile(path.join(dir, "incidents.csv"));
  const readme = await fs.readFile(path.join(dir, "README.md"), "utf8");
  const repository = /republished in the repository ([\w.-]+\/[\w.-]+)/.exec(readme)?.[1];
  const file = /file\s+`([^`]+)`/.exec(readme)?.[1];
  const commit = /commit ([0-9a-f]{40})/.exec(readme)?.[1];
  if (!repository || !file || !commit) throw new Error(`${path.join(dir, "README.md")} no longer names the repository, file and commit`);
  const url = startUrlOf("aiid-incident-table");
  if (!url.includes(commit) || !url.includes(repository))
    throw new Error(`aiid-incident-table's URL ${url} is not ${repository} at ${commit}`);
  const retrievedOn = await realDataRetrievedOn();
  const capture = await snapshot.put(body, {
    url,
    status: 200,
    headers: { "content-type": "text/csv; charset=utf-8" },
    retrievedAt: `${retrievedOn}T00:00:00.000Z`,
    origin: "snapshot",
    note:
      `The incidents collection of the AI Incident Database's public snapshot export (mongoexport CSV), as republished by ` +
      `${repository} (${file}, commit ${commit}), byte for byte as retrieved on ${retrievedOn}; the report table is not included.`,
    producer: "Responsible AI Collaborative, AI Incident Database (https://incidentdatabase.ai)",
    licence: "CC BY-SA 4.0 (database); report contents keep their own rights",
    retrievedFrom: [{ url: `https://github.com/${repository}/blob/${commit}/${file}`, repository, path: file, commit, mirror: repository }],
  });
  console.error(`aiid: ${body.byteLength} bytes → ${capture.sha256.slice(0, 12)}`);
}

/** Removes bodies that no capture refers to (a series moved to another body, a URL changed). */
async function pruneBodies(): Promise<void> {
  const root = config.paths.snapshot;
  const used = new Set<string>();
  for (const dir of await fs.readdir(path.join(root, "captures"))) {
    for (const name of await fs.readdir(path.join(root, "captures", dir))) {
      used.add((JSON.parse(await fs.readFile(path.join(root, "captures", dir, name), "utf8")) as { sha256: string }).sha256);
    }
  }
  for (const dir of await fs.readdir(path.join(root, "bodies"))) {
    for (const name of await fs.readdir(path.join(root, "bodies", dir))) {
      if (!used.has(name.replace(/\.gz$/, ""))) {
        await fs.rm(path.join(root, "bodies", dir, name));
        console.error(`removed unreferenced body ${name}`);
      }
    }
  }
}

/** The Khmer NLG paper recorded in shared/reference (arXiv 2512.13552, first version 15 December 2025). */
async function arxiv(): Promise<void> {
  const url = startUrlOf("arxiv");
  const authors = ["Hour Kaing", "Raj Dabre", "Haiyue Song", "Van-Hien Tran", "Hideki Tanaka", "Masao Utiyama"];
  const title = "PrahokBART: A Pre-trained Sequence-to-Sequence Model for Khmer Natural Language Generation";
  const feed = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="${escapeXml(url)}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query (observatory snapshot)</title>
  <id>${escapeXml(url)}</id>
  <updated>${builtAt}</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2512.13552v1</id>
    <published>2025-12-15T00:00:00Z</published>
    <updated>2025-12-15T00:00:00Z</updated>
    <title>${escapeXml(title)}</title>
    <summary></summary>
${authors.map((a) => `    <author><name>${escapeXml(a)}</name></author>`).join("\n")}
    <link href="http://arxiv.org/abs/2512.13552v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2512.13552v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
`;
  const capture = await snapshot.put(encode(feed), {
    url,
    status: 200,
    headers: { "content-type": "application/atom+xml; charset=utf-8" },
    retrievedAt: builtAt,
    origin: "snapshot",
    note:
      `Atom response assembled ${builtAt.slice(0, 10)} with one paper, arXiv 2512.13552: id, title, ` +
      "authors, category and first-version date as listed by aclanthology.org/2025.coling-main.87 and arxivlens.com; " +
      "the abstract is left empty and totalResults counts this document only",
    producer: "arXiv.org (record of arXiv 2512.13552; the paper is its authors')",
    licence: "CC0 1.0 (arXiv metadata)",
  });
  console.error(`arxiv: 1 entry → ${capture.sha256.slice(0, 12)}`);
}

/** The MPTC press release of 6 December 2024: its text from shared/seeds, at the URL it was published at. */
async function mptc(): Promise<void> {
  const listUrl = startUrlOf("mptc-press");
  const detailUrl =
    "https://mptc.gov.kh/en/2024/12/press-release-on-the-regional-capacity-development-workshop-under-the-theme-artificial-intelligence-in-the-public-sector-policy-considerations-and-best-practices";
  const seed = await fs.readFile(path.join(sharedDir, "seeds", "mptc-press-release-2024-12-06-ai-public-sector-workshop.txt"), "utf8");
  const paragraphs = seed
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\*\*/g, "").replace(/\s+/g, " ").trim())
    .filter(Boolean);
  const start = paragraphs.findIndex((p) => p.startsWith("The Ministry of Post and Telecommunications (MPTC) has the honor"));
  if (start < 0) throw new Error("the seed press release no longer starts its body as expected");
  const body = paragraphs.slice(start);
  const title =
    "Press Release on the Regional Capacity Development Workshop under the theme “Artificial Intelligence in the Public Sector: Policy Considerations and Best Practices”";
  const detail = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<meta property="article:published_time" content="2024-12-06T00:00:00+07:00"></head>
<body><main><article>
<h1 class="entry-title">${escapeXml(title)}</h1>
<time datetime="2024-12-06">6 December 2024</time>
<div class="entry-content">
${body.map((p) => `<p>${escapeXml(p)}</p>`).join("\n")}
</div>
</article></main></body></html>
`;
  const list = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News</title></head>
<body><main>
<article><h2 class="entry-title"><a href="${escapeXml(detailUrl)}">${escapeXml(title)}</a></h2><time datetime="2024-12-06">6 December 2024</time></article>
</main></body></html>
`;
  const note =
    `HTML assembled ${builtAt.slice(0, 10)} from shared/seeds/mptc-press-release-2024-12-06-ai-public-sector-workshop.txt ` +
    "(the ministry's unofficial English translation); the words are the press release's, the page layout is not the live site's";
  for (const [url, html] of [
    [listUrl, list],
    [detailUrl, detail],
  ]) {
    const capture = await snapshot.put(encode(html), {
      url,
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8" },
      retrievedAt: builtAt,
      origin: "snapshot",
      note: url === listUrl ? `${note}; this list page links only that press release` : note,
      producer: "Ministry of Post and Telecommunications, Kingdom of Cambodia",
      licence: "Government press release (the ministry's unofficial English translation)",
    });
    console.error(`mptc: ${url} → ${capture.sha256.slice(0, 12)}`);
  }
}

if (wanted("worldbank")) await worldBank();
if (wanted("wdi-peers")) await wdiPeers();
if (wanted("aiid")) await aiid();
if (wanted("arxiv")) await arxiv();
if (wanted("mptc")) await mptc();
await pruneBodies();
