-- The dashboard aggregates, computed from the public views.
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

-- Distinct works (publication_works.work_key), so a paper found by two sources counts once; a work's
-- year is the earliest its sources give.
CREATE OR REPLACE VIEW v_publications_by_year AS
WITH works AS (
  SELECT coalesce(work_key, source_id || ':' || pub_key) AS work, min(year) AS year, bool_or(coalesce(open_access, false)) AS open_access
    FROM v_publications_public
   GROUP BY ALL
)
SELECT year, CAST(count(*) AS INTEGER) AS works, CAST(count(*) FILTER (WHERE open_access) AS INTEGER) AS open_access_works
  FROM works
 GROUP BY year
 ORDER BY year NULLS LAST;

CREATE OR REPLACE VIEW v_publications_by_institution AS
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
CREATE OR REPLACE VIEW v_incidents_by_year_harm AS
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
CREATE OR REPLACE VIEW v_news_by_month_priority AS
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

-- Incidents per year, ASEAN member and harm type: an incident naming several members counts for each, one
-- with several harm types under each, one with none under a null harm_type. Counted once across sources.
CREATE OR REPLACE VIEW v_aiid_asean_by_year_harm AS
WITH one AS (
  SELECT * FROM aiid_asean_incidents QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY retrieved_at DESC, source_id) = 1
),
harms AS (
  SELECT item_key AS incident_id, list(DISTINCT tag ORDER BY tag) AS harm_types FROM item_tags
   WHERE item_kind = 'aiid_asean' AND dimension = 'harm' GROUP BY item_key
),
spread AS (
  SELECT o.incident_id, CAST(year(o.occurred_on) AS INTEGER) AS year, unnest(o.countries) AS country_iso3,
         CASE WHEN len(coalesce(h.harm_types, [])) > 0 THEN h.harm_types ELSE [CAST(NULL AS VARCHAR)] END AS harm_types
    FROM one o LEFT JOIN harms h ON h.incident_id = o.incident_id
),
flat AS (
  SELECT incident_id, year, country_iso3, unnest(harm_types) AS harm_type FROM spread
)
SELECT year, country_iso3, harm_type, CAST(count(DISTINCT incident_id) AS INTEGER) AS incidents
  FROM flat
 GROUP BY ALL
 ORDER BY year NULLS LAST, country_iso3, harm_type NULLS LAST;
