// Reviewed AI incidents involving Cambodia (the export holds no unreviewed candidates), each with its
// reports, tags and the analysts' decisions about it from curation_log. An empty list is legitimate
// (the offline snapshot may hold none); the page says so.
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";
import { tagLabels } from "./lib/taxonomy.js";
import { aseanMatchRule } from "../../../sources/asean.js";
import { incidentMatchRule } from "../../../warehouse/derive.js";

const built = asOf();
const incidents = await query(`
  SELECT i.incident_key, i.source_incident_id, i.occurred_on::VARCHAR AS occurred_on, i.date_precision, i.title, i.description,
         i.deployers, i.developers, i.harmed_parties, i.harm_types, i.sector, i.severity, i.province, i.status,
         i.report_urls, i.also_recorded_as, i.source_id, s.title AS source_title, i.retrieved_at::VARCHAR AS retrieved_at
    FROM ${table("incidents")} i LEFT JOIN ${table("sources")} s USING (source_id)
   ORDER BY i.occurred_on DESC NULLS LAST, i.incident_key`);
const tags = hasTable("item_tags")
  ? await query(`SELECT item_key, dimension, tag, tag_source FROM ${table("item_tags")}
                  WHERE item_kind = 'incident' AND dimension IN ('priority', 'sector', 'harm') ORDER BY item_key, dimension, tag`)
  : [];
const decisions = hasTable("curation_log")
  ? await query(`SELECT log_id::INTEGER AS log_id, logged_at::VARCHAR AS logged_at, actor, action, target_key, field, old_value, new_value, reason
                   FROM ${table("curation_log")} WHERE target_kind = 'incident' ORDER BY target_key, logged_at, log_id`)
  : [];
const byYearHarm = await query(`
  SELECT year::INTEGER AS year, coalesce(harm_type, 'none recorded') AS harm_type, incidents::INTEGER AS incidents
    FROM ${table("incidents_by_year_harm")} ORDER BY year, harm_type`);

// The region beside Cambodia: AI Incident Database incidents naming each ASEAN member, per year and harm type.
const regional = hasTable("aiid_asean_by_year_harm")
  ? await query(`SELECT year::INTEGER AS year, country_iso3, coalesce(harm_type, 'none recorded') AS harm_type, incidents::INTEGER AS incidents
                   FROM ${table("aiid_asean_by_year_harm")} ORDER BY year, country_iso3, harm_type`)
  : [];
const regionalTotals = hasTable("aiid_asean_incidents")
  ? await query(`SELECT c.country_iso3, count(DISTINCT a.incident_id)::INTEGER AS incidents, min(year(a.occurred_on))::INTEGER AS first_year,
                        max(year(a.occurred_on))::INTEGER AS last_year
                   FROM ${table("aiid_asean_incidents")} a, unnest(a.countries) AS c(country_iso3) GROUP BY ALL ORDER BY incidents DESC, country_iso3`)
  : [];
const regionalSource = hasTable("aiid_asean_incidents")
  ? await query(`SELECT DISTINCT s.title, s.licence, s.attribution, a.retrieved_at::VARCHAR AS retrieved_at,
                        (SELECT count(DISTINCT incident_id) FROM ${table("aiid_asean_incidents")})::INTEGER AS incidents
                   FROM ${table("aiid_asean_incidents")} a JOIN ${table("sources")} s USING (source_id)`)
  : [];

const matches = hasTable("incident_matches")
  ? await query(`SELECT match_key, kept_key, duplicate_key, similarity, days_apart, decision FROM ${table("incident_matches")} ORDER BY match_key`)
  : [];

const rows = incidents.map((i) => ({
  ...i,
  tags: tags.filter((t) => t.item_key === i.incident_key).map(({ dimension, tag, tag_source }) => ({ dimension, tag, tag_source })),
  decisions: decisions.filter((d) => d.target_key === i.incident_key),
}));
emit(
  "incidents",
  { as_of: built, incidents: rows, by_year_harm: byYearHarm, labels: await tagLabels(), regional, regional_totals: regionalTotals, regional_source: regionalSource, asean_match_rule: aseanMatchRule, match_rule: incidentMatchRule, matches },
  [],
);
