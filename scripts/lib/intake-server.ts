// The public incident intake (issue 16, NAIS measure 5.7): the one process meant to face the internet,
// behind the deployer's reverse proxy; the analyst console stays on loopback. POST /report takes the
// site's "Report an AI incident" form (or JSON), refuses floods, spam and bad input, stores the report in
// the intake's own folder, starts its review workflow and answers with a tracking code.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@temporalio/client";
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import { IntakeInputError, IntakeStore, newTrackingCode, validateReport, type Provinces } from "../../activities/intake.js";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { reviewId } from "../../warehouse/review.js";
import { review } from "../../workflows/index.js";
import { escapeHtml } from "./console-server.js";
import { AuditLog, HttpError, RateLimit, clientAddress, hostAllowed, readBody } from "./http-guard.js";

export interface IntakeOptions {
  client: Client;
  config: ObservatoryConfig;
  provinces: Provinces;
  /** 0 picks a free port. @default config.intake.port */
  port?: number;
  /** Host headers answered. @default the host of config.intake.url, and the listening host:port and localhost:port */
  allowedHosts?: string[];
  /** Largest request body. @default 32768 */
  maxBodyBytes?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default console.error */
  log?: (message: string) => void;
}

export interface RunningIntake {
  url: string;
  close(): Promise<void>;
}

/** The name of the honeypot field: hidden from people on the form, so only a robot fills it. */
export const honeypotField = "website";

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta ` +
  `name="robots" content="noindex">
<title>${escapeHtml(title)} · Cambodia National AI Observatory</title><style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem ` +
  `auto;max-width:40rem;padding:0 1rem}code{font-size:1.4rem}</style></head>
<body>${body}</body></html>`;

export async function startIntake(options: IntakeOptions): Promise<RunningIntake> {
  const { config, client } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((m: string) => console.error(m));
  const store = new IntakeStore(config.intake.dir);
  const audit = new AuditLog(config.intake.auditLog, now);
  const limit = new RateLimit(config.intake.perHour, 3_600_000, () => now().getTime());
  const maxBody = options.maxBodyBytes ?? 32 * 1024;
  let allowedHosts = options.allowedHosts ?? [];

  /** Opens the report's review; a code whose review exists (open or decided) is left alone. */
  async function queue(code: string): Promise<void> {
    await client.workflow
      .start(review, {
        taskQueue: config.temporal.taskQueue,
        workflowId: reviewId("report", code),
        args: [
          {
            kind: "report",
            key: code,
            proposal: {},
            remindAfterMs: config.review.remindAfterMs,
            escalateAfterMs: config.review.escalateAfterMs,
            activities: config.activities,
          },
        ],
        memo: { kind: "report", key: code, status: "opening" },
        workflowIdReusePolicy: "REJECT_DUPLICATE",
      })
      .catch((e: unknown) => {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      });
  }

  const send = (res: http.ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      "Content-Type": type,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
      ...extra,
    });
    res.end(body);
  };
  const answer = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    value: Record<string, unknown>,
    html: string,
    extra: Record<string, string> = {},
  ) => {
    if ((req.headers.accept ?? "").includes("application/json"))
      send(res, status, JSON.stringify(value), "application/json; charset=utf-8", extra);
    else send(res, status, html, "text/html; charset=utf-8", extra);
  };
  const statusLink = config.intake.siteUrl
    ? `<a href="${escapeHtml(new URL("report-status", config.intake.siteUrl.replace(/\/?$/, "/")).href)}">the report status page</a>`
    : "the observatory site's report status page";

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req, allowedHosts)) throw new HttpError(421, "this intake does not answer to that Host");
    const url = new URL(req.url ?? "/", "http://intake.local");
    const address = clientAddress(req, config.intake.trustProxy);
    if (req.method === "GET" && url.pathname === "/") {
      return send(
        res,
        200,
        page("Incident intake", "<h1>Incident intake</h1><p>Reports are made with the form on the observatory's site.</p>"),
        "text/html; charset=utf-8",
      );
    }
    if (url.pathname !== "/report") throw new HttpError(404, "not found");
    if (req.method !== "POST") throw new HttpError(405, "POST a report to /report", { Allow: "POST" });

    // Counted before the body is read: a flood costs the server as little as possible.
    const wait = limit.take(address);
    if (wait > 0) {
      await audit.write({ event: "rate_limited", address });
      throw new HttpError(429, `Too many reports from your address; try again in ${Math.ceil(wait / 60_000)} minutes.`, {
        "Retry-After": String(Math.ceil(wait / 1000)),
      });
    }
    const form = await readBody(req, maxBody);
    if ((form.get(honeypotField) ?? "") !== "") {
      // Refused without saying why, so a robot learns nothing; nothing is stored.
      await audit.write({ event: "spam_refused", address, field: honeypotField });
      throw new HttpError(400, "The report could not be accepted.");
    }
    let code = newTrackingCode();
    for (let i = 0; i < 3 && (await store.codes()).includes(code); i++) code = newTrackingCode();
    let report;
    try {
      report = validateReport(form, { now: now(), provinces: options.provinces, trackingCode: code });
    } catch (error) {
      if (!(error instanceof IntakeInputError)) throw error;
      await audit.write({ event: "invalid", address, field: error.field });
      return answer(
        req,
        res,
        400,
        { error: error.message, field: error.field },
        page(
          "Please check the report",
          `<h1>Please check the report</h1><p>${escapeHtml(error.message)}</p><p>Go back to the form to correct it.</p>`,
        ),
      );
    }
    await store.save(report);
    try {
      await queue(code);
    } catch (error) {
      // Kept: the next start of the intake queues every stored report that has no review yet.
      log(`intake: ${code} stored but its review could not be started: ${error instanceof Error ? error.message : String(error)}`);
    }
    log(`intake: report ${code} received`);
    return answer(
      req,
      res,
      201,
      { tracking_code: code, status: "received" },
      page(
        "Report received",
        `<h1>Thank you: your report is received</h1><p>Your tracking code:</p><p><code id="tracking-code">${escapeHtml(code)}</code></p>
<p>Keep it. An analyst reviews every report; ${statusLink} shows what became of it (received, under review, published, or not accepted and ` +
          `why) after the site's next update.</p>`,
      ),
    );
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : "Something went wrong; please try again later.";
      if (!(error instanceof HttpError)) log(`intake: ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (res.headersSent) return void res.end();
      answer(
        req,
        res,
        status,
        { error: message },
        page("Not accepted", `<h1>Not accepted</h1><p>${escapeHtml(message)}</p>`),
        error instanceof HttpError ? error.headers : {},
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? config.intake.port, config.intake.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  if (allowedHosts.length === 0) {
    allowedHosts = [`${shown}:${addr.port}`, `localhost:${addr.port}`, ...(config.intake.url ? [new URL(config.intake.url).host] : [])];
  }
  // Reports stored while Temporal was unreachable get their reviews now.
  for (const code of await store.codes()) {
    await queue(code).catch((e: unknown) => log(`intake: could not queue ${code}: ${e instanceof Error ? e.message : String(e)}`));
  }
  return {
    url: `http://${shown}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
