import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allowedHosts, parseRegistry, startUrls } from "../../sources/registry.js";
import { repoRoot } from "../helpers.js";

describe("Source registry", () => {
  it("accepts the shipped registry and expands World Bank series into one URL each", async () => {
    const sources = parseRegistry(await fs.readFile(path.join(repoRoot, "sources", "registry.yaml"), "utf8"));
    const wb = sources.find((s) => s.id === "worldbank-wdi")!;
    expect(startUrls(wb)).toHaveLength(wb.indicators!.length);
    expect(startUrls(wb)[0]).toBe(
      "https://api.worldbank.org/v2/country/KHM;BRN;IDN;LAO;MMR;MYS;PHL;SGP;THA;VNM/indicator/IT.NET.USER.ZS?format=json&per_page=1000",
    );
    expect(allowedHosts(wb)).toEqual(["api.worldbank.org"]);
  });

  it("names the entry and the field that are wrong", () => {
    const text = `sources:
  - id: good-one
    title: ok
    kind: news
    parser: worldbank-v2
    urls: ["https://example.org/feed"]
    cadence: daily
    licence: x
    attribution: y
  - id: Bad_Id
    title: t
    kind: gossip
    parser: nope
    urls: ["ftp://x"]
    cadence: daily
    licence: x
    attribution: y
`;
    const parse = () => parseRegistry(text, "reg.yaml");
    expect(parse).toThrow(/reg\.yaml is invalid/);
    expect(parse).toThrow('sources[1] (id "Bad_Id").id: must be lower-case letters, digits and dashes');
    expect(parse).toThrow('sources[1] (id "Bad_Id").kind');
    expect(parse).toThrow('unknown parser "nope"');
    expect(parse).toThrow('"ftp://x" must start with http://, https:// or repo:');
    expect(parse).not.toThrow("sources[0]");
  });

  it("refuses duplicate ids and a template without indicators", () => {
    const entry = (id: string) =>
      `  - {id: ${id}, title: t, kind: indicator, parser: worldbank-v2, url_template: "https://a/{indicator}", indicators: [X.Y], cadence: ` +
      `monthly, licence: l, attribution: a}\n`;
    expect(() => parseRegistry(`sources:\n${entry("a")}${entry("a")}`)).toThrow('source id "a" appears twice');
    expect(() =>
      parseRegistry(
        `sources:\n  - {id: a, title: t, kind: indicator, parser: worldbank-v2, url_template: "https://a/{indicator}", cadence: monthly, ` +
          `licence: l, attribution: a}\n`,
      ),
    ).toThrow("`url_template` needs a list of `indicators`");
  });
});
