// robots.txt rules (RFC 9309) for the fetch layer: parsing by the robots-parser package (groups,
// longest-match Allow/Disallow, wildcards, Crawl-delay) and a per-process cache, one entry per origin.
import robotsParserCjs from "robots-parser";

// robots-parser is CommonJS whose typings declare an ES default export; under NodeNext the default
// import is module.exports itself, which is the parser function.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

export interface RobotsPolicy {
  allows(url: string): boolean;
  /** The Crawl-delay that applies to us, in milliseconds, if the file sets one. */
  crawlDelayMs?: number;
}

export const allowAll: RobotsPolicy = { allows: () => true };

/** The product token robots.txt groups are matched against: "CambodiaAIObservatory" from "CambodiaAIObservatory/0.1 (…)". */
export function robotsToken(userAgent: string): string {
  return userAgent.split("/")[0].trim();
}

/**
 * Rules of one robots.txt for our token: the group naming it if there is one, else the "*" group.
 * robots-parser lower-cases both sides, so matching is case-insensitive as RFC 9309 asks.
 */
export function parseRobots(robotsUrl: string, text: string, token: string): RobotsPolicy {
  const robots = robotsParser(robotsUrl, text);
  const delay = robots.getCrawlDelay(token);
  return {
    // undefined means "URL not on this robots.txt's origin"; callers only ask about their own origin.
    allows: (url) => robots.isAllowed(url, token) !== false,
    crawlDelayMs: delay !== undefined && Number.isFinite(delay) && delay > 0 ? delay * 1000 : undefined,
  };
}

/**
 * Policies by origin, fetched at most once per TTL. The pending promise is cached so concurrent
 * fetches to a new host share one robots.txt request; a failed load is forgotten so the next
 * attempt asks again.
 */
export class RobotsCache {
  private readonly entries = new Map<string, { expiresAt: number; policy: Promise<RobotsPolicy> }>();

  get(origin: string, now: number, ttlMs: number, load: () => Promise<RobotsPolicy>): Promise<RobotsPolicy> {
    const cached = this.entries.get(origin);
    if (cached && cached.expiresAt > now) return cached.policy;
    const policy = load();
    this.entries.set(origin, { expiresAt: now + ttlMs, policy });
    policy.catch(() => {
      if (this.entries.get(origin)?.policy === policy) this.entries.delete(origin);
    });
    return policy;
  }
}
