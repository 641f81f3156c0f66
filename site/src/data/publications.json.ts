// Research: one row per work (a paper found by OpenAlex and arXiv counts once), flagged when it is Khmer
// language technology, with counts per year, institution and topic aggregated in DuckDB. Empty is legitimate.
import { asOf, emit, query, table } from "./lib/exports.js";

const built = asOf();
// Khmer-language technology: the language is Khmer, an analysts' sheet files it under that topic, or the title
// or abstract names Khmer (in Latin or Khmer script).
const khmer = `(p.language = 'km' OR list_contains(coalesce(p.topics, []), 'Khmer language technology') OR regexp_matches(coalesce(p.title, '') || ' ' || coalesce(p.abstract, ''), '(?i)khmer|[\\x{1780}-\\x{17FF}]'))`;
const works = await query(`
  WITH p AS (SELECT coalesce(work_key, 'pub:' || source_id || '/' || pub_key) AS work_key, * EXCLUDE (work_key) FROM ${table("publications")})
  SELECT work_key, any_value(title ORDER BY source_id) AS title, min(year)::INTEGER AS year, max(doi) AS doi, max(arxiv_id) AS arxiv_id,
         any_value(url ORDER BY source_id) AS url, any_value(venue ORDER BY venue IS NULL) AS venue,
         any_value(authors ORDER BY len(authors) DESC) AS authors,
         list_distinct(flatten(list(institutions))) AS institutions, list_distinct(flatten(list(topics))) AS topics,
         bool_or(coalesce(open_access, false)) AS open_access, max(cited_by)::INTEGER AS cited_by,
         bool_or(${khmer}) AS khmer, list_distinct(list(source_id)) AS sources, max(retrieved_at)::VARCHAR AS retrieved_at
    FROM p GROUP BY work_key ORDER BY year DESC NULLS LAST, title LIMIT 3000`);
const byYear = await query(`SELECT year::INTEGER AS year, works::INTEGER AS works, open_access_works::INTEGER AS open_access_works
                              FROM ${table("publications_by_year")} WHERE year IS NOT NULL ORDER BY year`);
const byInstitution = await query(`SELECT institution, works::INTEGER AS works, first_year::INTEGER AS first_year, last_year::INTEGER AS last_year
                                     FROM ${table("publications_by_institution")} ORDER BY works DESC, institution LIMIT 25`);
const byTopic = await query(`
  WITH w AS (SELECT DISTINCT coalesce(work_key, pub_key) AS work_key, unnest(topics) AS topic FROM ${table("publications")})
  SELECT topic, count(DISTINCT work_key)::INTEGER AS works FROM w GROUP BY topic ORDER BY works DESC, topic LIMIT 25`);
const [sources] = await query(`SELECT list_distinct(list(source_id)) AS ids, max(retrieved_at)::VARCHAR AS newest FROM ${table("publications")}`);
// The analysts' sheets of publications (sources with the publication-sheet parser): where their lists come from.
const sheets = await query(`SELECT s.source_id, s.title, s.attribution, s.licence, count(p.pub_key)::INTEGER AS papers, max(p.retrieved_at)::VARCHAR AS retrieved_at
                              FROM ${table("sources")} s JOIN ${table("publications")} p USING (source_id)
                             WHERE s.parser = 'publication-sheet' GROUP BY ALL ORDER BY s.source_id`);
emit("publications", { sheets, as_of: built, works, by_year: byYear, by_institution: byInstitution, by_topic: byTopic, sources }, []);
