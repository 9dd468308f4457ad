package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/demarc-io/demarc"
)

const documentColumns = `id, org_id, kind, name, version, hash, size, created_at, created_by, updated_at, updated_by, deleted_at`

func scanDocument(r Row) (demarc.Document, error) {
	var d demarc.Document
	var created, updated, deleted int64
	err := r.Scan(&d.ID, &d.Org, &d.Kind, &d.Name, &d.Version, &d.Hash, &d.Size, &created, &d.CreatedBy, &updated, &d.UpdatedBy, &deleted)
	d.Created, d.Updated, d.Deleted = fromMicros(created), fromMicros(updated), fromMicros(deleted)
	return d, err
}

// revisionColumns reads a revision joined with its document (d) for the
// kind; content is selected separately where it is wanted.
const revisionColumns = `r.document_id, r.org_id, d.kind, r.name, r.version, r.hash, r.size, r.author, r.note, r.created_at`

func scanRevision(r Row, content bool) (demarc.Revision, error) {
	var v demarc.Revision
	var created int64
	dest := []any{&v.Document, &v.Org, &v.Kind, &v.Name, &v.Version, &v.Hash, &v.Size, &v.Author, &v.Note, &created}
	if content {
		dest = append(dest, &v.Content)
	}
	err := r.Scan(dest...)
	v.Created = fromMicros(created)
	return v, err
}

func scanRevisionMeta(r Row) (demarc.Revision, error) { return scanRevision(r, false) }

// CreateDocument implements demarc.DocumentStore.
func (s *Store) CreateDocument(ctx context.Context, by demarc.Actor, org demarc.OrgID, in demarc.DocumentInput) (*demarc.Revision, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("create document", err)
	}
	var rev *demarc.Revision
	err := s.write(ctx, "create document", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		if err := w.nameFree(org, in.Kind, in.Name, ""); err != nil {
			return err
		}
		id := demarc.DocumentID(demarc.NewID("doc"))
		rev = w.newRevision(org, id, 1, in)
		_, err := w.Exec(ctx, `INSERT INTO documents (`+documentColumns+`) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $7, $8, 0)`,
			id, org, in.Kind, in.Name, rev.Hash, rev.Size, micros(w.now), rev.Author)
		if err != nil {
			return err
		}
		if err := w.insertRevision(rev); err != nil {
			return err
		}
		return w.event(org, demarc.ActionDocumentCreate, object("document", id), "", rev.Hash, fmt.Sprintf("%s %s version 1", in.Kind, in.Name))
	})
	return rev, err
}

func (w *writer) newRevision(org demarc.OrgID, id demarc.DocumentID, version int, in demarc.DocumentInput) *demarc.Revision {
	return &demarc.Revision{
		Document: id, Org: org, Kind: in.Kind, Name: in.Name, Version: version,
		Hash: demarc.HashContent(in.Content), Size: len(in.Content), Author: w.by.Member, Note: in.Note,
		Created: w.now, Content: bytes.Clone(in.Content),
	}
}

