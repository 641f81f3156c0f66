// The analyst's side of review workflows, shared by `npm run review`, `npm run status` and the console:
// list the queue (Temporal visibility + each review's memo), read one review's state (a query), and
// send a decision (a signal), then wait for the worker to record it.
import type { Client } from "@temporalio/client";
import type { ObservatoryConfig } from "../../temporal.config.js";
import { CurationInputError } from "../../warehouse/curation.js";
import { reviewFields, reviewKinds, validateDecision, type ReviewAction, type ReviewKind } from "../../warehouse/review.js";
import {
  approveSignal,
  editSignal,
  rejectSignal,
  review,
  reviewStateQuery,
  type ReviewDecisionSignal,
  type ReviewState,
} from "../../workflows/index.js";
import { signDecision, signProposal, type AnalystSigner } from "../../activities/analysts.js";
import { connectClient } from "./temporal-runtime.js";

export { reviewFields, reviewKinds };

/** The configured cluster, or the embedded dev server's address when none is set. */
export async function connectReviewClient(config: ObservatoryConfig): Promise<Client> {
  const address = config.temporal.address ?? `${config.devServer.ip}:${config.devServer.port}`;
  return connectClient({ address, apiKey: config.temporal.apiKey, tls: config.temporal.tls }, config.temporal.namespace);
}

export interface QueueEntry {
  id: string;
  kind: string;
  key: string;
  title: string;
  /** opening | waiting | reminded | overdue while running; decided once closed. */
  status: string;
  openedAt: string;
  running: boolean;
}

export interface ListOptions {
  kind?: string;
  status?: string;
  /** Text the id or title must contain (case-insensitive). */
  q?: string;
  /** Also decided (closed) reviews. @default false */
  includeClosed?: boolean;
  /** Called after each page, for a progress counter. */
  onProgress?: (seen: number) => void;
}

/** The review queue from Temporal's visibility store, newest first. */
export async function listReviews(client: Client, options: ListOptions = {}): Promise<QueueEntry[]> {
  const query = `WorkflowType = 'review'${options.includeClosed ? "" : " AND ExecutionStatus = 'Running'"}`;
  const out: QueueEntry[] = [];
  let seen = 0;
  for await (const wf of client.workflow.list({ query })) {
    seen += 1;
    if (seen % 50 === 0) options.onProgress?.(seen);
    const memo = (wf.memo ?? {}) as Record<string, unknown>;
    const running = wf.status.name === "RUNNING";
    const entry: QueueEntry = {
      id: wf.workflowId,
      kind: String(memo.kind ?? wf.workflowId.split("/")[1] ?? "?"),
      key: String(memo.key ?? wf.workflowId.split("/").slice(2).join("/")),
      title: String(memo.title ?? ""),
      status: running ? String(memo.status ?? "waiting") : wf.status.name === "COMPLETED" ? "decided" : wf.status.name.toLowerCase(),
      openedAt: wf.startTime.toISOString(),
      running,
    };
    if (options.kind && entry.kind !== options.kind) continue;
    if (options.status && entry.status !== options.status) continue;
    if (options.q && !`${entry.id} ${entry.title}`.toLowerCase().includes(options.q.toLowerCase())) continue;
    out.push(entry);
  }
  options.onProgress?.(seen);
  return out;
}

/** A full id, or a fragment matching exactly one open review's id. */
export async function resolveReviewId(client: Client, idOrFragment: string): Promise<string> {
  if (idOrFragment.startsWith("review/")) return idOrFragment;
  const matches = (await listReviews(client)).filter((r) => r.id.includes(idOrFragment));
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new Error(`no open review matches "${idOrFragment}" (npm run review -- list)`);
  throw new Error(
    `"${idOrFragment}" matches ${matches.length} reviews: ${matches
      .slice(0, 5)
      .map((m) => m.id)
      .join(", ")}…`,
  );
}

export async function reviewState(client: Client, id: string): Promise<ReviewState> {
  return client.workflow.getHandle(id).query(reviewStateQuery);
}

const signals = { approve: approveSignal, reject: rejectSignal, edit: editSignal } as const;

export interface DecideOptions {
  /** How long to wait for the worker to record the decision. @default 60_000 */
  waitMs?: number;
  /** Called while waiting, with the seconds waited so far. */
  onWait?: (seconds: number) => void;
}

