-- 001: the first warehouse: registry, capture bookkeeping, the strategy, events and indicators.
-- Record tables mirror warehouse/tables.ts; a unit test keeps the two in step.

CREATE TABLE sources (
  source_id   VARCHAR PRIMARY KEY,
  title       VARCHAR NOT NULL,
  kind        VARCHAR NOT NULL,
  parser      VARCHAR NOT NULL,
  urls        VARCHAR[] NOT NULL,
  cadence     VARCHAR NOT NULL,
  licence     VARCHAR NOT NULL,
  attribution VARCHAR NOT NULL,
  enabled     BOOLEAN NOT NULL
);

-- One row per source per pipeline run: what happened, with counts.
CREATE TABLE fetch_runs (
  run_id          VARCHAR NOT NULL,
  source_id       VARCHAR NOT NULL,
  status          VARCHAR NOT NULL,     -- ok | failed
  started_at      TIMESTAMPTZ,
  finished_at     TIMESTAMPTZ,
  fetched         INTEGER NOT NULL,     -- bodies captured (pages)
  records         INTEGER NOT NULL,     -- rows staged by the parser
  new_rows        INTEGER NOT NULL,
  updated_rows    INTEGER NOT NULL,
  rejected        INTEGER NOT NULL,
  from_snapshot   BOOLEAN NOT NULL,     -- any capture came from the bundled offline snapshot
  snapshot_reason VARCHAR,
  message         VARCHAR,
  PRIMARY KEY (run_id, source_id)
);

-- Every archived capture a loaded row came from (the bodies live in data/archive).
CREATE TABLE snapshots (
  sha256       VARCHAR NOT NULL,
  url          VARCHAR NOT NULL,
  source_id    VARCHAR NOT NULL,
  status       INTEGER NOT NULL,
  retrieved_at TIMESTAMPTZ NOT NULL,
  bytes        BIGINT NOT NULL,
  origin       VARCHAR NOT NULL,        -- live | repo | snapshot
  note         VARCHAR,
  PRIMARY KEY (sha256, url, retrieved_at)
);

-- Records a parser set aside, with the reason: quarantined, never silently dropped.
CREATE TABLE rejections (
  run_id     VARCHAR NOT NULL,
  source_id  VARCHAR NOT NULL,
  url        VARCHAR NOT NULL,
  record     VARCHAR NOT NULL,
  reason     VARCHAR NOT NULL
);

CREATE TABLE strategy_priorities (
  priority_id INTEGER, title VARCHAR, short_label VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE strategy_measures (
  measure_id VARCHAR, priority_id INTEGER, seq INTEGER, text VARCHAR, timeframe VARCHAR,
  start_year INTEGER, end_year INTEGER, ongoing BOOLEAN, lead_bodies VARCHAR[], participating_bodies VARCHAR[],
  entities_text VARCHAR, note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE strategy_flagships (
  flagship_id VARCHAR, priority_id INTEGER, text VARCHAR, measure_ids VARCHAR[], roles VARCHAR[], note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE strategy_sector_directions (
  direction_id VARCHAR, title VARCHAR, sector_group VARCHAR, focus_areas VARCHAR[], note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE events (
  event_id VARCHAR, track VARCHAR, title VARCHAR, status VARCHAR, date_start DATE, date_end DATE,
  date_precision VARCHAR, date_text VARCHAR, deadline_kind VARCHAR, reported_in VARCHAR, reported_on DATE,
  document_url VARCHAR, note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE indicators (
  indicator_code VARCHAR, name VARCHAR, unit VARCHAR, source_note VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

-- Versioned: a revised value closes the open row (valid_to) and adds a new one (docs/architecture.md rule 5).
CREATE TABLE observations (
  indicator_code VARCHAR, country_iso3 VARCHAR, period VARCHAR, value DOUBLE, source_url VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL,
  valid_from TIMESTAMPTZ NOT NULL,
  valid_to   TIMESTAMPTZ
);
