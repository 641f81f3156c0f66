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

-- Each published sheet figure with its document and, for a target, the latest published value of what it
-- is a target for and the share of the target that value reaches (null when no value exists yet).
CREATE VIEW v_strategy_figures AS
WITH f AS (
  SELECT * FROM sheet_figures QUALIFY row_number() OVER (PARTITION BY indicator_code, country_iso3, period ORDER BY retrieved_at DESC, source_id) = 1
),
d AS (
  SELECT * FROM documents QUALIFY row_number() OVER (PARTITION BY document_id ORDER BY retrieved_at DESC, source_id) = 1
),
latest AS (
  SELECT indicator_code, country_iso3, period, value FROM v_observations_current WHERE value IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY indicator_code, country_iso3 ORDER BY period_start(period) DESC NULLS LAST, period DESC) = 1
)
SELECT o.indicator_code, i.name, i.unit, o.country_iso3, o.period, o.value, f.figure_kind, f.due_year, f.nais_measure, f.target_of,
       l.value AS progress_value, l.period AS progress_period,
       CASE WHEN f.figure_kind = 'target' AND l.value IS NOT NULL AND o.value <> 0 THEN l.value / o.value * 100 END AS progress_pct,
       f.document_id, d.title AS document_title, d.publisher AS document_publisher, d.published AS document_date,
       f.section AS document_section, d.url AS document_url, d.url IS NULL AS document_not_online,
       o.source_url, o.source_id, o.retrieved_at
  FROM v_observations_current o
  JOIN f ON f.indicator_code = o.indicator_code AND f.country_iso3 = o.country_iso3 AND f.period = o.period
  LEFT JOIN d ON d.document_id = f.document_id
  LEFT JOIN (SELECT DISTINCT ON (indicator_code) indicator_code, name, unit FROM indicators ORDER BY indicator_code, source_id) i ON i.indicator_code = o.indicator_code
  LEFT JOIN latest l ON l.indicator_code = f.target_of AND l.country_iso3 = o.country_iso3;
