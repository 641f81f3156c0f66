// The one writer (docs/architecture.md rule 4): every staged source merged in one transaction, then the
// data-quality checks on what the warehouse holds; and the checks alone, for a publish after reviews.
import { startUrls, type SourceEntry } from "../sources/registry.js";
import { withWarehouse } from "../warehouse/db.js";
import { loadStages, type LoadCounts, type RunReport } from "../warehouse/load.js";
import { runQualityChecks, type QualityResult } from "../warehouse/quality.js";
import { readStage } from "../warehouse/staging.js";
import type { ActivityEnv } from "./env.js";
import { withHeartbeats } from "./heartbeat.js";

export interface QualityOutcome {
  /** false when an error-severity check failed: the export must not run. */
  passed: boolean;
  results: QualityResult[];
}

export interface LoadResult {
  counts: Record<string, LoadCounts>;
  quality: QualityOutcome;
}

/** The registry's rows for the warehouse's `sources` table. */
function sourceRows(registry: SourceEntry[]) {
  return registry.map((s) => ({
    source_id: s.id,
    title: s.title,
    kind: s.kind,
    parser: s.parser,
    urls: startUrls(s),
    cadence: s.cadence,
    licence: s.licence,
    attribution: s.attribution,
    enabled: s.enabled,
  }));
}

export function createLoadActivities(env: ActivityEnv) {
  const { config, now, log } = env;

  /** The quality checks' input: the rules file, and the cadence of every enabled source (for freshness). */
  const qualityInput = (registry: SourceEntry[], runId: string, checkedAt: string) => ({
    runId,
    checkedAt,
    rulesFile: env.qualityRulesFile,
    cadences: Object.fromEntries(registry.filter((s) => s.enabled).map((s) => [s.id, s.cadence])),
  });

  return {
    /**
     * The one writer: merges all staged sources in one transaction, then runs the data-quality checks on
     * what the warehouse now holds and stores their results with the run.
     */
    async loadStaged(input: { runId: string; reports: RunReport[] }): Promise<LoadResult> {
      return withHeartbeats(async () => {
        const registry = await env.registry();
        const manifests = new Map<string, Awaited<ReturnType<typeof readStage>>>();
        for (const r of input.reports) if (r.status === "ok" && r.stageDir) manifests.set(r.sourceId, await readStage(r.stageDir));
        const loadedAt = now().toISOString();
        const result = await withWarehouse(config.paths.warehouse, async (db) => {
          const counts = await loadStages(db, {
            runId: input.runId,
            loadedAt,
            sources: sourceRows(registry),
            reports: input.reports,
            manifests,
            taxonomyFile: env.taxonomyFile,
            log,
          });
          const quality = await runQualityChecks(db, qualityInput(registry, input.runId, loadedAt));
          return { counts, quality };
        });
        // Only after the commit: the next fetch may skip parsing what the warehouse now holds.
        // A source set aside at the load is not loaded: its next fetch must parse it again.
        for (const [sourceId, manifest] of manifests) {
          const error = result.counts[sourceId]?.error;
          if (error) log(`${sourceId}: set aside at the load, the other sources were loaded: ${error}`);
          else await env.loadedState.write(sourceId, manifest.captures);
        }
        return result;
      });
    },

    /** The data-quality checks alone, on what the warehouse holds now (a publish after reviews). */
    async checkQuality(input: { runId: string }): Promise<QualityOutcome> {
      return withHeartbeats(async () => {
        const registry = await env.registry();
        return withWarehouse(config.paths.warehouse, (db) =>
          runQualityChecks(db, qualityInput(registry, input.runId, now().toISOString())),
        );
      });
    },
  };
}
