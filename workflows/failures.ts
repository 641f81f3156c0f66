// The failure types of the observatory's activities, in one place: activities throw them (through
// activities/failures.ts, which accepts only these names) and the workflows' retry policies list them.
// No imports at all: the workflow bundle and the activities both load this module (docs/architecture.md rule 1).

/** What a retry of a pipeline activity cannot fix: the workflows' retry policies stop at once on these. */
export const pipelineNonRetryable = [
  "ParseError",
  "UnknownSource",
  "HostNotAllowed",
  "HttpClientError",
  "BadUrl",
  "NoSnapshot",
  "TooLarge",
  "RobotsDisallowed",
  "RedirectRefused",
  "MissingFile",
  "PrivateAddress",
  "BadEncoding",
  "HttpUnexpected",
  "BadSettings",
  "ArchiveCorrupt",
  "ExportNotPublished",
  "ExportCheckFailed",
] as const;

/** Refused input in a review (a wrong field, a bad signature): shown to the analyst, never retried. */
export const reviewNonRetryable = ["CurationInputError", "BadSettings"] as const;

/** Failures worth another attempt under the activity's retry policy (a busy host, a full disk being cleared). */
export const retryableTypes = [
  "HttpRetryable",
  "FetchTimeout",
  "FetchFailed",
  "RobotsUnavailable",
  "ExportFailed",
  "SiteBuildFailed",
] as const;

export type NonRetryableType = (typeof pipelineNonRetryable)[number] | (typeof reviewNonRetryable)[number];
export type RetryableType = (typeof retryableTypes)[number];
export type FailureType = NonRetryableType | RetryableType;

interface FailureLike {
  message?: string;
  cause?: unknown;
  type?: string;
}

/**
 * The innermost message and failure type of an error as a workflow sees it (an ActivityFailure or
 * ChildWorkflowFailure wrapping the ApplicationFailure the activity threw): the innermost message names
 * the source and URL, which the wrappers do not.
 */
export function describeFailure(error: unknown): { message: string; type?: string } {
  let e = error as FailureLike | undefined;
  let message = e?.message ?? String(error);
  let type = e?.type;
  while (e?.cause) {
    e = e.cause as FailureLike;
    if (e?.message) message = e.message;
    if (e?.type) type = e.type;
  }
  return { message, type };
}
