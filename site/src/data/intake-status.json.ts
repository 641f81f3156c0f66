// Each public report's status by tracking code, from the export's intake_status table (no report text,
// no contact). An export from before the intake has no such table: then the list is empty, and the page
// says no report is known yet.
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";

const reports = hasTable("intake_status")
  ? await query(`SELECT tracking_code, status, incident_key, public_reason, received_on::VARCHAR AS received_on, updated_on::VARCHAR AS updated_on
                   FROM ${table("intake_status")} ORDER BY tracking_code`)
  : [];
emit("intake-status", { as_of: asOf(), reports }, []);
