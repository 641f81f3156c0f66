-- 013: the strategy's and the assessment's own figures (issue 14). Documents the analysts' sheets cite
-- (sources/curated/documents.yaml; url null: not online), and what each figure of the indicator sheet is:
-- a value or a target (due year, NAIS measure, the indicator whose values measure progress), with the
-- document and section it comes from. The figures themselves stay observations, reviewed before public.
CREATE TABLE documents (
  document_id VARCHAR, title VARCHAR, publisher VARCHAR, published VARCHAR, date_note VARCHAR, url VARCHAR, note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE sheet_figures (
  indicator_code VARCHAR, country_iso3 VARCHAR, period VARCHAR, figure_kind VARCHAR, document_id VARCHAR, section VARCHAR,
  target_of VARCHAR, due_year INTEGER, nais_measure VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)
