// Content-addressed archive of every fetched body (docs/architecture.md rule 3). Bodies are stored once per
// sha256, gzipped; each capture of a URL gets its own small metadata file, so parsers can be re-run
// over the archive without the network and the bundled snapshot uses the very same format.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

export type CaptureOrigin = "live" | "repo" | "snapshot";

export interface Capture {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** ISO 8601 time the body was retrieved from its origin. */
  retrievedAt: string;
  sha256: string;
  bytes: number;
  origin: CaptureOrigin;
  /** Where a snapshot body's facts really come from, when the body was assembled rather than fetched. */
  note?: string;
  /** Who first published the facts (a mirror only republishes them), for bundled snapshot captures. */
  producer?: string;
  /** The licence the producer (and any mirror) gives the facts under. */
  licence?: string;
  /**
   * The files the bytes were really retrieved from when that is not `url`: a mirror's repository, path
   * and commit, and the file's address at that commit. A snapshot capture replays `url` with them.
   */
  retrievedFrom?: Array<{ url: string; repository?: string; path?: string; commit?: string; mirror?: string }>;
  /** The URL the body finally came from, when `url` redirected (within the registry's hosts). */
  finalUrl?: string;
  /** The Content-Encoding the body arrived in (`headers` are as received); the archived body is decoded. */
  decodedFrom?: string;
  /**
   * True when the origin answered 304 Not Modified to a conditional request: no body was sent, and
   * this record re-uses the body of the previous live capture, confirmed current at `retrievedAt`.
   */
  revalidated?: boolean;
}

export const sha256Hex = (body: Uint8Array) => createHash("sha256").update(body).digest("hex");

/**
 * A stored body that does not read back as the bytes its name promises (truncated gzip, flipped bits,
 * a missing file). It has been moved to `quarantine/` (when present), so the next put or fetch stores a
 * good copy in its place.
 */
export class ArchiveCorrupt extends Error {
  constructor(
    readonly file: string,
    readonly sha256: string,
    detail: string,
    readonly quarantined?: string,
  ) {
    super(`archive body ${file} (sha256 ${sha256}) is unreadable: ${detail}${quarantined ? `; moved to ${quarantined}` : ""}`);
    this.name = "ArchiveCorrupt";
  }
}
const urlKey = (url: string) => createHash("sha256").update(url).digest("hex").slice(0, 32);

export class Archive {
  constructor(readonly root: string) {}

  private bodyPath(sha: string) {
    return path.join(this.root, "bodies", sha.slice(0, 2), `${sha}.gz`);
  }

  private capturesDir(url: string) {
    return path.join(this.root, "captures", urlKey(url));
  }

  /** Stores the body (if new) and a capture record; returns the record. */
  async put(body: Uint8Array, meta: Omit<Capture, "sha256" | "bytes">): Promise<Capture> {
    const sha256 = sha256Hex(body);
    const capture: Capture = { ...meta, sha256, bytes: body.byteLength };
    const file = this.bodyPath(sha256);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A body already stored is checked, not trusted: a corrupt one is quarantined and written again
    // from these bytes, so a damaged archive heals on the next fetch instead of failing every run.
    if (!(await this.verify(sha256))) await this.writeBody(file, body);
    await this.record(capture);
    return capture;
  }

  /** Stores a good copy of a body under its sha256 (healing a quarantined one); refuses bytes that do not match it. */
  async restore(sha256: string, body: Uint8Array): Promise<void> {
    const actual = sha256Hex(body);
    if (actual !== sha256) throw new Error(`cannot restore archive body ${sha256}: the replacement hashes to ${actual}`);
    const file = this.bodyPath(sha256);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await this.writeBody(file, body);
  }

  private async writeBody(file: string, body: Uint8Array): Promise<void> {
    // Write then rename, so a crash never leaves a truncated body under its final name.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, gzipSync(body, { level: 9 }));
    await fs.rename(tmp, file);
  }

  /** Adds a capture record for a body that is already in this archive or another one. */
  async record(capture: Capture): Promise<void> {
    const dir = this.capturesDir(capture.url);
    await fs.mkdir(dir, { recursive: true });
    const name = `${capture.retrievedAt.replace(/[:.]/g, "")}-${capture.sha256.slice(0, 12)}.json`;
    await fs.writeFile(path.join(dir, name), `${JSON.stringify(capture, null, 2)}\n`);
  }

  /** Copies a capture and its body from another archive (the bundled snapshot) into this one. */
  async adopt(from: Archive, capture: Capture): Promise<Capture> {
    const body = await from.read(capture.sha256);
    await this.put(body, { ...capture });
    return capture;
  }

  /** The body, checked against its sha256; a body that fails the check is quarantined and ArchiveCorrupt thrown. */
  async read(sha256: string): Promise<Uint8Array> {
    const file = this.bodyPath(sha256);
    let stored: Buffer;
    try {
      stored = await fs.readFile(file);
    } catch (error) {
      throw new ArchiveCorrupt(file, sha256, (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : (error as Error).message);
    }
    let body: Uint8Array;
    try {
      body = gunzipSync(stored);
    } catch (error) {
      throw new ArchiveCorrupt(
        file,
        sha256,
        `not a complete gzip stream (${(error as Error).message})`,
        await this.quarantine(file, sha256),
      );
    }
    const actual = sha256Hex(body);
    if (actual !== sha256) throw new ArchiveCorrupt(file, sha256, `its bytes hash to ${actual}`, await this.quarantine(file, sha256));
    return body;
  }

  /**
   * True when a good copy of the body is stored here. Reads and checks the whole body (a stored body
   * cannot be trusted by its name alone); a bad one is quarantined, so false means "store it again".
   */
  async verify(sha256: string): Promise<boolean> {
    try {
      await this.read(sha256);
      return true;
    } catch (error) {
      if (error instanceof ArchiveCorrupt) return false;
      throw error;
    }
  }

  /** True when a body with this sha256 is stored here (its bytes are not checked: see verify). */
  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.bodyPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Moves a bad body out of the way, kept for inspection under quarantine/; returns where it went. */
  private async quarantine(file: string, sha256: string): Promise<string | undefined> {
    const target = path.join(this.root, "quarantine", `${sha256}.${Date.now()}.${process.pid}.gz`);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(file, target);
      return target;
    } catch {
      // A read-only archive (the bundled snapshot on a read-only checkout) cannot move it; the error still names it.
      return undefined;
    }
  }

  /** Capture record file names of a URL, newest first (names start with the retrieval time). */
  private async captureNames(url: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.capturesDir(url)))
        .filter((n) => n.endsWith(".json"))
        .sort()
        .reverse();
    } catch {
      return [];
    }
  }

  private async readCapture(url: string, name: string): Promise<Capture> {
    return JSON.parse(await fs.readFile(path.join(this.capturesDir(url), name), "utf8")) as Capture;
  }

  /** The newest capture of a URL, if any. */
  async latest(url: string): Promise<Capture | undefined> {
    const [newest] = await this.captureNames(url);
    return newest ? this.readCapture(url, newest) : undefined;
  }

  /**
   * The newest successful capture of a URL fetched from the network (origin "live", status 2xx),
   * if any: the one a conditional request revalidates. Snapshot and repo captures never count.
   */
  async latestLive(url: string): Promise<Capture | undefined> {
    for (const name of await this.captureNames(url)) {
      const capture = await this.readCapture(url, name);
      if (capture.origin === "live" && capture.status >= 200 && capture.status < 300) return capture;
    }
    return undefined;
  }
}
