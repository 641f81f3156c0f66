import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocumentList } from "../../sources/document-list.js";
import { ParseError } from "../../sources/parser.js";
import { parseUseCaseSheet } from "../../sources/use-case-sheet.js";
import { repoRoot } from "../helpers.js";

const yaml = (text: string) => ({
  sourceId: "use-cases",
  url: "repo:sources/curated/use-cases.yaml",
  body: new TextEncoder().encode(text),
});
const plain = {
  id: "a",
  name: "A",
  what_it_does: null,
  run_by: "MPTC",
  partner: null,
  status: null,
  sector_direction: null,
  nais_measure: null,
  link: null,
  document: "d",
  section: null,
  note: null,
};
const entry = (over: Record<string, string> = {}) => `  - ${JSON.stringify({ ...plain, ...over })}`;

describe("AI use cases register", () => {
  it("reads the shipped register: the ministry's use cases, each citing a listed document", async () => {
    const read = (f: string) => fs.readFile(path.join(repoRoot, "sources", "curated", f));
    const { rows, rejected } = parseUseCaseSheet({
      sourceId: "use-cases",
      url: "repo:sources/curated/use-cases.yaml",
      body: await read("use-cases.yaml"),
    });
    expect(rejected).toEqual([]);
    const names = rows.ai_use_cases!.map((u) => u.name);
    for (const name of [
      "TranslateKH",
      "Sarika",
      "Khmer Sign Language Recognition",
      "Khmer plate recognition",
      "Khmer Chatbot for Banking",
      "Khmer large language model (LLM)",
      "Reducing antimicrobial resistance (AMR)",
    ]) {
      expect(names).toContain(name);
    }
    const documents = new Set(
      parseDocumentList({ sourceId: "documents", url: "repo:x", body: await read("documents.yaml") }).rows.documents!.map(
        (d) => d.document_id,
      ),
    );
    expect(rows.ai_use_cases!.every((u) => documents.has(u.document_id!))).toBe(true);
    expect(rows.ai_use_cases!.find((u) => u.use_case_id === "sarika")).toMatchObject({
      nais_measure: "3.5, 3.6",
      link: "https://t.me/SarikaTTSEBot",
    });
  });

  it("sets aside a bad entry naming its index and field, and keeps the rest", () => {
    const { rows, rejected } = parseUseCaseSheet(
      yaml(`use_cases:\n${entry()}\n${entry({ id: "b", link: "javascript:alert(1)" })}\n${entry()}\n`),
    );
    expect(rows.ai_use_cases!.map((u) => u.use_case_id)).toEqual(["a"]);
    expect(rejected).toEqual([
      { record: "use_cases[1] (b)", reason: "link: must be a public http(s) URL" },
      { record: "use_cases[2] (a)", reason: "id a appears twice" },
    ]);
  });

  it("refuses a document without a use_cases list", () => {
    expect(() => parseUseCaseSheet(yaml("cases: []\n"))).toThrow(ParseError);
  });
});