export type DecideResult =
  | { outcome: "recorded"; state: ReviewState }
  | { outcome: "refused"; state: ReviewState; message: string }
  | { outcome: "amended"; state: ReviewState; message: string }
  | { outcome: "pending"; state: ReviewState };

/**
 * Checks the decision here (so a typo is reported at once), signals it, and waits until the review's
 * activity has written it to the warehouse, or refused it, or the wait runs out (no worker running: the
 * signal is durable, and the decision lands when a worker starts).
 */
export async function decide(
  client: Client,
  id: string,
  action: ReviewAction,
  signer: AnalystSigner,
  decision: { reason: string; fields?: Record<string, string> },
  options: DecideOptions = {},
): Promise<DecideResult> {
  const before = await reviewState(client, id);
  if (before.status === "decided")
    throw new CurationInputError("reviewId", `${id} is already decided (${before.decision?.action} by ${before.decision?.by})`);
  const fields = decision.fields ?? {};
  const signal: ReviewDecisionSignal = { reason: decision.reason, fields, ...signDecision(signer, id, action, decision.reason, fields) };
  validateDecision(before.kind as ReviewKind, { action, ...signal });
  const refusedBefore = before.refused.length;
  const amendedBefore = before.amendments?.length ?? 0;
  await client.workflow.getHandle(id).signal(signals[action], signal);
  const started = Date.now();
  const waitMs = options.waitMs ?? 60_000;
  let state = before;
  for (;;) {
    try {
      state = await reviewState(client, id);
    } catch {
      // A completed workflow still answers queries while a worker runs; without one, describe it.
      const described = await client.workflow.getHandle(id).describe();
      if (described.status.name === "COMPLETED") {
        return { outcome: "recorded", state: (await client.workflow.getHandle(id).result()) as ReviewState };
      }
    }
    if (state.status === "decided") return { outcome: "recorded", state };
    if ((state.amendments?.length ?? 0) > amendedBefore) return { outcome: "amended", state, message: state.amendments!.at(-1)!.effect };
    if (state.refused.length > refusedBefore) return { outcome: "refused", state, message: state.refused.at(-1)!.message };
    if (Date.now() - started > waitMs) return { outcome: "pending", state };
    options.onWait?.(Math.round((Date.now() - started) / 1000));
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Starts the review of something proposed (a measure status, an activity's outcome) that lives in its review. */
async function proposeReview(
  client: Client,
  config: ObservatoryConfig,
  signer: AnalystSigner,
  kind: "measure" | "event",
  key: string,
  fields: Record<string, string>,
): Promise<string> {
  const id = `review/${kind}/${key}`;
  const proposal = signProposal(signer, id, fields);
  await client.workflow.start(review, {
    taskQueue: config.temporal.taskQueue,
    workflowId: id,
    args: [
      {
        kind,
        key,
        proposal,
        remindAfterMs: config.review.remindAfterMs,
        escalateAfterMs: config.review.escalateAfterMs,
        activities: config.activities,
      },
    ],
    memo: { kind, key, status: "opening" },
    workflowIdConflictPolicy: "USE_EXISTING",
  });
  return id;
}

/** Starts a review of a proposed NAIS measure status (a second analyst approves it into measure_status). */
export function proposeMeasureStatus(
  client: Client,
  config: ObservatoryConfig,
  signer: AnalystSigner,
  proposal: { measureId: string; status: string; asOf: string; note: string; evidence: string[] },
): Promise<string> {
  return proposeReview(client, config, signer, "measure", `${proposal.measureId}/${proposal.asOf}`, {
    status: proposal.status,
    as_of: proposal.asOf,
    note: proposal.note,
    evidence: proposal.evidence.join(","),
  });
}

/**
 * Starts a review of what happened to a governance-timeline activity (happened on a date, rescheduled to
 * one, or cancelled); once approved it is in event_outcomes and the timeline shows done or slipped by it.
 */
export function proposeEventOutcome(
  client: Client,
  config: ObservatoryConfig,
  signer: AnalystSigner,
  proposal: { eventId: string; outcome: string; onDate?: string; note: string; evidence: string[] },
): Promise<string> {
  return proposeReview(
    client,
    config,
    signer,
    "event",
    `${proposal.eventId}/${proposal.outcome}${proposal.onDate ? `-${proposal.onDate}` : ""}`,
    {
      outcome: proposal.outcome,
      on_date: proposal.onDate ?? "",
      note: proposal.note,
      evidence: proposal.evidence.join(","),
    },
  );
}
