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

-- The quarters of the strategy's monitoring cycle, from 2025-Q1 to the quarter holding d.
CREATE MACRO nais_quarters(d) AS TABLE
SELECT CAST(year(q) AS VARCHAR) || '-Q' || CAST(quarter(q) AS VARCHAR) AS quarter,
       CAST(q AS DATE) AS quarter_start,
       CAST(q + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_end
  FROM generate_series(TIMESTAMP '2025-01-01', CAST(date_trunc('quarter', CAST(d AS DATE)) AS TIMESTAMP), INTERVAL 3 MONTH) AS t(q);

-- Every measure in every quarter up to d (days counted inclusively, so 2025-2026 is half gone at the end
-- of 2025), judged at the quarter's end (or at d for the quarter still
-- running) from the statuses recorded by then:
--   done / cancelled   as recorded;
--   overdue            past the last year of its timeframe and not done;
--   not_due            its timeframe has not begun and nothing has started;
--   on_track           in progress within its timeframe (or early);
--   slipping           not started although half of its timeframe has passed;
--   not_started        not started, less than half of its timeframe gone;
--   undated            the strategy gives it no timeframe.
-- updated_in_quarter says whether a status was recorded during the quarter (the quarterly check).
CREATE MACRO measures_quarterly_as_of(d) AS TABLE
WITH measures AS (
  SELECT * FROM strategy_measures
  QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY source_id) = 1
),
grid AS (
  SELECT q.quarter, q.quarter_start, q.quarter_end, least(q.quarter_end, CAST(d AS DATE)) AS judged_on, m.*
    FROM nais_quarters(d) q CROSS JOIN measures m
),
judged AS (
  SELECT g.*, s.status AS recorded_status, s.as_of AS status_as_of, s.note AS status_note, s.evidence_urls,
         s.recorded_by, s.recorded_at,
         CASE WHEN g.start_year IS NOT NULL AND g.end_year IS NOT NULL THEN
           greatest(0, least(1,
             (g.judged_on - make_date(g.start_year, 1, 1) + 1) / (make_date(g.end_year, 12, 31) - make_date(g.start_year, 1, 1) + 1)))
         END AS timeframe_elapsed
    FROM grid g
    LEFT JOIN LATERAL (
      SELECT * FROM measure_status ms
       WHERE ms.measure_id = g.measure_id AND ms.as_of <= g.judged_on
       ORDER BY ms.as_of DESC, ms.log_id DESC LIMIT 1
    ) s ON true
)
SELECT quarter, quarter_start, quarter_end, judged_on, measure_id, priority_id, seq, timeframe, start_year, end_year,
       ongoing, lead_bodies,
       coalesce(recorded_status, 'not_started') AS status,
       CASE
         WHEN recorded_status = 'done' THEN 'done'
         WHEN recorded_status = 'cancelled' THEN 'cancelled'
         WHEN end_year IS NOT NULL AND year(judged_on) > end_year THEN 'overdue'
         WHEN start_year IS NULL THEN 'undated'
         WHEN year(judged_on) < start_year AND recorded_status IS DISTINCT FROM 'in_progress' THEN 'not_due'
         WHEN recorded_status = 'in_progress' THEN 'on_track'
         WHEN timeframe_elapsed >= 0.5 THEN 'slipping'
         ELSE 'not_started'
       END AS progress,
       CAST(round(timeframe_elapsed, 4) AS DOUBLE) AS timeframe_elapsed,
       status_as_of, status_note, coalesce(evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls, recorded_by, recorded_at,
       coalesce(status_as_of BETWEEN quarter_start AND quarter_end, false) AS updated_in_quarter,
       CAST(d AS DATE) AS as_of_date
  FROM judged
 ORDER BY quarter, priority_id, seq, measure_id;

-- Counts per quarter, priority and progress: the figures of a quarterly report.
CREATE MACRO measures_quarterly_summary_as_of(d) AS TABLE
SELECT quarter, priority_id, progress, CAST(count(*) AS INTEGER) AS measures,
       CAST(count(*) FILTER (WHERE updated_in_quarter) AS INTEGER) AS updated_in_quarter, as_of_date
  FROM measures_quarterly_as_of(d)
 GROUP BY ALL
 ORDER BY quarter, priority_id, progress;

-- Each governance-timeline activity's planned date compared with what happened, judged on d:
--   done         reported done in the press release, or recorded as happened (days_late when after its date);
--   cancelled    recorded as cancelled;
--   slipped      its deadline (or the date it was due on) has passed and nothing records it happening;
--   unconfirmed  a "starting from" date has passed and nothing records it starting;
--   planned      its date is still ahead;
--   undated      no date was given.
-- A month or year printed alone is due by its last day.
CREATE MACRO events_progress_as_of(d) AS TABLE
WITH ev AS (
  SELECT * FROM events
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY source_id) = 1
),
outcome AS (
  SELECT * FROM event_outcomes
   WHERE CAST(recorded_at AS DATE) <= CAST(d AS DATE)
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY log_id DESC) = 1
),
planned AS (
  SELECT e.*, o.outcome, o.on_date, o.note AS outcome_note, o.evidence_urls, o.recorded_by, o.recorded_at,
         CASE e.date_precision
           WHEN 'month' THEN last_day(coalesce(e.date_end, e.date_start))
           WHEN 'year' THEN make_date(year(coalesce(e.date_end, e.date_start)), 12, 31)
           ELSE coalesce(e.date_end, e.date_start)
         END AS printed_due_on
    FROM ev e LEFT JOIN outcome o USING (event_id)
),
due AS (
  SELECT *, CASE WHEN outcome = 'rescheduled' THEN on_date ELSE printed_due_on END AS due_on FROM planned
)
SELECT event_id, track, title, status AS reported_status, reported_on, date_text, deadline_kind,
       printed_due_on, due_on, outcome, on_date AS outcome_on, outcome_note,
       coalesce(evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls, recorded_by, recorded_at,
       CASE
         WHEN outcome = 'cancelled' THEN 'cancelled'
         WHEN outcome = 'happened' OR status = 'done' THEN 'done'
         WHEN due_on IS NULL THEN 'undated'
         WHEN due_on < CAST(d AS DATE) AND deadline_kind = 'from' THEN 'unconfirmed'
         WHEN due_on < CAST(d AS DATE) THEN 'slipped'
         ELSE 'planned'
       END AS state,
       CAST(CASE
         WHEN outcome = 'happened' AND printed_due_on IS NOT NULL AND deadline_kind IS DISTINCT FROM 'from' THEN greatest(0, on_date - printed_due_on)
         WHEN outcome IS NULL AND status <> 'done' AND due_on < CAST(d AS DATE) AND deadline_kind IS DISTINCT FROM 'from' THEN CAST(d AS DATE) - due_on
       END AS INTEGER) AS days_late,
       document_url, CAST(d AS DATE) AS as_of_date
  FROM due
 ORDER BY coalesce(due_on, printed_due_on) NULLS LAST, event_id;
