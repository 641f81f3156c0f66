// The warehouse side of human review (issue 6): which items wait for a person, what a reviewer needs to
// see about one, and how an analyst's decision is written: its effect (a published incident, an approved
// value, a tag) and its curation_log entry with who, when and why, in one transaction (docs/architecture.md rule 6).
import type { DuckDBConnection } from "@duckdb/node-api";
import { LIST, VARCHAR, listValue } from "@duckdb/node-api";
import {
  appendCurationLog,
  classifyItem,
  curateObservation,
  CurationInputError,
  httpUrl,
  inTransaction,
  recordEventOutcome,
  recordMeasureStatus,
  rejectItem,
  text,
  timestamp,
  type CurationOptions,
} from "./curation.js";
import { queryRows } from "./db.js";
import { rangeFailures, type QualityRules } from "./quality.js";

export const reviewKinds = ["incident", "indicator", "range", "classification", "measure", "event", "report", "match"] as const;
export type ReviewKind = (typeof reviewKinds)[number];
export const reviewActions = ["approve", "reject", "edit"] as const;
export type ReviewAction = (typeof reviewActions)[number];

/** The fields an approve or edit may set, per kind (values are text, as typed on the CLI or in the console). */
export const reviewFields: Readonly<Record<ReviewKind, readonly string[]>> = {
  incident: ["title", "description", "harm_types", "sector", "severity", "affected_groups", "province", "occurred_on", "deployers", "developers", "attach_to"],
  indicator: ["value", "unit", "source_url"],
  range: ["value", "unit", "source_url"],
  classification: ["add", "remove"],
  measure: ["status", "as_of", "note", "evidence"],
  event: ["outcome", "on_date", "note", "evidence"],
  report: ["title", "description", "harm_types", "sector", "severity", "affected_groups", "province", "occurred_on", "deployers", "developers"],
  // A likely match between two sources' records of one incident (key `<kept>|<duplicate>`): approve or reject only.
  match: [],
};

/** The workflow id of an item's review: `review/<kind>/<key>`, so a repeated start is a no-op. */
export function reviewId(kind: ReviewKind, key: string): string {
  return `review/${kind}/${key}`;
}

export function parseReviewId(id: string): { kind: ReviewKind; key: string } {
  const m = /^review\/([a-z]+)\/(.+)$/.exec(id);
  if (!m || !(reviewKinds as readonly string[]).includes(m[1])) throw new CurationInputError("reviewId", `must be review/<kind>/<key>, got ${JSON.stringify(id)}`);
  return { kind: m[1] as ReviewKind, key: m[2] };
}

export interface ReviewRef {
  kind: ReviewKind;
  key: string;
  /** The source the item came from, where the queue knows it (it bounds the reviews a run opens per source). */
  sourceId?: string | null;
}

/** What a reviewer sees: small, plain data (it lives in the workflow's state). */
export interface ReviewItem extends ReviewRef {
  title: string;
  summary: string | null;
  /** The item's own public page (http or https only). */
  url: string | null;
  sourceId: string | null;
  /** The archived capture the item was parsed from (data/archive), when there is one. */
  snapshotSha256: string | null;
  /** What approving as-is records, per field. */
  proposal: Record<string, string>;
  /** For a candidate incident: a published incident of the same news story it may be a later report of. */
  relatedIncident: string | null;
}

export interface ReviewDecisionInput {
  action: ReviewAction;
  /** The analyst's identity (analyst:<name>): whoever holds the token the proof is made with. */
  by: string;
  reason: string;
  /** Fields an approve may and an edit must set (reviewFields). */
  fields?: Record<string, string>;
  /** HMAC of the decision with the analyst's token key (activities/analysts.ts decisionMessage). */
  proof?: string;
}

export interface ReviewReceipt {
  logId: number;
  at: string;
  /** One line for the analyst: what the decision did. */
  effect: string;
  /**
   * Set when the decision was an amendment of a kind that needs a second person: the proposal as it now
   * stands. The review goes on waiting for another analyst's approval.
   */
  amended?: Record<string, string>;
}

/**
 * Kinds where what gets published is an analyst's own work (a proposed measure status or activity outcome,
 * an analyst's corrected figure), so a second analyst must approve it: whoever proposed or amended it
 * cannot approve it. An edit of these kinds, or an approve that changes a field, is an amendment.
 * A public report (from the intake) is one too: one analyst may publish or refuse it as the reporter
 * wrote it, but an analyst's classification or rewording of it is theirs and needs someone else.
 * Incident candidates and classifications come from a feed, and one analyst's decision on them is the
 * person in the loop.
 */
export const secondPersonKinds: readonly ReviewKind[] = ["measure", "event", "indicator", "range", "report"];

/** Checks who made a decision or a proposal (activities/analysts.ts AnalystStore); throws when it cannot. */
export interface DecisionAuthority {
  verifyDecision(reviewId: string, input: ReviewDecisionInput): Promise<{ by: string }>;
  verifyProposal(reviewId: string, proposal: Record<string, string>): Promise<{ by: string; at?: string }>;
}

/** The proposal fields that are its signature, not its content. */
export const signatureFields = ["proposed_by", "proposed_at", "proposal_proof"] as const;
const unsigned = (p: Record<string, string>) => Object.fromEntries(Object.entries(p).filter(([k]) => !(signatureFields as readonly string[]).includes(k)));

// ---------------------------------------------------------------------------------------------------
// Keys

