// Review kinds, mapped to their handlers (one file each in this folder; the interface is ./kind.ts). A new
// kind is its file and one line here; the order is the queue's (warehouse/review.ts pendingReviews).
import { classificationReview } from "./classification.js";
import { eventReview } from "./event.js";
import { incidentReview } from "./incident.js";
import { indicatorReview } from "./indicator.js";
import type { ReviewHandler } from "./kind.js";
import { matchReview } from "./match.js";
import { measureReview } from "./measure.js";
import { rangeReview } from "./range.js";
import { reportReview } from "./report.js";

export const reviewHandlers = {
  incident: incidentReview,
  indicator: indicatorReview,
  range: rangeReview,
  classification: classificationReview,
  measure: measureReview,
  event: eventReview,
  report: reportReview,
  match: matchReview,
} as const satisfies Record<string, ReviewHandler>;

export type ReviewKind = keyof typeof reviewHandlers;
