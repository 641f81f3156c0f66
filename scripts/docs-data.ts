// `npm run docs:data`: rewrite docs/data.md from warehouse/metadata.yaml and warehouse/dictionary-intro.md.
import fs from "node:fs/promises";
import path from "node:path";
import { buildDictionary, dictionaryFile } from "../warehouse/dictionary.js";
import { commandLine } from "./lib/cli.js";

commandLine("docs:data", {
  usage: `Usage: npm run docs:data
  Rewrites docs/data.md from warehouse/metadata.yaml and warehouse/dictionary-intro.md.`,
});

await fs.mkdir(path.dirname(dictionaryFile), { recursive: true });
await fs.writeFile(dictionaryFile, await buildDictionary());
console.log(`wrote ${path.relative(process.cwd(), dictionaryFile)}`);
