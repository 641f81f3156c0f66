-- 002: publications, policy news and incidents, plus the rule-made tags and groupings derived from them.
-- Record tables mirror warehouse/tables.ts; a unit test keeps the two in step.

CREATE TABLE publications (
  pub_key VARCHAR, doi VARCHAR, arxiv_id VARCHAR, openalex_id VARCHAR, title VARCHAR, abstract VARCHAR,
  year INTEGER, published_on DATE, venue VARCHAR, authors VARCHAR[], institutions VARCHAR[],
  institution_countries VARCHAR[], topics VARCHAR[], language VARCHAR, open_access BOOLEAN, oa_status VARCHAR,
  cited_by INTEGER, url VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE news_items (
  item_key VARCHAR, canonical_url VARCHAR, title VARCHAR, summary VARCHAR, published_at TIMESTAMPTZ,
  outlet VARCHAR, language VARCHAR, categories VARCHAR[], kind VARCHAR,
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

CREATE TABLE incidents (
  incident_key VARCHAR, source_incident_id VARCHAR, occurred_on DATE, date_precision VARCHAR, title VARCHAR,
  description VARCHAR, deployers VARCHAR[], developers VARCHAR[], harmed_parties VARCHAR[], harm_types VARCHAR[],
  sector VARCHAR, severity VARCHAR, province VARCHAR, status VARCHAR, report_urls VARCHAR[],
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

-- Derived on every run from the current taxonomy (sources/taxonomy.yaml); analysts' own rows (made_by <> 'rule')
-- are never replaced by a run.
CREATE TABLE item_tags (
  item_kind VARCHAR NOT NULL,      -- news | publication | incident
  item_key  VARCHAR NOT NULL,
  dimension VARCHAR NOT NULL,      -- priority | sector | ram_dimension | harm | ai
  tag       VARCHAR NOT NULL,
  matched   VARCHAR,               -- the term that matched, for transparency
  made_by   VARCHAR NOT NULL,      -- 'rule' or an analyst's name
  made_at   TIMESTAMPTZ NOT NULL
);

-- Near-duplicate stories across outlets: each news item belongs to one story.
CREATE TABLE news_stories (
  item_key  VARCHAR PRIMARY KEY,
  story_key VARCHAR NOT NULL
);

-- One work per publication across sources (DOI, then arXiv id, then normalised title + year).
CREATE TABLE publication_works (
  pub_key  VARCHAR NOT NULL,
  source_id VARCHAR NOT NULL,
  work_key VARCHAR NOT NULL,
  PRIMARY KEY (pub_key, source_id)
);

-- Candidate incidents detected in news (AI terms with harm terms), waiting for an analyst. Never public
-- until reviewed: review_status stays 'pending' until a person decides.
CREATE TABLE incident_candidates (
  candidate_key VARCHAR PRIMARY KEY,
  item_key      VARCHAR NOT NULL,
  title         VARCHAR,
  url           VARCHAR,
  published_at  TIMESTAMPTZ,
  ai_terms      VARCHAR[],
  harm_terms    VARCHAR[],
  detected_at   TIMESTAMPTZ NOT NULL,
  review_status VARCHAR NOT NULL DEFAULT 'pending'
);
