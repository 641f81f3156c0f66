// The local analyst console: a small HTTP server on loopback listing the review queue and deciding items
// through the same signals as `npm run review`. Never part of the public site. Every page needs a named
// analyst: their own token as `Authorization: Bearer <token>` (scripts), or signed in once through the
// form, which sets an HttpOnly SameSite=Strict session cookie whose forms carry a per-session CSRF value.
// A decision is signed with the signed-in analyst's key: who decides is never a field of the request.
// Everything shown is escaped; links are http(s) only; an archived capture is served as inert text.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Client } from "@temporalio/client";
import { parseToken, signerFromKey, type AnalystSigner, type AnalystStore, type VerifiedAnalyst } from "../../activities/analysts.js";
import { Archive } from "../../activities/archive.js";
import { AuditLog, Backoff, HttpError, hostAllowed, readBody, type BackoffOptions } from "./http-guard.js";
import { CurationInputError } from "../../warehouse/curation.js";
import { reviewFields, type ReviewAction, type ReviewKind } from "../../warehouse/review.js";
import { decide, listReviews, reviewState } from "./review-client.js";

export interface ConsoleOptions {
  client: Client;
  /** The analyst accounts (config.analysts.file) that may sign in. */
  analysts: AnalystStore;
  /** Loopback only. @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8340 */
  port?: number;
  /** Where archived captures are read from (config.paths.archive). */
  archiveDir: string;
  /** How long a decision waits for the worker before the page says it is pending. @default 20_000 */
  decisionWaitMs?: number;
  /** @default console.error */
  log?: (message: string) => void;
  /** Session lifetime. @default 8 hours */
  sessionMs?: number;
  /** Host headers answered (host:port); anything else is refused. @default the listening host:port and localhost:port */
  allowedHosts?: string[];
  /** JSON-lines audit log of sign-ins, failures, throttles and lockouts (config.analysts.auditLog). @default auth-audit.jsonl beside the account file */
  auditLog?: string;
  /** Failed sign-ins before an account is locked until an editor unlocks it. @default 10 */
  lockAfter?: number;
  /** Per account and per address backoff after failures. @default 3 free failures, then 1 s doubling to 15 min */
  backoff?: BackoffOptions;
  /** Largest request body. @default 65536 */
  maxBodyBytes?: number;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const SESSION_COOKIE = "observatory_console";

/** Compares two secrets in constant time (their digests, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function link(url: string | null | undefined, text?: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escapeHtml(text ?? url ?? "");
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer nofollow" target="_blank">${escapeHtml(text ?? url)}</a>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.overdue{color:#a00;font-weight:600}.muted{color:#666}form.inline{display:inline}fieldset{margin:1rem 0}label{display:block;margin:.3rem 0}
input[type=text],textarea{width:100%;max-width:40rem}dt{font-weight:600}dd{margin:0 0 .5rem 0}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Observatory review console</title><style>${STYLE}</style></head>
<body><p class="muted"><a href="/">Review queue</a> · local analyst console (not public)</p>${body}</body></html>`;
}

interface Session {
  csrf: string;
  expires: number;
  analyst: VerifiedAnalyst;
  signer: AnalystSigner;
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.test(host)) throw new Error(`the console listens on loopback only; OBSERVATORY_CONSOLE_HOST is ${JSON.stringify(host)}`);
  if ((await options.analysts.list()).length === 0)
    throw new Error(`no analyst accounts in ${options.analysts.file}: add one first with npm run analysts -- add NAME`);
  const log = options.log ?? ((m: string) => console.error(m));
  const archive = new Archive(options.archiveDir);
  const sessions = new Map<string, Session>();
  const sessionMs = options.sessionMs ?? 8 * 3_600_000;
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const audit = new AuditLog(options.auditLog ?? path.join(path.dirname(options.analysts.file), "auth-audit.jsonl"));
  const failures = new Backoff(options.backoff);
  const lockAfter = options.lockAfter ?? 10;
  let allowedHosts: string[] = options.allowedHosts ?? [];

  /**
   * One sign-in attempt (the form, or a Bearer header), for account `name` from `address`: refused
   * without looking at the token while either is backing off, counted when wrong, and the account locked
   * after lockAfter failures in a row. Every outcome goes to the audit log.
   */
  async function signIn(name: string, token: string, address: string, via: "form" | "bearer"): Promise<VerifiedAnalyst & { key: Buffer }> {
    const wait = Math.max(failures.waitMs(`account:${name}`), failures.waitMs(`address:${address}`));
    if (wait > 0) {
      await audit.write({ event: "sign_in_throttled", name, address, via, waitMs: wait });
      throw new HttpError(429, `Too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s.`, {
        "Retry-After": String(Math.ceil(wait / 1000)),
      });
    }
    try {
      if (parseToken(token)?.name !== name) throw new Error(`the token is not ${name}'s`);
      const who = await options.analysts.verifyToken(token);
      failures.succeed(`account:${name}`);
      failures.succeed(`address:${address}`);
      await audit.write({ event: "sign_in", name, address, via });
      return who;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const locked = /is locked/.test(reason);
      const n = failures.fail(`account:${name}`);
      failures.fail(`address:${address}`);
      await audit.write({ event: "sign_in_failed", name, address, via, reason, failures: n });
      if (!locked && n >= lockAfter && (await options.analysts.get(name))) {
        await options.analysts.lock(name);
        await audit.write({ event: "account_locked", name, address, failures: n });
        log(`console: analyst:${name} locked after ${n} failed sign-ins; an editor lifts it with npm run analysts -- unlock ${name}`);
      }
      if (locked || n >= lockAfter)
        throw new HttpError(403, "This account is locked after failed sign-ins; an editor unlocks it (npm run analysts -- unlock NAME).");
      throw new HttpError(401, "That name and token do not sign in an analyst.");
    }
  }