func (w *writer) insertRevision(r *demarc.Revision) error {
	_, err := w.Exec(w.ctx, `INSERT INTO revisions (org_id, document_id, version, name, hash, size, content, author, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.Org, r.Document, r.Version, r.Name, r.Hash, r.Size, r.Content, r.Author, r.Note, micros(r.Created))
	return err
}

// nameFree checks that no other live document of org has kind and name.
func (w *writer) nameFree(org demarc.OrgID, kind demarc.DocKind, name string, self demarc.DocumentID) error {
	taken, err := w.exists(`SELECT count(*) FROM documents WHERE org_id = $1 AND kind = $2 AND name = $3 AND deleted_at = 0 AND id <> $4`, org, kind, name, self)
	if err != nil {
		return err
	}
	if taken {
		return conflict("a %s document named %q already exists", kind, name)
	}
	return nil
}

// lockedDocument starts a change to a live document at version.
func (w *writer) lockedDocument(org demarc.OrgID, id demarc.DocumentID, version int) (demarc.Document, error) {
	if err := w.begin(org); err != nil {
		return demarc.Document{}, err
	}
	d, err := scanDocument(w.QueryRow(w.ctx, `SELECT `+documentColumns+` FROM documents WHERE org_id = $1 AND id = $2 AND deleted_at = 0`, org, id))
	if w.s.is(err, ClassNoRows) {
		return d, notFound("document %s not found", id)
	}
	if err != nil {
		return d, err
	}
	if d.Version != version {
		return d, stale("document", id, d.Version, version)
	}
	return d, nil
}

// UpdateDocument implements demarc.DocumentStore.
func (s *Store) UpdateDocument(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.DocumentID, version int, in demarc.DocumentInput) (*demarc.Revision, error) {
	check := in
	if check.Kind == "" {
		check.Kind = demarc.DocSystem // checked against the stored kind below
	}
	if err := check.Validate(); err != nil {
		return nil, s.fail("update document", err)
	}
	var rev *demarc.Revision
	err := s.write(ctx, "update document", by, func(w *writer) error {
		d, err := w.lockedDocument(org, id, version)
		if err != nil {
			return err
		}
		if in.Kind != "" && in.Kind != d.Kind {
			return invalid("kind: document %s is a %s document; its kind cannot change to %s", id, d.Kind, in.Kind)
		}
		in.Kind = d.Kind
		if demarc.HashContent(in.Content) == d.Hash && in.Name == d.Name {
			r, err := scanRevision(w.QueryRow(ctx, `SELECT `+revisionColumns+`, r.content FROM revisions r
				JOIN documents d ON d.org_id = r.org_id AND d.id = r.document_id
				WHERE r.org_id = $1 AND r.document_id = $2 AND r.version = $3`, org, id, d.Version), true)
			rev = &r
			return err
		}
		if in.Name != d.Name {
			if err := w.nameFree(org, d.Kind, in.Name, id); err != nil {
				return err
			}
		}
		rev = w.newRevision(org, id, d.Version+1, in)
		if err := w.insertRevision(rev); err != nil {
			return err
		}
		n, err := w.Exec(ctx, `UPDATE documents SET name = $3, version = $4, hash = $5, size = $6, updated_at = $7, updated_by = $8
			WHERE org_id = $1 AND id = $2 AND version = $9`,
			org, id, rev.Name, rev.Version, rev.Hash, rev.Size, micros(w.now), rev.Author, d.Version)
		if err != nil {
			return err
		}
		if n != 1 { // cannot happen under the lock; never overwrite if it does
			return &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
				Message: fmt.Sprintf("document %s changed while it was being updated: reload it and apply the change again", id)}
		}
		detail := fmt.Sprintf("version %d", rev.Version)
		if rename := changed("name", d.Name, rev.Name); rename != "" {
			detail += "; " + rename
		}
		if err := w.event(org, demarc.ActionDocumentUpdate, object("document", id), d.Hash, rev.Hash, detail); err != nil {
			return err
		}
		return w.staleDocument(org, id, fmt.Sprintf("%s %s changed to version %d", d.Kind, rev.Name, rev.Version))
	})
	return rev, err
}

// DeleteDocument implements demarc.DocumentStore.
func (s *Store) DeleteDocument(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.DocumentID, version int) error {
	return s.write(ctx, "delete document", by, func(w *writer) error {
		d, err := w.lockedDocument(org, id, version)
		if err != nil {
			return err
		}
		published, err := w.exists(`SELECT count(*) FROM publications WHERE org_id = $1 AND document_id = $2 AND withdrawn_at = 0`, org, id)
		if err != nil {
			return err
		}
		if published {
			return conflict("document %s is published: withdraw the publication first", id)
		}
		if _, err := w.Exec(ctx, `UPDATE documents SET deleted_at = $3, updated_at = $3, updated_by = $4 WHERE org_id = $1 AND id = $2`,
			org, id, micros(w.now), w.by.Member); err != nil {
			return err
		}
		if err := w.event(org, demarc.ActionDocumentDelete, object("document", id), d.Hash, "", fmt.Sprintf("%s %s", d.Kind, d.Name)); err != nil {
			return err
		}
		return w.staleDocument(org, id, fmt.Sprintf("%s %s was deleted", d.Kind, d.Name))
	})
}

// Document implements demarc.DocumentStore.
func (s *Store) Document(ctx context.Context, org demarc.OrgID, id demarc.DocumentID) (*demarc.Document, error) {
	return s.documentWhere(ctx, org, `id = $2`, id)
}

// DocumentByName implements demarc.DocumentStore.
func (s *Store) DocumentByName(ctx context.Context, org demarc.OrgID, kind demarc.DocKind, name string) (*demarc.Document, error) {
	return s.documentWhere(ctx, org, `kind = $2 AND name = $3`, kind, name)
}

func (s *Store) documentWhere(ctx context.Context, org demarc.OrgID, where string, args ...any) (*demarc.Document, error) {
	var d demarc.Document
	err := s.readOne(ctx, "get document", func(tx Tx) error {
		var err error
		d, err = scanDocument(tx.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE org_id = $1 AND deleted_at = 0 AND `+where,
			append([]any{org}, args...)...))
		if s.is(err, ClassNoRows) {
			return notFound("document %v not found", args[len(args)-1])
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Documents implements demarc.DocumentStore.
func (s *Store) Documents(ctx context.Context, org demarc.OrgID, f demarc.DocumentFilter) ([]demarc.Document, string, error) {
	after, err := cursor(f.Page.After)
	if err != nil {
		return nil, "", s.fail("list documents", err)
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, "", s.fail("list documents", invalid("kind: %q is not a document kind (want system, attestations or provider)", f.Kind))
	}
	deleted := "deleted_at = 0"
	if f.Deleted {
		deleted = "deleted_at <> 0"
	}
	var docs []demarc.Document
	err = s.readOne(ctx, "list documents", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+documentColumns+` FROM documents
			WHERE org_id = $1 AND `+deleted+` AND ($2 = '' OR kind = $2) AND id > $3 ORDER BY id LIMIT $4`,
			org, f.Kind, after, f.Page.Size()+1)
		if err != nil {
			return err
		}
		docs, err = collect(rows, scanDocument)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	docs, next := page(docs, f.Page.Size(), func(d demarc.Document) string { return string(d.ID) })
	return docs, next, nil
}

// Revision implements demarc.DocumentStore.
func (s *Store) Revision(ctx context.Context, org demarc.OrgID, id demarc.DocumentID, version int) (*demarc.Revision, error) {
	if version < 0 {
		return nil, s.fail("get revision", invalid("version must be 1 or more, or 0 for the latest"))
	}
	var rev demarc.Revision
	err := s.readOne(ctx, "get revision", func(tx Tx) error {
		var err error
		rev, err = scanRevision(tx.QueryRow(ctx, `SELECT `+revisionColumns+`, r.content FROM revisions r
			JOIN documents d ON d.org_id = r.org_id AND d.id = r.document_id
			WHERE r.org_id = $1 AND r.document_id = $2 AND r.version = (CASE WHEN $3 = 0 THEN d.version ELSE $3 END)`, org, id, version), true)
		if s.is(err, ClassNoRows) {
			if version == 0 {
				return notFound("document %s not found", id)
			}
			return notFound("document %s has no version %d", id, version)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rev, nil
}

// Revisions implements demarc.DocumentStore. The cursor is a version
// number.
func (s *Store) Revisions(ctx context.Context, org demarc.OrgID, id demarc.DocumentID, p demarc.Page) ([]demarc.Revision, string, error) {
	before := math.MaxInt32
	if p.After != "" {
		v, err := strconv.Atoi(p.After)
		if err != nil || v < 1 {
			return nil, "", s.fail("list revisions", invalid("page cursor %q is not one this server issued", p.After))
		}
		before = v
	}
	var revs []demarc.Revision
	err := s.read(ctx, "list revisions", func(tx Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM documents WHERE org_id = $1 AND id = $2`, org, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("document %s not found", id)
		}
		rows, err := tx.Query(ctx, `SELECT `+revisionColumns+` FROM revisions r
			JOIN documents d ON d.org_id = r.org_id AND d.id = r.document_id
			WHERE r.org_id = $1 AND r.document_id = $2 AND r.version < $3 ORDER BY r.version DESC LIMIT $4`, org, id, before, p.Size()+1)
		if err != nil {
			return err
		}
		revs, err = collect(rows, scanRevisionMeta)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	revs, next := page(revs, p.Size(), func(r demarc.Revision) string { return strconv.Itoa(r.Version) })
	return revs, next, nil
}
