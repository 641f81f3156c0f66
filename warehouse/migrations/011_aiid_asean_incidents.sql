-- 011: the AI Incident Database's incidents that name an ASEAN member (issue 14), for the regional counts
-- beside Cambodia's own record. Loaded like every record table (one source's complete set per load);
-- harm types come from the taxonomy's keyword rules (item_tags, item_kind 'aiid_asean').
CREATE TABLE aiid_asean_incidents (
  incident_id VARCHAR, occurred_on DATE, title VARCHAR, description VARCHAR, countries VARCHAR[], matched_terms VARCHAR[],
  source_id VARCHAR NOT NULL, snapshot_sha256 VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL, row_hash VARCHAR NOT NULL
);

-- Incidents per year, ASEAN member and harm type: an incident naming several members counts for each, one
-- with several harm types under each, one with none under a null harm_type. Counted once across sources.
CREATE VIEW v_aiid_asean_by_year_harm AS
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
