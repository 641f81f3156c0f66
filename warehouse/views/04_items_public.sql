-- The public items: curations applied, rejected items hidden, likely incident matches folded; the intake's status.
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

CREATE OR REPLACE VIEW v_news_public AS
SELECT n.* EXCLUDE (row_hash)
  FROM news_items n
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'news' AND h.item_key = n.item_key);

CREATE OR REPLACE VIEW v_publications_public AS
SELECT p.* EXCLUDE (row_hash), w.work_key
  FROM publications p
  LEFT JOIN publication_works w ON w.pub_key = p.pub_key AND w.source_id = p.source_id
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'publication' AND h.item_key = p.pub_key);

-- Tags in force: the rules' (and any analyst rows in item_tags), minus analysts' removals, plus their
-- additions; one row per (item, dimension, tag), none for hidden items. tag_source: 'rule' | 'analyst'.
CREATE OR REPLACE VIEW v_item_tags_effective AS
WITH decisions AS (
  SELECT * FROM curated_classifications
  QUALIFY row_number() OVER (PARTITION BY item_kind, item_key, dimension, tag ORDER BY log_id DESC) = 1
),
made AS (
  SELECT t.item_kind, t.item_key, t.dimension, t.tag, t.matched, t.made_by, t.made_at,
         CASE WHEN t.made_by = 'rule' THEN 'rule' ELSE 'analyst' END AS tag_source,
         CAST(NULL AS VARCHAR) AS reason
    FROM item_tags t
   WHERE NOT EXISTS (SELECT 1 FROM decisions d
                      WHERE d.item_kind = t.item_kind AND d.item_key = t.item_key AND d.dimension = t.dimension AND d.tag = t.tag)
  -- Analysts' rows first, so a rule row duplicating an analyst's tag is the one dropped.
  QUALIFY row_number() OVER (PARTITION BY t.item_kind, t.item_key, t.dimension, t.tag
                             ORDER BY (t.made_by = 'rule'), t.made_at, t.made_by) = 1
),
added AS (
  SELECT item_kind, item_key, dimension, tag, CAST(NULL AS VARCHAR) AS matched, curated_by AS made_by,
         curated_at AS made_at, 'analyst' AS tag_source, reason
    FROM decisions
   WHERE action = 'add'
)
SELECT * FROM (SELECT * FROM made UNION ALL SELECT * FROM added) e
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = e.item_kind AND h.item_key = e.item_key);

-- Incidents before likely matches are folded: the sources' and the analysts' published candidates, later
-- reports' links appended to report_urls, rejected incidents left out. Unreviewed candidates are never here.
CREATE OR REPLACE VIEW v_incidents_unmatched AS
WITH reviewed AS (
  SELECT * FROM reviewed_incidents
  QUALIFY row_number() OVER (PARTITION BY incident_key ORDER BY log_id DESC) = 1
),
updates AS (
  SELECT incident_key, list(url ORDER BY log_id) AS urls FROM incident_updates GROUP BY incident_key
),
everything AS (
  SELECT i.* EXCLUDE (row_hash) FROM incidents i
  UNION ALL
  SELECT incident_key, candidate_key AS source_incident_id, occurred_on, date_precision, title, description,
         deployers, developers, harmed_parties, harm_types, sector, severity, province, 'published' AS status,
         report_urls, source_id, snapshot_sha256, retrieved_at
    FROM reviewed
)
SELECT e.* REPLACE (
         CASE WHEN u.urls IS NULL THEN e.report_urls
              ELSE list_concat(coalesce(e.report_urls, CAST([] AS VARCHAR[])),
                               list_filter(u.urls, x -> NOT list_contains(coalesce(e.report_urls, CAST([] AS VARCHAR[])), x))) END AS report_urls)
  FROM everything e
  LEFT JOIN updates u ON u.incident_key = e.incident_key
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'incident' AND h.item_key = e.incident_key);

CREATE OR REPLACE VIEW v_incident_matches_in_force AS
SELECT m.*, r.decision, r.decided_by, r.decided_at, r.reason, r.log_id
  FROM incident_matches m
  LEFT JOIN (SELECT * FROM incident_match_reviews QUALIFY row_number() OVER (PARTITION BY match_key ORDER BY log_id DESC) = 1) r USING (match_key);

-- The public incidents: v_incidents_unmatched less the records a pending or approved match folds into an
-- analysts' entry, and with the approved matches' records cited by the entry they joined.
CREATE OR REPLACE VIEW v_incidents_public AS
WITH folded AS (
  SELECT duplicate_key FROM v_incident_matches_in_force WHERE decision IS NULL OR decision = 'approve'
),
joined AS (
  SELECT m.kept_key,
         list(DISTINCT m.duplicate_key ORDER BY m.duplicate_key) AS keys,
         flatten(list(coalesce(d.report_urls, CAST([] AS VARCHAR[])))) AS urls,
         list(DISTINCT CASE WHEN d.incident_key LIKE 'aiid:%' THEN 'https://incidentdatabase.ai/cite/' || d.source_incident_id END) AS cites
    FROM v_incident_matches_in_force m JOIN v_incidents_unmatched d ON d.incident_key = m.duplicate_key
   WHERE m.decision = 'approve'
   GROUP BY m.kept_key
)
SELECT u.* REPLACE (
         CASE WHEN j.kept_key IS NULL THEN u.report_urls
              ELSE list_distinct(list_concat(coalesce(u.report_urls, CAST([] AS VARCHAR[])), list_filter(list_concat(j.cites, j.urls), x -> x IS NOT NULL))) END AS report_urls),
       coalesce(j.keys, CAST([] AS VARCHAR[])) AS also_recorded_as
  FROM v_incidents_unmatched u
  LEFT JOIN joined j ON j.kept_key = u.incident_key
 WHERE u.incident_key NOT IN (SELECT duplicate_key FROM folded);

-- What a reporter sees by tracking code: received (waiting for an analyst), under_review (an analyst has
-- amended it; a second analyst decides), published (as incident_key) or not_accepted (with the
-- analyst's reason, which is public like every curation_log reason). Nothing else about the report.
CREATE OR REPLACE VIEW v_intake_status AS
WITH decided AS (
  SELECT * FROM review_decisions WHERE kind = 'report'
  QUALIFY row_number() OVER (PARTITION BY review_id ORDER BY log_id) = 1
),
amended AS (
  SELECT review_id, max(proposed_at) AS last_at FROM review_proposals WHERE kind = 'report' GROUP BY review_id
)
SELECT r.tracking_code,
       CASE WHEN d.decision = 'reject' THEN 'not_accepted'
            WHEN d.decision IS NOT NULL THEN 'published'
            WHEN a.review_id IS NOT NULL THEN 'under_review'
            ELSE 'received' END AS status,
       CASE WHEN d.decision IN ('approve', 'edit') THEN 'report:' || r.tracking_code END AS incident_key,
       CASE WHEN d.decision = 'reject' THEN d.reason END AS public_reason,
       timezone('UTC', r.received_at)::DATE AS received_on,
       timezone('UTC', coalesce(d.decided_at, a.last_at, r.received_at))::DATE AS updated_on
  FROM intake_reports r
  LEFT JOIN decided d ON d.review_id = 'review/report/' || r.tracking_code
  LEFT JOIN amended a ON a.review_id = 'review/report/' || r.tracking_code;
