import { describe, expect, it } from "vitest";
import { parseAiid } from "../../sources/aiid.js";
import { parseAiidListCell, parseAiidSnapshot } from "../../sources/aiid-snapshot.js";
import { ParseError, type ParseInput } from "../../sources/parser.js";
import { fixture } from "../helpers.js";

const URL_ = "https://pub-0000.r2.dev/backup-20310320100000.tar.bz2";
const input = async (name: string, options?: Record<string, unknown>): Promise<ParseInput> => ({
  sourceId: "aiid-snapshot",
  url: URL_,
  body: await fixture("aiid-snapshot", name),
  options,
});

describe("AI Incident Database snapshot parser", () => {
  it("builds the same row as the GraphQL parser for the same incident", async () => {
    const { rows } = await parseAiidSnapshot(await input("snapshot.tar.bz2"));
    const graphql = parseAiid({
      sourceId: "aiid",
      url: "https://incidentdatabase.ai/api/graphql",
      body: await fixture("aiid", "incidents.json"),
    });
    expect(rows.incidents![0]).toEqual(graphql.rows.incidents!.find((r) => r.incident_key === "aiid:90001"));
  });

  it("joins reports by number, so a place named only in a report title counts", async () => {
    const { rows } = await parseAiidSnapshot(await input("snapshot.tar.bz2"));
    expect(rows.incidents![1]).toMatchObject({
      incident_key: "aiid:90005",
      province: "Preah Sihanouk",
      report_urls: ["https://news.example.org/2031/07/face-swap"],
    });
  });

  it("keeps only the incidents that mention Cambodia", async () => {
    const { rows } = await parseAiidSnapshot(await input("snapshot.tar.bz2"));
    expect(rows.incidents!.map((r) => r.incident_key)).toEqual(["aiid:90001", "aiid:90005"]);
  });

  it("uses the registry's match_terms instead of the defaults when given", async () => {
    const { rows } = await parseAiidSnapshot(await input("snapshot.tar.bz2", { match_terms: ["tax advice"] }));
    expect(rows.incidents!.map((r) => r.incident_key)).toEqual(["aiid:90002"]);
    expect(rows.incidents![0]).toMatchObject({ deployers: ["Example Tax Office"], developers: [], harmed_parties: ["Taxpayers"] });
  });

  it("names entities from the dump's entities collection and keeps the slug of an entity it lacks", async () => {
    const { rows } = await parseAiidSnapshot(await input("snapshot.tar.bz2"));
    expect(rows.incidents![0].deployers).toEqual(["Unknown scammers"]);
    expect(rows.incidents![1].deployers).toEqual(["unnamed-scam-ring"]);
  });

  it("keeps entity slugs when the archive has no entities collection", async () => {
    const { rows } = await parseAiidSnapshot(await input("without-entities.tar.bz2"));
    expect(rows.incidents![0]).toMatchObject({
      deployers: ["unknown-scammers"],
      developers: ["example-voice-lab"],
      harmed_parties: ["bank-customers"],
    });
  });

  it("rejects a malformed Cambodian row, naming its line in incidents.csv", async () => {
    const { rejected } = await parseAiidSnapshot(await input("snapshot.tar.bz2"));
    // Line 6, not 5: the description of the row before it spans two lines.
    expect(rejected).toEqual([{ record: "incidents.csv line 6", reason: "has 5 fields where the header has 9" }]);
  });

  it("turns a truncated archive into a parse error naming the source and URL", async () => {
    const run = async () => parseAiidSnapshot(await input("truncated.tar.bz2"));
    await expect(run).rejects.toThrow(ParseError);
    await expect(run).rejects.toThrow(`aiid-snapshot: cannot parse ${URL_}: the bzip2 data is truncated or corrupt`);
  });

  it("turns corrupted bzip2 data into a parse error", async () => {
    const body = Buffer.from(await fixture("aiid-snapshot", "snapshot.tar.bz2"));
    body[body.length - 200] ^= 0xff;
    await expect(parseAiidSnapshot({ sourceId: "aiid-snapshot", url: URL_, body })).rejects.toThrow(
      /the bzip2 data is truncated or corrupt/,
    );
  });

  it("refuses an archive without incidents.csv", async () => {
    const run = async () => parseAiidSnapshot(await input("without-incidents.tar.bz2"));
    await expect(run).rejects.toThrow(ParseError);
    await expect(run).rejects.toThrow(`aiid-snapshot: cannot parse ${URL_}: the archive has no incidents.csv`);
  });

  it("refuses a body that is not bzip2, or bzip2 that is not a tar archive", async () => {
    const notBzip2 = { sourceId: "aiid-snapshot", url: URL_, body: new TextEncoder().encode("<html>snapshots</html>") };
    await expect(parseAiidSnapshot(notBzip2)).rejects.toThrow("not a bzip2 file");
    await expect(async () => parseAiidSnapshot(await input("not-a-tar.tar.bz2"))).rejects.toThrow(/not a readable tar archive/);
  });
});

describe("List cells of the snapshot's CSVs", () => {
  it("reads mongoexport's JSON arrays, its NumberLong numbers and comma-separated lists", () => {
    expect(parseAiidListCell("[990001,990003]")).toEqual(["990001", "990003"]);
    expect(parseAiidListCell('["facebook", "google"]')).toEqual(["facebook", "google"]);
    expect(parseAiidListCell("[NumberLong(12),NumberInt(3)]")).toEqual(["12", "3"]);
    expect(parseAiidListCell("facebook, google")).toEqual(["facebook", "google"]);
    expect(parseAiidListCell("")).toEqual([]);
    expect(parseAiidListCell("[]")).toEqual([]);
  });

  it("returns null for a cell that is neither", () => {
    expect(parseAiidListCell("[990001,")).toBeNull();
    expect(parseAiidListCell('[{"entity_id":"x"}]')).toBeNull();
  });
});
