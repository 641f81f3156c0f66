-- Periods as the sources spell them (YYYY, YYYY-Qn / YYYYQn, YYYY-MM / YYYYMmm): their first day. The same rules as
-- sources/period.ts periodStart (test/unit/period.test.ts checks both agree).
-- Re-created after the migrations on every open (warehouse/db.ts createViews): this file is the current definition.

-- Periods come as YYYY, YYYY-Qn / YYYYQn and YYYY-MM / YYYYMmm (World Bank and analyst sheets): the first
-- day of the period, for ordering a series; null when the text is not a period.
CREATE OR REPLACE MACRO period_start(p) AS CASE
  WHEN regexp_full_match(p, '\d{4}') THEN make_date(CAST(p AS INTEGER), 1, 1)
  WHEN regexp_full_match(p, '\d{4}-?Q[1-4]') THEN make_date(CAST(p[1:4] AS INTEGER), (CAST(p[-1:] AS INTEGER) - 1) * 3 + 1, 1)
  WHEN regexp_full_match(p, '\d{4}(-|M)(0[1-9]|1[0-2])') THEN make_date(CAST(p[1:4] AS INTEGER), CAST(p[-2:] AS INTEGER), 1)
END;
