-- A sign-off's matrix (megabytes for a large framework) moves to a table
-- of its own, so that listing sign-offs reads their small columns only:
-- SQLite stores a row's columns in order and had to step over the matrix
-- to reach those after it.
CREATE TABLE signoff_matrices (
	org_id     TEXT NOT NULL,
	signoff_id TEXT PRIMARY KEY,
	matrix     {{bytes}} NOT NULL,
	FOREIGN KEY (org_id, signoff_id) REFERENCES signoffs (org_id, id)
);
INSERT INTO signoff_matrices (org_id, signoff_id, matrix) SELECT org_id, id, matrix FROM signoffs;
ALTER TABLE signoffs DROP COLUMN matrix;