const OBS_KEY = /^([^/]+)\/([^/]+)\/([A-Z]{3})\/([^=]+)=(.+)$/;

interface ObservationRef {
  sourceId: string;
  indicatorCode: string;
  countryIso3: string;
  period: string;
  value: number;
}

export function observationReviewKey(o: ObservationRef): string {
  return `${o.sourceId}/${o.indicatorCode}/${o.countryIso3}/${o.period}=${o.value}`;
}

function observationRef(key: string): ObservationRef {
  const m = OBS_KEY.exec(key);
  if (!m || !Number.isFinite(Number(m[5]))) throw new CurationInputError("key", `must be <source>/<indicator>/<country>/<period>=<value>, got ${JSON.stringify(key)}`);
  return { sourceId: m[1], indicatorCode: m[2], countryIso3: m[3], period: m[4], value: Number(m[5]) };
}

function classificationRef(key: string): { itemKind: "news"; itemKey: string } {
  const m = /^news\/(.+)$/.exec(key);
  if (!m) throw new CurationInputError("key", `must be news/<item_key>, got ${JSON.stringify(key)}`);
  return { itemKind: "news", itemKey: m[1] };
}

// ---------------------------------------------------------------------------------------------------
// The queue: what waits for a person

export interface PendingOptions {
  /** Range rules (warehouse/quality-rules.yaml); without them no range reviews are listed. */
  rules?: QualityRules;
}

