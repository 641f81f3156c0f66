// Heartbeats and waits inside an activity, so a lost attempt is noticed within the heartbeat timeout and a
// long wait stays cancellable. Every helper is a no-op (or a plain timer) outside an activity: scripts and
// tests call the activities directly.
import { Context } from "@temporalio/activity";

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats when running inside an activity; a no-op when called directly (tests, scripts). */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity context */
  }
}

/**
 * Waits inside the fetch layer (pacing, Retry-After): cancellable through the activity context, and cut into
 * slices with a heartbeat between them, so a long Retry-After never looks like a lost worker.
 */
export async function activitySleep(ms: number): Promise<void> {
  const context = currentContext();
  for (let left = ms; left > 0; left -= 10_000) {
    const step = Math.min(left, 10_000);
    if (context) await context.sleep(step);
    else await new Promise((resolve) => setTimeout(resolve, step));
    heartbeat();
  }
}

/**
 * Runs fn with a heartbeat every third of the activity's heartbeat timeout. Without heartbeats, an
 * attempt whose completion was lost (the server restarted, the worker died) is only retried when its
 * start-to-close timeout runs out, minutes later; with them the server notices within the heartbeat
 * timeout. The heartbeats come from a timer, so they prove that the worker and its event loop are alive,
 * not that fn makes progress: the start-to-close timeout still bounds a stuck attempt. A no-op outside
 * an activity (scripts, tests calling the factory directly).
 */
export async function withHeartbeats<T>(fn: () => Promise<T>): Promise<T> {
  const context = currentContext();
  if (!context) return fn();
  const timeout = context.info.heartbeatTimeoutMs;
  if (!timeout) return fn();
  const timer = setInterval(() => context.heartbeat(), Math.max(500, Math.floor(timeout / 3)));
  try {
    context.heartbeat();
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
