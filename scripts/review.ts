// `npm run review -- list|show|approve|reject|edit|propose-measure|propose-event`: the analyst's review queue on the
// configured Temporal cluster (the dev server at 127.0.0.1:7233 unless TEMPORAL_ADDRESS is set), through
// queries and signals. Decisions and proposals are signed with the analyst's own token
// (OBSERVATORY_ANALYST_TOKEN or OBSERVATORY_ANALYST_TOKEN_FILE); a worker checks the signature and writes them.
import { AnalystAuthError, AnalystStore, analystTokenFromEnv, signerFromToken } from "../activities/analysts.js";
import { loadConfig } from "../temporal.config.js";
import { CurationInputError } from "../warehouse/curation.js";
import { reviewFields, type ReviewAction, type ReviewKind } from "../warehouse/review.js";
import { publish } from "../workflows/index.js";
import { commandLine } from "./lib/cli.js";
import {
  connectReviewClient,
  decide,
  listReviews,
  proposeEventOutcome,
  proposeMeasureStatus,
  resolveReviewId,
  reviewState,
} from "./lib/review-client.js";

const usage = `Usage: npm run review -- <command>
  list [--kind K] [--status S] [--q TEXT] [--all]     the queue (kinds: incident, indicator, range, classification, measure, event)
  show <id>                                          one review: the item, its links, the proposal, reminders
  approve <id> --reason TEXT [--FIELD VALUE …]
  reject  <id> --reason TEXT
  edit    <id> --reason TEXT --FIELD VALUE [--FIELD VALUE …]
  propose-measure <measure> --status S --as-of YYYY-MM-DD --evidence URL[,URL] --note TEXT
  propose-event <event> --outcome happened|rescheduled|cancelled [--on-date YYYY-MM-DD] --evidence URL[,URL] --note TEXT
  publish                                            quality checks + export on the worker (then npm run site:build); editors only
<id> is the full review/<kind>/<key> or any fragment matching one open review.
You act as the analyst whose token is in OBSERVATORY_ANALYST_TOKEN (or the mode-600 file OBSERVATORY_ANALYST_TOKEN_FILE).
Fields: ${Object.entries(reviewFields)
  .map(([k, f]) => `${k}: ${f.join(", ")}`)
  .join("; ")}`;

/** Every field a decision may set, of any kind: `--FIELD VALUE` (the warehouse refuses one the item's kind lacks). */
const fieldOptions = Object.fromEntries([...new Set(Object.values(reviewFields).flat())].map((f) => [f, { type: "string" as const }]));

const commandOptions = {
  kind: { type: "string" },
  status: { type: "string" },
  q: { type: "string" },
  all: { type: "boolean" },
  reason: { type: "string" },
  "as-of": { type: "string" },
  evidence: { type: "string" },
  note: { type: "string" },
  outcome: { type: "string" },
  "on-date": { type: "string" },
  // Gone (a decision is the signer's), kept so that using it says why instead of "unknown option".
  by: { type: "string" },
} as const;

const progress = (text: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
};
const endProgress = () => {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
};

