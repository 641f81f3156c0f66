// The ten ASEAN members this observatory compares Cambodia with, and the English words that name each
// in AI Incident Database text (country, demonym, capital), for the regional incident counts.
import { termPattern } from "./aiid.js";

/** ISO 3166-1 alpha-3 → terms; the first is the country's name as the site shows it. */
export const aseanCountryTerms: Readonly<Record<string, readonly string[]>> = {
  KHM: ["Cambodia", "Cambodian", "Cambodians", "Khmer", "Phnom Penh"],
  BRN: ["Brunei", "Bruneian", "Bandar Seri Begawan"],
  IDN: ["Indonesia", "Indonesian", "Indonesians", "Jakarta"],
  LAO: ["Laos", "Lao PDR", "Laotian", "Vientiane"],
  MMR: ["Myanmar", "Burma", "Burmese", "Yangon", "Naypyidaw"],
  MYS: ["Malaysia", "Malaysian", "Malaysians", "Kuala Lumpur"],
  PHL: ["Philippines", "Philippine", "Filipino", "Filipinos", "Manila"],
  SGP: ["Singapore", "Singaporean", "Singaporeans"],
  THA: ["Thailand", "Thai", "Bangkok"],
  VNM: ["Vietnam", "Viet Nam", "Vietnamese", "Hanoi", "Ho Chi Minh City"],
};

const patterns = Object.entries(aseanCountryTerms).map(([iso3, terms]) => ({ iso3, pattern: termPattern(terms, "giu") }));

/** The rule as the site states it. */
export const aseanMatchRule =
  "An incident counts for an ASEAN member when its title, its description or one of its alleged deployers, developers or " +
  "harmed parties names the country, its people or its capital as a whole word, case-insensitively (" +
  Object.entries(aseanCountryTerms)
    .map(([iso3, terms]) => `${iso3}: ${terms.join(", ")}`)
    .join("; ") +
  "). An incident naming several members counts for each.";

/** The members a text names, each with the first term that matched, in ISO3 order. */
export function aseanMentions(text: string): Array<{ iso3: string; term: string }> {
  const out: Array<{ iso3: string; term: string }> = [];
  for (const { iso3, pattern } of patterns) {
    pattern.lastIndex = 0;
    const match = pattern.exec(text);
    if (match) out.push({ iso3, term: match[0] });
  }
  return out.sort((a, b) => a.iso3.localeCompare(b.iso3));
}
