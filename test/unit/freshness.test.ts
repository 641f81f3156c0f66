import { describe, expect, it } from "vitest";
import { judgeFreshness } from "../../warehouse/freshness.js";

const now = Date.parse("2026-12-02T06:00:00Z");
const source = (newestCapture: string | null, newestOrigin: string | null, cadence = "daily", enabled = true) => ({
  cadence,
  enabled,
  newestCapture,
  newestOrigin,
});

describe("Freshness", () => {
  it("calls data replayed from the bundled snapshot 'snapshot of <date>', however recent the replay", () => {
    expect(judgeFreshness(source("2026-11-21T14:48:45Z", "snapshot"), now)).toEqual({
      state: "snapshot",
      ageDays: 10,
      label: "snapshot of 2026-11-21",
    });
    expect(judgeFreshness(source("2026-12-02T05:00:00Z", "snapshot", "yearly"), now).state).toBe("snapshot");
  });

  it("judges live captures on their age against the cadence's allowance", () => {
    expect(judgeFreshness(source("2026-12-01T06:00:00Z", "live"), now)).toEqual({ state: "fresh", ageDays: 1, label: "fresh (1 day)" });
    expect(judgeFreshness(source("2026-11-29T06:00:00Z", "live"), now)).toEqual({ state: "stale", ageDays: 3, label: "stale (3 days)" });
    expect(judgeFreshness(source("2026-11-29T06:00:00Z", "live", "weekly"), now).state).toBe("fresh");
  });

  it("says when there is no data, a source is disabled or edited by hand", () => {
    expect(judgeFreshness(source(null, null), now).label).toBe("no data yet");
    expect(judgeFreshness(source("2026-01-01T00:00:00Z", "live", "daily", false), now).state).toBe("disabled");
    expect(judgeFreshness(source("2026-06-01T00:00:00Z", "repo", "manual"), now)).toEqual({
      state: "manual",
      ageDays: 184,
      label: "manual (read 2026-06-01)",
    });
  });

  it("refuses an unknown cadence or a capture time that is not a time", () => {
    expect(() => judgeFreshness(source("2026-12-01T00:00:00Z", "live", "fortnightly"), now)).toThrow(/unknown cadence "fortnightly"/);
    expect(() => judgeFreshness(source("yesterday", "live"), now)).toThrow(/is not a time/);
  });
});
