// A likely match between two sources' records of one incident (key `<kept>|<duplicate>`, migration 012):
// approving shows the duplicate as part of the kept incident; rejecting keeps two. Approve or reject only.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryCount, queryOne, queryRows } from "../db.js";
import { CurationInputError } from "../validate.js";
import { describedBase, found, webUrl, type DecisionContext, type ReviewHandler, type ReviewItem, type ReviewRef } from "./kind.js";

interface MatchRow {
  kept_key: string;
  duplicate_key: string;
  days_apart: number | string;
  similarity: number | string;
}

async function matchRow(db: DuckDBConnection, key: string): Promise<MatchRow> {
  return found(
    await queryOne<MatchRow>(db, "SELECT * FROM incident_matches WHERE match_key = $key LIMIT 1", { key }),
    `no likely incident match ${JSON.stringify(key)} in the warehouse`,
  );
}

interface IncidentRecord {
  incident_key: string;
  title: string;
  occurred_on: string | null;
  source_id: string | null;
  snapshot_sha256: string | null;
  report_urls: string[] | null;
}

async function describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>): Promise<ReviewItem> {
  const m = await matchRow(db, ref.key);
  const records = await queryRows<IncidentRecord>(
    db,
    `SELECT DISTINCT incident_key, title, occurred_on::VARCHAR AS occurred_on, source_id, snapshot_sha256, report_urls FROM incidents
      WHERE incident_key IN ($kept, $dup) ORDER BY incident_key = $kept DESC`,
    { kept: m.kept_key, dup: m.duplicate_key },
  );
  const [kept, duplicate] = [records.find((r) => r.incident_key === m.kept_key), records.find((r) => r.incident_key === m.duplicate_key)];
  if (!kept || !duplicate)
    throw new CurationInputError("key", `match ${JSON.stringify(ref.key)} names an incident the warehouse no longer holds`);
  const cite = m.duplicate_key.startsWith("aiid:") ? `https://incidentdatabase.ai/cite/${m.duplicate_key.slice(5)}` : null;
  return {
    ...describedBase(ref),
    title: `Same incident? ${kept.title} (${kept.incident_key}) and ${duplicate.title} (${duplicate.incident_key})`,
    summary:
      `${kept.occurred_on} and ${duplicate.occurred_on}, ${m.days_apart} days apart; text similarity ${m.similarity}. Approving makes ` +
      `them one incident, the analysts' entry, citing both; rejecting keeps two.`,
    url: cite ?? webUrl((duplicate.report_urls ?? [])[0]),
    sourceId: duplicate.source_id,
    snapshotSha256: duplicate.snapshot_sha256,
    proposal: { ...proposal },
    relatedIncident: m.kept_key,
  };
}

async function decide({ db, ref, action, by, at, reason, entry }: DecisionContext) {
  const m = await matchRow(db, ref.key);
  const decision = action === "reject" ? "reject" : "approve";
  const logId = await entry(
    "incident",
    "matched",
    m.duplicate_key,
    decision === "approve" ? `one incident with ${m.kept_key}` : "a different incident",
    m.kept_key,
  );
  await db.run(
    `INSERT INTO incident_match_reviews (log_id, match_key, kept_key, duplicate_key, decision, decided_by, decided_at, reason)
     VALUES ($log, $key, $kept, $dup, $decision, $by, $at::TIMESTAMPTZ, $reason)`,
    { log: logId, key: ref.key, kept: m.kept_key, dup: m.duplicate_key, decision, by, at, reason },
  );
  const effect =
    decision === "approve"
      ? `${m.duplicate_key} is shown as part of ${m.kept_key}, which cites both`
      : `${m.kept_key} and ${m.duplicate_key} stay two incidents`;
  return { logId, effect };
}

export const matchReview: ReviewHandler = {
  fields: [],
  secondPerson: false,
  async pending(db) {
    // Warehouses from before migration 012 have no matches to review.
    if ((await queryCount(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'incident_match_reviews'")) === 0)
      return [];
    return queryRows<{ key: string; source_id: string | null }>(
      db,
      `SELECT m.match_key AS key, i.source_id FROM incident_matches m
          LEFT JOIN (SELECT DISTINCT incident_key, source_id FROM incidents) i ON i.incident_key = m.duplicate_key
        WHERE NOT EXISTS (SELECT 1 FROM incident_match_reviews r WHERE r.match_key = m.match_key) ORDER BY m.match_key`,
    );
  },
  describe,
  decide,
};
