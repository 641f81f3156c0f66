// News search that understands Khmer: Khmer is written without spaces between words, so a query in Khmer is
// split into words with Intl.Segmenter and matched as a run of whole words of the text, which "ការឆបោក"
// finds inside an unspaced title but "គ្រូ" does not find inside "គ្រូពេទ្យ". Latin-script queries keep
// the plain case-insensitive substring match the English page has always had. Pure: runs in Node and the browser.

const khmer = /[\u1780-\u17FF]/;
const segmenter = new Intl.Segmenter("km", { granularity: "word" });

/** Lower case, NFC, and without the zero-width spaces some Khmer writers put between words. */
function normalise(s) {
  return String(s ?? "")
    .normalize("NFC")
    .replace(/[\u200B\u200C\u200D\u00AD]/g, "")
    .toLocaleLowerCase();
}

/** The word-like segments of a text, as Intl.Segmenter's Khmer dictionary splits them. */
export function words(s) {
  return [...segmenter.segment(normalise(s))].filter((w) => w.isWordLike).map((w) => w.segment);
}

/** True when `query` occurs in `text`: as whole words for Khmer queries, as a substring otherwise. */
export function matchesQuery(text, query) {
  const needle = normalise(query).trim();
  if (!needle) return true;
  if (!khmer.test(needle)) return normalise(text).includes(needle);
  const want = words(needle);
  const have = words(text);
  for (let i = 0; i + want.length <= have.length; i++) {
    if (want.every((w, j) => have[i + j] === w)) return true;
  }
  return false;
}
