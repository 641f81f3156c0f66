// Current indicator values (valid_to IS NULL) with units and, per value, the URL it was published at.
import { emit, query, table } from "../components/exports.js";

const series = await query(`
  SELECT o.indicator_code, i.name, i.unit, o.period, o.value, o.source_url, o.retrieved_at::VARCHAR AS retrieved_at
    FROM ${table("observations")} o
    JOIN ${table("indicators")} i USING (indicator_code, source_id)
   WHERE o.valid_to IS NULL AND o.value IS NOT NULL AND o.country_iso3 = 'KHM'
   ORDER BY o.indicator_code, o.period`);
const latest = await query(`
  SELECT DISTINCT ON (o.indicator_code) o.indicator_code, i.name, i.unit, o.period, o.value, o.source_url,
         o.retrieved_at::VARCHAR AS retrieved_at, count(*) OVER (PARTITION BY o.indicator_code)::INTEGER AS points
    FROM ${table("observations")} o
    JOIN ${table("indicators")} i USING (indicator_code, source_id)
   WHERE o.valid_to IS NULL AND o.value IS NOT NULL AND o.country_iso3 = 'KHM'
   ORDER BY o.indicator_code, o.period DESC`);
emit("indicators", { series, latest }, ["series", "latest"]);
