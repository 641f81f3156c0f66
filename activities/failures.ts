// How activities fail: only with a type from workflows/failures.ts, so the name thrown is always one the
// workflows' retry policies know (a misspelt type no longer compiles).
import { ApplicationFailure } from "@temporalio/common";
import type { NonRetryableType, RetryableType } from "../workflows/failures.js";

export type { FailureType, NonRetryableType, RetryableType } from "../workflows/failures.js";

/** A failure no retry can fix: Temporal stops retrying it at once. */
export function nonRetryable(type: NonRetryableType, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** A failure the activity's retry policy may try again; `nextRetryDelay` (ms) overrides its backoff once. */
export function retryable(type: RetryableType, message: string, nextRetryDelay?: number): ApplicationFailure {
  if (nextRetryDelay === undefined) return ApplicationFailure.retryable(message, type);
  return ApplicationFailure.create({ message, type, nonRetryable: false, nextRetryDelay });
}

/** Whether an error is the failure of that type (e.g. NoSnapshot from fetchToArchive). */
export function isFailure(error: unknown, type: NonRetryableType | RetryableType): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.type === type;
}
