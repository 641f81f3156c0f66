// Reports from the public (issue 16, NAIS measure 5.7): validation of what a person submits through the
// site's "Report an AI incident" form, and the intake's own store, one JSON file per report (mode 0600),
// which alone holds the optional contact detail. The warehouse only ever gets publicPart().
import { createHash, randomInt } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { RegisteredReport } from "../warehouse/intake.js";

/** What a reporter may send, and how much of it. */
export const intakeLimits = { whatMin: 20, whatMax: 4000, links: 5, linkMax: 500, contactMax: 200 } as const;

/** The part of a report the warehouse and the site may know: all of it but the contact. */
export type PublicReport = Omit<RegisteredReport, "sha256">;

export interface IntakeReport extends PublicReport {
  /** How to reach the reporter, if they gave it: never leaves the intake store. */
  contact: string | null;
}

/** A submission that cannot be accepted; `field` is the form field to fix. */
export class IntakeInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "IntakeInputError";
  }
}

// Crockford's base32 without I, L, O, U: easy to read out and type back.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE = /^R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export function newTrackingCode(): string {
  const part = () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
  return `R-${part()}-${part()}`;
}

export function isTrackingCode(code: string): boolean {
  return CODE.test(code);
}

export interface Provinces {
  provinces: string[];
  other: string[];
}

export async function loadProvinces(file: string): Promise<Provinces> {
  const doc = parseYaml(await fs.readFile(file, "utf8")) as Provinces;
  if (!Array.isArray(doc?.provinces) || doc.provinces.length === 0) throw new Error(`${file}: no provinces list`);
  return { provinces: doc.provinces.map(String), other: (doc.other ?? []).map(String) };
}

const clean = (v: string | null | undefined) =>
  (v ?? "")
    .normalize("NFC")
    .replace(/[\u200b\u0000]/g, "")
    .trim();

/**
 * Checks a submitted form (fields what, province, occurred, links, contact) and returns the report to
 * store. Every refusal names the field; text is NFC-normalised and capped, links must be http(s).
 */
export function validateReport(form: URLSearchParams, options: { now: Date; provinces: Provinces; trackingCode: string }): IntakeReport {
  const what = clean(form.get("what"));
  if (what.length < intakeLimits.whatMin)
    throw new IntakeInputError("what", `say what happened in at least ${intakeLimits.whatMin} characters`);
  if (what.length > intakeLimits.whatMax) throw new IntakeInputError("what", `is longer than ${intakeLimits.whatMax} characters`);

  const province = clean(form.get("province")) || null;
  if (province && !options.provinces.provinces.includes(province) && !options.provinces.other.includes(province)) {
    throw new IntakeInputError("province", "is not one of Cambodia's provinces on the form");
  }

  const occurred = clean(form.get("occurred")) || null;
  if (occurred) {
    const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(occurred);
    const day = m ? new Date(`${m[1]}-${m[2] ?? "01"}-${m[3] ?? "01"}T00:00:00Z`) : undefined;
    if (
      !m ||
      !day ||
      Number.isNaN(day.getTime()) ||
      (m[2] && day.getUTCMonth() + 1 !== Number(m[2])) ||
      (m[3] && day.getUTCDate() !== Number(m[3]))
    ) {
      throw new IntakeInputError("occurred", "must be a year, YYYY-MM or YYYY-MM-DD");
    }
    if (Number(m[1]) < 1990 || day.getTime() > options.now.getTime())
      throw new IntakeInputError("occurred", "must be a date between 1990 and today");
  }

  const links = clean(form.get("links")).split(/\s+/).filter(Boolean);
  if (links.length > intakeLimits.links) throw new IntakeInputError("links", `at most ${intakeLimits.links} links`);
  for (const l of links) {
    let url: URL | undefined;
    try {
      url = new URL(l);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || l.length > intakeLimits.linkMax)
      throw new IntakeInputError(
        "links",
        `${JSON.stringify(l.slice(0, 80))} is not an http(s) link of at most ${intakeLimits.linkMax} characters`,
      );
  }

  const contact = clean(form.get("contact")) || null;
  if (contact && contact.length > intakeLimits.contactMax)
    throw new IntakeInputError("contact", `is longer than ${intakeLimits.contactMax} characters`);

  return { trackingCode: options.trackingCode, receivedAt: options.now.toISOString(), what, province, occurred, links, contact };
}

export function publicPart(report: IntakeReport): PublicReport {
  return {
    trackingCode: report.trackingCode,
    receivedAt: report.receivedAt,
    what: report.what,
    province: report.province,
    occurred: report.occurred,
    links: report.links,
  };
}

/** The sha256 of the public part: what the published incident's provenance points to. */
export function reportSha256(report: PublicReport): string {
  return createHash("sha256").update(JSON.stringify(report)).digest("hex");
}

/** The intake's folder of reports (config.intake.dir): only the intake and the workers read it. */
export class IntakeStore {
  constructor(readonly dir: string) {}

  private file(code: string): string {
    if (!isTrackingCode(code)) throw new IntakeInputError("tracking_code", `${JSON.stringify(code)} is not a tracking code`);
    return path.join(this.dir, `${code}.json`);
  }

  async save(report: IntakeReport): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // wx: a tracking code is never reused, even if two reports drew the same one.
    await fs.writeFile(this.file(report.trackingCode), `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  }

  async read(code: string): Promise<IntakeReport> {
    return JSON.parse(await fs.readFile(this.file(code), "utf8")) as IntakeReport;
  }

  async codes(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5))
      .filter(isTrackingCode)
      .sort();
  }
}
