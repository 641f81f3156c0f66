-- 004: data quality results, one row per check per pipeline run (warehouse/quality.ts). A run's rows are
-- replaced whole when its checks are re-run, so the table always says what the last check of that run found.

CREATE TABLE quality_results (
  run_id        VARCHAR NOT NULL,
  checked_at    TIMESTAMPTZ NOT NULL,
  check_name    VARCHAR NOT NULL,     -- e.g. range/IT.NET.USER.ZS, orphans/item_tags.item_key, duplicates/observations, freshness/aiid
  severity      VARCHAR NOT NULL CHECK (severity IN ('error', 'warning')),  -- a failed error blocks the export
  status        VARCHAR NOT NULL CHECK (status IN ('pass', 'fail')),
  failing_count INTEGER NOT NULL,     -- rows (or keys, or sources) that failed
  examples      VARCHAR[] NOT NULL,   -- up to a few failing rows, each named so an analyst can find it
  PRIMARY KEY (run_id, check_name)
);
