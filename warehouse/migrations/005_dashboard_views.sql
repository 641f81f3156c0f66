-- 005: public views (analysts' curations applied, rejected items hidden), bitemporal table macros and the
-- dashboard aggregates, all computed in SQL from what the warehouse holds. Views store no data, so a load
-- never has to rebuild them, and a curation shows everywhere the moment it commits.
--
-- Anything that depends on "now" is a table macro taking the moment as a parameter (`…_as_of(t)`), so it
-- can be reproduced for any past date and tested with fixed dates; the `v_…` view beside it calls the
-- macro with the current date or the open rows.

-- Periods come as YYYY, YYYY-Qn / YYYYQn and YYYY-MM / YYYYMmm (World Bank and analyst sheets): the first
-- day of the period, for ordering a series; null when the text is not a period.
CREATE MACRO period_start(p) AS CASE
  WHEN regexp_full_match(p, '\d{4}') THEN make_date(CAST(p AS INTEGER), 1, 1)
  WHEN regexp_full_match(p, '\d{4}-?Q[1-4]') THEN make_date(CAST(p[1:4] AS INTEGER), (CAST(p[-1:] AS INTEGER) - 1) * 3 + 1, 1)
  WHEN regexp_full_match(p, '\d{4}(-|M)(0[1-9]|1[0-2])') THEN make_date(CAST(p[1:4] AS INTEGER), CAST(p[-2:] AS INTEGER), 1)
END;

-- ---------------------------------------------------------------------------------------------------
-- Analysts' decisions in force: the latest (highest log_id) per key.

CREATE VIEW v_rejected_items AS
SELECT item_kind, item_key, curated_by, curated_at, reason, log_id
  FROM curated_rejections
QUALIFY row_number() OVER (PARTITION BY item_kind, item_key ORDER BY log_id DESC) = 1 AND action = 'reject';

-- Every (item_kind, item_key) a public view leaves out: rejected items, and every source's copy of a
-- rejected publication work.
CREATE VIEW v_hidden_items AS
SELECT item_kind, item_key FROM v_rejected_items
UNION
SELECT 'publication', w.pub_key
  FROM v_rejected_items r JOIN publication_works w ON r.item_kind = 'publication' AND r.item_key = w.work_key;

-- ---------------------------------------------------------------------------------------------------
-- Indicator values through time (docs/architecture.md rule 5).

-- What the warehouse said at moment t: the source rows open at t.
CREATE MACRO observations_as_of(t) AS TABLE
SELECT indicator_code, country_iso3, period, value, source_url, source_id, snapshot_sha256, retrieved_at, valid_from
  FROM observations
 WHERE valid_from <= CAST(t AS TIMESTAMPTZ) AND (valid_to IS NULL OR valid_to > CAST(t AS TIMESTAMPTZ));

-- The same moment with analysts' values curated by then applied on top: a curated value replaces every
-- source's value for its (indicator, country, period), and may stand where no source has a value.
CREATE MACRO observations_effective_as_of(t) AS TABLE
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
 WHERE NOT EXISTS (SELECT 1 FROM overrides o
                    WHERE o.indicator_code = a.indicator_code AND o.country_iso3 = a.country_iso3 AND o.period = a.period)
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
CREATE VIEW v_observations_current AS
SELECT * FROM observations_effective_as_of(CAST('infinity' AS TIMESTAMPTZ));

-- Latest value per indicator and country with the change since the previous period that has a value.
-- Where two sources give the same period, the analyst's value wins, then the most recently retrieved.
CREATE VIEW v_indicator_latest AS
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

-- ---------------------------------------------------------------------------------------------------
-- Public items: rejected ones left out, row_hash (a load detail) dropped.

CREATE VIEW v_news_public AS
SELECT n.* EXCLUDE (row_hash)
  FROM news_items n
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'news' AND h.item_key = n.item_key);

CREATE VIEW v_publications_public AS
SELECT p.* EXCLUDE (row_hash), w.work_key
  FROM publications p
  LEFT JOIN publication_works w ON w.pub_key = p.pub_key AND w.source_id = p.source_id
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'publication' AND h.item_key = p.pub_key);

CREATE VIEW v_incidents_public AS
SELECT i.* EXCLUDE (row_hash)
  FROM incidents i
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = 'incident' AND h.item_key = i.incident_key);

-- Tags in force: the rules' (and any analyst rows in item_tags), minus analysts' removals, plus their
-- additions; one row per (item, dimension, tag), none for hidden items. tag_source: 'rule' | 'analyst'.
CREATE VIEW v_item_tags_effective AS
WITH decisions AS (
  SELECT * FROM curated_classifications
  QUALIFY row_number() OVER (PARTITION BY item_kind, item_key, dimension, tag ORDER BY log_id DESC) = 1
),
made AS (
  SELECT t.item_kind, t.item_key, t.dimension, t.tag, t.matched, t.made_by, t.made_at,
         CASE WHEN t.made_by = 'rule' THEN 'rule' ELSE 'analyst' END AS tag_source,
         CAST(NULL AS VARCHAR) AS reason
    FROM item_tags t
   WHERE NOT EXISTS (SELECT 1 FROM decisions d
                      WHERE d.item_kind = t.item_kind AND d.item_key = t.item_key AND d.dimension = t.dimension AND d.tag = t.tag)
  -- Analysts' rows first, so a rule row duplicating an analyst's tag is the one dropped.
  QUALIFY row_number() OVER (PARTITION BY t.item_kind, t.item_key, t.dimension, t.tag
                             ORDER BY (t.made_by = 'rule'), t.made_at, t.made_by) = 1
),
added AS (
  SELECT item_kind, item_key, dimension, tag, CAST(NULL AS VARCHAR) AS matched, curated_by AS made_by,
         curated_at AS made_at, 'analyst' AS tag_source, reason
    FROM decisions
   WHERE action = 'add'
)
SELECT * FROM (SELECT * FROM made UNION ALL SELECT * FROM added) e
 WHERE NOT EXISTS (SELECT 1 FROM v_hidden_items h WHERE h.item_kind = e.item_kind AND h.item_key = e.item_key);

