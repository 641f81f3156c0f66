// The message catalogue (site/src/i18n/messages.json) against the pages and components that use it: every
// key in both languages, every key a page names present, placeholders the same in both languages, and each
// string honest about whether a native speaker has reviewed it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers.js";

type Text = string | { one?: string; other: string };
interface Entry {
  en: Text;
  km: Text;
  review: string;
  source: string;
}

const src = path.join(repoRoot, "site", "src");
const catalogue = JSON.parse(fs.readFileSync(path.join(src, "i18n", "messages.json"), "utf8")) as { messages: Record<string, Entry> };
const messages = catalogue.messages;

/** Every page and component the site is built from (the Khmer page loaders print the English pages). */
function siteFiles(dir = src): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith(".") || e.name === "data" ? [] : siteFiles(file);
    return /\.(md|js|ts)$/.test(e.name) ? [file] : [];
  });
}

const forms = (text: Text): string[] => (typeof text === "string" ? [text] : Object.values(text));
const placeholders = (text: Text) => [...new Set(forms(text).flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();

/** Keys named literally: t("…"), heading("…"), text("…"), rich("…"), the config's message("…") and data-i18n-aria-label. */
function keysUsedIn(file: string): string[] {
  const code = fs.readFileSync(file, "utf8");
  const calls = [...code.matchAll(/\b(?:t|heading|text|rich|message)\(\s*"([\w.\-/[\]]+)"/g)].map((m) => m[1]);
  return [...calls, ...[...code.matchAll(/data-i18n-aria-label="([^"]+)"/g)].map((m) => m[1])];
}

describe("the interface message catalogue", () => {
  it("has a non-empty English and Khmer string for every key", () => {
    const missing = Object.entries(messages).flatMap(([key, e]) =>
      (["en", "km"] as const)
        .filter((lang) => e[lang] == null || forms(e[lang]).some((s) => typeof s !== "string" || s.trim() === ""))
        .map((lang) => `${key} (${lang})`),
    );
    expect(missing).toEqual([]);
    expect(Object.keys(messages).length).toBeGreaterThan(100);
  });

  it("has every key that a page, component or the config names", () => {
    const files = [...siteFiles(), path.join(repoRoot, "site", "observablehq.config.js")];
    const used = new Map<string, string>();
    for (const file of files) for (const key of keysUsedIn(file)) used.set(key, path.relative(repoRoot, file));
    expect(used.size).toBeGreaterThan(50);
    const unknown = [...used].filter(([key]) => !(key in messages)).map(([key, file]) => `${key} in ${file}`);
    expect(unknown).toEqual([]);
  });

  it("keeps the paragraphs rendered with their markup apart from the plain labels: no key used both ways", () => {
    const code = [...siteFiles(), path.join(repoRoot, "site", "observablehq.config.js")].map((f) => fs.readFileSync(f, "utf8")).join("\n");
    const rich = new Set([...code.matchAll(/\brich\(\s*"([^"]+)"/g)].map((m) => m[1]));
    const plain = new Set([...code.matchAll(/\b(?:t|heading|text|message)\(\s*"([^"]+)"/g)].map((m) => m[1]));
    expect(rich.size).toBeGreaterThan(10);
    expect([...rich].filter((k) => plain.has(k))).toEqual([]);
  });

  it("has a Khmer title for every page, which the Khmer page loader puts in the front matter", () => {
    const pages = siteFiles().filter((f) => f.endsWith(".md") && !f.includes(`${path.sep}km${path.sep}`));
    expect(pages.length).toBeGreaterThanOrEqual(16);
    const keys = pages.map((f) => `title.${path.relative(src, f).replace(/\.md$/, "").split(path.sep).join("/")}`);
    expect(keys.filter((k) => !(k in messages))).toEqual([]);
  });

  it("has a Khmer name for every measure, event and progress status the pages label, and every month", () => {
    const ui = fs.readFileSync(path.join(src, "components", "ui.js"), "utf8");
    const list = (name: string) => JSON.parse(ui.match(new RegExp(`export const ${name} = (\\[[^\\]]*\\])`))![1]) as string[];
    const states = [...list("measureStates"), ...list("eventStates")].map((s) => `state.${s.replace(/\s+/g, "_")}`);
    const progress = JSON.parse(ui.match(/progressLabels = Object\.fromEntries\(\s*(\[[^\]]*\])/)![1]) as string[];
    expect(states.length).toBeGreaterThanOrEqual(10);
    const months = Array.from({ length: 12 }, (_, i) => `month.${i + 1}`);
    expect([...states, ...progress.map((p) => `progress.${p}`), ...months].filter((k) => !(k in messages))).toEqual([]);
  });

  it("uses the same placeholders in the Khmer string as in the English", () => {
    const differ = Object.entries(messages)
      .filter(([, e]) => placeholders(e.en).join() !== placeholders(e.km).join())
      .map(([key]) => key);
    expect(differ).toEqual([]);
  });

  it("says of every string whether a native speaker has reviewed it and where its Khmer came from", () => {
    const bad = Object.entries(messages)
      .filter(([, e]) => !["needs native review", "reviewed"].includes(e.review) || !e.source?.trim())
      .map(([key]) => key);
    expect(bad).toEqual([]);
    // Nothing written for the site counts as reviewed until a native speaker has said so.
    const selfWrittenReviewed = Object.entries(messages).filter(
      ([, e]) => e.source === "written for the site" && e.review === "reviewed" && !("reviewer" in e),
    );
    expect(selfWrittenReviewed.map(([k]) => k)).toEqual([]);
  });
});
