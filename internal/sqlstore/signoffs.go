package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
)

const signoffColumns = `s.id, s.org_id, s.system_id, s.system_version, s.framework, s.matrix_hash, s.requested_by, s.created_at, s.stale_at, s.stale_reason`

// partyOf is the condition under which organisation $1 is a party to
// sign-off s.
const partyOf = `EXISTS (SELECT 1 FROM signoff_parties sp WHERE sp.signoff_id = s.id AND sp.org_id = $1)`

func scanSignoff(r Row) (demarc.Signoff, error) {
	var s demarc.Signoff
	var created, staleAt int64
	err := r.Scan(&s.ID, &s.Org, &s.System.ID, &s.System.Version, &s.Framework, &s.MatrixHash, &s.RequestedBy, &created, &staleAt, &s.StaleReason)
	s.Created, s.Stale = fromMicros(created), fromMicros(staleAt)
	return s, err
}

// RequestSignoff implements demarc.SignoffStore.
func (s *Store) RequestSignoff(ctx context.Context, by demarc.Actor, org demarc.OrgID, in demarc.SignoffInput) (*demarc.Signoff, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("request sign-off", err)
	}
	var so demarc.Signoff
	err := s.write(ctx, "request sign-off", by, func(w *writer) error {
		var publishers []demarc.OrgID
		if len(in.Publications) > 0 {
			ids := make([]any, len(in.Publications))
			for i, p := range in.Publications {
				ids[i] = p.ID
			}
			var err error
			publishers, err = w.orgsOf(`SELECT org_id FROM publications WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
			if err != nil {
				return err
			}
		}
		if err := w.begin(org, publishers...); err != nil {
			return err
		}
		// Stored references come back system first, then by id: sort
		// them so now, so that what is returned equals what is read.
		others := slices.SortedFunc(slices.Values(in.Documents), func(a, b demarc.DocumentRef) int { return strings.Compare(string(a.ID), string(b.ID)) })
		pubs := slices.SortedFunc(slices.Values(in.Publications), func(a, b demarc.PublicationRef) int { return strings.Compare(string(a.ID), string(b.ID)) })
		docs := append([]demarc.DocumentRef{in.System}, others...)
		system, err := w.checkBasisDocuments(org, docs)
		if err != nil {
			return err
		}
		parties, err := w.checkBasisPublications(org, pubs)
		if err != nil {
			return err
		}
		so = demarc.Signoff{
			ID: demarc.SignoffID(demarc.NewID("so")), Org: org, System: in.System, Framework: in.Framework,
			MatrixHash: demarc.HashContent(in.Matrix), Documents: docs, Publications: pubs,
			Parties: parties, RequestedBy: by.Member, Created: w.now,
		}
		if err := w.insertSignoff(&so, in.Matrix); err != nil {
			return err
		}
		if err := w.lock(parties...); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s matrix of system %s version %d, for %d parties", in.Framework, system, in.System.Version, len(parties))
		for _, p := range parties {
			if err := w.event(p, demarc.ActionSignoffRequest, object("signoff", so.ID), "", so.MatrixHash, detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &so, nil
}

// checkBasisDocuments checks that every document is org's, live and at
// the version given, and that the first is a system; it returns the
// system's name.
func (w *writer) checkBasisDocuments(org demarc.OrgID, docs []demarc.DocumentRef) (string, error) {
	var system string
	for i, ref := range docs {
		d, err := scanDocument(w.QueryRow(w.ctx, `SELECT `+documentColumns+` FROM documents WHERE org_id = $1 AND id = $2 AND deleted_at = 0`, org, ref.ID))
		if w.s.is(err, ClassNoRows) {
			return "", notFound("document %s not found", ref.ID)
		}
		if err != nil {
			return "", err
		}
		if i == 0 {
			if d.Kind != demarc.DocSystem {
				return "", invalid("system: document %s is a %s document, not a system", ref.ID, d.Kind)
			}
			system = d.Name
		}
		if d.Version != ref.Version {
			return "", &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
				Message: fmt.Sprintf("document %s is at version %d but the matrix was computed from version %d: compute it again", ref.ID, d.Version, ref.Version)}
		}
	}
	return system, nil
}

// checkBasisPublications checks that org subscribes to every publication
// and that it still offers the version given; it returns the parties:
// org, then each publisher once.
func (w *writer) checkBasisPublications(org demarc.OrgID, pubs []demarc.PublicationRef) ([]demarc.OrgID, error) {
	parties := []demarc.OrgID{org}
	for _, ref := range pubs {
		var provider demarc.OrgID
		var version int
		var withdrawn int64
		err := w.QueryRow(w.ctx, `SELECT p.org_id, p.version, p.withdrawn_at FROM publications p
			JOIN subscriptions s ON s.publication_id = p.id AND s.org_id = $1 WHERE p.id = $2`, org, ref.ID).Scan(&provider, &version, &withdrawn)
		if w.s.is(err, ClassNoRows) {
			return nil, notFound("publication %s is not among this organisation's subscriptions", ref.ID)
		}
		if err != nil {
			return nil, err
		}
		if withdrawn != 0 {
			return nil, conflict("publication %s was withdrawn", ref.ID)
		}
		if version != ref.Version {
			return nil, &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
				Message: fmt.Sprintf("publication %s offers version %d but the matrix was computed from version %d: compute it again", ref.ID, version, ref.Version)}
		}
		if !contains(parties, provider) {
			parties = append(parties, provider)
		}
	}
	return parties, nil
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (w *writer) insertSignoff(so *demarc.Signoff, matrix []byte) error {
	_, err := w.Exec(w.ctx, `INSERT INTO signoffs
		(id, org_id, system_id, system_version, framework, matrix_hash, requested_by, created_at, stale_at, stale_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '')`,
		so.ID, so.Org, so.System.ID, so.System.Version, so.Framework, so.MatrixHash, so.RequestedBy, micros(so.Created))
	if err != nil {
		return err
	}
	if _, err := w.Exec(w.ctx, `INSERT INTO signoff_matrices (org_id, signoff_id, matrix) VALUES ($1, $2, $3)`,
		so.Org, so.ID, bytes.Clone(matrix)); err != nil {
		return err
	}
	for _, d := range so.Documents {
		if _, err := w.Exec(w.ctx, `INSERT INTO signoff_documents (org_id, signoff_id, document_id, version) VALUES ($1, $2, $3, $4)`,
			so.Org, so.ID, d.ID, d.Version); err != nil {
			return err
		}
	}
	for _, p := range so.Publications {
		if _, err := w.Exec(w.ctx, `INSERT INTO signoff_publications (org_id, signoff_id, publication_id, version) VALUES ($1, $2, $3, $4)`,
			so.Org, so.ID, p.ID, p.Version); err != nil {
			return err
		}
	}
	for i, p := range so.Parties {
		if _, err := w.Exec(w.ctx, `INSERT INTO signoff_parties (org_id, signoff_id, position) VALUES ($1, $2, $3)`, p, so.ID, i); err != nil {
			return err
		}
	}
	return nil
}

// Sign implements demarc.SignoffStore.
func (s *Store) Sign(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.SignoffID, matrix demarc.ContentHash) (*demarc.Signoff, error) {
	if by.Member == "" {
		return nil, s.fail("sign", invalid("a sign-off needs a member's signature"))
	}
	var so demarc.Signoff
	err := s.write(ctx, "sign", by, func(w *writer) error {
		// The requesting organisation's chain records the signature
		// too: lock it with the signer's. A sign-off org is not party to
		// is not found below, whatever this finds.
		owner, err := w.orgsOf(`SELECT org_id FROM signoffs WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if err := w.begin(org, owner...); err != nil {
			return err
		}
		so, err = w.s.signoff(ctx, w, org, id)
		if err != nil {
			return err
		}
		switch {
		case !so.Stale.IsZero():
			return conflict("sign-off %s is stale (%s): request a new one", id, so.StaleReason)
		case matrix != so.MatrixHash:
			return &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
				Message: fmt.Sprintf("sign-off %s is for matrix %s, not %s", id, so.MatrixHash, matrix)}
		}
		for _, sig := range so.Signatures {
			if sig.Member == by.Member {
				return conflict("member %s has already signed sign-off %s", by.Member, id)
			}
		}
		m, err := scanMember(w.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE org_id = $1 AND id = $2`, org, by.Member))
		if err != nil {
			return err
		}
		sig := demarc.Signature{Org: org, Member: m.ID, Email: m.Email, Name: m.Name, Role: m.Role, MatrixHash: matrix, Signed: w.now}
		_, err = w.Exec(ctx, `INSERT INTO signatures (org_id, signoff_id, member_id, email, name, role, matrix_hash, signed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sig.Org, id, sig.Member, sig.Email, sig.Name, sig.Role, sig.MatrixHash, micros(sig.Signed))
		if err != nil {
			return err
		}
		so.Signatures = append(so.Signatures, sig)
		detail := fmt.Sprintf("signed by %s (%s) for organisation %s", m.Email, m.Role, org)
		if so.State() == demarc.SignoffComplete {
			detail += "; every party has signed"
		}
		events := []demarc.OrgID{so.Org, org}
		if err := w.lock(events...); err != nil {
			return err
		}
		for _, o := range uniq(events) {
			if err := w.event(o, demarc.ActionSignoffSign, object("signoff", id), "", matrix, detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &so, nil
}

// Signoff implements demarc.SignoffStore.
func (s *Store) Signoff(ctx context.Context, org demarc.OrgID, id demarc.SignoffID) (*demarc.Signoff, error) {
	var so demarc.Signoff
	err := s.read(ctx, "get sign-off", func(tx Tx) error {
		var err error
		so, err = s.signoff(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &so, nil
}

func (s *Store) signoff(ctx context.Context, tx Tx, org demarc.OrgID, id demarc.SignoffID) (demarc.Signoff, error) {
	so, err := scanSignoff(tx.QueryRow(ctx, `SELECT `+signoffColumns+` FROM signoffs s WHERE s.id = $2 AND `+partyOf, org, id))
	if s.is(err, ClassNoRows) {
		return so, notFound("sign-off %s not found", id)
	}
	if err != nil {
		return so, err
	}
	list := []demarc.Signoff{so}
	if err := s.fillSignoffs(ctx, tx, list); err != nil {
		return so, err
	}
	return list[0], nil
}

// SignoffMatrix implements demarc.SignoffStore.
func (s *Store) SignoffMatrix(ctx context.Context, org demarc.OrgID, id demarc.SignoffID) ([]byte, error) {
	var matrix []byte
	err := s.readOne(ctx, "get sign-off matrix", func(tx Tx) error {
		err := tx.QueryRow(ctx, `SELECT m.matrix FROM signoffs s JOIN signoff_matrices m ON m.signoff_id = s.id WHERE s.id = $2 AND `+partyOf, org, id).Scan(&matrix)
		if s.is(err, ClassNoRows) {
			return notFound("sign-off %s not found", id)
		}
		return err
	})
	return matrix, err
}

// Signoffs implements demarc.SignoffStore.
func (s *Store) Signoffs(ctx context.Context, org demarc.OrgID, f demarc.SignoffFilter) ([]demarc.Signoff, string, error) {
	before, err := cursor(f.Page.After)
	if err != nil {
		return nil, "", s.fail("list sign-offs", err)
	}
	var list []demarc.Signoff
	var next string
	err = s.read(ctx, "list sign-offs", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+signoffColumns+` FROM signoffs s
			WHERE `+partyOf+` AND ($2 = '' OR s.system_id = $2) AND ($3 = '' OR s.id < $3) ORDER BY s.id DESC LIMIT $4`,
			org, f.System, before, f.Page.Size()+1)
		if err != nil {
			return err
		}
		list, err = collect(rows, scanSignoff)
		if err != nil {
			return err
		}
		list, next = page(list, f.Page.Size(), func(s demarc.Signoff) string { return string(s.ID) })
		return s.fillSignoffs(ctx, tx, list)
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// fillSignoffs reads the documents, publications, parties and signatures
// of a page of sign-offs, one query per table.
func (s *Store) fillSignoffs(ctx context.Context, tx Tx, list []demarc.Signoff) error {
	if len(list) == 0 {
		return nil
	}
	index := map[demarc.SignoffID]*demarc.Signoff{}
	ids := make([]any, len(list))
	for i := range list {
		index[list[i].ID] = &list[i]
		ids[i] = list[i].ID
	}
	in := "(" + placeholders(1, len(ids)) + ")"
	queries := []struct {
		sql  string
		scan func(Row, *demarc.Signoff) error
	}{
		{`SELECT signoff_id, document_id, version FROM signoff_documents WHERE signoff_id IN ` + in + ` ORDER BY signoff_id, document_id`,
			func(r Row, so *demarc.Signoff) error {
				var d demarc.DocumentRef
				err := r.Scan(&so.ID, &d.ID, &d.Version)
				so.Documents = append(so.Documents, d)
				return err
			}},
		{`SELECT signoff_id, publication_id, version FROM signoff_publications WHERE signoff_id IN ` + in + ` ORDER BY signoff_id, publication_id`,
			func(r Row, so *demarc.Signoff) error {
				var p demarc.PublicationRef
				err := r.Scan(&so.ID, &p.ID, &p.Version)
				so.Publications = append(so.Publications, p)
				return err
			}},
		{`SELECT signoff_id, org_id FROM signoff_parties WHERE signoff_id IN ` + in + ` ORDER BY signoff_id, position`,
			func(r Row, so *demarc.Signoff) error {
				var o demarc.OrgID
				err := r.Scan(&so.ID, &o)
				so.Parties = append(so.Parties, o)
				return err
			}},
		{`SELECT signoff_id, org_id, member_id, email, name, role, matrix_hash, signed_at FROM signatures WHERE signoff_id IN ` + in + ` ORDER BY signoff_id, signed_at, member_id`,
			func(r Row, so *demarc.Signoff) error {
				var sig demarc.Signature
				var at int64
				err := r.Scan(&so.ID, &sig.Org, &sig.Member, &sig.Email, &sig.Name, &sig.Role, &sig.MatrixHash, &at)
				sig.Signed = fromMicros(at)
				so.Signatures = append(so.Signatures, sig)
				return err
			}},
	}
	for _, q := range queries {
		rows, err := tx.Query(ctx, q.sql, ids...)
		if err != nil {
			return err
		}
		err = eachRow(rows, func(r Row) error {
			// Scan the row into a scratch sign-off to learn its id,
			// then move what it read onto the right one.
			var scratch demarc.Signoff
			if err := q.scan(r, &scratch); err != nil {
				return err
			}
			so := index[scratch.ID]
			if so == nil {
				return fmt.Errorf("sign-off %s: unexpected row", scratch.ID)
			}
			so.Documents = append(so.Documents, scratch.Documents...)
			so.Publications = append(so.Publications, scratch.Publications...)
			so.Parties = append(so.Parties, scratch.Parties...)
			so.Signatures = append(so.Signatures, scratch.Signatures...)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range list {
		sortSystemFirst(&list[i])
	}
	return nil
}

// sortSystemFirst puts the system first among a sign-off's documents, as
// it was requested.
func sortSystemFirst(so *demarc.Signoff) {
	for i, d := range so.Documents {
		if d.ID == so.System.ID && i > 0 {
			copy(so.Documents[1:i+1], so.Documents[:i])
			so.Documents[0] = d
			return
		}
	}
}

func eachRow(rows Rows, fn func(Row) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

// staleDocument marks org's live sign-offs built on document doc stale.
func (w *writer) staleDocument(org demarc.OrgID, doc demarc.DocumentID, reason string) error {
	return w.markStale(`SELECT s.org_id, s.id FROM signoffs s
		WHERE s.org_id = $1 AND s.stale_at = 0 AND s.id IN
		(SELECT signoff_id FROM signoff_documents WHERE org_id = $1 AND document_id = $2) ORDER BY s.id`, reason, org, doc)
}

// stalePublication marks every live sign-off built on publication pub
// stale, whichever organisation requested it.
func (w *writer) stalePublication(pub demarc.PublicationID, reason string) error {
	return w.markStale(`SELECT s.org_id, s.id FROM signoffs s
		WHERE s.stale_at = 0 AND s.id IN
		(SELECT signoff_id FROM signoff_publications WHERE publication_id = $1) ORDER BY s.id`, reason, pub)
}

func (w *writer) markStale(query, reason string, args ...any) error {
	type target struct {
		org demarc.OrgID
		id  demarc.SignoffID
	}
	rows, err := w.Query(w.ctx, query, args...)
	if err != nil {
		return err
	}
	targets, err := collect(rows, func(r Row) (target, error) {
		var t target
		return t, r.Scan(&t.org, &t.id)
	})
	if err != nil {
		return err
	}
	orgs := make([]demarc.OrgID, len(targets))
	for i, t := range targets {
		orgs[i] = t.org
	}
	if err := w.lock(orgs...); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	for _, t := range targets {
		if _, err := w.Exec(w.ctx, `UPDATE signoffs SET stale_at = $3, stale_reason = $4 WHERE org_id = $1 AND id = $2`,
			t.org, t.id, micros(w.now), reason); err != nil {
			return err
		}
		if err := w.event(t.org, demarc.ActionSignoffStale, object("signoff", t.id), "", "", reason); err != nil {
			return err
		}
	}
	return nil
}
