// The one reading of a period as the sources spell it: YYYY, YYYY-Qn / YYYYQn (a quarter) or YYYY-MM /
// YYYYMmm (a month; World Bank and analyst sheets). Used by the parsers, the curation writer and the site's
// loaders; the warehouse's SQL macro period_start (warehouse/views/01_period.sql) follows the same rules,
// and test/unit/period.test.ts checks that both agree.

const PERIOD = /^(\d{4})(?:-?Q([1-4])|(?:-|M)(0[1-9]|1[0-2]))?$/;

export interface Period {
  year: number;
  /** 1-4 for a quarter. */
  quarter?: number;
  /** 1-12 for a month. */
  month?: number;
}

/** The period a text names, or null when it is not one of the spellings above. */
export function parsePeriod(text: string): Period | null {
  const m = PERIOD.exec(text);
  if (!m) return null;
  return { year: Number(m[1]), ...(m[2] ? { quarter: Number(m[2]) } : {}), ...(m[3] ? { month: Number(m[3]) } : {}) };
}

export function isPeriod(text: string): boolean {
  return PERIOD.test(text);
}

/** The first day of the period as YYYY-MM-DD (for ordering and plotting a series), or null when the text is not a period. */
export function periodStart(text: string): string | null {
  const p = parsePeriod(text);
  if (!p) return null;
  const month = p.quarter ? (p.quarter - 1) * 3 + 1 : (p.month ?? 1);
  return `${String(p.year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01`;
}
