import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  detectIncidentCandidate,
  groupStories,
  jaccard,
  loadTaxonomy,
  parseTaxonomy,
  tagText,
  titleShingles,
  type Taxonomy,
} from "../../sources/taxonomy.js";
import { repoRoot } from "../helpers.js";

const taxonomyFile = path.join(repoRoot, "sources", "taxonomy.yaml");
let taxonomy: Taxonomy;
beforeAll(async () => {
  taxonomy = await loadTaxonomy(taxonomyFile);
});

const tags = (text: string) => tagText(taxonomy, text).map((t) => `${t.dimension}/${t.tag}`);

/** A minimal valid taxonomy with the given `ai` and `harm` tags, for validation and matching cases. */
const small = (extra = "") => `dimensions:
  priority: { label: P, tags: { "1": { label: Skills, en: [skill*] } } }
  sector: { label: S, tags: { education: { label: Education, km: [គ្រូ] } } }
  ram_dimension: { label: R, tags: { economic: { label: Economic, en: [econom*] } } }
  ai: { label: A, tags: { ai: { label: AI, en: [AI, machine learning], km: [បញ្ញាសិប្បនិម្មិត] } } }
  harm: { label: H, tags: { scam: { label: Scam, en: [scam*], km: [ការឆបោក] }${extra} } }
`;

describe("Keyword taxonomy file", () => {
  it("uses the NAIS priority ids 1-6 and the NAIS sector direction ids", async () => {
    const nais = parseYaml(await fs.readFile(path.join(repoRoot, "sources", "strategy", "nais.yaml"), "utf8")) as {
      priorities: Array<{ id: number; title: string }>;
      sector_directions: Array<{ id: string }>;
    };
    const dims = Object.fromEntries(taxonomy.dimensions.map((d) => [d.id, d]));
    expect(dims.priority.tags.map((t) => t.id)).toEqual(nais.priorities.map((p) => String(p.id)));
    expect(dims.priority.tags.map((t) => t.label)).toEqual(nais.priorities.map((p) => p.title));
    expect(dims.sector.tags.map((t) => t.id)).toEqual(nais.sector_directions.map((s) => s.id));
  });

  it("has the five UNESCO RAM dimensions and English and Khmer terms for every AI and harm tag", () => {
    const dims = Object.fromEntries(taxonomy.dimensions.map((d) => [d.id, d]));
    expect(dims.ram_dimension.tags.map((t) => t.id)).toEqual([
      "legal_regulatory",
      "social_cultural",
      "scientific_educational",
      "economic",
      "technical_infrastructural",
    ]);
    for (const tag of [...dims.ai.tags, ...dims.harm.tags]) {
      expect(
        tag.terms.some((t) => t.pattern),
        `${tag.id} has English terms`,
      ).toBe(true);
      expect(
        tag.terms.some((t) => t.letters),
        `${tag.id} has Khmer terms`,
      ).toBe(true);
    }
  });

  it("names the file and the path of each bad term", () => {
    const bad = small(', fraud: { label: Fraud, en: ["fr*aud", ឆបោក], km: [fraud, ការឆបោក, ការឆបោក] }');
    const parse = () => parseTaxonomy(bad, "tax.yaml");
    expect(parse).toThrow(/^tax\.yaml is invalid:/);
    expect(parse).toThrow('dimensions.harm.tags.fraud.en[0]: "fr*aud": * is allowed only at the end');
    expect(parse).toThrow('dimensions.harm.tags.fraud.en[1]: "ឆបោក" is Khmer; list it under km');
    expect(parse).toThrow('dimensions.harm.tags.fraud.km[0]: "fraud" has no Khmer letters; list it under en');
    expect(parse).toThrow('dimensions.harm.tags.fraud.km[2]: "ការឆបោក" is listed twice');
  });

  it("requires all five dimensions and rejects unknown keys", () => {
    expect(() => parseTaxonomy("dimensions:\n  ai: { label: A, tags: { ai: { label: AI, en: [AI] } } }\n", "tax.yaml")).toThrow(
      /dimensions\.priority: Required/,
    );
    expect(() => parseTaxonomy(small().replace("label: Skills,", "label: Skills, colour: red,"), "tax.yaml")).toThrow(
      /dimensions\.priority\.tags\.1: Unrecognized key\(s\) in object: 'colour'/,
    );
    expect(() => parseTaxonomy("dimensions: [", "tax.yaml")).toThrow(/^tax\.yaml: not valid YAML/);
  });
});

