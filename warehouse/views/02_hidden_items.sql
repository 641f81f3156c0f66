-- Analysts' decisions in force: the latest (highest log_id) per key, and the items a public view leaves out.
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

CREATE OR REPLACE VIEW v_rejected_items AS
SELECT item_kind, item_key, curated_by, curated_at, reason, log_id
  FROM curated_rejections
QUALIFY row_number() OVER (PARTITION BY item_kind, item_key ORDER BY log_id DESC) = 1 AND action = 'reject';

-- Every (item_kind, item_key) a public view leaves out: rejected items, and every source's copy of a
-- rejected publication work.
CREATE OR REPLACE VIEW v_hidden_items AS
SELECT item_kind, item_key FROM v_rejected_items
UNION
SELECT 'publication', w.pub_key
  FROM v_rejected_items r JOIN publication_works w ON r.item_kind = 'publication' AND r.item_key = w.work_key;