async function main(): Promise<number> {
  const { positionals, values: options } = commandLine("review", {
    usage,
    options: { ...fieldOptions, ...commandOptions },
    positionals: true,
  });
  const [command, target] = positionals;
  if (!command || command === "help") {
    console.log(usage);
    return command ? 0 : 2;
  }
  if (options.by)
    throw new AnalystAuthError(
      "--by",
      "is gone: a decision is recorded under the analyst whose token signs it (OBSERVATORY_ANALYST_TOKEN)",
    );
  const config = loadConfig();
  const writes = command !== "list" && command !== "show";
  // Derived before connecting, so a missing or malformed token is reported without touching Temporal.
  const signer = writes ? await signerFromToken(await analystTokenFromEnv()) : undefined;
  const client = await connectReviewClient(config);
  try {
    if (command === "list") {
      const rows = await listReviews(client, {
        kind: options.kind,
        status: options.status,
        q: options.q,
        includeClosed: options.all === true,
        onProgress: (n) => progress(`reading the queue… ${n} reviews`),
      });
      endProgress();
      if (rows.length === 0) {
        console.log("No reviews waiting.");
        return 0;
      }
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
      for (const r of rows)
        console.log(`${r.status.padEnd(8)}  ${r.openedAt.slice(0, 16).replace("T", " ")}  ${r.id}\n          ${r.title}`);
      console.log(`\n${rows.length} review(s): ${[...counts].map(([k, n]) => `${n} ${k}`).join(", ")}`);
      return 0;
    }
    if (command === "publish") {
      // Publishing is an editor's act; the role lives in the accounts file, so this needs read access to it.
      const who = await new AnalystStore(config.analysts.file).verifyToken(await analystTokenFromEnv());
      if (who.role !== "editor") throw new AnalystAuthError("role", `${who.by} is an analyst; publishing needs an editor`);
      const runKey = new Date().toISOString().slice(0, 16).replace(":", "");
      const handle = await client.workflow.start(publish, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `publish/${runKey}`,
        args: [{ runKey, activities: config.activities }],
        workflowIdConflictPolicy: "USE_EXISTING",
      });
      const t0 = Date.now();
      const timer = setInterval(() => progress(`quality checks and export on the worker… ${Math.round((Date.now() - t0) / 1000)} s`), 500);
      const summary = await handle.result().finally(() => clearInterval(timer));
      endProgress();
      for (const q of summary.qualityFailures)
        console.log(
          `${q.severity === "error" ? "!" : "-"} quality ${q.severity}: ${q.check} (${q.count}): ${q.examples.slice(0, 3).join("; ")}`,
        );
      if (summary.exportBlocked) {
        console.log("Export blocked by an error-level quality check; the previous export stays published.");
        return 1;
      }
      console.log(
        `Exported ${Object.keys(summary.exportedTables).length} tables to ${summary.exportDir} (incidents: ${summary.exportedTables.incidents ?? 0} ` +
          `rows). Now: npm run site:build`,
      );
      return 0;
    }
    if (!target) throw new Error(`${command} needs a review id, a measure or an event\n${usage}`);

    if (command === "propose-measure" || command === "propose-event") {
      const need = (flag: "status" | "as-of" | "evidence" | "note" | "outcome"): string => {
        const value = options[flag];
        if (!value) throw new Error(`${command} needs --${flag}`);
        return value;
      };
      const urls = (list: string) =>
        list
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
      let id: string;
      if (command === "propose-measure") {
        const [status, asOf, evidence, note] = [need("status"), need("as-of"), need("evidence"), need("note")];
        id = await proposeMeasureStatus(client, config, signer!, { measureId: target, status, asOf, note, evidence: urls(evidence) });
      } else {
        const [outcome, evidence, note] = [need("outcome"), need("evidence"), need("note")];
        if (outcome !== "cancelled" && !options["on-date"]) throw new Error(`propose-event --outcome ${outcome} needs --on-date`);
        id = await proposeEventOutcome(client, config, signer!, {
          eventId: target,
          outcome,
          onDate: options["on-date"],
          note,
          evidence: urls(evidence),
        });
      }
      console.log(`Opened ${id}, proposed by ${signer!.by}; another analyst approves it with: npm run review -- approve ${id} --reason …`);
      return 0;
    }

    const id = await resolveReviewId(client, target);
    if (command === "show") {
      const s = await reviewState(client, id);
      console.log(
        `${s.id}\n  status:   ${s.status}${s.overdue ? " (OVERDUE)" : ""}\n  opened:   ${s.openedAt}\n  reminder: ` +
          `${s.remindedAt ? `sent ${s.remindedAt}` : `due ${s.remindAt}`}\n  escalate: ${s.escalatedAt ? `escalated ${s.escalatedAt}` : `due ${s.escalateAt}`}`,
      );
      if (s.item) {
        console.log(`  title:    ${s.item.title}`);
        if (s.item.summary) console.log(`  summary:  ${s.item.summary}`);
        if (s.item.url) console.log(`  link:     ${s.item.url}`);
        if (s.item.snapshotSha256) console.log(`  capture:  ${s.item.snapshotSha256} (source ${s.item.sourceId}; data/archive)`);
        if (s.item.relatedIncident)
          console.log(
            `  related:  ${s.item.relatedIncident} (same story: approve with --attach_to ${s.item.relatedIncident} to add it as a later report)`,
          );
        for (const [k, v] of Object.entries(s.item.proposal)) console.log(`  proposed ${k}: ${v}`);
      }
      for (const a of s.amendments ?? []) console.log(`  amended:  by ${a.by} at ${a.at}: ${a.effect}`);
      for (const r of s.refused) console.log(`  refused:  ${r.action} by ${r.by} at ${r.at}: ${r.message}`);
      if (s.outcome)
        console.log(`  decided:  ${s.decision?.action} by ${s.decision?.by}: ${s.outcome.effect} (curation_log ${s.outcome.logId})`);
      console.log(`  fields:   ${reviewFields[s.kind as ReviewKind].join(", ")}`);
      return 0;
    }
    if (command === "approve" || command === "reject" || command === "edit") {
      const { reason, ...rest } = options;
      if (!reason) throw new CurationInputError("--reason", "is required: why, for the curation log");
      // Every other flag given is a field to set, as typed: the warehouse names any the item's kind does not have.
      const fields = Object.fromEntries(
        Object.entries(rest)
          .filter(([k]) => k !== "help")
          .map(([k, v]) => [k, String(v)]),
      );
      const result = await decide(
        client,
        id,
        command as ReviewAction,
        signer!,
        { reason, fields },
        {
          onWait: (s) => progress(`waiting for a worker to record the decision… ${s} s`),
        },
      );
      endProgress();
      if (result.outcome === "recorded") {
        console.log(`${id}: ${result.state.outcome?.effect} (curation_log entry ${result.state.outcome?.logId})`);
        return 0;
      }
      if (result.outcome === "amended") {
        console.log(`${id}: ${result.message}. The review is still waiting.`);
        return 0;
      }
      if (result.outcome === "refused") {
        console.error(`${id}: the warehouse refused the ${command}: ${result.message}\nThe review is still waiting.`);
        return 1;
      }
      console.log(`${id}: ${command} signalled; no worker has recorded it yet. It lands when a worker runs (npm run worker).`);
      return 0;
    }
    throw new Error(`unknown command "${command}"\n${usage}`);
  } finally {
    await client.connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    endProgress();
    console.error(`review: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof CurationInputError || error instanceof AnalystAuthError ? 2 : 1);
  },
);
