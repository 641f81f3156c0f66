// The record tables that parsers stage and the load merges into the warehouse. One spec per table
// drives the staged Parquet schema, the merge SQL and the parsers' row types, so they cannot drift.

type SqlType = "VARCHAR" | "INTEGER" | "DOUBLE" | "BOOLEAN" | "DATE" | "TIMESTAMPTZ" | "VARCHAR[]";

/**
 * How a source's staged rows merge:
 * - `snapshot`: the staged rows are the source's complete current set (reference data); changed
 *   rows are replaced and rows the source no longer lists are removed.
 * - `versioned`: a changed value closes the open row (`valid_to`) and adds a new one (docs/architecture.md rule 5).
 * - `upsert`: feeds and APIs that return only recent items: new keys are added, changed rows replaced,
 *   and nothing is removed because a later page no longer lists it.
 */
type MergeMode = "snapshot" | "versioned" | "upsert";

interface TableSpec {
  mode: MergeMode;
  /** Natural key within one source (the source id is always part of the key as well). */
  key: readonly string[];
  columns: Readonly<Record<string, SqlType>>;
}

export const recordTables = {
  strategy_priorities: {
    mode: "snapshot",
    key: ["priority_id"],
    columns: { priority_id: "INTEGER", title: "VARCHAR", short_label: "VARCHAR" },
  },
  strategy_measures: {
    mode: "snapshot",
    key: ["measure_id"],
    columns: {
      measure_id: "VARCHAR",
      priority_id: "INTEGER",
      seq: "INTEGER",
      text: "VARCHAR",
      timeframe: "VARCHAR",
      start_year: "INTEGER",
      end_year: "INTEGER",
      ongoing: "BOOLEAN",
      lead_bodies: "VARCHAR[]",
      participating_bodies: "VARCHAR[]",
      entities_text: "VARCHAR",
      note: "VARCHAR",
    },
  },
  strategy_flagships: {
    mode: "snapshot",
    key: ["flagship_id"],
    columns: {
      flagship_id: "VARCHAR",
      priority_id: "INTEGER",
      text: "VARCHAR",
      measure_ids: "VARCHAR[]",
      roles: "VARCHAR[]",
      note: "VARCHAR",
    },
  },
  strategy_sector_directions: {
    mode: "snapshot",
    key: ["direction_id"],
    columns: { direction_id: "VARCHAR", title: "VARCHAR", sector_group: "VARCHAR", focus_areas: "VARCHAR[]", note: "VARCHAR" },
  },
  events: {
    mode: "snapshot",
    key: ["event_id"],
    columns: {
      event_id: "VARCHAR",
      track: "VARCHAR",
      title: "VARCHAR",
      status: "VARCHAR",
      date_start: "DATE",
      date_end: "DATE",
      date_precision: "VARCHAR",
      date_text: "VARCHAR",
      deadline_kind: "VARCHAR",
      reported_in: "VARCHAR",
      reported_on: "DATE",
      document_url: "VARCHAR",
      note: "VARCHAR",
    },
  },
  indicators: {
    mode: "snapshot",
    key: ["indicator_code"],
    columns: { indicator_code: "VARCHAR", name: "VARCHAR", unit: "VARCHAR", source_note: "VARCHAR" },
  },
  observations: {
    mode: "versioned",
    key: ["indicator_code", "country_iso3", "period"],
    columns: {
      indicator_code: "VARCHAR",
      country_iso3: "VARCHAR",
      period: "VARCHAR",
      value: "DOUBLE",
      source_url: "VARCHAR",
    },
  },
  publications: {
    mode: "upsert",
    key: ["pub_key"],
    columns: {
      pub_key: "VARCHAR",
      doi: "VARCHAR",
      arxiv_id: "VARCHAR",
      openalex_id: "VARCHAR",
      title: "VARCHAR",
      abstract: "VARCHAR",
      year: "INTEGER",
      published_on: "DATE",
      venue: "VARCHAR",
      authors: "VARCHAR[]",
      institutions: "VARCHAR[]",
      institution_countries: "VARCHAR[]",
      topics: "VARCHAR[]",
      language: "VARCHAR",
      open_access: "BOOLEAN",
      oa_status: "VARCHAR",
      cited_by: "INTEGER",
      url: "VARCHAR",
    },
  },
  news_items: {
    mode: "upsert",
    key: ["item_key"],
    columns: {
      item_key: "VARCHAR",
      canonical_url: "VARCHAR",
      title: "VARCHAR",
      summary: "VARCHAR",
      published_at: "TIMESTAMPTZ",
      outlet: "VARCHAR",
      language: "VARCHAR",
      categories: "VARCHAR[]",
      kind: "VARCHAR",
    },
  },
  incidents: {
    mode: "upsert",
    key: ["incident_key"],
    columns: {
      incident_key: "VARCHAR",
      source_incident_id: "VARCHAR",
      occurred_on: "DATE",
      date_precision: "VARCHAR",
      title: "VARCHAR",
      description: "VARCHAR",
      deployers: "VARCHAR[]",
      developers: "VARCHAR[]",
      harmed_parties: "VARCHAR[]",
      harm_types: "VARCHAR[]",
      sector: "VARCHAR",
      severity: "VARCHAR",
      province: "VARCHAR",
      status: "VARCHAR",
      report_urls: "VARCHAR[]",
    },
  },
  /** Documents the analysts' sheets cite (sources/curated/documents.yaml); url null: not online. */
  documents: {
    mode: "snapshot",
    key: ["document_id"],
    columns: {
      document_id: "VARCHAR",
      title: "VARCHAR",
      publisher: "VARCHAR",
      published: "VARCHAR",
      date_note: "VARCHAR",
      url: "VARCHAR",
      note: "VARCHAR",
    },
  },
  /**
   * What each figure of the analysts' indicator sheet is: a value or a target (what it is a target for, when
   * due, under which NAIS measure), and the document and section it comes from.
   */
  sheet_figures: {
    mode: "snapshot",
    key: ["indicator_code", "country_iso3", "period"],
    columns: {
      indicator_code: "VARCHAR",
      country_iso3: "VARCHAR",
      period: "VARCHAR",
      figure_kind: "VARCHAR",
      document_id: "VARCHAR",
      section: "VARCHAR",
      target_of: "VARCHAR",
      due_year: "INTEGER",
      nais_measure: "VARCHAR",
    },
  },
  /** The AI use cases register (sources/curated/use-cases.yaml). */
  ai_use_cases: {
    mode: "snapshot",
    key: ["use_case_id"],
    columns: {
      use_case_id: "VARCHAR",
      name: "VARCHAR",
      what_it_does: "VARCHAR",
      run_by: "VARCHAR",
      partner: "VARCHAR",
      status: "VARCHAR",
      sector_direction: "VARCHAR",
      nais_measure: "VARCHAR",
      link: "VARCHAR",
      document_id: "VARCHAR",
      section: "VARCHAR",
      note: "VARCHAR",
    },
  },
  /** Every AI Incident Database incident that names an ASEAN member (sources/asean.ts), for regional counts. */
  aiid_asean_incidents: {
    mode: "snapshot",
    key: ["incident_id"],
    columns: {
      incident_id: "VARCHAR",
      occurred_on: "DATE",
      title: "VARCHAR",
      description: "VARCHAR",
      countries: "VARCHAR[]",
      matched_terms: "VARCHAR[]",
    },
  },
} as const satisfies Record<string, TableSpec>;

export type RecordTable = keyof typeof recordTables;
export const recordTableNames = Object.keys(recordTables) as RecordTable[];

type TsOf<T> = T extends "VARCHAR" | "DATE" | "TIMESTAMPTZ"
  ? string
  : T extends "INTEGER" | "DOUBLE"
    ? number
    : T extends "BOOLEAN"
      ? boolean
      : T extends "VARCHAR[]"
        ? string[]
        : never;

/** A staged row of table N: every column present, null where unknown. */
export type RowOf<N extends RecordTable> = {
  [C in keyof (typeof recordTables)[N]["columns"]]: TsOf<(typeof recordTables)[N]["columns"][C]> | null;
};

/** Columns every staged and warehouse row carries so it can be traced to its capture (rule 5). */
export const provenanceColumns = {
  source_id: "VARCHAR",
  snapshot_sha256: "VARCHAR",
  retrieved_at: "TIMESTAMPTZ",
  row_hash: "VARCHAR",
} as const;

export function columnsOf(table: RecordTable): Array<[string, string]> {
  return [...Object.entries(recordTables[table].columns), ...Object.entries(provenanceColumns)];
}
