// A proposed outcome of a governance activity: like a measure status, it lives in its workflow until decided.
import { recordEventOutcome, type EventOutcome } from "../curation.js";
import { queryOne } from "../db.js";
import { found, webUrl } from "./kind.js";
import { proposedId, proposedReview } from "./proposed.js";

export const eventReview = proposedReview({
  fields: ["outcome", "on_date", "note", "evidence"],
  async describe(db, ref, proposal) {
    const eventId = proposedId(ref.key);
    const e = found(
      await queryOne<{ event_id: string; title: string | null; date_text: string | null; document_url: string | null }>(
        db,
        "SELECT event_id, title, date_text, document_url FROM events WHERE event_id = $id LIMIT 1",
        { id: eventId },
      ),
      `${JSON.stringify(eventId)} is not a governance-timeline event in the warehouse`,
    );
    return {
      title: `Governance activity ${e.event_id} (${e.date_text}): ${proposal.outcome ?? "?"}${proposal.on_date ? ` on ${proposal.on_date}` : ""}`,
      summary: e.title,
      url: webUrl(e.document_url),
    };
  },
  rejected: (merged, key) => ({
    targetKind: "event",
    field: "outcome",
    newValue: `proposal rejected: ${merged.outcome ?? "?"}`,
    targetKey: proposedId(key),
    effect: "proposal rejected; the activity's outcome is unchanged",
  }),
  async record({ db, ref }, merged, evidence, options) {
    const eventId = proposedId(ref.key);
    const receipt = await recordEventOutcome(
      db,
      { eventId, outcome: merged.outcome as EventOutcome, onDate: merged.on_date || null, ...evidence },
      options,
    );
    return { receipt, effect: `activity ${eventId} recorded as ${merged.outcome}${merged.on_date ? ` on ${merged.on_date}` : ""}` };
  },
});
