-- 010: a capture says exactly what it is (issue 14). Bundled snapshot captures may replay a URL with a
-- file retrieved elsewhere (a mirror of the producer's data, at a commit): who produced the facts, under
-- which licence, and the file the bytes really came from. Null for live and repo captures.
ALTER TABLE snapshots ADD COLUMN producer VARCHAR;
ALTER TABLE snapshots ADD COLUMN licence VARCHAR;
ALTER TABLE snapshots ADD COLUMN retrieved_from_url VARCHAR;
ALTER TABLE snapshots ADD COLUMN mirror VARCHAR;
ALTER TABLE snapshots ADD COLUMN mirror_repository VARCHAR;
ALTER TABLE snapshots ADD COLUMN mirror_commit VARCHAR;
