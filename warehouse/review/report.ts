// A public report from the intake (warehouse/intake.ts): one analyst may publish or refuse it as the
// reporter wrote it, but an analyst's classification or rewording of it is theirs and needs someone else.
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryOne } from "../db.js";
import { text } from "../validate.js";
import { describedBase, found, webUrl, type DecisionContext, type ReviewHandler, type ReviewItem, type ReviewRef } from "./kind.js";
import { classificationOf, incidentFields, insertReviewedIncident, validateIncidentFields } from "./published-incident.js";

interface ReportRow {
  what: string;
  province: string | null;
  occurred: string | null;
  links: string[] | null;
  report_sha256: string;
  received: string;
}

async function reportRow(db: DuckDBConnection, key: string): Promise<ReportRow> {
  return found(
    await queryOne<ReportRow>(db, "SELECT *, received_at::VARCHAR AS received FROM intake_reports WHERE tracking_code = $code", {
      code: key,
    }),
    `no public report ${JSON.stringify(key)} is registered in the warehouse`,
  );
}

async function describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>): Promise<ReviewItem> {
  const r = await reportRow(db, ref.key);
  const what = r.what;
  const links = r.links ?? [];
  return {
    ...describedBase(ref),
    title: `Public report ${ref.key}${r.province ? ` (${r.province})` : ""}: ${what.length > 90 ? `${what.slice(0, 90)}…` : what}`,
    summary: what,
    url: webUrl(links[0]),
    sourceId: "public-intake",
    snapshotSha256: null,
    proposal: {
      title: what.split(/(?<=[.!?។])\s/)[0].slice(0, 120),
      description: what,
      province: r.province ?? "",
      occurred_on: r.occurred ?? "",
      links: links.join(" "),
      ...proposal,
    },
  };
}

async function decide(ctx: DecisionContext) {
  const { db, ref } = ctx;
  const r = await reportRow(db, ref.key);
  const incidentKey = `report:${ref.key}`;
  if (ctx.action === "reject") {
    // The reason is what the reporter reads on the status page (like every curation_log reason, public).
    const logId = await ctx.entry("report", "status", "received", "not_accepted");
    return { logId, effect: "not accepted; the reporter sees the reason on the status page" };
  }
  const merged = { ...(await describe(db, ref, ctx.proposal)).proposal, ...ctx.fields };
  const { classification, precision } = classificationOf(merged, merged.title);
  // The log entry of a published report names no affected groups (they are the reporter's, kept in the record).
  const logged = Object.fromEntries(Object.entries(classification).filter(([k]) => k !== "affected_groups"));
  const logId = await ctx.entry("incident", "published", `public report ${ref.key}`, JSON.stringify(logged), incidentKey);
  await insertReviewedIncident(db, {
    logId,
    incidentKey,
    candidateKey: incidentKey,
    classification: { ...classification, title: text("fields.title", merged.title) },
    precision,
    description: merged.description || r.what,
    merged,
    reportUrls: r.links ?? [],
    sourceId: "public-intake",
    snapshotSha256: r.report_sha256,
    retrievedAt: r.received,
    by: ctx.by,
    at: ctx.at,
    reason: ctx.reason,
  });
  return { logId, effect: `published as incident ${incidentKey}` };
}

export const reportReview: ReviewHandler = {
  fields: incidentFields,
  secondPerson: true,
  describe,
  validate: validateIncidentFields,
  decide,
};
