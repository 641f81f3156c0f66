// The export activity: the public Parquet tables and their datapackage.json, swapped in whole
// (warehouse/export.ts), with its failures classified for the retry policy.
import fs from "node:fs/promises";
import path from "node:path";
import { withWarehouse } from "../warehouse/db.js";
import { ExportNotPublished, exportPublicTables, SITE_INPUTS, type ExportResult } from "../warehouse/export.js";
import type { ActivityEnv } from "./env.js";
import { nonRetryable, retryable } from "./failures.js";
import { withHeartbeats } from "./heartbeat.js";
import { siteBuildKey } from "./site.js";

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

export interface ExportActivityResult extends ExportResult {
  /**
   * The built site already shows what this export holds (it records the build key of `siteInputs`), so the
   * pipeline skips the site build; false when there is no built site or it was built from other inputs.
   */
  siteCurrent: boolean;
}

/** The build key of the site in `siteOutput` (activities/site.ts records it), if any. */
export async function builtSiteInputs(siteOutput: string): Promise<string | undefined> {
  const text = await fs.readFile(path.join(siteOutput, SITE_INPUTS), "utf8").catch(() => undefined);
  return text?.trim() || undefined;
}

export function createExportActivities(env: ActivityEnv) {
  const { config, now, projectRoot } = env;
  return {
    /** Writes the public Parquet exports and their datapackage.json, and says whether the built site already shows them. */
    async exportTables(): Promise<ExportActivityResult> {
      return withHeartbeats(async () => {
        let result: ExportResult;
        try {
          result = await withWarehouse(config.paths.warehouse, (db) => exportPublicTables(db, config.paths.exports, now().toISOString()));
        } catch (error) {
          throw exportFailure(error);
        }
        // Decided here, in the activity that already ran, so an unchanged run costs no extra round trip to a worker.
        const key = await siteBuildKey(config, projectRoot, result.siteInputs);
        return { ...result, siteCurrent: (await builtSiteInputs(config.paths.siteOutput)) === key };
      });
    },
  };
}