describe("Tagging text", () => {
  it("matches English terms case-insensitively on whole words, with trailing wildcards and hyphens", () => {
    expect(tagText(parseTaxonomy(small()), "New Machine-Learning course on AI skills")).toEqual([
      { dimension: "priority", tag: "1", matched: "skill*" },
      { dimension: "ai", tag: "ai", matched: "AI" },
    ]);
    expect(tags("Officials said the rain will pass")).not.toContain("ai/artificial_intelligence");
    expect(tags("AI-powered tools and A.I. rules")).toContain("ai/artificial_intelligence");
    expect(tags("Police bust scam compounds")).toContain("harm/scam");
  });

  it("matches an English term written straight against Khmer text", () => {
    expect(tags("ការប្រើAIក្នុងវិស័យសាធារណៈ")).toContain("ai/artificial_intelligence");
  });

  it("matches a Khmer term only on word boundaries, never inside a longer word", () => {
    const t = parseTaxonomy(small());
    expect(tagText(t, "គ្រូ បង្រៀននៅសាលា").map((m) => m.tag)).toContain("education");
    // គ្រូពេទ្យ (doctor) is one word that begins with គ្រូ (teacher).
    expect(tagText(t, "គ្រូពេទ្យនៅមន្ទីរពេទ្យ").map((m) => m.tag)).not.toContain("education");
  });

  it("matches Khmer terms inside unspaced sentences and across zero-width spaces", () => {
    expect(tags("ក្រសួងព្រមានពីការឆបោកតាមអនឡាញដោយប្រើបញ្ញាសិប្បនិម្មិត")).toEqual(expect.arrayContaining(["ai/artificial_intelligence", "harm/scam"]));
    expect(tags("យុទ្ធសាស្ត្រជាតិ\u200Bស្ដីពី\u200Bបញ្ញា\u200Bសិប្បនិម្មិត")).toContain("ai/artificial_intelligence");
  });

  it("tags sectors, priorities and RAM dimensions in English and Khmer", () => {
    expect(tags("Hospitals pilot AI-assisted medical imaging")).toEqual(expect.arrayContaining(["sector/healthcare", "priority/4"]));
    expect(tags("កសិករប្រើបញ្ញាសិប្បនិម្មិតដើម្បីតាមដានដំណាំ")).toEqual(expect.arrayContaining(["sector/agriculture", "ai/artificial_intelligence"]));
    expect(tags("MPTC signs MoU with CADT on AI research")).toEqual(
      expect.arrayContaining(["priority/6", "ram_dimension/scientific_educational"]),
    );
    expect(tags("Draft law on personal data protection")).toEqual(
      expect.arrayContaining(["ram_dimension/legal_regulatory", "priority/5", "sector/digital"]),
    );
  });

  it("reports the first matching term in file order, once per tag", () => {
    const matches = tagText(taxonomy, "Deepfakes and deep fakes: a deepfake scam");
    expect(matches.filter((m) => m.dimension === "harm" && m.tag === "deepfake")).toEqual([
      { dimension: "harm", tag: "deepfake", matched: "deepfake*" },
    ]);
  });
});

