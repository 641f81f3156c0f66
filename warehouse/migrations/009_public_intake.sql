-- 009: the public incident intake (issue 16, NAIS measure 5.7). A report from the public is kept by the
-- intake process in its own folder with any contact detail; only its public part is registered here, when
-- its review opens. Contact data is never in the warehouse, so it can reach no export.
CREATE TABLE intake_reports (
  tracking_code  VARCHAR PRIMARY KEY,    -- what the reporter was given, e.g. R-7K3M-Q9TX
  received_at    TIMESTAMPTZ NOT NULL,
  what           VARCHAR NOT NULL,       -- what happened, as reported
  province       VARCHAR,                -- sources/provinces.yaml, or NULL when not said
  occurred       VARCHAR,                -- YYYY, YYYY-MM or YYYY-MM-DD as reported
  links          VARCHAR[] NOT NULL,     -- http(s) links the reporter gave
  report_sha256  VARCHAR NOT NULL,       -- of the stored public part: the published incident's provenance
  registered_at  TIMESTAMPTZ NOT NULL
);

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)
