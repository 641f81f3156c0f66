// How fresh a source's data is, judged on when its newest capture was retrieved, not on when a run last
// replayed it: data replayed from the bundled offline snapshot is "snapshot of <date>", never fresh. One
// rule for `npm run status` and the site's freshness table.
import { freshnessAllowance, type Cadence } from "./quality.js";

export type FreshnessState = "fresh" | "stale" | "snapshot" | "never" | "manual" | "disabled";

export interface SourceCaptures {
  cadence: string;
  enabled: boolean;
  /** Retrieval time of the source's newest capture (ISO 8601), or null when it has none. */
  newestCapture: string | null;
  /** Where that capture came from: live, repo or snapshot (the bundled offline archive). */
  newestOrigin: string | null;
}

export interface Freshness {
  state: FreshnessState;
  /** Whole days between the newest capture and `now`, when there is one. */
  ageDays: number | null;
  /** What a person reads: "fresh (2 days)", "snapshot of 2026-11-21", "stale (40 days)", … */
  label: string;
}

const DAY = 86_400_000;

export function judgeFreshness(source: SourceCaptures, nowMs: number): Freshness {
  if (!source.enabled) return { state: "disabled", ageDays: null, label: "disabled" };
  if (!source.newestCapture) return { state: "never", ageDays: null, label: "no data yet" };
  const captured = Date.parse(source.newestCapture);
  if (Number.isNaN(captured)) throw new Error(`judgeFreshness: newestCapture ${JSON.stringify(source.newestCapture)} is not a time`);
  const ageDays = Math.max(0, Math.floor((nowMs - captured) / DAY));
  const day = new Date(captured).toISOString().slice(0, 10);
  if (source.newestOrigin === "snapshot") return { state: "snapshot", ageDays, label: `snapshot of ${day}` };
  const allowed = freshnessAllowance[source.cadence as Cadence];
  if (allowed === undefined) throw new Error(`judgeFreshness: unknown cadence "${source.cadence}"`);
  if (allowed === null) return { state: "manual", ageDays, label: `manual (read ${day})` };
  return nowMs - captured <= allowed
    ? { state: "fresh", ageDays, label: `fresh (${ageDays} ${ageDays === 1 ? "day" : "days"})` }
    : { state: "stale", ageDays, label: `stale (${ageDays} days)` };
}
