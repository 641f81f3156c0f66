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

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)

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
