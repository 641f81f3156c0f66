-- 008: accountable curation (issue 16). Decisions are made by named analyst accounts, and a proposal
-- (a measure status, an activity's outcome, an analyst's corrected value) is approved by someone other
-- than whoever proposed or amended it. The who of each proposal and amendment is kept here.

-- review_decisions again, without the CHECK on kind: the kinds are warehouse/review.ts's reviewKinds, and a
-- new kind (a public report) should not need the table rebuilt each time. No view reads it.
CREATE TABLE review_decisions_v8 (
  log_id     BIGINT PRIMARY KEY,
  review_id  VARCHAR NOT NULL,
  kind       VARCHAR NOT NULL,
  item_key   VARCHAR NOT NULL,
  decision   VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject', 'edit')),
  fields     VARCHAR,
  decided_by VARCHAR NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL,
  reason     VARCHAR NOT NULL
);
INSERT INTO review_decisions_v8 SELECT * FROM review_decisions;
DROP TABLE review_decisions;
ALTER TABLE review_decisions_v8 RENAME TO review_decisions;

-- Who proposed an item, and who amended it before it was decided (an edit of a kind that needs a second
-- person is an amendment, not a decision). Each row has its curation_log entry (review_propose,
-- review_amend). The approver of a review must be none of its rows' proposed_by.
CREATE TABLE review_proposals (
  log_id      BIGINT PRIMARY KEY,
  review_id   VARCHAR NOT NULL,
  kind        VARCHAR NOT NULL,
  item_key    VARCHAR NOT NULL,
  action      VARCHAR NOT NULL CHECK (action IN ('propose', 'amend')),
  fields      VARCHAR NOT NULL,          -- JSON of what was proposed, or of the fields the amendment set
  proposed_by VARCHAR NOT NULL,
  proposed_at TIMESTAMPTZ NOT NULL,
  reason      VARCHAR NOT NULL
);
