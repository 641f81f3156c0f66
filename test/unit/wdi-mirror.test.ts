import path from "node:path";
import { describe, expect, it } from "vitest";
import { Archive } from "../../activities/archive.js";
import { ParseError } from "../../sources/parser.js";
import { parsers } from "../../sources/parsers.js";
import { loadRegistry, startUrls } from "../../sources/registry.js";
import { isWdiMirrorCsv, parseWdiMirrorCsv, requestedSeries } from "../../sources/wdi-mirror.js";
import { peerComparisons } from "../../site/src/components/peers.js";
import { fixture, repoRoot } from "../helpers.js";

const asean = "KHM;BRN;IDN;LAO;MMR;MYS;PHL;SGP;THA;VNM";
const apiUrl = (code: string) => `https://api.worldbank.org/v2/country/${asean}/indicator/${code}?format=json&per_page=1000`;
const csv = (text: string) => new TextEncoder().encode(text);
const input = (body: Uint8Array, url = apiUrl("IT.NET.USER.ZS"), options: Record<string, unknown> = {}) => ({
  sourceId: "worldbank-wdi",
  url,
  body,
  options,
});

describe("WDI mirror CSV parser", () => {
  it("reads the rows of the series and countries the API URL asks for", () => {
    const body = csv(
      "indicator,country,year,value\nIT.NET.USER.ZS,KHM,2023,60.7171\nIT.NET.USER.ZS,THA,2023,89.5\n" +
        "IT.NET.USER.ZS,JPN,2023,87\nSP.POP.TOTL,KHM,2023,17423880\n",
    );
    const { rows, rejected } = parseWdiMirrorCsv(
      input(body, apiUrl("IT.NET.USER.ZS"), {
        series_names: { "IT.NET.USER.ZS": "Individuals using the Internet (% of population)" },
        units: { "IT.NET.USER.ZS": "% of population" },
      }),
    );
    expect(rejected).toEqual([]);
    expect(rows.observations).toEqual([
      { indicator_code: "IT.NET.USER.ZS", country_iso3: "KHM", period: "2023", value: 60.7171, source_url: apiUrl("IT.NET.USER.ZS") },
      { indicator_code: "IT.NET.USER.ZS", country_iso3: "THA", period: "2023", value: 89.5, source_url: apiUrl("IT.NET.USER.ZS") },
    ]);
    expect(rows.indicators).toMatchObject([
      { indicator_code: "IT.NET.USER.ZS", name: "Individuals using the Internet (% of population)", unit: "% of population" },
    ]);
  });

  it("sets aside bad lines with the series, country and line, and keeps the rest", () => {
    const body = csv(
      "indicator,country,year,value\nIT.NET.USER.ZS,KHM,2023,n/a\nIT.NET.USER.ZS,KHM,23,1\n" +
        "IT.NET.USER.ZS,KHM,2022,55\nIT.NET.USER.ZS,KHM,2022,56\nIT.NET.USER.ZS,KHM\n",
    );
    const { rows, rejected } = parseWdiMirrorCsv(input(body));
    expect(rows.observations!.map((o) => o.value)).toEqual([55]);
    expect(rejected).toEqual([
      { record: "IT.NET.USER.ZS/KHM/2023 (line 2)", reason: 'value is not a number: "n/a"' },
      { record: "IT.NET.USER.ZS/KHM/23 (line 3)", reason: 'unrecognised year "23"' },
      { record: "IT.NET.USER.ZS/KHM/2022 (line 5)", reason: "a second value for this series, country and year" },
      { record: "line 6", reason: "expected 4 fields, got 2" },
    ]);
  });

  it("refuses a file with another header, or none of the series asked for, naming the URL", () => {
    expect(() => parseWdiMirrorCsv(input(csv("geo,time,internet_users\nkhm,2023,60\n")))).toThrow(ParseError);
    expect(() => parseWdiMirrorCsv(input(csv("indicator,country,year,value\nSP.POP.TOTL,KHM,2023,1\n")))).toThrow(
      /holds no values of IT.NET.USER.ZS/,
    );
  });

  it("reads what an API URL asks for, with `;`-separated countries", () => {
    expect(requestedSeries(apiUrl("SP.POP.TOTL"))).toEqual({ indicator: "SP.POP.TOTL", countries: new Set(asean.split(";")) });
    expect(requestedSeries("https://api.worldbank.org/v2/country/all/indicator/SP.POP.TOTL?format=json")).toEqual({
      indicator: "SP.POP.TOTL",
      countries: undefined,
    });
  });

  it("lets the World Bank parser read API JSON and the mirror CSV alike, paging only the JSON", async () => {
    const json = await fixture("worldbank", "it-net-user-page1.json");
    expect(isWdiMirrorCsv(json)).toBe(false);
    expect(isWdiMirrorCsv(csv("\uFEFFindicator,country,year,value\r\nX,KHM,2020,1\r\n"))).toBe(true);
    const parser = parsers["worldbank-v2"];
    expect((await parser.parse(input(json))).rows.observations?.[1]).toMatchObject({ country_iso3: "KHM", value: 60.7171 });
    expect(parser.nextPages!(input(csv("indicator,country,year,value\nIT.NET.USER.ZS,KHM,2023,1\n")))).toEqual([]);
  });

  it("replays the bundled snapshot's mirror file: the ten ASEAN members for each of the five series", async () => {
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const wb = registry.find((s) => s.id === "worldbank-wdi")!;
    const snapshot = new Archive(path.join(repoRoot, "sources", "snapshot"));
    const counts: Record<string, number> = {};
    for (const url of startUrls(wb)) {
      const capture = await snapshot.latest(url);
      expect(capture, url).toBeDefined();
      const body = await snapshot.read(capture!.sha256);
      if (!isWdiMirrorCsv(body)) continue;
      expect(capture!.retrievedFrom?.[0].url).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[0-9a-f]{40}\//);
      expect(capture!.producer).toMatch(/^World Bank, World Development Indicators/);
      const { rows, rejected } = parseWdiMirrorCsv(input(body, url, wb.options));
      expect(rejected).toEqual([]);
      expect(new Set(rows.observations!.map((o) => o.country_iso3)).size).toBe(10);
      counts[rows.indicators![0].indicator_code!] = rows.observations!.length;
    }
    // The reference file's README gives these counts per series (2,255 values in all).
    expect(counts).toEqual({
      "IT.NET.USER.ZS": 306,
      "IT.CEL.SETS.P2": 514,
      "IT.NET.BBND.P2": 221,
      "NY.GDP.MKTP.CD": 564,
      "SP.POP.TOTL": 650,
    });
  });
});