/** Every item that needs a person and has no decision yet, in a stable order. Keys only (rule 2). */
export async function pendingReviews(db: DuckDBConnection, options: PendingOptions = {}): Promise<ReviewRef[]> {
  const decided = new Set((await queryRows(db, "SELECT DISTINCT review_id FROM review_decisions")).map((r) => String(r.review_id)));
  const out: ReviewRef[] = [];
  const push = (kind: ReviewKind, key: string, sourceId: unknown) => {
    if (!decided.has(reviewId(kind, key))) out.push({ kind, key, ...(sourceId == null ? {} : { sourceId: String(sourceId) }) });
  };
  const candidates = await queryRows(
    db,
    `SELECT c.candidate_key, (SELECT min(n.source_id) FROM news_items n WHERE n.item_key = c.item_key) AS source_id
       FROM incident_candidates c WHERE c.review_status = 'pending' ORDER BY c.detected_at, c.candidate_key`,
  );
  for (const r of candidates) push("incident", String(r.candidate_key), r.source_id);
  const sheetValues = await queryRows(
    db,
    `SELECT o.source_id, o.indicator_code, o.country_iso3, o.period, o.value FROM observations o
      WHERE o.valid_to IS NULL AND o.value IS NOT NULL AND isfinite(o.value)
        AND o.source_id IN (SELECT source_id FROM sources WHERE parser = 'indicator-sheet')
        AND NOT EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                         WHERE r.source_id = o.source_id AND r.indicator_code = o.indicator_code AND r.country_iso3 = o.country_iso3
                           AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value)
      ORDER BY o.indicator_code, o.country_iso3, o.period, o.source_id`,
  );
  for (const r of sheetValues) {
    push("indicator", observationReviewKey({ sourceId: String(r.source_id), indicatorCode: String(r.indicator_code), countryIso3: String(r.country_iso3), period: String(r.period), value: Number(r.value) }), r.source_id);
  }
  if (options.rules) {
    for (const r of await rangeFailures(db, options.rules)) {
      push("range", observationReviewKey({ sourceId: r.source_id, indicatorCode: r.indicator_code, countryIso3: r.country_iso3, period: r.period, value: Number(r.value) }), r.source_id);
    }
  }
  // Uncertain classifications: AI news the keyword rules could place under no NAIS priority.
  const uncertain = await queryRows(
    db,
    `SELECT n.item_key, min(n.source_id) AS source_id FROM v_news_public n
      WHERE EXISTS (SELECT 1 FROM v_item_tags_effective t WHERE t.item_kind = 'news' AND t.item_key = n.item_key AND t.dimension = 'ai')
        AND NOT EXISTS (SELECT 1 FROM v_item_tags_effective t WHERE t.item_kind = 'news' AND t.item_key = n.item_key AND t.dimension = 'priority')
        AND NOT EXISTS (SELECT 1 FROM incident_candidates c WHERE c.item_key = n.item_key)
      GROUP BY n.item_key ORDER BY n.item_key`,
  );
  for (const r of uncertain) push("classification", `news/${String(r.item_key)}`, r.source_id);
  // Likely matches between an analysts' incident and another source's record (migration 012).
  const [{ n: matching }] = await queryRows(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'incident_match_reviews'");
  if (Number(matching) > 0) {
    const matches = await queryRows(
      db,
      `SELECT m.match_key, i.source_id FROM incident_matches m LEFT JOIN (SELECT DISTINCT incident_key, source_id FROM incidents) i ON i.incident_key = m.duplicate_key
        WHERE NOT EXISTS (SELECT 1 FROM incident_match_reviews r WHERE r.match_key = m.match_key) ORDER BY m.match_key`,
    );
    for (const r of matches) push("match", String(r.match_key), r.source_id);
  }
  return out;
}

/**
 * Bounds the reviews a run opens: at most `max` items per source and kind, in queue order (an open,
 * undecided review still counts, so a flood never opens more than `max` at once). The rest wait,
 * counted per source and kind, and open on a later run as earlier ones are decided.
 */
export function boundReviews<T extends ReviewRef>(items: T[], max: number): { open: T[]; held: Array<{ kind: ReviewKind; sourceId: string | null; count: number }> } {
  const taken = new Map<string, number>();
  const held = new Map<string, { kind: ReviewKind; sourceId: string | null; count: number }>();
  const open: T[] = [];
  for (const item of items) {
    const group = `${item.kind}\u0000${item.sourceId ?? ""}`;
    const n = taken.get(group) ?? 0;
    if (n < max) {
      taken.set(group, n + 1);
      open.push(item);
    } else {
      const h = held.get(group) ?? { kind: item.kind, sourceId: item.sourceId ?? null, count: 0 };
      h.count += 1;
      held.set(group, h);
    }
  }
  return { open, held: [...held.values()] };
}

// ---------------------------------------------------------------------------------------------------
// What a reviewer sees

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const webUrl = (v: unknown): string | null => {
  const s = str(v);
  return s && /^https?:\/\//i.test(s) ? s : null;
};

/** The details of one item for its review; proposal is what approving it as-is records. */
export async function describeReview(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string> = {}): Promise<ReviewItem> {
  const base = { kind: ref.kind, key: ref.key, relatedIncident: null };
  if (ref.kind === "incident") {
    const [c] = await queryRows(
      db,
      `SELECT c.*, n.summary, n.source_id, n.snapshot_sha256, n.published_at::DATE::VARCHAR AS day
         FROM incident_candidates c LEFT JOIN news_items n ON n.item_key = c.item_key
        WHERE c.candidate_key = $key LIMIT 1`,
      { key: ref.key },
    );
    if (!c) throw new CurationInputError("key", `no incident candidate ${JSON.stringify(ref.key)} in the warehouse`);
    const tags = await queryRows(
      db,
      "SELECT dimension, list(tag ORDER BY tag) AS tags FROM v_item_tags_effective WHERE item_kind = 'news' AND item_key = $key AND dimension IN ('harm', 'sector') GROUP BY dimension",
      { key: String(c.item_key) },
    );
    const tagsOf = (d: string) => ((tags.find((t) => t.dimension === d)?.tags as string[] | undefined) ?? []);
    const related = await queryRows(
      db,
      `SELECT r.incident_key FROM reviewed_incidents r
         JOIN incident_candidates rc ON rc.candidate_key = r.candidate_key
         JOIN news_stories s1 ON s1.item_key = rc.item_key
         JOIN news_stories s2 ON s2.story_key = s1.story_key AND s2.item_key = $item
        WHERE r.candidate_key <> $key ORDER BY r.log_id LIMIT 1`,
      { item: String(c.item_key), key: ref.key },
    );
    return {
      ...base,
      title: String(c.title ?? c.item_key),
      summary: str(c.summary),
      url: webUrl(c.url),
      sourceId: str(c.source_id),
      snapshotSha256: str(c.snapshot_sha256),
      proposal: {
        harm_types: tagsOf("harm").join(","),
        sector: tagsOf("sector")[0] ?? "",
        occurred_on: str(c.day) ?? "",
        ai_terms: ((c.ai_terms as string[] | null) ?? []).join(", "),
        harm_terms: ((c.harm_terms as string[] | null) ?? []).join(", "),
        ...proposal,
      },
      relatedIncident: related[0] ? String(related[0].incident_key) : null,
    };
  }
  if (ref.kind === "indicator" || ref.kind === "range") {
    const o = observationRef(ref.key);
    const [row] = await queryRows(
      db,
      `SELECT o.source_url, o.snapshot_sha256, i.name, i.unit FROM observations o
         LEFT JOIN indicators i ON i.indicator_code = o.indicator_code AND i.source_id = o.source_id
        WHERE o.source_id = $sid AND o.indicator_code = $code AND o.country_iso3 = $country AND o.period = $period AND o.value = $value
        ORDER BY o.valid_from DESC LIMIT 1`,
      { sid: o.sourceId, code: o.indicatorCode, country: o.countryIso3, period: o.period, value: o.value },
    );
    if (!row) throw new CurationInputError("key", `no ${o.sourceId} value ${o.value} for ${o.indicatorCode}/${o.countryIso3}/${o.period} in the warehouse`);
    const unit = str(row.unit);
    return {
      ...base,
      title: `${str(row.name) ?? o.indicatorCode} (${o.countryIso3} ${o.period}): ${o.value}${unit ? ` ${unit}` : ""}`,
      summary: ref.kind === "range" ? "This value is outside the range its quality rule allows (warehouse/quality-rules.yaml); the export stays blocked until it is decided." : "A value from the analysts' sheet; it is published once approved.",
      url: webUrl(row.source_url),
      sourceId: o.sourceId,
      snapshotSha256: str(row.snapshot_sha256),
      proposal: { value: String(o.value), unit: unit ?? "", source_url: str(row.source_url) ?? "", ...proposal },
    };
  }
  if (ref.kind === "classification") {
    const item = classificationRef(ref.key);
    const [n] = await queryRows(db, "SELECT * FROM news_items WHERE item_key = $key ORDER BY retrieved_at DESC LIMIT 1", { key: item.itemKey });
    if (!n) throw new CurationInputError("key", `no news item ${JSON.stringify(item.itemKey)} in the warehouse`);
    const tags = await queryRows(db, "SELECT dimension || '/' || tag AS t FROM v_item_tags_effective WHERE item_kind = 'news' AND item_key = $key ORDER BY 1", { key: item.itemKey });
    return {
      ...base,
      title: String(n.title ?? item.itemKey),
      summary: str(n.summary),
      url: webUrl(n.canonical_url),
      sourceId: str(n.source_id),
      snapshotSha256: str(n.snapshot_sha256),
      proposal: { tags: tags.map((t) => String(t.t)).join(", "), ...proposal },
    };
  }
  if (ref.kind === "report") {
    const [r] = await queryRows(db, "SELECT *, received_at::VARCHAR AS received FROM intake_reports WHERE tracking_code = $code", { code: ref.key });
    if (!r) throw new CurationInputError("key", `no public report ${JSON.stringify(ref.key)} is registered in the warehouse`);
    const what = String(r.what);
    const links = (r.links as string[] | null) ?? [];
    return {
      ...base,
      title: `Public report ${ref.key}${r.province ? ` (${String(r.province)})` : ""}: ${what.length > 90 ? `${what.slice(0, 90)}…` : what}`,
      summary: what,
      url: webUrl(links[0]),
      sourceId: "public-intake",
      snapshotSha256: null,
      proposal: {
        title: what.split(/(?<=[.!?។])\s/)[0].slice(0, 120),
        description: what,
        province: str(r.province) ?? "",
        occurred_on: str(r.occurred) ?? "",
        links: links.join(" "),
        ...proposal,
      },
    };
  }
  if (ref.kind === "match") {
    const [m] = await queryRows(db, "SELECT * FROM incident_matches WHERE match_key = $key LIMIT 1", { key: ref.key });
    if (!m) throw new CurationInputError("key", `no likely incident match ${JSON.stringify(ref.key)} in the warehouse`);
    const records = await queryRows(
      db,
      `SELECT DISTINCT incident_key, title, occurred_on::VARCHAR AS occurred_on, source_id, snapshot_sha256, report_urls FROM incidents
        WHERE incident_key IN ($kept, $dup) ORDER BY incident_key = $kept DESC`,
      { kept: String(m.kept_key), dup: String(m.duplicate_key) },
    );
    const [kept, duplicate] = [records.find((r) => r.incident_key === m.kept_key), records.find((r) => r.incident_key === m.duplicate_key)];
    if (!kept || !duplicate) throw new CurationInputError("key", `match ${JSON.stringify(ref.key)} names an incident the warehouse no longer holds`);
    const cite = String(m.duplicate_key).startsWith("aiid:") ? `https://incidentdatabase.ai/cite/${String(m.duplicate_key).slice(5)}` : null;
    return {
      ...base,
      title: `Same incident? ${String(kept.title)} (${String(kept.incident_key)}) and ${String(duplicate.title)} (${String(duplicate.incident_key)})`,
      summary: `${String(kept.occurred_on)} and ${String(duplicate.occurred_on)}, ${String(m.days_apart)} days apart; text similarity ${String(m.similarity)}. Approving makes them one incident, the analysts' entry, citing both; rejecting keeps two.`,
      url: cite ?? webUrl(((duplicate.report_urls as string[] | null) ?? [])[0]),
      sourceId: str(duplicate.source_id),
      snapshotSha256: str(duplicate.snapshot_sha256),
      proposal: { ...proposal },
      relatedIncident: String(m.kept_key),
    };
  }
  if (ref.kind === "event") {
    // A proposed outcome of a governance activity, like a measure status, lives in its workflow until decided.
    const eventId = ref.key.split("/")[0];
    const [e] = await queryRows(db, "SELECT event_id, title, date_text, document_url FROM events WHERE event_id = $id LIMIT 1", { id: eventId });
    if (!e) throw new CurationInputError("key", `${JSON.stringify(eventId)} is not a governance-timeline event in the warehouse`);
    return {
      ...base,
      title: `Governance activity ${String(e.event_id)} (${String(e.date_text)}): ${proposal.outcome ?? "?"}${proposal.on_date ? ` on ${proposal.on_date}` : ""}`,
      summary: String(e.title),
      url: webUrl(proposal.evidence?.split(",")[0]?.trim()) ?? webUrl(e.document_url),
      sourceId: null,
      snapshotSha256: null,
      proposal,
    };
  }
  // A proposed measure status lives in its workflow until decided; the warehouse knows the measure.
  const [m] = await queryRows(db, "SELECT measure_id, text, timeframe FROM strategy_measures WHERE measure_id = $id LIMIT 1", { id: ref.key.split("/")[0] });
  if (!m) throw new CurationInputError("key", `${JSON.stringify(ref.key.split("/")[0])} is not a NAIS measure in the warehouse`);
  return {
    ...base,
    title: `NAIS measure ${String(m.measure_id)} (${String(m.timeframe)}): ${proposal.status ?? "?"} as of ${proposal.as_of ?? "?"}`,
    summary: String(m.text),
    url: webUrl(proposal.evidence?.split(",")[0]?.trim()),
    sourceId: null,
    snapshotSha256: null,
    proposal,
  };
}

// ---------------------------------------------------------------------------------------------------
// Decisions

const list = (v: string | undefined): string[] =>
  (v ?? "")
    .split(",")
    .map((s) => s.normalize("NFC").trim())
    .filter((s) => s !== "");

function checkFields(kind: ReviewKind, input: ReviewDecisionInput): Record<string, string> {
  const fields = input.fields ?? {};
  if (typeof fields !== "object" || Array.isArray(fields)) throw new CurationInputError("fields", "must be an object of field: value");
  const allowed = reviewFields[kind];
  for (const [k, v] of Object.entries(fields)) {
    if (!allowed.includes(k)) throw new CurationInputError(`fields.${k}`, `is not a field of a ${kind} review (fields: ${allowed.join(", ")})`);
    if (typeof v !== "string") throw new CurationInputError(`fields.${k}`, "must be text");
  }
  if (input.action === "edit" && Object.keys(fields).length === 0) throw new CurationInputError("fields", `an edit must set at least one of ${allowed.join(", ")}`);
  if (input.action === "reject" && Object.keys(fields).length > 0) throw new CurationInputError("fields", "a rejection sets no fields");
  return fields;
}

/** Validates a decision without writing anything (the CLI and console check before they signal). */
export function validateDecision(kind: ReviewKind, input: ReviewDecisionInput): void {
  if (!(reviewActions as readonly string[]).includes(input.action)) throw new CurationInputError("action", `must be one of ${reviewActions.join(", ")}`);
  text("by", input.by);
  text("reason", input.reason);
  const fields = checkFields(kind, input);
  if (fields.value !== undefined && !Number.isFinite(Number(fields.value))) throw new CurationInputError("fields.value", `must be a number, got ${JSON.stringify(fields.value)}`);
  if (fields.severity !== undefined && !["low", "medium", "high"].includes(fields.severity)) throw new CurationInputError("fields.severity", "must be low, medium or high");
  if (fields.occurred_on !== undefined && fields.occurred_on !== "" && !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(fields.occurred_on)) {
    throw new CurationInputError("fields.occurred_on", "must be YYYY, YYYY-MM or YYYY-MM-DD");
  }
  for (const f of ["add", "remove"]) {
    for (const t of list(fields[f])) if (!/^[a-z_]+\/[A-Za-z0-9_.-]+$/.test(t)) throw new CurationInputError(`fields.${f}`, `must be dimension/tag items such as priority/3, got ${JSON.stringify(t)}`);
  }
}

async function recordDecisionRow(db: DuckDBConnection, logId: number, ref: ReviewRef, input: ReviewDecisionInput, fields: Record<string, string>, at: string) {
  await db.run("INSERT INTO review_decisions VALUES ($log, $id, $kind, $key, $decision, $fields, $by, $at::TIMESTAMPTZ, $reason)", {
    log: logId,
    id: reviewId(ref.kind, ref.key),
    kind: ref.kind,
    key: ref.key,
    decision: input.action,
    fields: Object.keys(fields).length > 0 ? JSON.stringify(fields) : null,
    by: text("by", input.by),
    at,
    reason: text("reason", input.reason),
  });
}

/** A date as incidents hold it: YYYY → Jan 1 with precision year, YYYY-MM → the 1st with precision month. */
function incidentDate(v: string | undefined): { on: string | null; precision: string | null } {
  if (!v) return { on: null, precision: null };
  if (/^\d{4}$/.test(v)) return { on: `${v}-01-01`, precision: "year" };
  if (/^\d{4}-\d{2}$/.test(v)) return { on: `${v}-01`, precision: "month" };
  return { on: v, precision: "day" };
}

/**
 * Writes an analyst's decision on one review item: its effect and a curation_log entry (action
 * review_approve / review_reject / review_edit) in one transaction, plus the review_decisions row that
 * keeps the item out of the queue for good. Fails, writing nothing, when the item or a field is wrong.
 */
export async function recordReviewDecision(
  db: DuckDBConnection,
  ref: ReviewRef,
  input: ReviewDecisionInput,
  options: CurationOptions & { proposal?: Record<string, string>; analysts: DecisionAuthority },
): Promise<ReviewReceipt> {
  validateDecision(ref.kind, input);
  let fields = checkFields(ref.kind, input);
  const reason = text("reason", input.reason);
  const at = timestamp(options.now);
  const id = reviewId(ref.kind, ref.key);
  // Who decides is whoever signed the decision, checked here before anything is written, whatever the
  // console or the CLI checked before signalling.
  const by = (await options.analysts.verifyDecision(id, { ...input, by: text("by", input.by) })).by;
  const signed = options.proposal ?? {};
  let proposer: { by: string; at?: string } | undefined;
  if (signed.proposed_by !== undefined) proposer = await options.analysts.verifyProposal(id, signed);
  else if ((ref.kind === "measure" || ref.kind === "event") && input.action !== "reject") {
    throw new CurationInputError("proposal", `of ${id} names no signed proposer, so no second analyst can approve it; propose it again with npm run review -- propose-${ref.kind}`);
  }
  return inTransaction(db, async () => {
    const [{ n }] = await queryRows(db, "SELECT count(*) AS n FROM review_decisions WHERE review_id = $id", { id });
    if (Number(n) > 0) throw new CurationInputError("reviewId", `${id} is already decided`);
    const amendments = await queryRows(db, "SELECT fields, proposed_by FROM review_proposals WHERE review_id = $id AND action = 'amend' ORDER BY log_id", { id });
    const proposal: Record<string, string> = Object.assign(unsigned(signed), ...amendments.map((a) => JSON.parse(String(a.fields)) as Record<string, string>));
    options = { ...options, proposal };

    if (secondPersonKinds.includes(ref.kind) && input.action !== "reject") {
      const current = (await describeReview(db, ref, proposal)).proposal;
      const changes = Object.fromEntries(Object.entries(fields).filter(([k, v]) => input.action === "edit" || (current[k] ?? "") !== v));
      if (Object.keys(changes).length > 0) {
        // An analyst's own change: recorded as an amendment; the review waits for someone else to approve it.
        const logId = await appendCurationLog(db, {
          at, actor: by, action: "review_amend", targetKind: "review", targetKey: id, field: "proposal",
          oldValue: JSON.stringify(Object.fromEntries(Object.keys(changes).map((k) => [k, current[k] ?? null]))), newValue: JSON.stringify(changes), reason,
        });
        await db.run("INSERT INTO review_proposals VALUES ($log, $id, $kind, $key, 'amend', $fields, $by, $at::TIMESTAMPTZ, $reason)", {
          log: logId, id, kind: ref.kind, key: ref.key, fields: JSON.stringify(changes), by, at, reason,
        });
        return { logId, at, effect: `amendment recorded (${Object.keys(changes).join(", ")}); another analyst than ${by} approves it`, amended: { ...current, ...changes } };
      }
      const authors = [...(proposer ? [{ by: proposer.by, did: "proposed" }] : []), ...amendments.map((a) => ({ by: String(a.proposed_by), did: "amended" }))];
      const own = authors.find((a) => a.by === by);
      if (own) throw new CurationInputError("by", `four eyes: ${by} ${own.did} this ${ref.kind} review, so ${by} cannot approve it; another analyst must`);
      fields = {};
      if (proposer) {
        const logId = await appendCurationLog(db, {
          at: proposer.at ?? at, actor: proposer.by, action: "review_propose", targetKind: "review", targetKey: id, field: "proposal", oldValue: null, newValue: JSON.stringify(unsigned(signed)), reason: unsigned(signed).note ?? "proposed",
        });
        await db.run("INSERT INTO review_proposals VALUES ($log, $id, $kind, $key, 'propose', $fields, $by, $at::TIMESTAMPTZ, $reason)", {
          log: logId, id, kind: ref.kind, key: ref.key, fields: JSON.stringify(unsigned(signed)), by: proposer.by, at: proposer.at ?? at, reason: unsigned(signed).note ?? "proposed",
        });
      }
    }
    // An entry about a published incident is keyed by the incident, so the site shows it beside it.
    const entry = (targetKind: string, field: string | null, oldValue: string | null, newValue: string | null, targetKey = ref.key) =>
      appendCurationLog(db, { at, actor: by, action: `review_${input.action}`, targetKind, targetKey, field, oldValue, newValue, reason });
    let logId: number;
    let effect: string;

    if (ref.kind === "incident") {
      const item = await describeReview(db, ref);
      const [c] = await queryRows(db, "SELECT c.*, n.source_id, n.snapshot_sha256, n.retrieved_at::VARCHAR AS retrieved FROM incident_candidates c JOIN news_items n ON n.item_key = c.item_key WHERE candidate_key = $key LIMIT 1", { key: ref.key });
      if (!c) throw new CurationInputError("key", `incident candidate ${JSON.stringify(ref.key)} has no news item in the warehouse`);
      if (c.review_status !== "pending") throw new CurationInputError("key", `incident candidate ${JSON.stringify(ref.key)} is already ${String(c.review_status)}`);
      if (input.action === "reject") {
        logId = await entry("incident_candidate", "review_status", "pending", "rejected");
        await db.run("INSERT INTO incident_reviews VALUES ($log, $key, 'reject', NULL, $by, $at::TIMESTAMPTZ, $reason)", { log: logId, key: ref.key, by, at, reason });
        effect = "rejected: never published";
      } else if (fields.attach_to) {
        const target = text("fields.attach_to", fields.attach_to);
        const [{ t }] = await queryRows(db, "SELECT count(*) AS t FROM v_incidents_public WHERE incident_key = $k", { k: target });
        if (Number(t) === 0) throw new CurationInputError("fields.attach_to", `${JSON.stringify(target)} is not a published incident`);
        if (!item.url) throw new CurationInputError("key", "the candidate has no http(s) link to attach");
        logId = await entry("incident", "report_urls", null, `later report ${item.url} (candidate ${ref.key})`, target);
        await db.run("INSERT INTO incident_updates VALUES ($log, $inc, $key, $url, $title, $pub::TIMESTAMPTZ, $by, $at::TIMESTAMPTZ, $reason)", {
          log: logId, inc: target, key: ref.key, url: item.url, title: str(c.title), pub: str(c.published_at), by, at, reason,
        });
        await db.run("INSERT INTO incident_reviews VALUES ($log, $key, 'attach', $inc, $by, $at::TIMESTAMPTZ, $reason)", { log: logId, key: ref.key, inc: target, by, at, reason });
        effect = `attached to ${target} as a later report`;
      } else {
        const merged = { ...item.proposal, ...fields };
        const incidentKey = `review:${ref.key}`;
        const date = incidentDate(merged.occurred_on || undefined);
        if (merged.severity && !["low", "medium", "high"].includes(merged.severity)) throw new CurationInputError("fields.severity", "must be low, medium or high");
        const classification = {
          title: merged.title || item.title,
          harm_types: list(merged.harm_types),
          sector: merged.sector || null,
          severity: merged.severity || null,
          affected_groups: list(merged.affected_groups),
          province: merged.province || null,
          occurred_on: date.on,
        };
        logId = await entry("incident", "published", `candidate ${ref.key}`, JSON.stringify(classification), incidentKey);
        await db.run(
          `INSERT INTO reviewed_incidents VALUES ($log, $inc, $key, $on::DATE, $precision, $title, $description, $deployers, $developers,
             $harmed, $harms, $sector, $severity, $province, $urls, $sid, $sha, $retrieved::TIMESTAMPTZ, $by, $at::TIMESTAMPTZ, $reason)`,
          {
            log: logId,
            inc: incidentKey,
            key: ref.key,
            on: date.on,
            precision: date.precision,
            title: classification.title,
            description: merged.description || item.summary,
            deployers: listValue(list(merged.deployers)),
            developers: listValue(list(merged.developers)),
            harmed: listValue(classification.affected_groups),
            harms: listValue(classification.harm_types),
            sector: classification.sector,
            severity: classification.severity,
            province: classification.province,
            urls: listValue(item.url ? [item.url] : []),
            sid: String(c.source_id),
            sha: String(c.snapshot_sha256),
            retrieved: String(c.retrieved),
            by,
            at,
            reason,
          },
          { deployers: LIST(VARCHAR), developers: LIST(VARCHAR), harmed: LIST(VARCHAR), harms: LIST(VARCHAR), urls: LIST(VARCHAR) },
        );
        await db.run("INSERT INTO incident_reviews VALUES ($log, $key, 'approve', $inc, $by, $at::TIMESTAMPTZ, $reason)", { log: logId, key: ref.key, inc: incidentKey, by, at, reason });
        effect = `published as incident ${incidentKey}`;
      }
      const status = input.action === "reject" ? "rejected" : fields.attach_to ? "attached" : "approved";
      await db.run("UPDATE incident_candidates SET review_status = $s WHERE candidate_key = $key", { s: status, key: ref.key });
    } else if (ref.kind === "indicator" || ref.kind === "range") {
      const o = observationRef(ref.key);
      const item = await describeReview(db, ref);
      const target = `${o.indicatorCode}/${o.countryIso3}/${o.period}`;
      const review = async (decision: "approve" | "reject", log: number) =>
        db.run("INSERT INTO observation_reviews VALUES ($log, $kind, $sid, $code, $country, $period, $value, $decision, $by, $at::TIMESTAMPTZ, $reason)", {
          log, kind: ref.kind, sid: o.sourceId, code: o.indicatorCode, country: o.countryIso3, period: o.period, value: o.value, decision, by, at, reason,
        });
      // An amended figure, approved as it stands, is in the proposal rather than this decision's fields.
      fields = { ...options.proposal, ...fields };
      const changed = fields.value !== undefined && Number(fields.value) !== o.value;
      if (input.action === "reject" || changed) {
        logId = await entry("observation", "value", `${o.value} [${o.sourceId}]`, changed ? `${Number(fields.value)} [analyst]` : "rejected");
        await review("reject", logId);
        effect = `${o.sourceId}'s value ${o.value} for ${target} is not published`;
        if (changed) {
          // The corrected figure is an analyst's value, shown instead of every source's for the key.
          await curateObservation(
            db,
            { ...o, value: Number(fields.value), unit: fields.unit || item.proposal.unit || null, sourceUrl: httpUrl("fields.source_url", fields.source_url || item.proposal.source_url), curatedBy: by, reason },
            { now: () => new Date(at) },
          );
          effect += `; the analyst's value ${Number(fields.value)} is published instead`;
        }
      } else {
        logId = await entry("observation", "value", `${o.value} [${o.sourceId}]`, "approved");
        await review("approve", logId);
        effect = `${o.sourceId}'s value ${o.value} for ${target} is approved for publication`;
      }
    } else if (ref.kind === "classification") {
      const item = classificationRef(ref.key);
      if (input.action === "reject") {
        const receipt = await rejectItem(db, { ...item, curatedBy: by, reason }, { now: () => new Date(at) });
        logId = receipt.logId;
        effect = `news item hidden from every public view`;
      } else {
        logId = await entry("news", "classification", null, JSON.stringify(fields));
        for (const [field, action] of [["add", "add"], ["remove", "remove"]] as const) {
          for (const t of list(fields[field])) {
            const [dimension, tag] = t.split("/");
            await classifyItem(db, { ...item, dimension, tag, action, curatedBy: by, reason }, { now: () => new Date(at) });
          }
        }
        effect = Object.keys(fields).length > 0 ? `tags changed: ${JSON.stringify(fields)}` : "classification confirmed as the rules made it";
      }
    } else if (ref.kind === "report") {
      const [r] = await queryRows(db, "SELECT *, received_at::VARCHAR AS received FROM intake_reports WHERE tracking_code = $code", { code: ref.key });
      if (!r) throw new CurationInputError("key", `no public report ${JSON.stringify(ref.key)} is registered in the warehouse`);
      const incidentKey = `report:${ref.key}`;
      if (input.action === "reject") {
        // The reason is what the reporter reads on the status page (like every curation_log reason, public).
        logId = await entry("report", "status", "received", "not_accepted");
        effect = "not accepted; the reporter sees the reason on the status page";
      } else {
        const merged = { ...(await describeReview(db, ref, options.proposal ?? {})).proposal, ...fields };
        const date = incidentDate(merged.occurred_on || undefined);
        if (merged.severity && !["low", "medium", "high"].includes(merged.severity)) throw new CurationInputError("fields.severity", "must be low, medium or high");
        const classification = { title: merged.title, harm_types: list(merged.harm_types), sector: merged.sector || null, severity: merged.severity || null, province: merged.province || null, occurred_on: date.on };
        logId = await entry("incident", "published", `public report ${ref.key}`, JSON.stringify(classification), incidentKey);
        await db.run(
          `INSERT INTO reviewed_incidents VALUES ($log, $inc, $key, $on::DATE, $precision, $title, $description, $deployers, $developers,
             $harmed, $harms, $sector, $severity, $province, $urls, 'public-intake', $sha, $retrieved::TIMESTAMPTZ, $by, $at::TIMESTAMPTZ, $reason)`,
          {
            log: logId, inc: incidentKey, key: incidentKey, on: date.on, precision: date.precision, title: text("fields.title", merged.title),
            description: merged.description || String(r.what), deployers: listValue(list(merged.deployers)), developers: listValue(list(merged.developers)),
            harmed: listValue(list(merged.affected_groups)), harms: listValue(classification.harm_types), sector: classification.sector,
            severity: classification.severity, province: classification.province, urls: listValue((r.links as string[] | null) ?? []),
            sha: String(r.report_sha256), retrieved: String(r.received), by, at, reason,
          },
          { deployers: LIST(VARCHAR), developers: LIST(VARCHAR), harmed: LIST(VARCHAR), harms: LIST(VARCHAR), urls: LIST(VARCHAR) },
        );
        effect = `published as incident ${incidentKey}`;
      }
    } else if (ref.kind === "match") {
      const [m] = await queryRows(db, "SELECT * FROM incident_matches WHERE match_key = $key LIMIT 1", { key: ref.key });
      if (!m) throw new CurationInputError("key", `no likely incident match ${JSON.stringify(ref.key)} in the warehouse`);
      const decision = input.action === "reject" ? "reject" : "approve";
      logId = await entry("incident", "matched", String(m.duplicate_key), decision === "approve" ? `one incident with ${String(m.kept_key)}` : "a different incident", String(m.kept_key));
      await db.run("INSERT INTO incident_match_reviews VALUES ($log, $key, $kept, $dup, $decision, $by, $at::TIMESTAMPTZ, $reason)", {
        log: logId, key: ref.key, kept: String(m.kept_key), dup: String(m.duplicate_key), decision, by, at, reason,
      });
      effect = decision === "approve" ? `${String(m.duplicate_key)} is shown as part of ${String(m.kept_key)}, which cites both` : `${String(m.kept_key)} and ${String(m.duplicate_key)} stay two incidents`;
    } else if (ref.kind === "event") {
      const eventId = ref.key.split("/")[0];
      const merged = { ...(options.proposal ?? {}), ...fields };
      if (input.action === "reject") {
        logId = await entry("event", "outcome", null, `proposal rejected: ${merged.outcome ?? "?"}`, eventId);
        effect = "proposal rejected; the activity's outcome is unchanged";
      } else {
        const receipt = await recordEventOutcome(
          db,
          { eventId, outcome: merged.outcome as never, onDate: merged.on_date || null, note: merged.note || reason, evidenceUrls: list(merged.evidence), recordedBy: by },
          { now: () => new Date(at) },
        );
        logId = receipt.logId;
        effect = `activity ${eventId} recorded as ${merged.outcome}${merged.on_date ? ` on ${merged.on_date}` : ""}`;
      }
    } else {
      const measureId = ref.key.split("/")[0];
      const merged = { ...(options.proposal ?? {}), ...fields };
      if (input.action === "reject") {
        logId = await entry("measure", "status", null, `proposal rejected: ${merged.status ?? "?"} as of ${merged.as_of ?? "?"}`);
        effect = "proposal rejected; the measure's status is unchanged";
      } else {
        const receipt = await recordMeasureStatus(
          db,
          { measureId, status: merged.status as never, asOf: merged.as_of, note: merged.note || reason, evidenceUrls: list(merged.evidence), recordedBy: by },
          { now: () => new Date(at) },
        );
        logId = receipt.logId;
        effect = `measure ${measureId} recorded as ${merged.status} as of ${merged.as_of}`;
      }
    }
    await recordDecisionRow(db, logId, ref, { ...input, by }, fields, at);
    return { logId, at, effect };
  });
}

/**
 * The decision already recorded for an item, if any: lets the decision activity answer a retry (after a
 * worker died between the commit and reporting it) with the first attempt's receipt instead of a refusal.
 */
export async function recordedDecision(db: DuckDBConnection, ref: ReviewRef): Promise<(ReviewReceipt & { decision: string; by: string }) | undefined> {
  const [row] = await queryRows(
    db,
    `SELECT log_id, strftime(timezone('UTC', decided_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS at, decision, decided_by FROM review_decisions
      WHERE review_id = $id ORDER BY log_id LIMIT 1`,
    { id: reviewId(ref.kind, ref.key) },
  );
  if (!row) return undefined;
  return {
    logId: Number(row.log_id),
    at: String(row.at),
    decision: String(row.decision),
    by: String(row.decided_by),
    effect: `already recorded: ${String(row.decision)} by ${String(row.decided_by)} (curation_log ${Number(row.log_id)})`,
  };
}
