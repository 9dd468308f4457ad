package sqlstore

import (
	"context"
	"time"

	"github.com/demarc-io/demarc"
)

const tokenColumns = `id, org_id, member_id, name, hint, created_at, expires_at, last_used_at, revoked_at`

func scanToken(r Row) (demarc.Token, error) {
	var t demarc.Token
	var created, expires, used, revoked int64
	err := r.Scan(&t.ID, &t.Org, &t.Member, &t.Name, &t.Hint, &created, &expires, &used, &revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromMicros(created), fromMicros(expires), fromMicros(used), fromMicros(revoked)
	return t, err
}

// CreateToken implements demarc.TokenStore.
func (s *Store) CreateToken(ctx context.Context, by demarc.Actor, org demarc.OrgID, in demarc.TokenInput) (*demarc.Token, error) {
	if err := in.Validate(); err != nil {
		return nil, s.fail("create token", err)
	}
	var t *demarc.Token
	err := s.write(ctx, "create token", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		member, err := w.exists(`SELECT count(*) FROM members WHERE org_id = $1 AND id = $2`, org, in.Member)
		if err != nil {
			return err
		}
		if !member {
			return notFound("member %s not found", in.Member)
		}
		t = &demarc.Token{ID: demarc.TokenID(demarc.NewID("tok")), Org: org, Member: in.Member, Name: in.Name, Hint: in.Hint,
			Created: w.now, Expires: in.Expires.UTC().Truncate(time.Microsecond)}
		_, err = w.Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8)`,
			t.ID, t.Org, t.Member, t.Name, t.Hint, micros(t.Created), micros(t.Expires), in.Hash)
		if w.s.is(err, ClassUnique) {
			return conflict("a token with this hash already exists: make a new secret")
		}
		if err != nil {
			return err
		}
		return w.event(org, demarc.ActionTokenCreate, object("token", t.ID), "", recordHash(string(t.Member), t.Name, t.Hint), t.Name+" for "+string(t.Member))
	})
	return t, err
}

// Tokens implements demarc.TokenStore.
func (s *Store) Tokens(ctx context.Context, org demarc.OrgID, member demarc.MemberID) ([]demarc.Token, error) {
	var tokens []demarc.Token
	err := s.readOne(ctx, "list tokens", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org_id = $1 AND ($2 = '' OR member_id = $2) ORDER BY id DESC`, org, member)
		if err != nil {
			return err
		}
		tokens, err = collect(rows, scanToken)
		return err
	})
	return tokens, err
}

// RevokeToken implements demarc.TokenStore.
func (s *Store) RevokeToken(ctx context.Context, by demarc.Actor, org demarc.OrgID, id demarc.TokenID) error {
	return s.write(ctx, "revoke token", by, func(w *writer) error {
		if err := w.begin(org); err != nil {
			return err
		}
		t, err := scanToken(w.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org_id = $1 AND id = $2`, org, id))
		if w.s.is(err, ClassNoRows) {
			return notFound("token %s not found", id)
		}
		if err != nil || !t.Revoked.IsZero() {
			return err
		}
		if _, err := w.Exec(ctx, `UPDATE tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2`, org, id, micros(w.now)); err != nil {
			return err
		}
		return w.event(org, demarc.ActionTokenRevoke, object("token", id), recordHash(string(t.Member), t.Name, t.Hint), "", t.Name)
	})
}

// Authenticate implements demarc.TokenStore, in one statement: it runs
// on every API request.
func (s *Store) Authenticate(ctx context.Context, hash demarc.TokenHash) (*demarc.Token, *demarc.Member, error) {
	var t demarc.Token
	var m demarc.Member
	err := s.readOne(ctx, "authenticate", func(tx Tx) error {
		var created, expires, used, revoked, mCreated, mUpdated int64
		err := tx.QueryRow(ctx, `SELECT t.id, t.org_id, t.member_id, t.name, t.hint, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
			m.email, m.name, m.subject, m.role, m.version, m.created_at, m.updated_at
			FROM tokens t JOIN members m ON m.org_id = t.org_id AND m.id = t.member_id
			WHERE t.hash = $1 AND t.revoked_at = 0 AND (t.expires_at = 0 OR t.expires_at > $2)`, hash, micros(now())).Scan(
			&t.ID, &t.Org, &t.Member, &t.Name, &t.Hint, &created, &expires, &used, &revoked,
			&m.Email, &m.Name, &m.Subject, &m.Role, &m.Version, &mCreated, &mUpdated)
		if s.is(err, ClassNoRows) {
			return notFound("no live token has this hash")
		}
		t.Created, t.Expires, t.LastUsed, t.Revoked = fromMicros(created), fromMicros(expires), fromMicros(used), fromMicros(revoked)
		m.ID, m.Org, m.Created, m.Updated = t.Member, t.Org, fromMicros(mCreated), fromMicros(mUpdated)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &t, &m, nil
}

// TouchToken implements demarc.TokenStore. It only ever moves LastUsed
// forward.
func (s *Store) TouchToken(ctx context.Context, org demarc.OrgID, id demarc.TokenID, at time.Time) error {
	return s.write(ctx, "touch token", demarc.Actor{}, func(w *writer) error {
		n, err := w.Exec(ctx, `UPDATE tokens SET last_used_at = $3 WHERE org_id = $1 AND id = $2 AND last_used_at < $3`, org, id, micros(at))
		if err != nil || n > 0 {
			return err
		}
		found, err := w.exists(`SELECT count(*) FROM tokens WHERE org_id = $1 AND id = $2`, org, id)
		if err == nil && !found {
			return notFound("token %s not found", id)
		}
		return err
	})
}
