// Policy news: the newest items (headline, link, short excerpt only) with their story and tags, and the
// month × priority counts. Capped so the page stays light; the full table is on the Data page. Empty is legitimate.
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";
import { tagLabels } from "./lib/taxonomy.js";

/** Items the page ships; older ones are in news_items.parquet. */
const MAX_ITEMS = 1500;
/**
 * And at most this many bytes of them: a Khmer excerpt takes three bytes a character, so a count alone
 * would let the page outgrow the site's heaviest (npm run site:weights at 300,000 items).
 */
const MAX_ITEM_BYTES = 650_000;

const built = asOf();
const stories = hasTable("news_stories") ? table("news_stories") : `(SELECT NULL::VARCHAR AS item_key, NULL::VARCHAR AS story_key LIMIT 0)`;
const tags = hasTable("item_tags") ? table("item_tags") : `(SELECT NULL::VARCHAR AS item_kind, NULL::VARCHAR AS item_key, NULL::VARCHAR AS dimension, NULL::VARCHAR AS tag LIMIT 0)`;
const newest = await query(`
  WITH t AS (
    SELECT item_key, list(DISTINCT tag ORDER BY tag) FILTER (WHERE dimension = 'priority') AS priorities,
           list(DISTINCT tag ORDER BY tag) FILTER (WHERE dimension = 'sector') AS sectors,
           list(DISTINCT tag ORDER BY tag) FILTER (WHERE dimension = 'harm') AS harms
      FROM ${tags} WHERE item_kind = 'news' GROUP BY item_key
  )
  SELECT n.item_key, n.title, left(n.summary, 400) AS summary, n.canonical_url AS url, n.published_at::VARCHAR AS published_at,
         n.outlet, n.language, n.kind, n.source_id, coalesce(s.story_key, n.item_key) AS story_key,
         coalesce(t.priorities, []) AS priorities, coalesce(t.sectors, []) AS sectors, coalesce(t.harms, []) AS harms
    FROM ${table("news_items")} n LEFT JOIN ${stories} s USING (item_key) LEFT JOIN t USING (item_key)
   ORDER BY n.published_at DESC NULLS LAST, n.item_key LIMIT ${MAX_ITEMS}`);
let bytes = 0;
const items = newest.filter((item) => (bytes += Buffer.byteLength(JSON.stringify(item))) <= MAX_ITEM_BYTES);
const [totals] = await query(`SELECT count(*)::INTEGER AS items, max(retrieved_at)::VARCHAR AS newest FROM ${table("news_items")}`);
const byMonth = await query(`SELECT month, priority_id, priority_label, items::INTEGER AS items, stories::INTEGER AS stories
                               FROM ${table("news_by_month_priority")} ORDER BY month, priority_id`);
emit("news", { as_of: built, total_items: totals.items, newest: totals.newest, max_items: MAX_ITEMS, items, labels: await tagLabels(), by_month: byMonth }, []);
