// Analysts as accounts (issue 16): who may decide a review, with a credential stored only as a scrypt key
// in a file outside the exports (config.analysts.file, mode 0600). Each analyst holds a token
// `obs1.<name>.<salt>.<secret>`; the console checks it at sign-in, and every decision or proposal carries
// an HMAC made with the token's scrypt key, which the decision activity checks against the file before
// anything is written. A token in hand or the file can sign; a name typed into a form cannot.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export const analystRoles = ["analyst", "editor"] as const;
export type AnalystRole = (typeof analystRoles)[number];

/** scrypt's cost: 2^15 × 8 × 128 bytes = 32 MiB of memory per derivation, about 0.1 s on one core. */
export const defaultKdf = { N: 2 ** 15, r: 8, p: 1 } as const;
export type KdfParams = { N: number; r: number; p: number };

const NAME = /^[a-z][a-z0-9-]{1,31}$/;
const TOKEN = /^obs1\.([a-z][a-z0-9-]{1,31})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface AnalystAccount {
  name: string;
  role: AnalystRole;
  /** base64url salt of the current token (the same salt is inside the token). */
  salt: string;
  /** base64url scrypt(secret, salt): compared at sign-in, and the key of the account's decision proofs. */
  key: string;
  kdf: KdfParams;
  createdAt: string;
  rotatedAt?: string;
  disabledAt?: string;
  /** Set after too many failed sign-ins; an editor lifts it (npm run analysts -- unlock NAME). */
  lockedAt?: string;
}

/** The identity a decision is recorded under: `analyst:<name>`. */
export function identityOf(name: string): string {
  return `analyst:${name}`;
}

/** Refused credentials or a decision whose signature does not check; `field` is what was wrong. */
export class AnalystAuthError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = "AnalystAuthError";
  }
}

function scrypt(secret: string, salt: Buffer, params: KdfParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(secret, salt, 32, options, (e, key) => (e ? reject(e) : resolve(key))));
}

export interface ParsedToken {
  name: string;
  salt: string;
  secret: string;
}

export function parseToken(token: string): ParsedToken | undefined {
  const m = TOKEN.exec(token.trim());
  return m ? { name: m[1], salt: m[2], secret: m[3] } : undefined;
}

/** The scrypt key of a token, as the account file holds it. */
export async function tokenKey(token: string, kdf: KdfParams = defaultKdf): Promise<{ name: string; key: Buffer }> {
  const t = parseToken(token);
  if (!t)
    throw new AnalystAuthError("token", "is not an analyst token (obs1.<name>.<salt>.<secret>; npm run analysts -- add NAME makes one)");
  return { name: t.name, key: await scrypt(t.secret, Buffer.from(t.salt, "base64url"), kdf) };
}

// ---------------------------------------------------------------------------------------------------
// Signed decisions and proposals

