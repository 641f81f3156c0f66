-- 003: dimension tables (geographies, indicator metadata), the status history of NAIS measures and the
-- analysts' curations (docs/architecture.md rule 6). No automated run writes these tables; warehouse/curation.ts
-- writes each curated row together with its entry in curation_log, in one transaction.
--
-- Curation tables are append-only: a decision is never edited or deleted, a later decision on the same
-- key supersedes it (the highest log_id wins), so every past decision stays readable with who, when and why.

-- Countries and the groupings dashboards compare Cambodia with. English short names; ISO 3166-1 alpha-3.
CREATE TABLE geographies (
  iso3         VARCHAR PRIMARY KEY CHECK (regexp_full_match(iso3, '[A-Z]{3}')),
  name         VARCHAR NOT NULL,
  region       VARCHAR NOT NULL,        -- UN M49 sub-region
  asean_member BOOLEAN NOT NULL
);

-- Timor-Leste was admitted as ASEAN's eleventh member at the 47th ASEAN Summit (October 2025).
INSERT INTO geographies VALUES
  ('KHM', 'Cambodia',                          'South-eastern Asia', true),
  ('BRN', 'Brunei Darussalam',                 'South-eastern Asia', true),
  ('IDN', 'Indonesia',                         'South-eastern Asia', true),
  ('LAO', 'Lao People''s Democratic Republic', 'South-eastern Asia', true),
  ('MYS', 'Malaysia',                          'South-eastern Asia', true),
  ('MMR', 'Myanmar',                           'South-eastern Asia', true),
  ('PHL', 'Philippines',                       'South-eastern Asia', true),
  ('SGP', 'Singapore',                         'South-eastern Asia', true),
  ('THA', 'Thailand',                          'South-eastern Asia', true),
  ('TLS', 'Timor-Leste',                       'South-eastern Asia', true),
  ('VNM', 'Viet Nam',                          'South-eastern Asia', true);

-- What an indicator means for the observatory: a plain definition, the UNESCO RAM dimension it informs
-- and the NAIS priority it tracks (null when it is context rather than a priority's measure).
CREATE TABLE indicator_metadata (
  indicator_code VARCHAR PRIMARY KEY,
  definition     VARCHAR NOT NULL,
  ram_dimension  VARCHAR NOT NULL CHECK (ram_dimension IN
                   ('legal_regulatory', 'social_cultural', 'scientific_educational', 'economic', 'technical_infrastructural')),
  nais_priority  INTEGER CHECK (nais_priority BETWEEN 1 AND 6),
  unit_override  VARCHAR,               -- shown instead of the source's unit when set
  curated_by     VARCHAR NOT NULL
);

-- Its rows come from warehouse/indicator-metadata.json, written on every open (warehouse/indicator-metadata.ts);
-- this migration once seeded them here.

-- Every analyst action, in order: who, when, what changed from what to what, and why.
CREATE SEQUENCE curation_log_id START 1;
CREATE TABLE curation_log (
  log_id      BIGINT PRIMARY KEY DEFAULT nextval('curation_log_id'),
  logged_at   TIMESTAMPTZ NOT NULL,     -- "at" is a reserved word in DuckDB
  actor       VARCHAR NOT NULL,
  action      VARCHAR NOT NULL,         -- curate_observation | withdraw_observation | classify_add | classify_remove | reject | restore | measure_status
  target_kind VARCHAR NOT NULL,         -- observation | news | publication | incident | measure
  target_key  VARCHAR NOT NULL,
  field       VARCHAR,
  old_value   VARCHAR,
  new_value   VARCHAR,
  reason      VARCHAR NOT NULL
);

-- An analyst's value for (indicator, country, period): wins over every source's value for that key.
-- 'withdraw' hands the key back to the sources.
CREATE TABLE curated_observations (
  log_id         BIGINT PRIMARY KEY,
  action         VARCHAR NOT NULL CHECK (action IN ('set', 'withdraw')),
  indicator_code VARCHAR NOT NULL,
  country_iso3   VARCHAR NOT NULL,
  period         VARCHAR NOT NULL,
  value          DOUBLE,
  unit           VARCHAR,
  source_url     VARCHAR,
  curated_by     VARCHAR NOT NULL,
  curated_at     TIMESTAMPTZ NOT NULL,
  reason         VARCHAR NOT NULL,
  CHECK (action = 'withdraw' OR (value IS NOT NULL AND source_url IS NOT NULL))
);

-- An analyst adding a tag the rules missed, or removing one they got wrong.
CREATE TABLE curated_classifications (
  log_id     BIGINT PRIMARY KEY,
  item_kind  VARCHAR NOT NULL CHECK (item_kind IN ('news', 'publication', 'incident')),
  item_key   VARCHAR NOT NULL,
  dimension  VARCHAR NOT NULL,
  tag        VARCHAR NOT NULL,
  action     VARCHAR NOT NULL CHECK (action IN ('add', 'remove')),
  curated_by VARCHAR NOT NULL,
  curated_at TIMESTAMPTZ NOT NULL,
  reason     VARCHAR NOT NULL
);

-- A rejected item is hidden from every public view; 'restore' undoes a rejection. For publications the
-- key may be a pub_key or a work_key (every source's copy of the work).
CREATE TABLE curated_rejections (
  log_id     BIGINT PRIMARY KEY,
  item_kind  VARCHAR NOT NULL CHECK (item_kind IN ('news', 'publication', 'incident')),
  item_key   VARCHAR NOT NULL,
  action     VARCHAR NOT NULL DEFAULT 'reject' CHECK (action IN ('reject', 'restore')),
  curated_by VARCHAR NOT NULL,
  curated_at TIMESTAMPTZ NOT NULL,
  reason     VARCHAR NOT NULL
);

-- The implementation status of each NAIS measure as analysts record it, with evidence. as_of is the date
-- the status holds from; recorded_at is when it was written down.
CREATE TABLE measure_status (
  log_id        BIGINT PRIMARY KEY,
  measure_id    VARCHAR NOT NULL,
  status        VARCHAR NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'cancelled')),
  as_of         DATE NOT NULL,
  note          VARCHAR NOT NULL,
  evidence_urls VARCHAR[] NOT NULL,
  recorded_by   VARCHAR NOT NULL,
  recorded_at   TIMESTAMPTZ NOT NULL
);
