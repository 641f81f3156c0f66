// Cambodia against its ASEAN peers for one indicator: the year compared, the peers' median and
// Cambodia's rank, from the values the export holds (nothing interpolated; a missing value stays missing).

export interface SeriesValue {
  indicator_code: string;
  country_iso3: string;
  period: string;
  value: number | null;
}

export interface PeerComparison {
  indicator_code: string;
  /** The year compared (see `comparisonRule`). */
  year: number;
  cambodia: number;
  /** Median of the peers' values that year (Cambodia excluded). */
  peer_median: number;
  /** Peers with a value that year. */
  peers: number;
  /** Cambodia's place among the countries with a value that year, 1 = the highest value. */
  rank: number;
  /** Countries ranked (Cambodia and its peers with a value that year). */
  ranked: number;
  /** That year's values, highest first. */
  values: Array<{ country_iso3: string; value: number }>;
}

/** Fewest peers (of nine) a year needs to be preferred as the year compared. */
export const minPeers = 5;

export const comparisonRule =
  `The year compared is the latest year in which Cambodia and at least ${minPeers} of the nine peers have a value; ` +
  "if no year has that many, the latest year in which Cambodia and any peer do. Rank 1 is the highest value that year; " +
  "the median is of the peers' values only. Annual values only; nothing is interpolated.";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The comparison for each indicator that has Cambodian and peer values in one year; others are absent. */
export function peerComparisons(series: SeriesValue[], home = "KHM"): PeerComparison[] {
  const byCode = new Map<string, Map<number, Map<string, number>>>();
  for (const d of series) {
    if (d.value == null || !Number.isFinite(d.value) || !/^\d{4}$/.test(d.period)) continue;
    const years = byCode.get(d.indicator_code) ?? new Map<number, Map<string, number>>();
    byCode.set(d.indicator_code, years);
    const countries = years.get(Number(d.period)) ?? new Map<string, number>();
    years.set(Number(d.period), countries);
    countries.set(d.country_iso3, d.value);
  }
  const out: PeerComparison[] = [];
  for (const [code, years] of [...byCode].sort(([a], [b]) => a.localeCompare(b))) {
    const candidates = [...years].filter(([, c]) => c.has(home) && c.size > 1).sort(([a], [b]) => b - a);
    const chosen = candidates.find(([, c]) => c.size - 1 >= minPeers) ?? candidates[0];
    if (!chosen) continue;
    const [year, countries] = chosen;
    const cambodia = countries.get(home)!;
    const peerValues = [...countries].filter(([iso]) => iso !== home).map(([, v]) => v);
    const values = [...countries]
      .map(([country_iso3, value]) => ({ country_iso3, value }))
      .sort((a, b) => b.value - a.value || a.country_iso3.localeCompare(b.country_iso3));
    out.push({
      indicator_code: code,
      year,
      cambodia,
      peer_median: median(peerValues),
      peers: peerValues.length,
      rank: values.filter((v) => v.value > cambodia).length + 1,
      ranked: values.length,
      values,
    });
  }
  return out;
}
