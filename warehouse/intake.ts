// The warehouse side of the public intake: a report's public part is registered when its review opens,
// so its status (v_intake_status) reaches the export; the contact detail never comes here.
import type { DuckDBConnection } from "@duckdb/node-api";
import { LIST, VARCHAR, listValue } from "@duckdb/node-api";

export interface RegisteredReport {
  trackingCode: string;
  receivedAt: string;
  what: string;
  province: string | null;
  occurred: string | null;
  links: string[];
  sha256: string;
}

/** Registers a report once; a repeat (a retried activity) changes nothing. */
export async function registerIntakeReport(db: DuckDBConnection, report: RegisteredReport, at: string): Promise<void> {
  await db.run(
    `INSERT INTO intake_reports (tracking_code, received_at, what, province, occurred, links, report_sha256, registered_at)
     VALUES ($code, $received::TIMESTAMPTZ, $what, $province, $occurred, $links, $sha, $at::TIMESTAMPTZ)
     ON CONFLICT DO NOTHING`,
    {
      code: report.trackingCode,
      received: report.receivedAt,
      what: report.what,
      province: report.province,
      occurred: report.occurred,
      links: listValue(report.links),
      sha: report.sha256,
      at,
    },
    { links: LIST(VARCHAR) },
  );
}
