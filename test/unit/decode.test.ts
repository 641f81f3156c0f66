import { describe, expect, it } from "vitest";
import { charsetOf, decodeDocument, describeDecoding, legacyKhmerFont } from "../../sources/decode.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";

const latin1 = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const doc = (body: Uint8Array, contentType?: string): ParseInput => ({
  sourceId: "example-news",
  url: "https://news.example.kh/feed/",
  body,
  contentType,
});

describe("text decoding", () => {
  it("reads the charset parameter of a Content-Type, with or without quotes", () => {
    expect(charsetOf("text/xml; charset=windows-1252")).toBe("windows-1252");
    expect(charsetOf("application/atom+xml;charset='gb2312'")).toBe("gb2312");
    expect(charsetOf('text/html; charset="UTF-8"; foo=bar')).toBe("UTF-8");
    expect(charsetOf("application/xml")).toBeUndefined();
    expect(charsetOf(undefined)).toBeUndefined();
  });

  it("lets a byte-order mark win over every declaration", () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<?xml version="1.0" encoding="iso-8859-1"?><rss>é</rss>')]);
    const { text, decoding } = decodeDocument(doc(body, "text/xml; charset=koi8-r"), "xml");
    expect(text).toBe('<?xml version="1.0" encoding="iso-8859-1"?><rss>é</rss>');
    expect(decoding).toEqual({ encoding: "utf-8", decidedBy: "bom" });
  });

  it("takes the HTTP charset before the XML declaration, as feed readers do", () => {
    const body = latin1('<?xml version="1.0" encoding="utf-8"?><rss>\xa3</rss>');
    const { text, decoding } = decodeDocument(doc(body, "text/xml; charset=windows-1252"), "xml");
    expect(text).toContain("<rss>£</rss>");
    expect(decoding).toEqual({ encoding: "windows-1252", decidedBy: "content-type" });
  });

  it("reads an XML declaration that follows a blank line", () => {
    const body = latin1('\n<?xml version="1.0" encoding="ISO-8859-2" ?><rss>\xb3</rss>');
    const { text, decoding } = decodeDocument(doc(body), "xml");
    expect(text).toContain("<rss>ł</rss>");
    expect(describeDecoding(decoding)).toBe("iso-8859-2 (XML declaration)");
  });

  it("passes over a declaration that does not fit the bytes and says so", () => {
    const body = latin1('<?xml version="1.0" encoding="iso-8859-1"?><rss>caf\xe9</rss>');
    const { text, decoding } = decodeDocument(doc(body, "text/xml; charset=utf-8"), "xml");
    expect(text).toContain("café");
    expect(decoding).toEqual({
      encoding: "windows-1252",
      decidedBy: "xml-declaration",
      note: 'Content-Type charset "utf-8" does not fit the bytes (not valid utf-8)',
    });
  });

  it("reads a <meta charset> in a page, and never the XML declaration rule", () => {
    const body = latin1(
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>',
    );
    const { text, decoding } = decodeDocument(doc(body), "html");
    expect(text).toContain("Привет");
    expect(decoding).toEqual({ encoding: "windows-1251", decidedBy: "html-meta" });
  });

  it("reads undeclared UTF-8 as UTF-8 and anything else undeclared as windows-1252", () => {
    expect(decodeDocument(doc(new TextEncoder().encode("<rss>ស្វាគមន៍</rss>")), "xml").decoding).toEqual({
      encoding: "utf-8",
      decidedBy: "undeclared-utf-8",
    });
    const { text, decoding } = decodeDocument(doc(latin1("<rss>\x93quoted\x94 na\xefve</rss>")), "xml");
    expect(text).toBe("<rss>“quoted” naïve</rss>");
    expect(decoding.decidedBy).toBe("fallback");
  });

  it("decodes UTF-32, which TextDecoder lacks, from its mark or from the NULs around <", () => {
    const utf32 = (text: string, little: boolean, mark: boolean) => {
      const points = [...(mark ? "\ufeff" : ""), ...text].map((c) => c.codePointAt(0)!);
      const view = new DataView(new ArrayBuffer(points.length * 4));
      points.forEach((p, i) => view.setUint32(i * 4, p, little));
      return new Uint8Array(view.buffer);
    };
    expect(decodeDocument(doc(utf32("<rss>ស</rss>", true, true)), "xml")).toEqual({
      text: "<rss>ស</rss>",
      decoding: { encoding: "utf-32le", decidedBy: "bom" },
    });
    expect(decodeDocument(doc(utf32('<?xml version="1.0" encoding="utf-32"?><rss>é</rss>', false, false)), "xml")).toEqual({
      text: '<?xml version="1.0" encoding="utf-32"?><rss>é</rss>',
      decoding: { encoding: "utf-32be", decidedBy: "xml-declaration" },
    });
  });

  it("fails with the source, the URL and what was declared when no declaration can be used", () => {
    const bogus = () => decodeDocument(doc(latin1('<?xml version="1.0" encoding="bogus"?><rss/>')), "xml");
    expect(bogus).toThrow(ParseError);
    expect(bogus).toThrow(
      'example-news: cannot parse https://news.example.kh/feed/: cannot decode the text: XML declaration encoding="bogus" names no encoding this reader knows',
    );
    const wrong = () => decodeDocument(doc(latin1("<rss>caf\xe9</rss>"), "text/xml; charset=utf-8"), "xml");
    expect(wrong).toThrow(/Content-Type charset "utf-8" does not fit the bytes \(not valid utf-8\)/);
  });

  it("names a legacy Khmer font that the markup sets its text in, unless the text is Unicode Khmer", () => {
    expect(legacyKhmerFont('<p><font face="Limon S1">esckþIRbkas</font></p>', "esckþIRbkas")).toBe("Limon S1");
    expect(legacyKhmerFont('<p style="font-family: ABC-TEXT-05">eRbIR</p>', "eRbIR")).toBe("ABC-TEXT-05");
    expect(legacyKhmerFont('<p style="font-family: Limon S1">សេចក្ដីប្រកាស</p>', "សេចក្ដីប្រកាស")).toBeUndefined();
    expect(legacyKhmerFont('<p style="font-family: Hanuman, serif">Press release</p>', "Press release")).toBeUndefined();
  });
});