  const sessionOf = (req: http.IncomingMessage): Session | undefined => {
    const cookie = (req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    const id = cookie?.slice(SESSION_COOKIE.length + 1);
    const s = id ? sessions.get(id) : undefined;
    if (!s || s.expires < Date.now()) return undefined;
    return s;
  };
  /** The analyst whose own token is in the Authorization header, if any; a wrong one counts as a failed sign-in. */
  const bearer = async (req: http.IncomingMessage): Promise<Session | undefined> => {
    const h = req.headers.authorization ?? "";
    if (!h.startsWith("Bearer ")) return undefined;
    const token = h.slice(7).trim();
    const who = await signIn(parseToken(token)?.name ?? "?", token, req.socket.remoteAddress ?? "unknown", "bearer");
    return { csrf: "", expires: Infinity, analyst: who, signer: signerFromKey(who.name, who.key) };
  };

  const send = (
    res: http.ServerResponse,
    status: number,
    body: string,
    type = "text/html; charset=utf-8",
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      "Content-Type": type,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the console's own
      // form posts, which the cross-origin check must refuse. Links out carry rel=noreferrer anyway.
      "Referrer-Policy": "same-origin",
      "X-Frame-Options": "DENY",
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      ...extra,
    });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) =>
    send(res, status, JSON.stringify(value), "application/json; charset=utf-8");

  const loginPage = (message = "") =>
    page(
      "Sign in",
      `<h1>Sign in</h1>${message ? `<p class="overdue">${escapeHtml(message)}</p>` : ""}
<form method="post" action="/login"><label>Analyst name <input type="text" name="name" autocomplete="username" required></label>
<label>Token <input type="password" name="token" autocomplete="current-password" required></label><button>Sign in</button></form>`,
    );

  async function queuePage(url: URL): Promise<string> {
    const kind = url.searchParams.get("kind") ?? "";
    const status = url.searchParams.get("status") ?? "";
    const q = url.searchParams.get("q") ?? "";
    const rows = await listReviews(options.client, { kind: kind || undefined, status: status || undefined, q: q || undefined });
    const select = (name: string, values: readonly string[], current: string) =>
      `<select name="${name}"><option value="">any ` +
      `${name}</option>${values.map((v) => `<option${v === current ? " selected" : ""}>${escapeHtml(v)}</option>`).join("")}</select>`;
    const body = rows
      .map(
        (r) =>
          `<tr><td class="${r.status === "overdue" ? "overdue" : ""}">${escapeHtml(r.status)}</td><td>${escapeHtml(r.kind)}</td>
<td><a href="/review?id=${encodeURIComponent(r.id)}">${escapeHtml(r.title || r.key)}</a><br><span ` +
          `class="muted">${escapeHtml(r.id)}</span></td><td>${escapeHtml(r.openedAt.slice(0, 16).replace("T", " "))}</td></tr>`,
      )
      .join("\n");
    return page(
      "Review queue",
      `<h1>Review queue</h1><form method="get" action="/">${select("kind", Object.keys(reviewFields), kind)} ` +
        `${select("status", ["opening", "waiting", "reminded", "overdue"], status)}
<input type="text" name="q" value="${escapeHtml(q)}" placeholder="text in title or id" style="max-width:16rem"> <button>Filter</button></form>
<p>${rows.length} waiting</p><table><thead><tr><th>status</th><th>kind</th><th>item</th><th>opened (UTC)</th></tr></thead><tbody>${body}</tbody></table>`,
    );
  }

  async function reviewPage(id: string, session: Session | undefined, notice = ""): Promise<string> {
    const s = await reviewState(options.client, id);
    const item = s.item;
    const fields = reviewFields[s.kind as ReviewKind] ?? [];
    const details = item
      ? `<dl><dt>Title</dt><dd>${escapeHtml(item.title)}</dd>${item.summary ? `<dt>Summary</dt><dd>${escapeHtml(item.summary)}</dd>` : ""}
<dt>Source document</dt><dd>${item.url ? link(item.url) : "no public link"}${
          item.snapshotSha256
            ? ` · <a href="/capture?sha=${escapeHtml(item.snapshotSha256)}">archived ` +
              `capture</a> (source ${escapeHtml(item.sourceId)}, sha256 ${escapeHtml(item.snapshotSha256.slice(0, 12))}…)`
            : ""
        }</dd>
${item.relatedIncident ? `<dt>Same story as</dt><dd>${escapeHtml(item.relatedIncident)} (set attach_to to add this as a later report)</dd>` : ""}
<dt>Proposed</dt><dd>${
          Object.entries(item.proposal)
            .map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`)
            .join("<br>") || "—"
        }</dd></dl>`
      : "<p>Loading the item…</p>";
    const timers = `<p>Opened ${escapeHtml(s.openedAt)} · reminder ${s.remindedAt ? `sent ${escapeHtml(s.remindedAt)}` : `due ${escapeHtml(s.remindAt)}`} ·
