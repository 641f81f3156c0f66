-- 014: the AI use cases register (issue 14): sources/curated/use-cases.yaml, one row per use case.
CREATE TABLE ai_use_cases (
  use_case_id VARCHAR, name VARCHAR, what_it_does VARCHAR, run_by VARCHAR, partner VARCHAR, status VARCHAR, sector_direction VARCHAR,
  nais_measure VARCHAR, link VARCHAR, document_id VARCHAR, section VARCHAR, note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);
