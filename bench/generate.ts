// Generated data for `npm run bench`: deterministic (a seeded generator), so every stage and its bare
// baseline see the same rows. None of it is real and none of it is published or kept; it lives in a
// temporary folder for the length of one measurement.
import type { RowOf } from "../warehouse/tables.js";

/** A small seeded generator (mulberry32), so two processes make the same data from the same seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const provenance = { source_id: "bench", snapshot_sha256: "b".repeat(64), retrieved_at: "2026-01-01T00:00:00Z" } as const;

/** `n` observations over 200 indicators and 10 countries, one per year from 1960 onwards. */
export function observations(n: number, from = 0): Array<RowOf<"observations"> & typeof provenance> {
  const countries = ["KHM", "THA", "VNM", "LAO", "MMR", "MYS", "SGP", "IDN", "PHL", "BRN"];
  const rows: Array<RowOf<"observations"> & typeof provenance> = [];
  for (let i = from; i < from + n; i++) {
    const series = Math.floor(i / 65);
    rows.push({
      indicator_code: `BENCH.${series % 200}.${Math.floor(series / 2000)}`,
      country_iso3: countries[Math.floor(series / 200) % 10],
      period: String(1960 + (i % 65)),
      value: (i % 9973) * 1.5,
      source_url: "https://example.org/bench",
      ...provenance,
    });
  }
  return rows;
}

/** The same `n` observations as `observations(n)`, made `size` at a time, as a source's pages come. */
export function* observationPages(n: number, size: number): Generator<Array<RowOf<"observations"> & typeof provenance>> {
  for (let from = 0; from < n; from += size) yield observations(Math.min(size, n - from), from);
}

const syllables = [
  "ka",
  "lo",
  "mi",
  "ren",
  "sa",
  "tor",
  "vu",
  "pen",
  "dak",
  "sre",
  "pho",
  "nom",
  "bat",
  "kam",
  "ang",
  "rei",
  "chea",
  "sok",
];
// Words the taxonomy knows, so tagging and candidate detection do real work on some titles.
const topical = [
  "AI",
  "artificial intelligence",
  "digital skills",
  "data centre",
  "scam",
  "deepfake",
  "e-government",
  "cloud",
  "training",
  "fraud",
];

function vocabulary(random: () => number, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 2);
    words.add(Array.from({ length: n }, () => syllables[Math.floor(random() * syllables.length)]).join(""));
  }
  return [...words];
}

export type Density = "dense" | "sparse";

/**
 * `n` news items in stories of one to four near-duplicate titles (one word changed per retelling),
 * as several outlets would write them. Dense: all in 30 days, whatever `n` (so a story window holds
 * ever more items); sparse: 50 items a day (the span grows with `n`).
 */
export function newsItems(n: number, density: Density, seed = 17): Array<RowOf<"news_items"> & typeof provenance> {
  const random = seeded(seed);
  const words = vocabulary(random, 4000);
  const pick = () => words[Math.floor(random() * words.length)];
  const spanMs = (density === "dense" ? 30 : Math.max(1, n / 50)) * 86_400_000;
  const start = Date.parse("2020-01-01T00:00:00Z");
  const rows: Array<RowOf<"news_items"> & typeof provenance> = [];
  while (rows.length < n) {
    const base = Array.from({ length: 9 }, pick);
    if (random() < 0.2) base[Math.floor(random() * 9)] = topical[Math.floor(random() * topical.length)];
    const at = start + Math.floor(random() * spanMs);
    const tellings = 1 + Math.floor(random() * 4);
    for (let t = 0; t < tellings && rows.length < n; t++) {
      const title = [...base];
      if (t > 0) title[1 + Math.floor(random() * 7)] = pick();
      const i = rows.length;
      rows.push({
        item_key: `bench-${i.toString(36).padStart(6, "0")}`,
        canonical_url: `https://news${t}.example.org/${i}`,
        title: title.join(" "),
        summary: `${title.join(" ")}. ${Array.from({ length: 30 }, pick).join(" ")}.`,
        published_at: new Date(at + Math.floor(random() * 86_400_000)).toISOString(),
        outlet: `Outlet ${t}`,
        language: "en",
        categories: ["bench"],
        kind: "news",
        ...provenance,
      });
    }
  }
  return rows;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** An RSS 2.0 feed of `n` items from newsItems (sparse), with HTML descriptions as WordPress writes them. */
export function rssFeed(n: number): string {
  const items = newsItems(n, "sparse", 29).map(
    (r) => `<item><title>${xmlEscape(r.title ?? "")}</title><link>${r.canonical_url}</link><guid isPermaLink="false">${r.item_key}</guid>
<pubDate>${new Date(r.published_at!).toUTCString()}</pubDate><category>Bench</category>
<description>${xmlEscape(`<p>${r.summary}</p><p>Second paragraph of ${r.title}.</p>`)}</description></item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Generated bench feed</title><link>https://example.org/</link><language>en</language>
<description>Generated for the benchmark; not real news</description>
${items.join("\n")}
</channel></rss>
`;
}
