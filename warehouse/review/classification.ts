// An uncertain classification: AI news the keyword rules could place under no NAIS priority. The analyst
// confirms it, changes its tags, or hides the item from every public view.
import type { DuckDBConnection } from "@duckdb/node-api";
import { classifyItem, rejectItem } from "../curation.js";
import { queryOne, queryRows } from "../db.js";
import { CurationInputError } from "../validate.js";
import { describedRecord, found, list, type DecisionContext, type ReviewHandler, type ReviewItem, type ReviewRef } from "./kind.js";

function classificationRef(key: string): { itemKind: "news"; itemKey: string } {
  const m = /^news\/(.+)$/.exec(key);
  if (!m) throw new CurationInputError("key", `must be news/<item_key>, got ${JSON.stringify(key)}`);
  return { itemKind: "news", itemKey: m[1] };
}

async function describe(db: DuckDBConnection, ref: ReviewRef, proposal: Record<string, string>): Promise<ReviewItem> {
  const item = classificationRef(ref.key);
  const n = found(
    await queryOne<{
      title: string | null;
      summary: string | null;
      canonical_url: string | null;
      source_id: string | null;
      snapshot_sha256: string | null;
    }>(db, "SELECT * FROM news_items WHERE item_key = $key ORDER BY retrieved_at DESC LIMIT 1", { key: item.itemKey }),
    `no news item ${JSON.stringify(item.itemKey)} in the warehouse`,
  );
  const tags = await queryRows<{ t: string }>(
    db,
    "SELECT dimension || '/' || tag AS t FROM v_item_tags_effective WHERE item_kind = 'news' AND item_key = $key ORDER BY 1",
    {
      key: item.itemKey,
    },
  );
  return {
    ...describedRecord(ref, n.title ?? item.itemKey, { ...n, url: n.canonical_url }),
    proposal: { tags: tags.map((t) => t.t).join(", "), ...proposal },
  };
}

async function decide({ db, ref, action, fields, by, at, reason, entry }: DecisionContext) {
  const item = classificationRef(ref.key);
  const now = () => new Date(at);
  if (action === "reject") {
    const receipt = await rejectItem(db, { ...item, curatedBy: by, reason }, { now });
    return { logId: receipt.logId, effect: `news item hidden from every public view` };
  }
  const logId = await entry("news", "classification", null, JSON.stringify(fields));
  for (const [field, change] of [
    ["add", "add"],
    ["remove", "remove"],
  ] as const) {
    for (const t of list(fields[field])) {
      const [dimension, tag] = t.split("/");
      await classifyItem(db, { ...item, dimension, tag, action: change, curatedBy: by, reason }, { now });
    }
  }
  return {
    logId,
    effect: Object.keys(fields).length > 0 ? `tags changed: ${JSON.stringify(fields)}` : "classification confirmed as the rules made it",
  };
}

export const classificationReview: ReviewHandler = {
  fields: ["add", "remove"],
  secondPerson: false,
  pending: (db) =>
    queryRows<{ key: string; source_id: string | null }>(
      db,
      `SELECT 'news/' || n.item_key AS key, min(n.source_id) AS source_id FROM v_news_public n
        WHERE EXISTS (SELECT 1 FROM v_item_tags_effective t WHERE t.item_kind = 'news' AND t.item_key = n.item_key AND t.dimension = 'ai')
          AND NOT EXISTS (SELECT 1 FROM v_item_tags_effective t WHERE t.item_kind = 'news' AND t.item_key = n.item_key AND t.dimension = 'priority')
          AND NOT EXISTS (SELECT 1 FROM incident_candidates c WHERE c.item_key = n.item_key)
        GROUP BY n.item_key ORDER BY n.item_key`,
    ),
  describe,
  validate(fields) {
    for (const f of ["add", "remove"]) {
      for (const t of list(fields[f]))
        if (!/^[a-z_]+\/[A-Za-z0-9_.-]+$/.test(t))
          throw new CurationInputError(`fields.${f}`, `must be dimension/tag items such as priority/3, got ${JSON.stringify(t)}`);
    }
  },
  decide,
};
