// Publishing a reviewed incident (reviewed_incidents), shared by the kinds whose approval publishes one:
// a feed's incident candidate (./incident.ts) and a public report (./report.ts).
import type { DuckDBConnection } from "@duckdb/node-api";
import { LIST, VARCHAR, listValue } from "@duckdb/node-api";
import { CurationInputError } from "../validate.js";
import { list } from "./kind.js";

export const incidentFields = [
  "title",
  "description",
  "harm_types",
  "sector",
  "severity",
  "affected_groups",
  "province",
  "occurred_on",
  "deployers",
  "developers",
] as const;

/** The field checks of an incident's classification: severity and the date as the analyst may type them. */
export function validateIncidentFields(fields: Record<string, string>): void {
  if (fields.severity !== undefined && !["low", "medium", "high"].includes(fields.severity))
    throw new CurationInputError("fields.severity", "must be low, medium or high");
  if (fields.occurred_on !== undefined && fields.occurred_on !== "" && !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(fields.occurred_on)) {
    throw new CurationInputError("fields.occurred_on", "must be YYYY, YYYY-MM or YYYY-MM-DD");
  }
}

/** A date as incidents hold it: YYYY → Jan 1 with precision year, YYYY-MM → the 1st with precision month. */
function incidentDate(v: string | undefined): { on: string | null; precision: string | null } {
  if (!v) return { on: null, precision: null };
  if (/^\d{4}$/.test(v)) return { on: `${v}-01-01`, precision: "year" };
  if (/^\d{4}-\d{2}$/.test(v)) return { on: `${v}-01`, precision: "month" };
  return { on: v, precision: "day" };
}

/** The classification an approval publishes, from the merged proposal and fields; logged as the entry's new value. */
export function classificationOf(merged: Record<string, string>, title: string) {
  if (merged.severity && !["low", "medium", "high"].includes(merged.severity))
    throw new CurationInputError("fields.severity", "must be low, medium or high");
  const date = incidentDate(merged.occurred_on || undefined);
  return {
    classification: {
      title,
      harm_types: list(merged.harm_types),
      sector: merged.sector || null,
      severity: merged.severity || null,
      affected_groups: list(merged.affected_groups),
      province: merged.province || null,
      occurred_on: date.on,
    },
    precision: date.precision,
  };
}

export interface PublishedIncident {
  logId: number;
  incidentKey: string;
  candidateKey: string;
  classification: ReturnType<typeof classificationOf>["classification"];
  precision: string | null;
  description: string | null;
  merged: Record<string, string>;
  reportUrls: string[];
  sourceId: string;
  snapshotSha256: string;
  retrievedAt: string;
  by: string;
  at: string;
  reason: string;
}

export async function insertReviewedIncident(db: DuckDBConnection, p: PublishedIncident): Promise<void> {
  const c = p.classification;
  await db.run(
    `INSERT INTO reviewed_incidents (log_id, incident_key, candidate_key, occurred_on, date_precision, title, description, deployers, developers,
       harmed_parties, harm_types, sector, severity, province, report_urls, source_id, snapshot_sha256, retrieved_at, reviewed_by, reviewed_at, reason)
     VALUES ($log, $inc, $key, $on::DATE, $precision, $title, $description, $deployers, $developers,
       $harmed, $harms, $sector, $severity, $province, $urls, $sid, $sha, $retrieved::TIMESTAMPTZ, $by, $at::TIMESTAMPTZ, $reason)`,
    {
      log: p.logId,
      inc: p.incidentKey,
      key: p.candidateKey,
      on: c.occurred_on,
      precision: p.precision,
      title: c.title,
      description: p.description,
      deployers: listValue(list(p.merged.deployers)),
      developers: listValue(list(p.merged.developers)),
      harmed: listValue(c.affected_groups),
      harms: listValue(c.harm_types),
      sector: c.sector,
      severity: c.severity,
      province: c.province,
      urls: listValue(p.reportUrls),
      sid: p.sourceId,
      sha: p.snapshotSha256,
      retrieved: p.retrievedAt,
      by: p.by,
      at: p.at,
      reason: p.reason,
    },
    { deployers: LIST(VARCHAR), developers: LIST(VARCHAR), harmed: LIST(VARCHAR), harms: LIST(VARCHAR), urls: LIST(VARCHAR) },
  );
}
