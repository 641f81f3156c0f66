-- 007: human review (issue 6). Every item that needs a person gets a `review` workflow; its decision is
-- written here by warehouse/review.ts, each together with its curation_log entry, in one transaction.
-- All tables are append-only analyst tables (docs/architecture.md rule 6): no automated run writes or deletes them,
-- and a later decision on the same key supersedes an earlier one (highest log_id wins).

-- One row per decided review, whatever its kind: the workflow id (review/<kind>/<key>), so the pipeline
-- never reopens a decided item even after Temporal has forgotten the closed workflow.
CREATE TABLE review_decisions (
  log_id     BIGINT PRIMARY KEY,         -- the decision's entry in curation_log
  review_id  VARCHAR NOT NULL,
  kind       VARCHAR NOT NULL CHECK (kind IN ('incident', 'indicator', 'range', 'classification', 'measure', 'event')),
  item_key   VARCHAR NOT NULL,
  decision   VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject', 'edit')),
  fields     VARCHAR,                    -- JSON of the fields an approve or edit set, when any
  decided_by VARCHAR NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL,
  reason     VARCHAR NOT NULL
);

-- Decisions on one exact indicator value of one source (a revised value needs its own decision). Values
-- from an analyst sheet (sources.parser = 'indicator-sheet') are published only once approved; any
-- source's value is hidden once rejected; an approved value that failed a range check stops failing it.
CREATE TABLE observation_reviews (
  log_id         BIGINT PRIMARY KEY,
  review_kind    VARCHAR NOT NULL CHECK (review_kind IN ('indicator', 'range')),
  source_id      VARCHAR NOT NULL,
  indicator_code VARCHAR NOT NULL,
  country_iso3   VARCHAR NOT NULL,
  period         VARCHAR NOT NULL,
  value          DOUBLE,
  decision       VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject')),
  reviewed_by    VARCHAR NOT NULL,
  reviewed_at    TIMESTAMPTZ NOT NULL,
  reason         VARCHAR NOT NULL
);

CREATE VIEW v_observation_reviews_in_force AS
SELECT * FROM observation_reviews
QUALIFY row_number() OVER (PARTITION BY source_id, indicator_code, country_iso3, period, value ORDER BY log_id DESC) = 1;

-- The observation rows the public may see: sheet values approved, rejected values left out. Every public
-- view and the observations export read this instead of the table.
CREATE VIEW v_observations_published AS
SELECT o.* FROM observations o
 WHERE NOT EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                    WHERE r.decision = 'reject' AND r.source_id = o.source_id AND r.indicator_code = o.indicator_code
                      AND r.country_iso3 = o.country_iso3 AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value)
   AND (o.source_id NOT IN (SELECT source_id FROM sources WHERE parser = 'indicator-sheet')
        OR EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                    WHERE r.decision = 'approve' AND r.source_id = o.source_id AND r.indicator_code = o.indicator_code
                      AND r.country_iso3 = o.country_iso3 AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value));

-- As in 005, over the published rows: the views built on it (v_observations_current, v_indicator_latest)
-- pick the change up, since DuckDB binds views when they are read.
CREATE OR REPLACE MACRO observations_as_of(t) AS TABLE
SELECT indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, retrieved_at, valid_from
  FROM v_observations_published
 WHERE valid_from <= CAST(t AS TIMESTAMPTZ) AND (valid_to IS NULL OR valid_to > CAST(t AS TIMESTAMPTZ));

-- Decisions on candidate incidents (incident_candidates): approve publishes it as an incident, reject
-- hides it for good, attach adds it to an existing incident as a later report.
CREATE TABLE incident_reviews (
  log_id        BIGINT PRIMARY KEY,
  candidate_key VARCHAR NOT NULL,
  decision      VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject', 'attach')),
  incident_key  VARCHAR,                 -- the incident published or attached to
  reviewed_by   VARCHAR NOT NULL,
  reviewed_at   TIMESTAMPTZ NOT NULL,
  reason        VARCHAR NOT NULL
);

-- Incidents analysts published from reviewed candidates, with their classification (NAIS measure 5.7).
-- Analyst-owned: no run writes it, so a later automated run never overwrites one. A correction adds a
-- version; the latest log_id per incident_key is the one shown. Provenance is the news item's capture.
CREATE TABLE reviewed_incidents (
  log_id          BIGINT PRIMARY KEY,
  incident_key    VARCHAR NOT NULL,      -- review:<candidate_key>
  candidate_key   VARCHAR NOT NULL,
  occurred_on     DATE,
  date_precision  VARCHAR,
  title           VARCHAR NOT NULL,
  description     VARCHAR,
  deployers       VARCHAR[] NOT NULL,
  developers      VARCHAR[] NOT NULL,
  harmed_parties  VARCHAR[] NOT NULL,    -- the affected groups
  harm_types      VARCHAR[] NOT NULL,
  sector          VARCHAR,
  severity        VARCHAR CHECK (severity IN ('low', 'medium', 'high')),
  province        VARCHAR,
  report_urls     VARCHAR[] NOT NULL,
  source_id       VARCHAR NOT NULL,
  snapshot_sha256 VARCHAR NOT NULL,
  retrieved_at    TIMESTAMPTZ NOT NULL,
  reviewed_by     VARCHAR NOT NULL,
  reviewed_at     TIMESTAMPTZ NOT NULL,
  reason          VARCHAR NOT NULL
);

-- Later reports attached to a published incident (any source's), in the order they were attached.
CREATE TABLE incident_updates (
  log_id        BIGINT PRIMARY KEY,
  incident_key  VARCHAR NOT NULL,
  candidate_key VARCHAR NOT NULL,
  url           VARCHAR NOT NULL,
  title         VARCHAR,
  published_at  TIMESTAMPTZ,
  attached_by   VARCHAR NOT NULL,
  attached_at   TIMESTAMPTZ NOT NULL,
  reason        VARCHAR NOT NULL
);

-- Public incidents: the sources' and the analysts' published candidates, later reports' links appended
-- to report_urls, rejected incidents left out. Unreviewed candidates are never here.
CREATE OR REPLACE VIEW v_incidents_public AS
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
