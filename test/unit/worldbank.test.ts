import { describe, expect, it } from "vitest";
import { ParseError } from "../../sources/parser.js";
import { nextWorldBankPages, parseWorldBank } from "../../sources/worldbank.js";
import { fixture } from "../helpers.js";

const url = "https://api.worldbank.org/v2/country/KHM/indicator/IT.NET.USER.ZS?format=json&per_page=2";
const units = { "IT.NET.USER.ZS": "% of population" };
const input = async (name: string) => ({ sourceId: "worldbank-wdi", url, body: await fixture("worldbank", name), options: { units } });

describe("World Bank API v2 parser", () => {
  it("reads observations, keeps null years as missing values and takes the unit from the registry options", async () => {
    const { rows, rejected } = parseWorldBank(await input("it-net-user-page1.json"));
    expect(rejected).toEqual([]);
    expect(rows.observations).toEqual([
      { indicator_code: "IT.NET.USER.ZS", country_iso3: "KHM", period: "2024", value: null, source_url: url },
      { indicator_code: "IT.NET.USER.ZS", country_iso3: "KHM", period: "2023", value: 60.7171, source_url: url },
    ]);
    expect(rows.indicators).toEqual([
      {
        indicator_code: "IT.NET.USER.ZS",
        name: "Individuals using the Internet (% of population)",
        unit: "% of population",
        source_note: "World Bank World Development Indicators, last updated 2025-07-01",
      },
    ]);
  });

  it("asks for the next page until the last one, accepting numeric strings in the paging object", async () => {
    expect(nextWorldBankPages(await input("it-net-user-page1.json"))).toEqual([`${url}&page=2`]);
    expect(nextWorldBankPages({ ...(await input("it-net-user-page2.json")), url: `${url}&page=2` })).toEqual([]);
    expect(parseWorldBank(await input("it-net-user-page2.json")).rows.observations?.[0].value).toBe(59.6606);
  });

  it("treats an empty result as no rows, not an error", async () => {
    const { rows, rejected } = parseWorldBank(await input("empty.json"));
    expect(rows.observations).toEqual([]);
    expect(rejected).toEqual([]);
  });

  it("quarantines bad rows with a reason naming the record and keeps the good ones", async () => {
    const { rows, rejected } = parseWorldBank(await input("bad-rows.json"));
    expect(rows.observations?.map((o) => o.period)).toEqual(["2023"]);
    expect(rejected).toEqual([
      { record: "SP.POP.TOTL/KHM/2022", reason: 'value is not a number: "17201724"' },
      { record: "observations[2]", reason: "missing indicator.id" },
      { record: "SP.POP.TOTL observations[3]", reason: 'unrecognised date "twenty"' },
    ]);
  });

  it.each([
    ["truncated.json", /worldbank-wdi: cannot parse .*IT\.NET\.USER\.ZS.*: not valid JSON/],
    ["wrong-shape.json", /expected a JSON array \[paging, observations\]/],
    ["error-invalid-value.json", /the API returned an error: 120 Invalid value: The provided parameter value is not valid/],
  ])("rejects %s as a whole with an error naming the source and URL", async (name, message) => {
    const attempt = async () => parseWorldBank(await input(name));
    await expect(attempt()).rejects.toThrow(ParseError);
    await expect(attempt()).rejects.toThrow(message);
  });

  it("never guesses a unit from parenthesised text in the name", async () => {
    const doc = [
      { page: 1, pages: 1, per_page: 50, total: 1, lastupdated: "2025-07-01" },
      [
        {
          indicator: { id: "X.Y", value: "A law exists (1=yes; 0=no)" },
          country: { id: "KH", value: "Cambodia" },
          countryiso3code: "KHM",
          date: "2023",
          value: 1,
          unit: "",
        },
      ],
    ];
    const { rows } = parseWorldBank({ sourceId: "worldbank-wdi", url, body: new TextEncoder().encode(JSON.stringify(doc)) });
    expect(rows.indicators).toEqual([expect.objectContaining({ indicator_code: "X.Y", unit: null })]);
  });

  it("names a registry unit that is not text", async () => {
    await expect(async () =>
      parseWorldBank({ ...(await input("it-net-user-page1.json")), options: { units: { "IT.NET.USER.ZS": 5 } } }),
    ).rejects.toThrow(/worldbank-wdi: cannot parse .*: options\.units\.IT\.NET\.USER\.ZS: Expected string, received number/);
  });
});
