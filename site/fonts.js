// The web fonts the site serves itself, so a reader whose device has no Khmer font still sees Khmer, and
// no page asks a third-party host for one. The build copies each file into dist/_fonts/; the @font-face
// rules go into every page's head, with a unicode-range so a browser fetches a file only for a page
// that shows Khmer text. Regular and bold: headings' 600 falls back to the bold file.

/** Each file as published in the @fontsource/noto-sans-khmer package (SIL Open Font License 1.1). */
export const selfHostedFonts = [
  { family: "Noto Sans Khmer", weight: 400, file: "@fontsource/noto-sans-khmer/files/noto-sans-khmer-khmer-400-normal.woff2" },
  { family: "Noto Sans Khmer", weight: 700, file: "@fontsource/noto-sans-khmer/files/noto-sans-khmer-khmer-700-normal.woff2" },
];

/** Khmer, Khmer symbols, the zero-width (non-)joiners and the dotted circle, as the package declares. */
const khmerRange = "U+1780-17FF, U+19E0-19FF, U+200C-200D, U+25CC";

/** The folder of dist/ the files are copied to. */
export const fontsFolder = "_fonts";

/** The @font-face rules for a page at `pagePath` (Framework's "/reports/2025-Q1"), with URLs relative to it. */
export function fontFaceStyle(pagePath) {
  const depth = Math.max(0, pagePath.split("/").length - 2);
  const prefix = depth === 0 ? "./" : "../".repeat(depth);
  const rules = selfHostedFonts.map(
    ({ family, weight, file }) =>
      `@font-face{font-family:"${family}";font-style:normal;font-weight:${weight};font-display:swap;` +
      `src:url("${prefix}${fontsFolder}/${file.split("/").pop()}") format("woff2");unicode-range:${khmerRange}}`,
  );
  return `<style>${rules.join("")}</style>`;
}
