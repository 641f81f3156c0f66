-- 012: one incident known to two sources is shown once (issue 14). A run derives likely matches between an
-- analysts' entry and another source's record (warehouse/derive.ts); each opens a `match` review. While a
-- match waits, and once it is approved, the other source's record is not shown on its own: an approved
-- match is the analysts' incident citing both (the other record's links and key added to it); a rejected
-- match leaves two incidents.

-- Derived on every run; decisions live in incident_match_reviews and are never replaced by a run.
CREATE TABLE incident_matches (
  match_key     VARCHAR PRIMARY KEY,     -- <kept_key>|<duplicate_key>
  kept_key      VARCHAR NOT NULL,        -- the analysts' entry
  duplicate_key VARCHAR NOT NULL,        -- the other source's record of the same incident
  similarity    DOUBLE NOT NULL,         -- Jaccard of the words and word pairs of title and description
  days_apart    INTEGER NOT NULL,
  detected_at   TIMESTAMPTZ NOT NULL
);

-- Analysts' decisions on matches (append-only; the highest log_id per match is in force).
CREATE TABLE incident_match_reviews (
  log_id        BIGINT PRIMARY KEY,      -- the decision's entry in curation_log
  match_key     VARCHAR NOT NULL,
  kept_key      VARCHAR NOT NULL,
  duplicate_key VARCHAR NOT NULL,
  decision      VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject')),
  decided_by    VARCHAR NOT NULL,
  decided_at    TIMESTAMPTZ NOT NULL,
  reason        VARCHAR NOT NULL
);

-- review_decisions takes the kind `match` as it is: 008 left its kinds to warehouse/review.ts.

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)