describe("Incident candidates", () => {
  it("needs an AI term and a harm term", () => {
    expect(detectIncidentCandidate(taxonomy, "Police warn of online scams using AI chatbots")).toEqual({
      aiTerms: ["AI", "chatbot*"],
      harmTerms: ["scam*"],
      harmTags: ["scam"],
    });
    expect(detectIncidentCandidate(taxonomy, "Cambodia opens consultation on its AI strategy")).toBeNull();
    expect(detectIncidentCandidate(taxonomy, "Police bust a phone scam ring")).toBeNull();
  });

  it("counts a deepfake as both an AI term and a harm", () => {
    expect(detectIncidentCandidate(taxonomy, "Deepfake of minister circulates")).toEqual({
      aiTerms: ["deepfake*"],
      harmTerms: ["deepfake*"],
      harmTags: ["deepfake"],
    });
  });

  it("finds Khmer candidates: a scam using artificial intelligence", () => {
    const hit = detectIncidentCandidate(taxonomy, "ក្រសួងព្រមានពីការឆបោកតាមអនឡាញដោយប្រើបញ្ញាសិប្បនិម្មិត");
    expect(hit?.aiTerms).toEqual(["បញ្ញាសិប្បនិម្មិត"]);
    expect(hit?.harmTerms).toContain("ការឆបោក");
    expect(hit?.harmTags).toEqual(["scam"]);
  });

  it("finds Khmer fake news about AI but not AI news alone", () => {
    expect(detectIncidentCandidate(taxonomy, "ព័ត៌មានក្លែងក្លាយអំពីបញ្ញាសិប្បនិម្មិត")?.harmTags).toEqual(["misinformation"]);
    expect(detectIncidentCandidate(taxonomy, "យុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត")).toBeNull();
  });
});

describe("Story grouping", () => {
  const day = (d: number, h = 8) => `2025-07-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:00.000Z`;

  it("groups near-identical titles from different outlets within the window under the earliest item", () => {
    const stories = groupStories([
      { item_key: "kt", title: "Cambodia launches its national AI strategy", published_at: day(3) },
      { item_key: "pp", title: "Cambodia launches national AI strategy", published_at: day(2) },
      { item_key: "cj", title: "Cambodia Launches National AI Strategy!", published_at: day(4) },
      { item_key: "rice", title: "Rice exports rise in first half", published_at: day(3) },
    ]);
    expect(Object.fromEntries(stories)).toEqual({ pp: "pp", kt: "pp", cj: "pp", rice: "rice" });
  });

  it("keeps the same title apart when the dates are more than the window apart, or unknown", () => {
    const stories = groupStories([
      { item_key: "a", title: "Cambodia launches national AI strategy", published_at: day(1) },
      { item_key: "b", title: "Cambodia launches national AI strategy", published_at: day(20) },
      { item_key: "c", title: "Cambodia launches national AI strategy", published_at: null },
    ]);
    expect(Object.fromEntries(stories)).toEqual({ a: "a", b: "b", c: "c" });
  });

  it("groups Khmer titles through segmented words, whatever the spacing or spelling of subscripts", () => {
    const stories = groupStories([
      { item_key: "km1", title: "កម្ពុជាដាក់ចេញយុទ្ធសាស្ត្រជាតិស្តីពីបញ្ញាសិប្បនិម្មិត", published_at: day(2) },
      { item_key: "km2", title: "កម្ពុជា ដាក់ចេញ យុទ្ធសាស្ត្រជាតិស្ដីពីបញ្ញាសិប្បនិម្មិត ជាផ្លូវការ", published_at: day(3) },
      { item_key: "km3", title: "កសិករប្រើបច្ចេកវិទ្យាថ្មី", published_at: day(3) },
    ]);
    expect(Object.fromEntries(stories)).toEqual({ km1: "km1", km2: "km1", km3: "km3" });
  });

  it("accepts DuckDB's timestamp text and gives the same answer in any input order", () => {
    const items = [
      { item_key: "x", title: "Ministry condemns AI deepfake video", published_at: "2025-07-02 08:15:00+00" },
      { item_key: "y", title: "Ministry condemns deepfake AI video", published_at: "2025-07-02 15:00:00+07" },
      { item_key: "z", title: "Ministry condemns AI deepfake video", published_at: "2025-07-02 08:15:00+00" },
    ];
    const forward = groupStories(items);
    const backward = groupStories([...items].reverse());
    expect(Object.fromEntries(forward)).toEqual(Object.fromEntries(backward));
    expect(new Set(forward.values())).toEqual(new Set(["y"]));
  });

  it("measures title similarity with words and word pairs", () => {
    expect(jaccard(titleShingles("a b c"), titleShingles("a b c"))).toBe(1);
    expect(jaccard(titleShingles("AI strategy"), titleShingles("rice exports"))).toBe(0);
    expect(jaccard(titleShingles(""), titleShingles(""))).toBe(0);
  });
});
