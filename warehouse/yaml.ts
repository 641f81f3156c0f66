// Reading the warehouse's YAML files (metadata.yaml, quality-rules.yaml): parse, check against a zod schema,
// and say what is wrong naming the file and each wrong field's path.
import { parse as parseYaml } from "yaml";
import type { z } from "zod";

/**
 * The file's contents as `schema` reads them; throws `<file>: not valid YAML: …` or `<file> is invalid:` with
 * one line per issue, its path written by `formatPath`. Given `empty`, an empty file reads as that.
 */
export function parseYamlFile<S extends z.ZodTypeAny>(
  schema: S,
  text: string,
  file: string,
  { formatPath, empty }: { formatPath: (path: Array<string | number>) => string; empty?: unknown },
): z.infer<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = schema.safeParse(empty === undefined ? raw : (raw ?? empty));
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new Error(`${file} is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}
