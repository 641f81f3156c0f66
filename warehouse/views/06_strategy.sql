-- NAIS measures and governance activities as of a date (macros taking the date), and the views that call them with today.
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

-- Each NAIS measure with its status on date d (the latest recorded with as_of <= d; not_started when none)
-- and whether it is overdue: d is past its end year and it is neither done nor cancelled.
CREATE OR REPLACE MACRO measures_status_as_of(d) AS TABLE
WITH measures AS (
  SELECT * FROM strategy_measures
  QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY source_id) = 1
),
latest AS (
  SELECT * FROM measure_status
   WHERE as_of <= CAST(d AS DATE)
  QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY as_of DESC, log_id DESC) = 1
)
SELECT m.measure_id, m.priority_id, m.seq, m.text, m.timeframe, m.start_year, m.end_year, m.ongoing, m.lead_bodies,
       coalesce(l.status, 'not_started') AS status,
       l.as_of AS status_as_of, l.note AS status_note, coalesce(l.evidence_urls, CAST([] AS VARCHAR[])) AS evidence_urls,
       l.recorded_by, l.recorded_at,
       coalesce(m.end_year IS NOT NULL AND year(CAST(d AS DATE)) > m.end_year
                AND coalesce(l.status, 'not_started') NOT IN ('done', 'cancelled'), false) AS overdue,
       CAST(d AS DATE) AS as_of_date
  FROM measures m
  LEFT JOIN latest l ON l.measure_id = m.measure_id
 ORDER BY m.priority_id, m.seq, m.measure_id;

CREATE OR REPLACE MACRO measures_by_status_timeframe_as_of(d) AS TABLE
SELECT timeframe, start_year, end_year, status,
       CAST(count(*) AS INTEGER) AS measures, CAST(count(*) FILTER (WHERE overdue) AS INTEGER) AS overdue,
       as_of_date
  FROM measures_status_as_of(d)
 GROUP BY timeframe, start_year, end_year, status, as_of_date
 ORDER BY end_year NULLS LAST, start_year NULLS LAST, timeframe, status;

CREATE OR REPLACE VIEW v_measures_status AS SELECT * FROM measures_status_as_of(current_date);

CREATE OR REPLACE VIEW v_measures_by_status_timeframe AS SELECT * FROM measures_by_status_timeframe_as_of(current_date);

-- The quarters of the strategy's monitoring cycle, from 2025-Q1 to the quarter holding d.
CREATE OR REPLACE MACRO nais_quarters(d) AS TABLE
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
CREATE OR REPLACE MACRO measures_quarterly_as_of(d) AS TABLE
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
CREATE OR REPLACE MACRO measures_quarterly_summary_as_of(d) AS TABLE
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
CREATE OR REPLACE MACRO events_progress_as_of(d) AS TABLE
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
