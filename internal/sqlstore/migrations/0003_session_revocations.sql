-- Web sessions live in signed cookies that every replica accepts; these
-- tables hold what ends a session before its cookie expires, so that every
-- replica refuses it at once. A session belongs to a person, not to an
-- organisation, so unlike every other table these carry no org_id. A row
-- matters only until the sessions it ends would have expired anyway
-- (expires_at, until_at); it is purged after that, by those indexes.
-- IF NOT EXISTS lets the step run again on a database whose migration
-- record was rolled back by hand.

-- Signed-out sessions, by the random id in their cookie.
CREATE TABLE IF NOT EXISTS session_revocations (
	id         TEXT PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_revocations_expiry ON session_revocations (expires_at);

-- "Sign out everywhere": every session of subject issued before before_at
-- is void. One row per subject; a later sign-out moves it forward.
CREATE TABLE IF NOT EXISTS session_cutoffs (
	subject   TEXT PRIMARY KEY,
	before_at BIGINT NOT NULL,
	until_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS session_cutoffs_until ON session_cutoffs (until_at);
