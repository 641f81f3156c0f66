-- 006: strategy monitoring (NAIS monitoring mechanism: quarterly progress checks, achievement reports at
-- the end of 2026 and 2028). Analysts record what happened to each governance-timeline activity; the
-- table macros judge every measure in every quarter and every planned activity against its date. Like
-- 005, anything that depends on "now" takes the moment as a parameter so a past report can be rebuilt.

-- What actually happened to a planned activity of the governance timeline, as analysts record it with
-- evidence: it happened (on_date), it was rescheduled (on_date is the new planned date) or cancelled.
-- Append-only like every curation table: the latest record per event (highest log_id) is in force.
CREATE TABLE event_outcomes (
  log_id        BIGINT PRIMARY KEY,
  event_id      VARCHAR NOT NULL,
  outcome       VARCHAR NOT NULL CHECK (outcome IN ('happened', 'rescheduled', 'cancelled')),
  on_date       DATE,
  note          VARCHAR NOT NULL,
  evidence_urls VARCHAR[] NOT NULL,
  recorded_by   VARCHAR NOT NULL,
  recorded_at   TIMESTAMPTZ NOT NULL,
  CHECK (outcome = 'cancelled' OR on_date IS NOT NULL)
);

-- (The views and macros this migration defined are in warehouse/views/, re-created on every open.)
