// An incident candidate a feed's keyword rules found in the news: published as an incident, attached to a
// published one as a later report, or rejected. One analyst's decision is the person in the loop.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryCount, queryOne, queryRows } from "../db.js";
import { CurationInputError, text } from "../validate.js";
import { describedRecord, found, type DecisionContext, type ReviewHandler, type ReviewItem, type ReviewRef } from "./kind.js";
import { classificationOf, incidentFields, insertReviewedIncident, validateIncidentFields } from "./published-incident.js";

interface CandidateRow {
  item_key: string;
  title: string | null;
  url: string | null;
  summary: string | null;
  source_id: string | null;
  snapshot_sha256: string | null;
  day: string | null;
  ai_terms: string[] | null;
  harm_terms: string[] | null;
}

async function describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>): Promise<ReviewItem> {
  const c = found(
    await queryOne<CandidateRow>(
      db,
      `SELECT c.*, n.summary, n.source_id, n.snapshot_sha256, n.published_at::DATE::VARCHAR AS day
         FROM incident_candidates c LEFT JOIN news_items n ON n.item_key = c.item_key
        WHERE c.candidate_key = $key LIMIT 1`,
      { key: ref.key },
    ),
    `no incident candidate ${JSON.stringify(ref.key)} in the warehouse`,
  );
  const tags = await queryRows<{ dimension: string; tags: string[] }>(
    db,
    `SELECT dimension, list(tag ORDER BY tag) AS tags FROM v_item_tags_effective
      WHERE item_kind = 'news' AND item_key = $key AND dimension IN ('harm', 'sector') GROUP BY dimension`,
    { key: c.item_key },
  );
  const tagsOf = (d: string) => tags.find((t) => t.dimension === d)?.tags ?? [];
  const related = await queryOne<{ incident_key: string }>(
    db,
    `SELECT r.incident_key FROM reviewed_incidents r
       JOIN incident_candidates rc ON rc.candidate_key = r.candidate_key
       JOIN news_stories s1 ON s1.item_key = rc.item_key
       JOIN news_stories s2 ON s2.story_key = s1.story_key AND s2.item_key = $item
      WHERE r.candidate_key <> $key ORDER BY r.log_id LIMIT 1`,
    { item: c.item_key, key: ref.key },
  );
  return {
    ...describedRecord(ref, c.title ?? c.item_key, c),
    proposal: {
      harm_types: tagsOf("harm").join(","),
      sector: tagsOf("sector")[0] ?? "",
      occurred_on: c.day ?? "",
      ai_terms: (c.ai_terms ?? []).join(", "),
      harm_terms: (c.harm_terms ?? []).join(", "),
      ...proposal,
    },
    relatedIncident: related ? related.incident_key : null,
  };
}

interface DecidedCandidate {
  review_status: string;
  title: string | null;
  published_at: string | null;
  source_id: string;
  snapshot_sha256: string;
  retrieved: string;
}

async function recordReview(ctx: DecisionContext, logId: number, decision: "approve" | "reject" | "attach", incidentKey: string | null) {
  await ctx.db.run(
    `INSERT INTO incident_reviews (log_id, candidate_key, decision, incident_key, reviewed_by, reviewed_at, reason)
     VALUES ($log, $key, $decision, $inc, $by, $at::TIMESTAMPTZ, $reason)`,
    { log: logId, key: ctx.ref.key, decision, inc: incidentKey, by: ctx.by, at: ctx.at, reason: ctx.reason },
  );
}

