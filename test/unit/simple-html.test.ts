import { describe, expect, it } from "vitest";
import { simpleHtmlText } from "../../sources/simple-html.js";
import { domHtmlToText, htmlToText, normaliseText } from "../../sources/text.js";

// Pieces of markup, plain and tricky, that random fragments are made of.
const pieces = [
  "<p>",
  "</p>",
  "<b>",
  "</b>",
  '<a href="x>y">',
  "</a>",
  "<br>",
  "<br/>",
  "<hr>",
  "<div>",
  "</div>",
  "<li>",
  "</li>",
  "<ul>",
  "</ul>",
  "<h2>",
  "</h2>",
  "<h3>",
  "x",
  "y z",
  " ",
  "&amp;",
  "&nbsp;",
  "&#8217;",
  "&#x41;",
  "&foo;",
  "& ",
  "&#150;",
  "&#0;",
  "<",
  "< ",
  "<!-- c -->",
  "<span class=a>",
  "</span>",
  "<p/>",
  "</br>",
  "\n",
  '<img src="x" />',
  "&copy",
  "<P>",
  "</P>",
  "<em>",
  "</em>",
  "<blockquote>",
  "</blockquote>",
  "<strong>",
  "</strong>",
  "\u00a0",
  "<p\u00a0x>",
  "<script>",
  "</script>",
  "<pre>",
  "<table>",
  "<td>",
  "\u200b",
  "ក",
  "<font face='Limon S1'>",
  "</font>",
];

/** A small seeded generator, so a failure names a fragment that can be tried again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("simpleHtmlText", () => {
  it("reads the text of every fragment it accepts exactly as cheerio's HTML parser does", () => {
    const random = seeded(7);
    let accepted = 0;
    const differ: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      let html = "";
      for (let i = 1 + Math.floor(random() * 10); i > 0; i--) html += pieces[Math.floor(random() * pieces.length)];
      const simple = simpleHtmlText(html);
      if (simple === undefined) continue;
      accepted++;
      if (normaliseText(simple) !== domHtmlToText(html)) differ.push(html);
    }
    expect(differ.slice(0, 5)).toEqual([]);
    // Enough accepted fragments for the comparison to mean something.
    expect(accepted).toBeGreaterThan(1000);
  });

  it("takes the markup feeds usually hold and leaves anything parse5 would repair to cheerio", () => {
    expect(simpleHtmlText('<p>One&#8230; <a href="https://x/?a=1&amp;b=2">two</a></p><p>Three<br/>four</p>')).toBe("One… two Three four ");
    for (const html of [
      "<p>a<div>b</div></p>",
      "<b>a<i>b</b></i>",
      "a<!-- c -->b",
      "<script>x</script>",
      "<p/>a",
      "&eacute;",
      "<li>a<li>b",
    ])
      expect(simpleHtmlText(html)).toBeUndefined();
    expect(htmlToText("<p>a<div>b</div></p>")).toBe(domHtmlToText("<p>a<div>b</div></p>"));
  });
});