describe("ASEAN peer comparison", () => {
  const v = (country_iso3: string, period: string, value: number | null) => ({ indicator_code: "X", country_iso3, period, value });
  it("compares the latest year with Cambodia and at least five peers, ranking from the highest value", () => {
    const peers = ["BRN", "IDN", "LAO", "MYS", "PHL"];
    const series = [
      v("KHM", "2023", 40),
      v("THA", "2023", 80),
      ...peers.map((p, i) => v(p, "2022", 10 * (i + 1))),
      v("KHM", "2022", 35),
      v("SGP", "2022", null),
    ];
    expect(peerComparisons(series)).toEqual([
      expect.objectContaining({ indicator_code: "X", year: 2022, cambodia: 35, peers: 5, peer_median: 30, rank: 3, ranked: 6 }),
    ]);
  });

  it("falls back to the latest year with any peer, and leaves out an indicator with Cambodia alone", () => {
    const series = [v("KHM", "2023", 1), v("THA", "2023", 2), v("VNM", "2023", 4), { ...v("KHM", "2023", 5), indicator_code: "Y" }];
    expect(peerComparisons(series)).toEqual([
      expect.objectContaining({ indicator_code: "X", year: 2023, peer_median: 3, rank: 3, ranked: 3 }),
    ]);
  });
});
