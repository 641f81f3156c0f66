// The AI use cases register with the documents its entries come from. An empty register is legitimate
// (the page says so).
import { asOf, emit, hasTable, query, table } from "./lib/exports.js";

const built = asOf();
const useCases = hasTable("ai_use_cases")
  ? await query(`
      SELECT u.use_case_id, u.name, u.what_it_does, u.run_by, u.partner, u.status, u.sector_direction, d.title AS sector_title,
             u.nais_measure, u.link, u.document_id, doc.title AS document_title, doc.publisher AS document_publisher,
             doc.published AS document_date, doc.url AS document_url, u.section, u.note, u.retrieved_at::VARCHAR AS retrieved_at
        FROM ${table("ai_use_cases")} u
        LEFT JOIN (SELECT DISTINCT direction_id, title FROM ${table("strategy_sector_directions")}) d ON d.direction_id = u.sector_direction
        LEFT JOIN (SELECT DISTINCT ON (document_id) * FROM ${table("documents")} ORDER BY document_id, retrieved_at DESC) doc ON doc.document_id = u.document_id
       ORDER BY u.name`)
  : [];
emit("use-cases", { as_of: built, use_cases: useCases }, []);
