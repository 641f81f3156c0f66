// The text of the plain HTML fragments feeds are full of (`<p>…</p><p>…<a href>…</a></p>`), read without
// building a DOM. cheerio (parse5) stays the reader for everything else: this only takes fragments whose
// HTML parse is unambiguous, where parse5's tree and a simple tag stack agree, and says `undefined` for
// any other, so a feed of 20,000 items does not build 20,000 DOMs for the same few tags.

/** Elements after which htmlToText leaves a space (as sources/text.ts BLOCK_TAGS), of those read here. */
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "div",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "section",
  "ul",
]);
const HEADINGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6"]);
/** Phrasing elements with no parsing rules of their own when they nest properly. */
const PHRASING = new Set([
  "a",
  "abbr",
  "b",
  "bdi",
  "bdo",
  "cite",
  "code",
  "del",
  "dfn",
  "em",
  "font",
  "i",
  "ins",
  "kbd",
  "mark",
  "q",
  "s",
  "samp",
  "small",
  "span",
  "strong",
  "sub",
  "sup",
  "time",
  "u",
  "var",
]);
const VOID = new Set(["br", "hr", "img", "wbr"]);

// Character references read here; any other (a rare name, a number HTML maps or replaces) goes to parse5.
const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  hellip: "…",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  ndash: "–",
  mdash: "—",
  copy: "©",
  reg: "®",
  trade: "™",
};

// A start or end tag as the HTML tokenizer reads it when nothing about it is unusual.
// Only HTML's own whitespace separates attributes (a no-break space would be part of a name).
const TAG =
  /<(\/?)([A-Za-z][A-Za-z0-9]*)((?:[\t\n\f\r ]+[^\t\n\f\r "'<>/=`]+(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r "'<>=`]+))?)*)[\t\n\f\r ]*(\/?)>/y;
const REFERENCE = /&(?:([A-Za-z][A-Za-z0-9]*);|#([0-9]{1,7});|#[xX]([0-9A-Fa-f]{1,6});)/y;

/** Decodes the text between two tags, or undefined when a reference is one parse5 should read. */
function decodeText(text: string): string | undefined {
  if (text.includes("\0")) return undefined;
  const amp = text.indexOf("&");
  if (amp < 0) return text;
  let out = text.slice(0, amp);
  for (let i = amp; i < text.length;) {
    const next = text.indexOf("&", i);
    if (next < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, next);
    const after = text.charCodeAt(next + 1);
    const alnumOrHash = (after >= 48 && after <= 57) || (after >= 65 && after <= 90) || (after >= 97 && after <= 122) || after === 35;
    if (!alnumOrHash) {
      // A bare ampersand (`AT & T`) is text.
      out += "&";
      i = next + 1;
      continue;
    }
    REFERENCE.lastIndex = next;
    const m = REFERENCE.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) {
      const named = NAMED[m[1]];
      if (named === undefined) return undefined;
      out += named;
    } else {
      const code = m[2] !== undefined ? Number(m[2]) : parseInt(m[3], 16);
      // NUL, C1 controls (read as windows-1252), surrogates and out-of-range numbers have rules of their own.
      if (code === 0 || (code >= 0x80 && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return undefined;
      out += String.fromCodePoint(code);
    }
    i = REFERENCE.lastIndex;
  }
  return out;
}

/**
 * The text content of `html` as parse5 would build it, with a space after each block element, or
 * undefined when the fragment uses anything beyond properly nested common tags and references.
 */
export function simpleHtmlText(html: string): string | undefined {
  const stack: string[] = [];
  let out = "";
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    const end = lt < 0 ? html.length : lt;
    if (end > at) {
      const text = decodeText(html.slice(at, end));
      if (text === undefined) return undefined;
      out += text;
    }
    if (lt < 0) break;
    const c = html.charCodeAt(lt + 1);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!letter && c !== 47 /* / */ && c !== 33 /* ! */ && c !== 63 /* ? */) {
      // `<` before anything else (`a < b`) is text.
      out += "<";
      at = lt + 1;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(html);
    // Comments, doctypes, processing instructions and odd tags go to parse5.
    if (!m) return undefined;
    const [, slash, rawName, attributes, selfClosing] = m;
    const name = rawName.toLowerCase();
    if (!BLOCK.has(name) && !PHRASING.has(name) && !VOID.has(name)) return undefined;
    if (slash) {
      if (attributes !== "" || selfClosing) return undefined;
      // An end tag that does not close the current element makes parse5 repair the tree.
      if (stack.pop() !== name) return undefined;
      if (BLOCK.has(name)) out += " ";
    } else if (VOID.has(name)) {
      if (name === "hr" && stack.includes("p")) return undefined; // <hr> closes an open <p>
      if (BLOCK.has(name)) out += " ";
    } else {
      if (selfClosing) return undefined; // `<p/>` opens a <p> in HTML
      if (!PHRASING.has(name) && stack.includes("p")) return undefined; // a block start closes an open <p>
      if (name === "a" && stack.includes("a")) return undefined;
      if (HEADINGS.has(name) && stack.some((s) => HEADINGS.has(s))) return undefined;
      if (name === "li") {
        const list = stack.findLastIndex((s) => s === "ul" || s === "ol" || s === "li");
        if (list >= 0 && stack[list] === "li") return undefined; // a new <li> closes the open one
      }
      stack.push(name);
    }
    at = TAG.lastIndex;
  }
  // Elements left open close at the end, each block one still followed by its space.
  for (let i = stack.length - 1; i >= 0; i--) if (BLOCK.has(stack[i])) out += " ";
  return out;
}
