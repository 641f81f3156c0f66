// Activity proxies for the workflows: timeouts and retries per kind of activity come in the workflow's
// input (temporal.config.ts → activities), so workflow code stays free of configuration I/O.
import { proxyActivities } from "@temporalio/workflow";
import type { ActivityOptions } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";

export type ActivityKind = "fetch" | "parse" | "load" | "export" | "site" | "review";

/** Plain-data activity settings (temporal.config.ts → activities), safe to carry in workflow input. */
export type ActivitySettings = Record<
  ActivityKind,
  {
    startToCloseTimeout: string;
    heartbeatTimeout?: string;
    retry: { maximumAttempts: number; initialInterval: string; backoffCoefficient: number; maximumInterval: string };
  }
>;

/** Errors of the pipeline's activities that cannot succeed on a retry. */
const pipelineNonRetryable = ["ParseError", "UnknownSource", "HostNotAllowed", "HttpClientError", "BadUrl", "NoSnapshot", "TooLarge", "RobotsDisallowed", "RedirectRefused", "MissingFile", "PrivateAddress", "BadEncoding", "HttpUnexpected", "BadSettings", "ArchiveCorrupt", "ExportNotPublished", "ExportCheckFailed"];

/** The activities with the timeouts and retry policy of one kind, failing at once on `nonRetryable` errors. */
export function activitiesFor(kind: ActivityKind, settings: ActivitySettings, nonRetryable: string[] = pipelineNonRetryable) {
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
      nonRetryableErrorTypes: nonRetryable,
    },
  };
  return proxyActivities<Activities>(options);
}
