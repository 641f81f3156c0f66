// Which capture bodies each source last loaded, so a fetch can tell "unchanged" without a parse
// (docs/architecture.md rule 3): written by the load, read by the fetch.
import fs from "node:fs/promises";

/**
 * Kept beside the warehouse file, because fetches may not open the warehouse while the one writer has it.
 * Ignored when the warehouse file is gone, so a fresh warehouse always gets a full load.
 */
export class LoadedState {
  private readonly file: string;
  constructor(private readonly warehouse: string) {
    this.file = `${warehouse}.loaded.json`;
  }

  private async all(): Promise<Record<string, string[]>> {
    try {
      await fs.access(this.warehouse);
      return JSON.parse(await fs.readFile(this.file, "utf8")) as Record<string, string[]>;
    } catch {
      return {};
    }
  }

  async read(sourceId: string): Promise<string[] | undefined> {
    return (await this.all())[sourceId];
  }

  async write(sourceId: string, captures: Array<{ sha256: string }>): Promise<void> {
    const state = await this.all();
    state[sourceId] = [...new Set(captures.map((c) => c.sha256))].sort();
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(state, null, 1)}\n`);
    await fs.rename(tmp, this.file);
  }
}

/** Same set of bodies as last loaded (order and retrieval times do not matter). */
export function sameCaptures(previous: string[] | undefined, captures: Array<{ sha256: string }>): boolean {
  if (!previous || captures.length === 0) return false;
  const now = [...new Set(captures.map((c) => c.sha256))].sort();
  return now.length === previous.length && now.every((sha, i) => sha === previous[i]);
}
