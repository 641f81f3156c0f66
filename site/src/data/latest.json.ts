// The overview's short lists: the newest reviewed incidents and policy news, and the measures' status
// counts per priority. Small on purpose; the full lists are on their own pages.
import { asOf, emit, query, table } from "./lib/exports.js";

const built = asOf();
const incidents = await query(`
  SELECT incident_key, title, occurred_on::VARCHAR AS occurred_on, date_precision, harm_types
    FROM ${table("incidents")} ORDER BY occurred_on DESC NULLS LAST, incident_key LIMIT 4`);
const news = await query(`
  SELECT item_key, title, canonical_url AS url, outlet, language, published_at::VARCHAR AS published_at
    FROM ${table("news_items")} ORDER BY published_at DESC NULLS LAST, item_key LIMIT 6`);
const [totals] = await query(`SELECT (SELECT count(*) FROM ${table("incidents")})::INTEGER AS incidents, (SELECT count(*) FROM ${table("news_items")})::INTEGER AS news,
                                     (SELECT count(DISTINCT coalesce(work_key, pub_key)) FROM ${table("publications")})::INTEGER AS publications`);
emit("latest", { as_of: built, incidents, news, totals }, []);
