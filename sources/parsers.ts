// Parser names used in sources/registry.yaml, mapped to their implementations.
import { aiidParser } from "./aiid.js";
import { aiidSnapshotParser } from "./aiid-snapshot.js";
import { arxivParser } from "./arxiv.js";
import { documentListParser } from "./document-list.js";
import { incidentSheetParser } from "./incident-sheet.js";
import { indicatorSheetParser } from "./indicator-sheet.js";
import { mptcParser } from "./mptc.js";
import { newsSheetParser } from "./news-sheet.js";
import { openAlexParser } from "./openalex.js";
import { publicationSheetParser } from "./publication-sheet.js";
import type { Parser } from "./parser.js";
import { rssParser } from "./rss.js";
import { useCaseSheetParser } from "./use-case-sheet.js";
import { governanceTimelineParser, naisStrategyParser } from "./strategy.js";
import { wdiMirrorParser, worldBankOrMirrorParser } from "./wdi-mirror.js";

export const parsers: Record<string, Parser> = {
  "nais-strategy": naisStrategyParser,
  "governance-timeline": governanceTimelineParser,
  // API JSON live, or the mirror CSV the bundled snapshot holds (sources/wdi-mirror.ts).
  "worldbank-v2": worldBankOrMirrorParser,
  "wdi-mirror-csv": wdiMirrorParser,
  "indicator-sheet": indicatorSheetParser,
  "use-case-sheet": useCaseSheetParser,
  "document-list": documentListParser,
  "aiid-graphql": aiidParser,
  "aiid-snapshot": aiidSnapshotParser,
  "incident-sheet": incidentSheetParser,
  "news-sheet": newsSheetParser,
  "openalex-works": openAlexParser,
  "arxiv-atom": arxivParser,
  "publication-sheet": publicationSheetParser,
  rss: rssParser,
  mptc: mptcParser,
};

export const parserNames = Object.keys(parsers);
