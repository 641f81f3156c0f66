-- Indicator values through time (docs/architecture.md rule 5): reviews in force, the published rows, the bitemporal
-- macros (`…_as_of(t)`, reproducible for any moment) and the current values the dashboard reads.
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

CREATE OR REPLACE VIEW v_observation_reviews_in_force AS
SELECT * FROM observation_reviews
QUALIFY row_number() OVER (PARTITION BY source_id, indicator_code, country_iso3, period, value ORDER BY log_id DESC) = 1;

-- The observation rows the public may see: sheet values approved, rejected values left out. Every public
-- view and the observations export read this instead of the table. The rejections are an ANTI JOIN rather
-- than NOT EXISTS: DuckDB turns a correlated NOT EXISTS into a join over every distinct outer row, which
-- at a million observations cost seconds per read of this view (npm run bench, export).
CREATE OR REPLACE VIEW v_observations_published AS
SELECT o.* FROM observations o
  ANTI JOIN (SELECT * FROM v_observation_reviews_in_force WHERE decision = 'reject') r
    ON r.source_id = o.source_id AND r.indicator_code = o.indicator_code
   AND r.country_iso3 = o.country_iso3 AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value
 WHERE (o.source_id NOT IN (SELECT source_id FROM sources WHERE parser = 'indicator-sheet')
        OR EXISTS (SELECT 1 FROM v_observation_reviews_in_force r
                    WHERE r.decision = 'approve' AND r.source_id = o.source_id AND r.indicator_code = o.indicator_code
                      AND r.country_iso3 = o.country_iso3 AND r.period = o.period AND r.value IS NOT DISTINCT FROM o.value));

-- As in 005, over the published rows: the views built on it (v_observations_current, v_indicator_latest)
-- pick the change up, since DuckDB binds views when they are read.
CREATE OR REPLACE MACRO observations_as_of(t) AS TABLE
SELECT indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, retrieved_at, valid_from
  FROM v_observations_published
 WHERE valid_from <= CAST(t AS TIMESTAMPTZ) AND (valid_to IS NULL OR valid_to > CAST(t AS TIMESTAMPTZ));

-- The same moment with analysts' values curated by then applied on top: a curated value replaces every
-- source's value for its (indicator, country, period), and may stand where no source has a value.
CREATE OR REPLACE MACRO observations_effective_as_of(t) AS TABLE
WITH decisions AS (
  SELECT * FROM curated_observations
   WHERE curated_at <= CAST(t AS TIMESTAMPTZ)
  QUALIFY row_number() OVER (PARTITION BY indicator_code, country_iso3, period ORDER BY log_id DESC) = 1
),
overrides AS (SELECT * FROM decisions WHERE action = 'set'),
source_units AS (SELECT indicator_code, min(unit) AS unit FROM indicators GROUP BY indicator_code)
SELECT a.indicator_code, a.country_iso3, a.period, a.value,
       coalesce(m.unit_override, i.unit, su.unit) AS unit,
       a.source_url, a.source_id, a.snapshot_sha256, a.retrieved_at, a.valid_from,
       false AS curated, 'source' AS value_source,
       CAST(NULL AS VARCHAR) AS curated_by, CAST(NULL AS TIMESTAMPTZ) AS curated_at, CAST(NULL AS VARCHAR) AS curation_reason
  FROM observations_as_of(t) a
  LEFT JOIN indicators i ON i.indicator_code = a.indicator_code AND i.source_id = a.source_id
  LEFT JOIN source_units su ON su.indicator_code = a.indicator_code
  LEFT JOIN indicator_metadata m ON m.indicator_code = a.indicator_code
  -- An ANTI JOIN, not NOT EXISTS, for the reason given at v_observations_published.
  ANTI JOIN overrides o ON o.indicator_code = a.indicator_code AND o.country_iso3 = a.country_iso3 AND o.period = a.period
UNION ALL
SELECT o.indicator_code, o.country_iso3, o.period, o.value,
       coalesce(o.unit, m.unit_override, su.unit) AS unit,
       o.source_url, CAST(NULL AS VARCHAR) AS source_id, CAST(NULL AS VARCHAR) AS snapshot_sha256,
       CAST(NULL AS TIMESTAMPTZ) AS retrieved_at, o.curated_at AS valid_from,
       true AS curated, 'analyst' AS value_source, o.curated_by, o.curated_at, o.reason AS curation_reason
  FROM overrides o
  LEFT JOIN source_units su ON su.indicator_code = o.indicator_code
  LEFT JOIN indicator_metadata m ON m.indicator_code = o.indicator_code;

-- The values the dashboards show now. value_source says whose value it is: 'source' or 'analyst'.
CREATE OR REPLACE VIEW v_observations_current AS
SELECT * FROM observations_effective_as_of(CAST('infinity' AS TIMESTAMPTZ));

-- Latest value per indicator and country with the change since the previous period that has a value.
-- Where two sources give the same period, the analyst's value wins, then the most recently retrieved.
CREATE OR REPLACE VIEW v_indicator_latest AS
WITH one_per_period AS (
  SELECT * FROM v_observations_current
   WHERE value IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY indicator_code, country_iso3, period
                             ORDER BY curated DESC, retrieved_at DESC NULLS LAST, source_id) = 1
),
ranked AS (
  SELECT *,
         row_number() OVER w AS rank,
         lead(period) OVER w AS previous_period,
         lead(value) OVER w AS previous_value
    FROM one_per_period
  WINDOW w AS (PARTITION BY indicator_code, country_iso3 ORDER BY period_start(period) DESC NULLS LAST, period DESC)
),
names AS (SELECT indicator_code, source_id, name FROM indicators)
SELECT r.indicator_code,
       coalesce(n.name, (SELECT min(x.name) FROM names x WHERE x.indicator_code = r.indicator_code)) AS indicator_name,
       r.country_iso3, g.name AS country_name,
       r.period AS latest_period, r.value AS latest_value,
       r.previous_period, r.previous_value,
       r.value - r.previous_value AS change,
       CASE WHEN r.previous_value <> 0 THEN (r.value - r.previous_value) / abs(r.previous_value) * 100 END AS pct_change,
       r.unit, r.retrieved_at, r.source_id, r.value_source,
       m.ram_dimension, m.nais_priority
  FROM ranked r
  LEFT JOIN names n ON n.indicator_code = r.indicator_code AND n.source_id = r.source_id
  LEFT JOIN geographies g ON g.iso3 = r.country_iso3
  LEFT JOIN indicator_metadata m ON m.indicator_code = r.indicator_code
 WHERE r.rank = 1
 ORDER BY r.indicator_code, r.country_iso3;

-- Each published sheet figure with its document and, for a target, the latest published value of what it
-- is a target for and the share of the target that value reaches (null when no value exists yet).
CREATE OR REPLACE VIEW v_strategy_figures AS
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
