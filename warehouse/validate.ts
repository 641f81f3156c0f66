// The checks every analyst-facing writer applies to its input (curation, review decisions): pure, before
// any write, and every error names the input field that is wrong.

/** A curation input that cannot be recorded; `field` names the input property that is wrong. */
export class CurationInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = "CurationInputError";
  }
}

export function text(field: string, value: unknown): string {
  if (typeof value !== "string") throw new CurationInputError(field, "must be a string");
  const v = value
    .normalize("NFC")
    .replace(/\u200b/g, "")
    .trim();
  if (v === "") throw new CurationInputError(field, "must not be empty");
  return v;
}

export function httpUrl(field: string, value: unknown): string {
  const v = text(field, value);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new CurationInputError(field, `must be an absolute http(s) URL, got ${JSON.stringify(v)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CurationInputError(field, `must be an http(s) URL, got ${JSON.stringify(v)}`);
  }
  return url.toString();
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new CurationInputError(field, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function isoDate(field: string, value: unknown): string {
  const v = text(field, value);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw new CurationInputError(field, `must be a calendar date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function timestamp(now: () => Date): string {
  const at = now();
  if (Number.isNaN(at.getTime())) throw new CurationInputError("now", "returned an invalid date");
  return at.toISOString();
}
