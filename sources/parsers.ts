// Parser names used in sources/registry.yaml, mapped to their implementations.
import type { Parser } from "./parser.js";
import { governanceTimelineParser, naisStrategyParser } from "./strategy.js";
import { worldBankParser } from "./worldbank.js";

export const parsers: Record<string, Parser> = {
  "nais-strategy": naisStrategyParser,
  "governance-timeline": governanceTimelineParser,
  "worldbank-v2": worldBankParser,
};

export const parserNames = Object.keys(parsers);