${s.escalatedAt ? `<span class="overdue">escalated ${escapeHtml(s.escalatedAt)} (overdue)</span>` : `escalation due ${escapeHtml(s.escalateAt)}`}</p>`;
    const refused = s.refused
      .map((r) => `<li>${escapeHtml(r.action)} by ${escapeHtml(r.by)} at ${escapeHtml(r.at)}: ${escapeHtml(r.message)}</li>`)
      .join("");
    const decided = s.outcome
      ? `<p><strong>Decided:</strong> ${escapeHtml(s.decision?.action)} by ${escapeHtml(s.decision?.by)} — ${escapeHtml(s.outcome.effect)} ` +
        `(curation_log ${escapeHtml(s.outcome.logId)})</p>`
      : "";
    const csrf = session ? `<input type="hidden" name="csrf" value="${escapeHtml(session.csrf)}">` : "";
    const common =
      `<input type="hidden" name="id" value="${escapeHtml(id)}">${csrf}
<p>Deciding as <strong>${escapeHtml(session?.analyst.by ?? "")}</strong></p><label>Reason (kept in the curation log) <textarea name="reason" ` +
      `required rows="2"></textarea></label>`;
    const forms =
      s.status === "decided"
        ? ""
        : `<fieldset><legend>Approve (optionally setting fields) or edit (setting at least one)</legend><form method="post" action="/review/decide">${common}
${fields.map((f) => `<label>${escapeHtml(f)} <input type="text" name="f_${escapeHtml(f)}" value=""></label>`).join("")}
<button name="action" value="approve">Approve</button> <button name="action" value="edit">Edit and publish</button></form></fieldset>
<fieldset><legend>Reject</legend><form method="post" action="/review/decide">${common}<button name="action" value="reject">Reject</button></form></fieldset>`;
    return page(
      item?.title ?? id,
      `<h1>${escapeHtml(item?.title ?? id)}</h1><p class="muted">${escapeHtml(id)} · ${escapeHtml(s.status)}</p>
