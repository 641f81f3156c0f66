// All of the pipeline's I/O, as Temporal activities built by one factory from one module per concern:
// ingest (fetch, parse), load (the one writer and the quality checks), review, export and site. Workflows
// import only the type of what this returns; they pass references (paths, hashes, counts), never bodies
// or rows (docs/architecture.md rule 2).
import { resolveEnv, type ActivityDeps } from "./env.js";
import { createExportActivities } from "./export.js";
import { createIngestActivities } from "./ingest.js";
import { createLoadActivities } from "./load.js";
import { createReviewActivities } from "./review.js";
import { createSiteActivities } from "./site.js";

export type { ActivityDeps } from "./env.js";
export type { CaptureRef, FetchResult, ParseSummary } from "./ingest.js";
export type { LoadResult, QualityOutcome } from "./load.js";
export type { PendingReviews } from "./review.js";
export type { SiteResult } from "./site.js";
export { withHeartbeats } from "./heartbeat.js";

export function createActivities(deps: ActivityDeps) {
  const env = resolveEnv(deps);
  return {
    ...createIngestActivities(env),
    ...createLoadActivities(env),
    ...createReviewActivities(env),
    ...createExportActivities(env),
    ...createSiteActivities(env),
  };
}

export type Activities = ReturnType<typeof createActivities>;
