import { describe, expect, it } from "vitest";
import { cambodianProvinces, canonicalProvince, detectProvince, parseAiid } from "../../sources/aiid.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { fixture } from "../helpers.js";

const URL_ = "https://incidentdatabase.ai/api/graphql?query=%7B%20incidents%20%7B%20incident_id%20%7D%20%7D";
const input = async (name: string, options?: Record<string, unknown>): Promise<ParseInput> => ({
  sourceId: "aiid",
  url: URL_,
  body: await fixture("aiid", name),
  options,
});

describe("AI Incident Database parser", () => {
  it("keeps only the incidents that mention Cambodia in their title, description or report titles", async () => {
    const { rows } = parseAiid(await input("incidents.json"));
    expect(rows.incidents!.map((r) => r.incident_key)).toEqual(["aiid:90001", "aiid:90005"]);
  });

  it("maps an incident to a published row with entity names, its date and the province it names", async () => {
    const { rows } = parseAiid(await input("incidents.json"));
    expect(rows.incidents![0]).toEqual({
      incident_key: "aiid:90001",
      source_incident_id: "90001",
      occurred_on: "2031-03-14",
      date_precision: "day",
      title: "Test incident: voice-clone call targets a bank customer in Phnom Penh",
      description: "Invented fixture record. A cloned voice was used in a call asking a customer to move money.",
      deployers: ["Unknown scammers"],
      developers: ["Example Voice Lab"],
      harmed_parties: ["Bank customers"],
      harm_types: [],
      sector: null,
      severity: null,
      province: "Phnom Penh",
      status: "published",
      report_urls: ["https://news.example.org/2031/03/voice-clone", "http://archive.example.net/voice-clone"],
    });
  });

  it("matches a place named only in a report title and stores the province under its official name", async () => {
    const { rows } = parseAiid(await input("incidents.json"));
    expect(rows.incidents![1]).toMatchObject({ source_incident_id: "90005", province: "Preah Sihanouk", description: expect.any(String) });
  });

  it("drops report links that are not http(s)", async () => {
    const { rows } = parseAiid(await input("incidents.json"));
    expect(rows.incidents!.flatMap((r) => r.report_urls!).some((u) => !/^https?:\/\//.test(u))).toBe(false);
  });

  it("quarantines Cambodian incidents without an id or a title, and items that are not objects", async () => {
    const { rejected } = parseAiid(await input("incidents.json"));
    expect(rejected).toEqual([
      { record: "incidents[2]", reason: "missing or non-numeric incident_id null" },
      { record: "incident 90004", reason: "missing title" },
      { record: "incidents[5]", reason: "not an object" },
    ]);
  });

  it("uses the registry's match_terms instead of the defaults when given", async () => {
    const { rows } = parseAiid(await input("incidents.json", { match_terms: ["tax advice"] }));
    expect(rows.incidents!.map((r) => r.source_incident_id)).toEqual(["90002"]);
    expect(rows.incidents![0].province).toBeNull();
  });

  it("refuses match_terms that are not a list of words", async () => {
    await expect(async () => parseAiid(await input("incidents.json", { match_terms: "Cambodia" }))).rejects.toThrow(/options\.match_terms/);
  });

  it("turns a GraphQL error response into a parse error naming the source, URL and message", async () => {
    const run = async () => parseAiid(await input("error.json"));
    await expect(run).rejects.toThrow(ParseError);
    await expect(run).rejects.toThrow(`aiid: cannot parse ${URL_}: the API returned errors: Cannot query field "incidentz"`);
  });

  it("rejects truncated JSON as a whole document", async () => {
    await expect(async () => parseAiid(await input("truncated.json"))).rejects.toThrow(/not valid JSON/);
  });

  it("rejects a response whose incidents are not a list", async () => {
    await expect(async () => parseAiid(await input("wrong-shape.json"))).rejects.toThrow("expected `data.incidents` to be a list");
  });

  it("rejects a duplicated incident and an impossible date", () => {
    const body = new TextEncoder().encode(
      JSON.stringify({
        data: {
          incidents: [
            { incident_id: 1, date: "2031-01-01", title: "Cambodia test one", reports: [] },
            { incident_id: 1, date: "2031-01-01", title: "Cambodia test one again", reports: [] },
            { incident_id: 2, date: "2031-02-30", title: "Cambodia test two", reports: [] },
          ],
        },
      }),
    );
    const { rows, rejected } = parseAiid({ sourceId: "aiid", url: URL_, body });
    expect(rows.incidents).toHaveLength(1);
    expect(rejected).toEqual([
      { record: "incident 1", reason: "incident_id appears more than once in the response" },
      { record: "incident 2", reason: 'date "2031-02-30" is not YYYY-MM-DD' },
    ]);
  });
});

describe("Province detection", () => {
  it("finds whole province names in any case and returns the earliest one named", () => {
    expect(detectProvince("Raid in svay rieng after a tip from Phnom Penh")).toBe("Svay Rieng");
    expect(detectProvince("Flooding near Kratié")).toBe("Kratie");
    expect(detectProvince("A Kandalese word is not Kandal province")).toBe("Kandal");
    expect(detectProvince("Nothing Cambodian here but Khmer")).toBeNull();
  });

  it("maps alternative spellings to the stored name and knows all 25 provinces and the capital's names", () => {
    expect(canonicalProvince("kompong thom")).toBe("Kampong Thom");
    expect(canonicalProvince("Sihanoukville")).toBe("Preah Sihanouk");
    expect(canonicalProvince("Atlantis")).toBeNull();
    expect(new Set(cambodianProvinces.map(([name]) => name)).size).toBe(25);
  });
});
