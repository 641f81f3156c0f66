// What the two observation kinds share (./indicator.ts: a value from the analysts' sheet; ./range.ts: a
// value outside its quality rule's range): the key, the description and the decision. An approval
// publishes the source's value; a rejection, or an approval that changes the value, hides it, and a
// changed value is published as the analyst's instead.
import type { DuckDBConnection } from "@duckdb/node-api";
import { curateObservation } from "../curation.js";
import { queryOne } from "../db.js";
import { CurationInputError, httpUrl } from "../validate.js";
import {
  describedBase,
  found,
  webUrl,
  type DecisionContext,
  type PendingKey,
  type ReviewHandler,
  type ReviewItem,
  type ReviewRef,
} from "./kind.js";

const OBS_KEY = /^([^/]+)\/([^/]+)\/([A-Z]{3})\/([^=]+)=(.+)$/;

export interface ObservationRef {
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
  if (!m || !Number.isFinite(Number(m[5])))
    throw new CurationInputError("key", `must be <source>/<indicator>/<country>/<period>=<value>, got ${JSON.stringify(key)}`);
  return { sourceId: m[1], indicatorCode: m[2], countryIso3: m[3], period: m[4], value: Number(m[5]) };
}

/** The queue's entry for one observation row (a finite DOUBLE, which JSON reads give as a number). */
export interface ObservationRow {
  source_id: string;
  indicator_code: string;
  country_iso3: string;
  period: string;
  value: number;
}

export const pendingObservation = (r: ObservationRow): PendingKey => ({
  key: observationReviewKey({
    sourceId: r.source_id,
    indicatorCode: r.indicator_code,
    countryIso3: r.country_iso3,
    period: r.period,
    value: r.value,
  }),
  source_id: r.source_id,
});

async function describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>, summary: string): Promise<ReviewItem> {
  const o = observationRef(ref.key);
  const row = found(
    await queryOne<{ source_url: string | null; snapshot_sha256: string | null; name: string | null; unit: string | null }>(
      db,
      `SELECT o.source_url, o.snapshot_sha256, i.name, i.unit FROM observations o
         LEFT JOIN indicators i ON i.indicator_code = o.indicator_code AND i.source_id = o.source_id
        WHERE o.source_id = $sid AND o.indicator_code = $code AND o.country_iso3 = $country AND o.period = $period AND o.value = $value
        ORDER BY o.valid_from DESC LIMIT 1`,
      { sid: o.sourceId, code: o.indicatorCode, country: o.countryIso3, period: o.period, value: o.value },
    ),
    `no ${o.sourceId} value ${o.value} for ${o.indicatorCode}/${o.countryIso3}/${o.period} in the warehouse`,
  );
  const unit = row.unit;
  return {
    ...describedBase(ref),
    title: `${row.name ?? o.indicatorCode} (${o.countryIso3} ${o.period}): ${o.value}${unit ? ` ${unit}` : ""}`,
    summary,
    url: webUrl(row.source_url),
    sourceId: o.sourceId,
    snapshotSha256: row.snapshot_sha256,
    proposal: { value: String(o.value), unit: unit ?? "", source_url: row.source_url ?? "", ...proposal },
  };
}

async function decide(ctx: DecisionContext, summary: string) {
  const { db, ref, by, at, reason } = ctx;
  const o = observationRef(ref.key);
  const item = await describe(db, ref, {}, summary);
  const target = `${o.indicatorCode}/${o.countryIso3}/${o.period}`;
  const review = async (decision: "approve" | "reject", log: number) =>
    db.run(
      `INSERT INTO observation_reviews (log_id, review_kind, source_id, indicator_code, country_iso3, period, value, decision, reviewed_by, reviewed_at, reason)
       VALUES ($log, $kind, $sid, $code, $country, $period, $value, $decision, $by, $at::TIMESTAMPTZ, $reason)`,
      {
        log,
        kind: ref.kind,
        sid: o.sourceId,
        code: o.indicatorCode,
        country: o.countryIso3,
        period: o.period,
        value: o.value,
        decision,
        by,
        at,
        reason,
      },
    );
  // An amended figure, approved as it stands, is in the proposal rather than this decision's fields.
  const fields = { ...ctx.proposal, ...ctx.fields };
  const analystValue = fields.value === undefined ? undefined : Number(fields.value);
  const changed = analystValue !== undefined && analystValue !== o.value;
  if (ctx.action !== "reject" && !changed) {
    const logId = await ctx.entry("observation", "value", `${o.value} [${o.sourceId}]`, "approved");
    await review("approve", logId);
    return { logId, effect: `${o.sourceId}'s value ${o.value} for ${target} is approved for publication`, fields };
  }
  const logId = await ctx.entry("observation", "value", `${o.value} [${o.sourceId}]`, changed ? `${analystValue} [analyst]` : "rejected");
  await review("reject", logId);
  let effect = `${o.sourceId}'s value ${o.value} for ${target} is not published`;
  if (changed) {
    // The corrected figure is an analyst's value, shown instead of every source's for the key.
    await curateObservation(
      db,
      {
        ...o,
        value: analystValue!,
        unit: fields.unit || item.proposal.unit || null,
        sourceUrl: httpUrl("fields.source_url", fields.source_url || item.proposal.source_url),
        curatedBy: by,
        reason,
      },
      { now: () => new Date(at) },
    );
    effect += `; the analyst's value ${analystValue} is published instead`;
  }
  return { logId, effect, fields };
}

/** A review kind about one observation value; `summary` says why it waits for a person. */
export function observationReview(summary: string, pending: ReviewHandler["pending"]): ReviewHandler {
  return {
    fields: ["value", "unit", "source_url"],
    secondPerson: true,
    pending,
    describe: (db, ref, proposal) => describe(db, ref, proposal, summary),
    validate(fields) {
      if (fields.value !== undefined && !Number.isFinite(Number(fields.value)))
        throw new CurationInputError("fields.value", `must be a number, got ${JSON.stringify(fields.value)}`);
    },
    decide: (ctx) => decide(ctx, summary),
  };
}
