// The export activity: the public Parquet tables and their datapackage.json, swapped in whole
// (warehouse/export.ts), with its failures classified for the retry policy.
import { withWarehouse } from "../warehouse/db.js";
import { ExportNotPublished, exportPublicTables, type ExportResult } from "../warehouse/export.js";
import type { ActivityEnv } from "./env.js";
import { nonRetryable, retryable } from "./failures.js";
import { withHeartbeats } from "./heartbeat.js";

/**
 * An export failure in one line (the run's summary shows it). What a retry cannot fix fails at once: a
 * folder the worker may not write, or a data check the export refuses (the previous export stays live
 * either way); anything else (a busy file, a full disk being cleared) is retried.
 */
function exportFailure(error: unknown) {
  const message = ((error as Error).message ?? String(error)).split("\n")[0];
  if (error instanceof ExportNotPublished && ["EPERM", "EACCES", "EROFS"].includes(error.code ?? ""))
    return nonRetryable("ExportNotPublished", message);
  if (/^export of |^exportPublicTables|is invalid/.test(message)) return nonRetryable("ExportCheckFailed", message);
  return retryable("ExportFailed", message);
}

export function createExportActivities(env: ActivityEnv) {
  const { config, now } = env;
  return {
    /** Writes the public Parquet exports and their datapackage.json. */
    async exportTables(): Promise<ExportResult> {
      return withHeartbeats(async () => {
        try {
          return await withWarehouse(config.paths.warehouse, (db) => exportPublicTables(db, config.paths.exports, now().toISOString()));
        } catch (error) {
          throw exportFailure(error);
        }
      });
    },
  };
}
