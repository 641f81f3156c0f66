// The source registry: what the observatory fetches, from where, how often and under what licence.
// It lives in sources/registry.yaml so analysts can add a feed or a series without touching code.
import fs from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parserNames } from "./parsers.js";

export const sourceKinds = ["indicator", "publication", "incident", "news", "event", "strategy"] as const;
export const cadences = ["manual", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"] as const;

/** A run's page cap per source, unless its registry entry sets `fetch.max_pages`. */
export const defaultMaxPages = 100;
/** A run's byte budget per source, unless its registry entry sets `fetch.max_run_bytes`. */
export const defaultMaxRunBytes = 100 * 1024 * 1024;

const sourceSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes"),
    title: z.string().min(1),
    kind: z.enum(sourceKinds),
    parser: z.string().refine(
      (p) => parserNames.includes(p),
      (p) => ({ message: `unknown parser "${p}"; known: ${parserNames.join(", ")}` }),
    ),
    urls: z
      .array(
        z.string().refine(
          (u) => /^(https?:\/\/|repo:)/.test(u),
          (u) => ({ message: `"${u}" must start with http://, https:// or repo:` }),
        ),
      )
      .optional(),
    url_template: z.string().optional(),
    indicators: z.array(z.string().regex(/^[A-Za-z0-9._]+$/, "not an indicator code")).optional(),
    cadence: z.enum(cadences),
    licence: z.string().min(1),
    attribution: z.string().min(1),
    enabled: z.boolean().default(true),
    /** Politeness and safety limits for this source's requests; unset fields take the fetch layer's defaults. */
    fetch: z
      .object({
        /** Least time between two requests to one host, in ms (a host's robots.txt Crawl-delay may ask for more). */
        min_interval_ms: z.number().int().min(0).max(600_000).optional(),
        /** Requests in flight to one host at once. */
        max_concurrency: z.number().int().min(1).max(16).optional(),
        /** Longest one request may take, in ms. */
        timeout_ms: z.number().int().min(1000).max(600_000).optional(),
        /** Largest body accepted (after decompression), in bytes. */
        max_bytes: z.number().int().min(1024).optional(),
        /**
         * Most pages fetched per run, start URLs included: paging stops there with a warning, and what
         * was fetched is parsed. Bounds a source whose paging never ends. @default 100
         */
        max_pages: z.number().int().min(1).max(100_000).default(defaultMaxPages),
        /** Most bytes fetched per run, all pages together (after decompression). @default 104857600 (100 MiB) */
        max_run_bytes: z.number().int().min(1024).default(defaultMaxRunBytes),
      })
      .strict()
      .default({ max_pages: defaultMaxPages, max_run_bytes: defaultMaxRunBytes }),
    /** Parser-specific settings, handed to the parser as `options` (see README). */
    options: z.record(z.unknown()).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    const hasUrls = (s.urls?.length ?? 0) > 0;
    const hasTemplate = Boolean(s.url_template);
    if (hasUrls === hasTemplate) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "give exactly one of `urls` or `url_template`", path: ["urls"] });
    }
    if (hasTemplate && !(s.indicators?.length ?? 0)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "`url_template` needs a list of `indicators`", path: ["indicators"] });
    }
  });

const registrySchema = z.object({ sources: z.array(sourceSchema).min(1) }).strict();

export type SourceEntry = z.infer<typeof sourceSchema>;

/** The URLs a source starts from (page 1 of each series for paged APIs). */
export function startUrls(source: SourceEntry): string[] {
  if (source.urls) return source.urls;
  return (source.indicators ?? []).map((code) => source.url_template!.replace("{indicator}", encodeURIComponent(code)));
}

/** Hosts a source may fetch from; the fetch layer refuses any other (docs/architecture.md rule 7). */
export function allowedHosts(source: SourceEntry): string[] {
  return [
    ...new Set(
      startUrls(source)
        .filter((u) => /^https?:/.test(u))
        .map((u) => new URL(u).host),
    ),
  ];
}

/** Parses and validates registry text; errors name the file, the entry and the field. */
export function parseRegistry(text: string, file = "sources/registry.yaml"): SourceEntry[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = registrySchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const [first, index, ...rest] = issue.path;
      const entries = (raw as { sources?: Array<{ id?: unknown }> })?.sources;
      const where =
        first === "sources" && typeof index === "number"
          ? `sources[${index}]${entries?.[index]?.id ? ` (id "${String(entries[index].id)}")` : ""}${rest.length ? `.${rest.join(".")}` : ""}`
          : issue.path.join(".") || "(top level)";
      return `  ${where}: ${issue.message}`;
    });
    throw new Error(`${file} is invalid:\n${lines.join("\n")}`);
  }
  const ids = new Set<string>();
  for (const s of result.data.sources) {
    if (ids.has(s.id)) throw new Error(`${file} is invalid:\n  source id "${s.id}" appears twice`);
    ids.add(s.id);
  }
  return result.data.sources;
}

export async function loadRegistry(file: string): Promise<SourceEntry[]> {
  return parseRegistry(await fs.readFile(file, "utf8"), file);
}