/** What a proof covers: the exact review, action, reason and fields, so it cannot be moved to another. */
export function decisionMessage(reviewId: string, action: string, by: string, reason: string, fields: Record<string, string> = {}): string {
  return JSON.stringify([
    "decision",
    reviewId,
    action,
    by,
    reason,
    Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
}

export function proposalMessage(reviewId: string, by: string, proposal: Record<string, string>): string {
  const fields = Object.entries(proposal).filter(([k]) => k !== "proposed_by" && k !== "proposal_proof");
  return JSON.stringify(["proposal", reviewId, by, fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

export function proofOf(key: Buffer, message: string): string {
  return createHmac("sha256", key).update(message).digest("base64url");
}

/** What a client needs to sign as an analyst: the identity and the key, derived once from the token. */
export interface AnalystSigner {
  name: string;
  by: string;
  sign(message: string): string;
}

export async function signerFromToken(token: string): Promise<AnalystSigner> {
  const { name, key } = await tokenKey(token);
  return signerFromKey(name, key);
}

export function signerFromKey(name: string, key: Buffer): AnalystSigner {
  return { name, by: identityOf(name), sign: (message) => proofOf(key, message) };
}

/**
 * The token for the CLI: OBSERVATORY_ANALYST_TOKEN, else the file OBSERVATORY_ANALYST_TOKEN_FILE names,
 * which must be readable by its owner only (like an ssh key).
 */
export async function analystTokenFromEnv(env: Record<string, string | undefined> = process.env): Promise<string> {
  if (env.OBSERVATORY_ANALYST_TOKEN) return env.OBSERVATORY_ANALYST_TOKEN.trim();
  const file = env.OBSERVATORY_ANALYST_TOKEN_FILE;
  if (!file)
    throw new AnalystAuthError(
      "OBSERVATORY_ANALYST_TOKEN",
      "is not set (nor OBSERVATORY_ANALYST_TOKEN_FILE): sign with your own analyst token",
    );
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new AnalystAuthError("OBSERVATORY_ANALYST_TOKEN_FILE", `${file} does not exist`);
  if ((stat.mode & 0o077) !== 0)
    throw new AnalystAuthError(
      "OBSERVATORY_ANALYST_TOKEN_FILE",
      `${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  return (await fs.readFile(file, "utf8")).trim();
}

// ---------------------------------------------------------------------------------------------------
// The account file

interface AccountFile {
  version: 1;
  analysts: AnalystAccount[];
}

export interface VerifiedAnalyst {
  name: string;
  by: string;
  role: AnalystRole;
}

export class AnalystStore {
  constructor(
    readonly file: string,
    private readonly kdf: KdfParams = defaultKdf,
  ) {}

  async list(): Promise<AnalystAccount[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const parsed = JSON.parse(text) as AccountFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.analysts)) throw new Error(`${this.file}: not an analysts file (version 1)`);
    return parsed.analysts;
  }

  async get(name: string): Promise<AnalystAccount | undefined> {
    return (await this.list()).find((a) => a.name === name);
  }

  /** Writes the whole file anew (temp file + rename), owner read/write only. */
  private async save(analysts: AnalystAccount[]): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp-${process.pid}`;
    await fs.writeFile(tmp, `${JSON.stringify({ version: 1, analysts } satisfies AccountFile, null, 2)}\n`, { mode: 0o600 });
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, this.file);
  }

  private async update(name: string, change: (a: AnalystAccount) => void): Promise<AnalystAccount> {
    const all = await this.list();
    const a = all.find((x) => x.name === name);
    if (!a) throw new AnalystAuthError("name", `${JSON.stringify(name)} is not an analyst in ${this.file}`);
    change(a);
    await this.save(all);
    return a;
  }

  private async newCredential(name: string): Promise<{ token: string; salt: string; key: string }> {
    const salt = randomBytes(16).toString("base64url");
    const secret = randomBytes(32).toString("base64url");
    const token = `obs1.${name}.${salt}.${secret}`;
    const { key } = await tokenKey(token, this.kdf);
    return { token, salt, key: key.toString("base64url") };
  }

  /** Adds an analyst; returns the token, which is shown once and never stored. */
  async add(name: string, role: AnalystRole, now: Date = new Date()): Promise<string> {
    if (!NAME.test(name))
      throw new AnalystAuthError(
        "name",
        `must be 2-32 lower-case letters, digits or dashes, starting with a letter; got ${JSON.stringify(name)}`,
      );
    if (!(analystRoles as readonly string[]).includes(role)) throw new AnalystAuthError("role", `must be ${analystRoles.join(" or ")}`);
    const all = await this.list();
    if (all.some((a) => a.name === name)) throw new AnalystAuthError("name", `${name} already exists (rotate gives a new token)`);
    const c = await this.newCredential(name);
    all.push({ name, role, salt: c.salt, key: c.key, kdf: { ...this.kdf }, createdAt: now.toISOString() });
    await this.save(all);
    return c.token;
  }

  /** A new token for an analyst; the old one stops working at once. Lifts a lockout too. */
  async rotate(name: string, now: Date = new Date()): Promise<string> {
    const c = await this.newCredential(name);
    await this.update(name, (a) => {
      a.salt = c.salt;
      a.key = c.key;
      a.kdf = { ...this.kdf };
      a.rotatedAt = now.toISOString();
      delete a.lockedAt;
    });
    return c.token;
  }

  disable(name: string, now: Date = new Date()): Promise<AnalystAccount> {
    return this.update(name, (a) => {
      a.disabledAt = now.toISOString();
    });
  }

  lock(name: string, now: Date = new Date()): Promise<AnalystAccount> {
    return this.update(name, (a) => {
      a.lockedAt ??= now.toISOString();
    });
  }

  unlock(name: string): Promise<AnalystAccount> {
    return this.update(name, (a) => {
      delete a.lockedAt;
    });
  }

  private usable(a: AnalystAccount | undefined, name: string): AnalystAccount {
    if (!a) throw new AnalystAuthError("by", `${identityOf(name)} is not an analyst account`);
    if (a.disabledAt) throw new AnalystAuthError("by", `${identityOf(name)} is disabled (since ${a.disabledAt})`);
    if (a.lockedAt)
      throw new AnalystAuthError(
        "by",
        `${identityOf(name)} is locked after failed sign-ins (since ${a.lockedAt}); an editor lifts it with npm run analysts -- unlock ${name}`,
      );
    return a;
  }

  /** Checks a token at sign-in; returns the account and its key (for signing the session's decisions). */
  async verifyToken(token: string): Promise<VerifiedAnalyst & { key: Buffer }> {
    const t = parseToken(token);
    if (!t) throw new AnalystAuthError("token", "is not an analyst token");
    const a = this.usable(await this.get(t.name), t.name);
    const { key } = await tokenKey(token, a.kdf);
    if (a.salt !== t.salt || !timingSafeEqual(key, Buffer.from(a.key, "base64url")))
      throw new AnalystAuthError("token", `is not ${identityOf(t.name)}'s current token`);
    return { name: a.name, by: identityOf(a.name), role: a.role, key };
  }

  /** Checks that `by` is an enabled analyst and that `proof` is theirs over `message`. */
  async verifyProof(by: string, message: string, proof: string | undefined): Promise<VerifiedAnalyst> {
    const m = /^analyst:([a-z][a-z0-9-]{1,31})$/.exec(by);
    if (!m) throw new AnalystAuthError("by", `${JSON.stringify(by)} is not an analyst identity (analyst:<name>)`);
    const a = this.usable(await this.get(m[1]), m[1]);
    const expected = Buffer.from(proofOf(Buffer.from(a.key, "base64url"), message));
    const given = Buffer.from(proof ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AnalystAuthError("by", `the decision is not signed with ${by}'s token: it was not made by ${by}`);
    }
    return { name: a.name, by, role: a.role };
  }

  /** DecisionAuthority (warehouse/review.ts): the decision is signed by the analyst it names. */
  verifyDecision(
    reviewId: string,
    input: { action: string; by: string; reason: string; fields?: Record<string, string>; proof?: string },
  ): Promise<VerifiedAnalyst> {
    return this.verifyProof(input.by, decisionMessage(reviewId, input.action, input.by, input.reason, input.fields ?? {}), input.proof);
  }

  /** DecisionAuthority: the proposal is signed by the analyst in its proposed_by. */
  async verifyProposal(reviewId: string, proposal: Record<string, string>): Promise<VerifiedAnalyst & { at?: string }> {
    const who = await this.verifyProof(
      proposal.proposed_by ?? "",
      proposalMessage(reviewId, proposal.proposed_by ?? "", proposal),
      proposal.proposal_proof,
    ).catch((e: unknown) => {
      throw new AnalystAuthError("proposal", `is not signed by its proposer: ${e instanceof Error ? e.message : String(e)}`);
    });
    return { ...who, at: proposal.proposed_at };
  }
}

/** Signs a proposal: the fields plus proposed_by, proposed_at and proposal_proof. */
export function signProposal(
  signer: AnalystSigner,
  reviewId: string,
  proposal: Record<string, string>,
  now: Date = new Date(),
): Record<string, string> {
  const withWho = { ...proposal, proposed_by: signer.by, proposed_at: now.toISOString() };
  return { ...withWho, proposal_proof: signer.sign(proposalMessage(reviewId, signer.by, withWho)) };
}

/** Signs a decision on a review: the `by` and `proof` its signal carries. */
export function signDecision(
  signer: AnalystSigner,
  reviewId: string,
  action: string,
  reason: string,
  fields: Record<string, string> = {},
): { by: string; proof: string } {
  return { by: signer.by, proof: signer.sign(decisionMessage(reviewId, action, signer.by, reason, fields)) };
}
