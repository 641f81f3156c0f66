// Calendar quarters of the NAIS monitoring cycle (quarterly progress checks, docs/architecture.md). Plain JavaScript
// shared by the Framework config (the report routes), the report loaders and the pages.

/** The strategy runs 2025–2030; the first quarterly check covers 2025-Q1. */
export const firstQuarter = "2025-Q1";

const pattern = /^(\d{4})-Q([1-4])$/;

/** "2025-Q3" → {year: 2025, q: 3, start: "2025-07-01", end: "2025-09-30"}; null when not a quarter. */
export function parseQuarter(text) {
  const m = pattern.exec(String(text));
  if (!m) return null;
  const year = Number(m[1]);
  const q = Number(m[2]);
  const start = new Date(Date.UTC(year, (q - 1) * 3, 1));
  const end = new Date(Date.UTC(year, q * 3, 0));
  return { id: `${year}-Q${q}`, year, q, start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

/** The quarter a date (YYYY-MM-DD or ISO) falls in. */
export function quarterOf(date) {
  const d = new Date(String(date).slice(0, 10) + "T00:00:00Z");
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${date}`);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** Every quarter from the first of the strategy up to the one holding `asOf` (the data's build date). */
export function quartersUntil(asOf, first = firstQuarter) {
  const last = parseQuarter(quarterOf(asOf));
  let { year, q } = parseQuarter(first);
  const out = [];
  while (year < last.year || (year === last.year && q <= last.q)) {
    out.push(`${year}-Q${q}`);
    q += 1;
    if (q > 4) {
      q = 1;
      year += 1;
    }
  }
  return out;
}