${notice ? `<p><strong>${escapeHtml(notice)}</strong></p>` : ""}${timers}` +
        `${details}${refused ? `<p>Refused decisions:</p><ul>${refused}</ul>` : ""}${decided}${forms}`,
    );
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Checked first: a page served under another name (DNS rebinding) must not reach the console at all.
    if (!hostAllowed(req, allowedHosts))
      throw new HttpError(421, `this console does not answer to Host ${JSON.stringify(req.headers.host ?? "")}`);
    const url = new URL(req.url ?? "/", "http://console.local");
    const method = req.method ?? "GET";
    if (method === "GET" && url.pathname === "/login") return send(res, 200, loginPage());
    if (method === "POST" && url.pathname === "/login") {
      const form = await readBody(req, maxBody);
      const name = (form.get("name") ?? "")
        .trim()
        .replace(/^analyst:/, "")
        .slice(0, 64);
      let who: VerifiedAnalyst & { key: Buffer };
      try {
        who = await signIn(name, form.get("token") ?? "", req.socket.remoteAddress ?? "unknown", "form");
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        log(`console: sign-in refused for ${JSON.stringify(name)} (${error.status})`);
        return send(res, error.status, loginPage(error.message), undefined, error.headers);
      }
      const id = randomBytes(32).toString("base64url");
      sessions.set(id, {
        csrf: randomBytes(32).toString("base64url"),
        expires: Date.now() + sessionMs,
        analyst: who,
        signer: signerFromKey(who.name, who.key),
      });
      log(`console: ${who.by} signed in`);
      return send(res, 303, "", "text/plain", {
        Location: "/",
        "Set-Cookie": `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(sessionMs / 1000)}`,
      });
    }

    let viaHeader: Session | undefined;
    try {
      viaHeader = await bearer(req);
    } catch (error) {
      if (error instanceof HttpError) return json(res, error.status, { error: error.message });
      throw error;
    }
    const session = viaHeader ?? sessionOf(req);
    if (!session) {
      if (method === "GET" && !url.pathname.startsWith("/api/")) return send(res, 401, loginPage());
      return json(res, 401, { error: "authentication required: Authorization: Bearer <your analyst token>, or sign in at /login" });
    }

    if (method === "GET" && url.pathname === "/") return send(res, 200, await queuePage(url));
    if (method === "GET" && url.pathname === "/review") return send(res, 200, await reviewPage(url.searchParams.get("id") ?? "", session));
    if (method === "GET" && url.pathname === "/api/reviews") {
      return json(
        res,
        200,
        await listReviews(options.client, {
          kind: url.searchParams.get("kind") ?? undefined,
          status: url.searchParams.get("status") ?? undefined,
        }),
      );
    }
    if (method === "GET" && url.pathname === "/capture") {
      const sha = url.searchParams.get("sha") ?? "";
      if (!/^[0-9a-f]{64}$/.test(sha)) return send(res, 400, "not a sha256", "text/plain; charset=utf-8");
      let body: Uint8Array;
      try {
        body = await archive.read(sha);
      } catch {
        return send(res, 404, "no such capture in this machine's archive", "text/plain; charset=utf-8");
      }
      // Inert text, whatever the capture holds: no sniffing, a sandbox with nothing allowed.
      return send(res, 200, Buffer.from(body).toString("utf8"), "text/plain; charset=utf-8", {
        "Content-Security-Policy": "sandbox; default-src 'none'",
      });
    }
    if (method === "POST" && (url.pathname === "/review/decide" || url.pathname === "/api/decide")) {
      const form = await readBody(req, maxBody);
      // A cookie is sent by the browser on its own, so a cookie-authenticated write must also prove it
      // came from this console's own form; a Bearer header is never added by a browser on its own.
      if (!viaHeader) {
        const origin = req.headers.origin;
        if (origin && origin !== `http://${req.headers.host}`) return json(res, 403, { error: "cross-origin request refused" });
        if (!session || !sameSecret(form.get("csrf") ?? "", session.csrf))
          return json(res, 403, { error: "missing or wrong CSRF value: reload the page" });
      }
      const id = form.get("id") ?? "";
      const action = form.get("action") as ReviewAction;
      const fields: Record<string, string> = {};
      for (const [k, v] of form) if (k.startsWith("f_") && v.trim() !== "") fields[k.slice(2)] = v.trim();
      const wantsJson = url.pathname.startsWith("/api/");
      try {
        if (!["approve", "reject", "edit"].includes(action)) throw new CurationInputError("action", "must be approve, reject or edit");
        // Whatever a `by` field in the request says, the decision is the signed-in analyst's.
        const result = await decide(
          options.client,
          id,
          action,
          session.signer,
          { reason: form.get("reason") ?? "", fields },
          { waitMs: options.decisionWaitMs ?? 20_000 },
        );
        log(`console: ${action} ${id} by ${session.analyst.by}: ${result.outcome}`);
        const status = result.outcome === "refused" ? 422 : 200;
        const message = result.outcome === "refused" || result.outcome === "amended" ? result.message : undefined;
        if (wantsJson)
          return json(res, status, {
            outcome: result.outcome,
            by: session.analyst.by,
            effect: result.state.outcome?.effect,
            logId: result.state.outcome?.logId,
            message,
          });
        const notice =
          result.outcome === "recorded"
            ? `Recorded: ${result.state.outcome?.effect}`
            : result.outcome === "refused"
              ? `Refused: ${result.message}`
              : result.outcome === "amended"
                ? `Amended: ${result.message}`
                : "Signalled; a worker records it when one runs.";
        return send(res, status, await reviewPage(id, session, notice));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (wantsJson) return json(res, 400, { error: message });
        return send(
          res,
          400,
          page(
            "Not recorded",
            `<h1>Not recorded</h1><p>${escapeHtml(message)}</p><p><a href="/review?id=${encodeURIComponent(id)}">Back</a></p>`,
          ),
        );
      }
    }
    return send(res, 404, page("Not found", "<h1>Not found</h1>"));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (!res.headersSent)
          send(res, error.status, JSON.stringify({ error: error.message }), "application/json; charset=utf-8", error.headers);
        else res.end();
        return;
      }
      log(`console: ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent)
        send(
          res,
          500,
          page("Error", `<h1>Something went wrong</h1><p>${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`),
        );
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8340, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  if (allowedHosts.length === 0) {
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
    allowedHosts = [`${shown}:${address.port}`, `localhost:${address.port}`];
  }
  return {
    url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
