import path from "node:path";
import { describe, expect, it } from "vitest";
import { Archive } from "../../activities/archive.js";
import { parseAiidSnapshot } from "../../sources/aiid-snapshot.js";
import { aseanMentions } from "../../sources/asean.js";
import { loadRegistry, startUrls } from "../../sources/registry.js";
import { repoRoot } from "../helpers.js";

const header =
  "_id,incident_id,date,reports,Alleged deployer of AI system,Alleged developer of AI system,Alleged harmed or nearly harmed parties,description,title";
const table = (...lines: string[]) => new TextEncoder().encode(`${header}\n${lines.join("\n")}\n`);
const input = (body: Uint8Array) => ({ sourceId: "aiid-incident-table", url: "https://example.org/incidents.csv", body });

describe("The AIID incident table read alone (a mirror of the snapshot's incidents.csv)", () => {
  it("builds the same Cambodian rows as the archive, without report links, and lists every ASEAN-naming incident", async () => {
    const { rows, rejected } = await parseAiidSnapshot(
      input(
        table(
          'ObjectId(1),7001,2031-05-02,"[1,2]","[""acme-bank""]","[]","[""customers-in-phnom-penh""]",A chatbot misled customers of a bank ' +
            "in Cambodia.,Bank chatbot misleads customers",
          'ObjectId(2),7002,2031-06-01,[3],"[""unnamed-thai-national""]","[]","[]",A cloned voice of a minister circulated.,Voice clone of a Thai minister',
          "ObjectId(3),7003,2031-07-01,[4],[],[],[],Nothing regional here.,Unrelated incident",
        ),
      ),
    );
    expect(rejected).toEqual([]);
    expect(rows.incidents).toEqual([
      expect.objectContaining({
        incident_key: "aiid:7001",
        source_incident_id: "7001",
        occurred_on: "2031-05-02",
        deployers: ["acme-bank"],
        harmed_parties: ["customers-in-phnom-penh"],
        report_urls: [],
        status: "published",
      }),
    ]);
    expect(rows.aiid_asean_incidents).toEqual([
      {
        incident_id: "7001",
        occurred_on: "2031-05-02",
        title: "Bank chatbot misleads customers",
        description: "A chatbot misled customers of a bank in Cambodia.",
        countries: ["KHM"],
        matched_terms: ["Cambodia"],
      },
      {
        incident_id: "7002",
        occurred_on: "2031-06-01",
        title: "Voice clone of a Thai minister",
        description: "A cloned voice of a minister circulated.",
        countries: ["THA"],
        matched_terms: ["Thai"],
      },
    ]);
  });

  it("still rejects a broken Cambodian row with its line", async () => {
    const { rows, rejected } = await parseAiidSnapshot(
      input(table('ObjectId(1),7001,2031-05-02,"[1,x]",[],[],[],Fraud in Cambodia.,Title')),
    );
    expect(rows.incidents).toEqual([]);
    expect(rejected).toEqual([{ record: "incidents.csv line 2", reason: 'reports "[1,x]" is not a list' }]);
  });

  it("names members by whole words only, each with the first term that matched", () => {
    expect(aseanMentions("Thailand and Cambodian officials; a Thai-language clip")).toEqual([
      { iso3: "KHM", term: "Cambodian" },
      { iso3: "THA", term: "Thailand" },
    ]);
    expect(aseanMentions("Thaiwan? Malaysiana? Indonesians.")).toEqual([{ iso3: "IDN", term: "Indonesians" }]);
  });

  it("finds in the bundled snapshot's table the four incidents about Cambodia its README lists", async () => {
    const registry = await loadRegistry(path.join(repoRoot, "sources", "registry.yaml"));
    const [url] = startUrls(registry.find((s) => s.id === "aiid-incident-table")!);
    const snapshot = new Archive(path.join(repoRoot, "sources", "snapshot"));
    const capture = (await snapshot.latest(url))!;
    expect(capture.licence).toMatch(/^CC BY-SA 4\.0/);
    const { rows, rejected } = await parseAiidSnapshot({ sourceId: "aiid-incident-table", url, body: await snapshot.read(capture.sha256) });
    expect(rejected).toEqual([]);
    expect(rows.incidents!.map((r) => [r.source_incident_id, r.occurred_on])).toEqual([
      ["229", "2018-04-23"],
      ["918", "2025-02-04"],
      ["1127", "2025-06-27"],
      ["1291", "2024-08-01"],
    ]);
    const regional = rows.aiid_asean_incidents!;
    expect(
      regional
        .filter((r) => r.countries!.includes("KHM"))
        .map((r) => r.incident_id)
        .sort(),
    ).toEqual(["1127", "1291", "229", "918"]);
    expect(regional.length).toBeGreaterThan(rows.incidents!.length);
  });
});
