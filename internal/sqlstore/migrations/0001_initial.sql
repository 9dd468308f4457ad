-- The initial schema. Every table carries org_id; child rows reference
-- their parents by (org_id, id) so that no row can point into another
-- organisation. Times are microseconds since the Unix epoch, 0 for none.
-- {{bytes}} is BLOB on SQLite and BYTEA on PostgreSQL.

CREATE TABLE orgs (
	id         TEXT PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	version    BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- The last event of each organisation's chain. Write transactions lock
-- this row first, which serialises an organisation's writes.
CREATE TABLE audit_heads (
	org_id TEXT PRIMARY KEY REFERENCES orgs (id),
	seq    BIGINT NOT NULL,
	hash   TEXT NOT NULL
);

CREATE TABLE audit_events (
	org_id       TEXT NOT NULL REFERENCES orgs (id),
	seq          BIGINT NOT NULL,
	at           BIGINT NOT NULL,
	actor_member TEXT NOT NULL,
	actor_token  TEXT NOT NULL,
	action       TEXT NOT NULL,
	object       TEXT NOT NULL,
	before_hash  TEXT NOT NULL,
	after_hash   TEXT NOT NULL,
	detail       TEXT NOT NULL,
	prev_hash    TEXT NOT NULL,
	hash         TEXT NOT NULL,
	PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_events_object ON audit_events (org_id, object, seq);

CREATE TABLE members (
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	id         TEXT PRIMARY KEY,
	email      TEXT NOT NULL,
	name       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	role       TEXT NOT NULL,
	version    BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	UNIQUE (org_id, id),
	UNIQUE (org_id, email)
);
CREATE UNIQUE INDEX members_org_subject ON members (org_id, subject) WHERE subject <> '';
CREATE INDEX members_subject ON members (subject) WHERE subject <> '';

CREATE TABLE tokens (
	org_id       TEXT NOT NULL,
	id           TEXT PRIMARY KEY,
	member_id    TEXT NOT NULL,
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	hint         TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL,
	revoked_at   BIGINT NOT NULL,
	UNIQUE (org_id, id),
	FOREIGN KEY (org_id, member_id) REFERENCES members (org_id, id) ON DELETE CASCADE
);
CREATE INDEX tokens_member ON tokens (org_id, member_id);

CREATE TABLE documents (
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	version    BIGINT NOT NULL,
	hash       TEXT NOT NULL,
	size       BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	updated_by TEXT NOT NULL,
	deleted_at BIGINT NOT NULL,
	UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX documents_live_name ON documents (org_id, kind, name) WHERE deleted_at = 0;

CREATE TABLE revisions (
	org_id      TEXT NOT NULL,
	document_id TEXT NOT NULL,
	version     BIGINT NOT NULL,
	name        TEXT NOT NULL,
	hash        TEXT NOT NULL,
	size        BIGINT NOT NULL,
	content     {{bytes}} NOT NULL,
	author      TEXT NOT NULL,
	note        TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (document_id, version),
	FOREIGN KEY (org_id, document_id) REFERENCES documents (org_id, id)
);

CREATE TABLE publications (
	org_id       TEXT NOT NULL REFERENCES orgs (id),
	id           TEXT PRIMARY KEY,
	document_id  TEXT NOT NULL UNIQUE,
	name         TEXT NOT NULL,
	version      BIGINT NOT NULL,
	hash         TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	published_by TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	withdrawn_at BIGINT NOT NULL,
	UNIQUE (org_id, id),
	FOREIGN KEY (org_id, document_id) REFERENCES documents (org_id, id)
);

CREATE TABLE publication_versions (
	org_id         TEXT NOT NULL,
	publication_id TEXT NOT NULL,
	version        BIGINT NOT NULL,
	hash           TEXT NOT NULL,
	published_at   BIGINT NOT NULL,
	published_by   TEXT NOT NULL,
	PRIMARY KEY (publication_id, version),
	FOREIGN KEY (org_id, publication_id) REFERENCES publications (org_id, id)
);

CREATE TABLE subscriptions (
	org_id         TEXT NOT NULL REFERENCES orgs (id),
	id             TEXT PRIMARY KEY,
	publication_id TEXT NOT NULL REFERENCES publications (id),
	acknowledged   BIGINT NOT NULL,
	created_at     BIGINT NOT NULL,
	created_by     TEXT NOT NULL,
	UNIQUE (org_id, id),
	UNIQUE (org_id, publication_id)
);
CREATE INDEX subscriptions_publication ON subscriptions (publication_id);

CREATE TABLE signoffs (
	org_id         TEXT NOT NULL REFERENCES orgs (id),
	id             TEXT PRIMARY KEY,
	system_id      TEXT NOT NULL,
	system_version BIGINT NOT NULL,
	framework      TEXT NOT NULL,
	matrix_hash    TEXT NOT NULL,
	matrix         {{bytes}} NOT NULL,
	requested_by   TEXT NOT NULL,
	created_at     BIGINT NOT NULL,
	stale_at       BIGINT NOT NULL,
	stale_reason   TEXT NOT NULL,
	UNIQUE (org_id, id),
	FOREIGN KEY (org_id, system_id) REFERENCES documents (org_id, id)
);
CREATE INDEX signoffs_system ON signoffs (org_id, system_id);

-- What a sign-off's matrix was computed from: the organisation's own
-- documents (the system among them) and subscribed publications.
CREATE TABLE signoff_documents (
	org_id      TEXT NOT NULL,
	signoff_id  TEXT NOT NULL,
	document_id TEXT NOT NULL,
	version     BIGINT NOT NULL,
	PRIMARY KEY (signoff_id, document_id),
	FOREIGN KEY (org_id, signoff_id) REFERENCES signoffs (org_id, id),
	FOREIGN KEY (org_id, document_id) REFERENCES documents (org_id, id)
);
CREATE INDEX signoff_documents_document ON signoff_documents (org_id, document_id);

CREATE TABLE signoff_publications (
	org_id         TEXT NOT NULL,
	signoff_id     TEXT NOT NULL,
	publication_id TEXT NOT NULL REFERENCES publications (id),
	version        BIGINT NOT NULL,
	PRIMARY KEY (signoff_id, publication_id),
	FOREIGN KEY (org_id, signoff_id) REFERENCES signoffs (org_id, id)
);
CREATE INDEX signoff_publications_publication ON signoff_publications (publication_id);

-- The organisations that must sign; org_id here is the party's.
CREATE TABLE signoff_parties (
	org_id     TEXT NOT NULL REFERENCES orgs (id),
	signoff_id TEXT NOT NULL REFERENCES signoffs (id),
	position   BIGINT NOT NULL,
	PRIMARY KEY (signoff_id, org_id)
);
CREATE INDEX signoff_parties_org ON signoff_parties (org_id, signoff_id);

-- Signatures keep the signer's name, e-mail and role as they were, so
-- that removing a member does not rewrite what was signed.
CREATE TABLE signatures (
	org_id      TEXT NOT NULL,
	signoff_id  TEXT NOT NULL,
	member_id   TEXT NOT NULL,
	email       TEXT NOT NULL,
	name        TEXT NOT NULL,
	role        TEXT NOT NULL,
	matrix_hash TEXT NOT NULL,
	signed_at   BIGINT NOT NULL,
	PRIMARY KEY (signoff_id, member_id),
	FOREIGN KEY (signoff_id, org_id) REFERENCES signoff_parties (signoff_id, org_id)
);
