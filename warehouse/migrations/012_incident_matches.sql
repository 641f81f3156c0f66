-- 012: one incident known to two sources is shown once (issue 14). A run derives likely matches between an
-- analysts' entry and another source's record (warehouse/derive.ts); each opens a `match` review. While a
-- match waits, and once it is approved, the other source's record is not shown on its own: an approved
-- match is the analysts' incident citing both (the other record's links and key added to it); a rejected
-- match leaves two incidents.

-- Derived on every run; decisions live in incident_match_reviews and are never replaced by a run.
CREATE TABLE incident_matches (
  match_key     VARCHAR PRIMARY KEY,     -- <kept_key>|<duplicate_key>
  kept_key      VARCHAR NOT NULL,        -- the analysts' entry
  duplicate_key VARCHAR NOT NULL,        -- the other source's record of the same incident
  similarity    DOUBLE NOT NULL,         -- Jaccard of the words and word pairs of title and description
  days_apart    INTEGER NOT NULL,
  detected_at   TIMESTAMPTZ NOT NULL
);

-- Analysts' decisions on matches (append-only; the highest log_id per match is in force).
CREATE TABLE incident_match_reviews (
  log_id        BIGINT PRIMARY KEY,      -- the decision's entry in curation_log
  match_key     VARCHAR NOT NULL,
  kept_key      VARCHAR NOT NULL,
  duplicate_key VARCHAR NOT NULL,
  decision      VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject')),
  decided_by    VARCHAR NOT NULL,
  decided_at    TIMESTAMPTZ NOT NULL,
  reason        VARCHAR NOT NULL
);

-- review_decisions takes the kind `match` as it is: 008 left its kinds to warehouse/review.ts.

-- The public incidents: 007's view, less the records a pending or approved match folds into an analysts'
-- entry, and with the approved matches' records cited by the entry they joined.
ALTER VIEW v_incidents_public RENAME TO v_incidents_unmatched;

CREATE VIEW v_incident_matches_in_force AS
SELECT m.*, r.decision, r.decided_by, r.decided_at, r.reason, r.log_id
  FROM incident_matches m
  LEFT JOIN (SELECT * FROM incident_match_reviews QUALIFY row_number() OVER (PARTITION BY match_key ORDER BY log_id DESC) = 1) r USING (match_key);

CREATE VIEW v_incidents_public AS
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