-- ---------------------------------------------------------------------------------------------------
-- Dashboard aggregates.

-- Distinct works (publication_works.work_key), so a paper found by two sources counts once; a work's
-- year is the earliest its sources give.
CREATE VIEW v_publications_by_year AS
WITH works AS (
  SELECT coalesce(work_key, source_id || ':' || pub_key) AS work, min(year) AS year, bool_or(coalesce(open_access, false)) AS open_access
    FROM v_publications_public
   GROUP BY ALL
)
SELECT year, CAST(count(*) AS INTEGER) AS works, CAST(count(*) FILTER (WHERE open_access) AS INTEGER) AS open_access_works
  FROM works
 GROUP BY year
 ORDER BY year NULLS LAST;

CREATE VIEW v_publications_by_institution AS
WITH affiliations AS (
  SELECT coalesce(work_key, source_id || ':' || pub_key) AS work, year, unnest(institutions) AS institution
    FROM v_publications_public
)
SELECT institution, CAST(count(DISTINCT work) AS INTEGER) AS works, min(year) AS first_year, max(year) AS last_year
  FROM affiliations
 WHERE institution IS NOT NULL AND trim(institution) <> ''
 GROUP BY institution
 ORDER BY works DESC, institution;

-- One row per year and harm type; an incident with no harm type recorded counts under a null harm_type
-- rather than disappearing, and one with several counts under each.
CREATE VIEW v_incidents_by_year_harm AS
WITH harms AS (
  SELECT incident_key, year(occurred_on) AS year,
         unnest(CASE WHEN len(coalesce(harm_types, [])) > 0 THEN harm_types ELSE [CAST(NULL AS VARCHAR)] END) AS harm_type
    FROM v_incidents_public
)
SELECT CAST(year AS INTEGER) AS year, harm_type, CAST(count(DISTINCT incident_key) AS INTEGER) AS incidents
  FROM harms
 GROUP BY ALL
 ORDER BY year NULLS LAST, harm_type NULLS LAST;

-- News per calendar month in Cambodia (UTC+7, whatever the reader's zone) and NAIS priority tag; stories
-- count near-duplicates across outlets once.
CREATE VIEW v_news_by_month_priority AS
WITH priorities AS (
  SELECT priority_id, short_label, title FROM strategy_priorities
  QUALIFY row_number() OVER (PARTITION BY priority_id ORDER BY source_id) = 1
),
tagged AS (
  SELECT strftime(timezone('Asia/Phnom_Penh', n.published_at), '%Y-%m') AS month,
         TRY_CAST(t.tag AS INTEGER) AS priority_id, n.item_key, coalesce(s.story_key, n.item_key) AS story_key
    FROM v_news_public n
    JOIN v_item_tags_effective t ON t.item_kind = 'news' AND t.item_key = n.item_key AND t.dimension = 'priority'
    LEFT JOIN news_stories s ON s.item_key = n.item_key
)
SELECT t.month, t.priority_id, p.short_label AS priority_label,
       CAST(count(DISTINCT t.item_key) AS INTEGER) AS items, CAST(count(DISTINCT t.story_key) AS INTEGER) AS stories
  FROM tagged t LEFT JOIN priorities p USING (priority_id)
 GROUP BY ALL
 ORDER BY t.month NULLS LAST, t.priority_id;

-- Each NAIS measure with its status on date d (the latest recorded with as_of <= d; not_started when none)
-- and whether it is overdue: d is past its end year and it is neither done nor cancelled.
CREATE MACRO measures_status_as_of(d) AS TABLE
WITH measures AS (
  SELECT * FROM strategy_measures
  QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY source_id) = 1
),
latest AS (
  SELECT * FROM measure_status
   WHERE as_of <= CAST(d AS DATE)
  QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY as_of DESC, log_id DESC) = 1
)
SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing, m.lead_bodies,
       coalesce(l.status, 'not_started') AS status,
       l.as_of AS status_as_of, l.note AS status_note, coalesce(l.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls,
       l.recorded_by, l.recorded_at,
       coalesce(m.end_year IS NOT NULL AND year(CAST(d AS DATE)) > m.end_year
                AND coalesce(l.status, 'not_started') NOT IN ('done', 'cancelled'), false) AS overdue,
       CAST(d AS DATE) AS as_of_date
  FROM measures m
  LEFT JOIN latest l ON l.measure_id = m.measure_id
 ORDER BY m.priority_id, m.seq, m.measure_id;

CREATE MACRO measures_by_status_timeframe_as_of(d) AS TABLE
SELECT timeframe, start_year, end_year, status,
       CAST(count(*) AS INTEGER) AS measures, CAST(count(*) FILTER (WHERE overdue) AS INTEGER) AS overdue,
       as_of_date
  FROM measures_status_as_of(d)
 GROUP BY timeframe, start_year, end_year, status, as_of_date
 ORDER BY end_year NULLS LAST, start_year NULLS LAST, timeframe, status;

CREATE VIEW v_measures_status AS SELECT * FROM measures_status_as_of(current_date);
CREATE VIEW v_measures_by_status_timeframe AS SELECT * FROM measures_by_status_timeframe_as_of(current_date);
