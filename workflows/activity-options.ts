// Activity proxies for the workflows: timeouts and retries per kind of activity come in the workflow's
// input (temporal.config.ts → activities), so workflow code stays free of configuration I/O.
import { proxyActivities } from "@temporalio/workflow";
import type { ActivityOptions } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import type { ActivityKind, ActivityKindSettings } from "../temporal.config.js";
import { pipelineNonRetryable, type NonRetryableType } from "./failures.js";

export type { ActivityKind } from "../temporal.config.js";

/** Plain-data activity settings (temporal.config.ts → activities), safe to carry in workflow input. */
export type ActivitySettings = Record<ActivityKind, ActivityKindSettings>;

/** The activities with the timeouts and retry policy of one kind, failing at once on `nonRetryable` errors. */
export function activitiesFor(
  kind: ActivityKind,
  settings: ActivitySettings,
  nonRetryable: readonly NonRetryableType[] = pipelineNonRetryable,
) {
  // Inputs made before the review kind existed (a schedule's) carry no settings for it.
  const s = settings[kind] ?? settings.load;
  const options: ActivityOptions = {
    startToCloseTimeout: s.startToCloseTimeout as ActivityOptions["startToCloseTimeout"],
    heartbeatTimeout: s.heartbeatTimeout as ActivityOptions["heartbeatTimeout"],
    retry: {
      maximumAttempts: s.retry.maximumAttempts,
      initialInterval: s.retry.initialInterval as never,
      backoffCoefficient: s.retry.backoffCoefficient,
      maximumInterval: s.retry.maximumInterval as never,
      nonRetryableErrorTypes: [...nonRetryable],
    },
  };
  return proxyActivities<Activities>(options);
}
