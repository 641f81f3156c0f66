-- 009: the public incident intake (issue 16, NAIS measure 5.7). A report from the public is kept by the
-- intake process in its own folder with any contact detail; only its public part is registered here, when
-- its review opens. Contact data is never in the warehouse, so it can reach no export.
CREATE TABLE intake_reports (
  tracking_code  VARCHAR PRIMARY KEY,    -- what the reporter was given, e.g. R-7K3M-Q9TX
  received_at    TIMESTAMPTZ NOT NULL,
  what           VARCHAR NOT NULL,       -- what happened, as reported
  province       VARCHAR,                -- sources/provinces.yaml, or NULL when not said
  occurred       VARCHAR,                -- YYYY, YYYY-MM or YYYY-MM-DD as reported
  links          VARCHAR[] NOT NULL,     -- http(s) links the reporter gave
  report_sha256  VARCHAR NOT NULL,       -- of the stored public part: the published incident's provenance
  registered_at  TIMESTAMPTZ NOT NULL
);

-- What a reporter sees by tracking code: received (waiting for an analyst), under_review (an analyst has
-- amended it; a second analyst decides), published (as incident_key) or not_accepted (with the
-- analyst's reason, which is public like every curation_log reason). Nothing else about the report.
CREATE VIEW v_intake_status AS
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