async function attach(ctx: DecisionContext, item: ReviewItem, c: DecidedCandidate): Promise<{ logId: number; effect: string }> {
  const target = text("fields.attach_to", ctx.fields.attach_to);
  if ((await queryCount(ctx.db, "SELECT count(*) AS n FROM v_incidents_public WHERE incident_key = $k", { k: target })) === 0) {
    throw new CurationInputError("fields.attach_to", `${JSON.stringify(target)} is not a published incident`);
  }
  if (!item.url) throw new CurationInputError("key", "the candidate has no http(s) link to attach");
  const logId = await ctx.entry("incident", "report_urls", null, `later report ${item.url} (candidate ${ctx.ref.key})`, target);
  await ctx.db.run(
    `INSERT INTO incident_updates (log_id, incident_key, candidate_key, url, title, published_at, attached_by, attached_at, reason)
     VALUES ($log, $inc, $key, $url, $title, $pub::TIMESTAMPTZ, $by, $at::TIMESTAMPTZ, $reason)`,
    {
      log: logId,
      inc: target,
      key: ctx.ref.key,
      url: item.url,
      title: c.title,
      pub: c.published_at,
      by: ctx.by,
      at: ctx.at,
      reason: ctx.reason,
    },
  );
  await recordReview(ctx, logId, "attach", target);
  return { logId, effect: `attached to ${target} as a later report` };
}

async function publish(ctx: DecisionContext, item: ReviewItem, c: DecidedCandidate): Promise<{ logId: number; effect: string }> {
  const merged = { ...item.proposal, ...ctx.fields };
  const incidentKey = `review:${ctx.ref.key}`;
  const { classification, precision } = classificationOf(merged, merged.title || item.title);
  const logId = await ctx.entry("incident", "published", `candidate ${ctx.ref.key}`, JSON.stringify(classification), incidentKey);
  await insertReviewedIncident(ctx.db, {
    logId,
    incidentKey,
    candidateKey: ctx.ref.key,
    classification,
    precision,
    description: merged.description || item.summary,
    merged,
    reportUrls: item.url ? [item.url] : [],
    sourceId: c.source_id,
    snapshotSha256: c.snapshot_sha256,
    retrievedAt: c.retrieved,
    by: ctx.by,
    at: ctx.at,
    reason: ctx.reason,
  });
  await recordReview(ctx, logId, "approve", incidentKey);
  return { logId, effect: `published as incident ${incidentKey}` };
}

async function decide(ctx: DecisionContext) {
  const { db, ref } = ctx;
  const item = await describe(db, ref, {});
  const c = found(
    await queryOne<DecidedCandidate>(
      db,
      `SELECT c.*, n.source_id, n.snapshot_sha256, n.retrieved_at::VARCHAR AS retrieved
         FROM incident_candidates c JOIN news_items n ON n.item_key = c.item_key WHERE candidate_key = $key LIMIT 1`,
      { key: ref.key },
    ),
    `incident candidate ${JSON.stringify(ref.key)} has no news item in the warehouse`,
  );
  if (c.review_status !== "pending")
    throw new CurationInputError("key", `incident candidate ${JSON.stringify(ref.key)} is already ${c.review_status}`);
  let outcome: { logId: number; effect: string };
  if (ctx.action === "reject") {
    const logId = await ctx.entry("incident_candidate", "review_status", "pending", "rejected");
    await recordReview(ctx, logId, "reject", null);
    outcome = { logId, effect: "rejected: never published" };
  } else {
    outcome = ctx.fields.attach_to ? await attach(ctx, item, c) : await publish(ctx, item, c);
  }
  const status = ctx.action === "reject" ? "rejected" : ctx.fields.attach_to ? "attached" : "approved";
  await db.run("UPDATE incident_candidates SET review_status = $s WHERE candidate_key = $key", { s: status, key: ref.key });
  return outcome;
}

export const incidentReview: ReviewHandler = {
  fields: [...incidentFields, "attach_to"],
  secondPerson: false,
  async pending(db) {
    return queryRows<{ key: string; source_id: string | null }>(
      db,
      `SELECT c.candidate_key AS key, (SELECT min(n.source_id) FROM news_items n WHERE n.item_key = c.item_key) AS source_id
         FROM incident_candidates c WHERE c.review_status = 'pending' ORDER BY c.detected_at, c.candidate_key`,
    );
  },
  describe,
  validate: validateIncidentFields,
  decide,
};
