-- 015: derive touches only new or changed items (issue 17). What each item's rule tags were computed from
-- (a hash of the text the taxonomy reads), and fingerprints of the inputs of the derived tables plus the
-- taxonomy's hash: a run re-tags only items whose text changed, rebuilds stories, works and matches only
-- when their inputs changed, and re-tags everything once when the taxonomy changes (warehouse/derive.ts).
CREATE TABLE derive_inputs (
  item_kind   VARCHAR NOT NULL,
  item_key    VARCHAR NOT NULL,
  content_md5 VARCHAR NOT NULL,
  PRIMARY KEY (item_kind, item_key)
);

CREATE TABLE derive_state (
  name  VARCHAR PRIMARY KEY,   -- taxonomy_sha256, or the derived table whose inputs are fingerprinted
  value VARCHAR NOT NULL
);
