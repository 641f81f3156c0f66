-- 011: the AI Incident Database's incidents that name an ASEAN member (issue 14), for the regional counts
-- beside Cambodia's own record. Loaded like every record table (one source's complete set per load);
-- harm types come from the taxonomy's keyword rules (item_tags, item_kind 'aiid_asean').
CREATE TABLE aiid_asean_incidents (
  incident_id VARCHAR, occurred_on DATE, title VARCHAR, description VARCHAR, countries VARCHAR[], matched_terms VARCHAR[],
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)
