package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/demarc-io/demarc"
)

// writer is a write transaction: it locks organisations' chain heads,
// appends their audit events and collects the changes to announce.
type writer struct {
	Tx
	s       *Store
	ctx     context.Context
	by      demarc.Actor
	now     time.Time
	heads   map[demarc.OrgID]*demarc.ChainHead
	changes []demarc.Change
}

// lock locks the chain heads of orgs, in id order so that transactions
// locking several never wait on each other in a circle. An organisation
// that does not exist gives ENotFound.
func (w *writer) lock(orgs ...demarc.OrgID) error {
	for _, org := range uniq(orgs) {
		if _, ok := w.heads[org]; ok {
			continue
		}
		var h demarc.ChainHead
		err := w.QueryRow(w.ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = $1`+w.s.d.ForUpdate, org).Scan(&h.Seq, &h.Hash)
		if w.s.is(err, ClassNoRows) {
			return notFound("organisation %s not found", org)
		}
		if err != nil {
			return err
		}
		w.heads[org] = &h
	}
	return nil
}

// actor checks that the actor is a member of org, and that its token, if
// any, is a live token of that member: a change is only ever recorded
// against someone who may act in the organisation.
func (w *writer) actor(org demarc.OrgID) error {
	if w.by.Member == "" {
		return nil
	}
	var n int64
	err := w.QueryRow(w.ctx, `SELECT count(*) FROM members WHERE org_id = $1 AND id = $2`, org, w.by.Member).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("member %s not found in organisation %s", w.by.Member, org)
	}
	if w.by.Token == "" {
		return nil
	}
	err = w.QueryRow(w.ctx, `SELECT count(*) FROM tokens WHERE org_id = $1 AND id = $2 AND member_id = $3 AND revoked_at = 0`, org, w.by.Token, w.by.Member).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("token %s not found for member %s", w.by.Token, w.by.Member)
	}
	return nil
}

// begin locks org, and the other organisations the change will append
// events to, all in one ordered step, and checks the actor: the start of
// every change that an organisation's member makes. Organisations found
// to be involved only later are locked then, out of order; the rare
// deadlock that can cause is retried.
func (w *writer) begin(org demarc.OrgID, others ...demarc.OrgID) error {
	if err := w.lock(append(others, org)...); err != nil {
		return err
	}
	return w.actor(org)
}

// orgsOf returns the organisations a query lists, for locking them up
// front.
func (w *writer) orgsOf(query string, args ...any) ([]demarc.OrgID, error) {
	rows, err := w.Query(w.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r Row) (demarc.OrgID, error) {
		var o demarc.OrgID
		return o, r.Scan(&o)
	})
}

// event appends an audit event to org's chain, whose head must be locked.
func (w *writer) event(org demarc.OrgID, action demarc.Action, object string, before, after demarc.ContentHash, detail string) error {
	if err := w.lock(org); err != nil {
		return err
	}
	head := w.heads[org]
	e := demarc.Event{
		Org: org, Seq: head.Seq + 1, Time: w.now, Actor: w.by,
		Action: action, Object: object, Before: before, After: after, Detail: detail, Prev: head.Hash,
	}
	e.Hash = e.ComputeHash()
	_, err := w.Exec(w.ctx, `INSERT INTO audit_events
		(org_id, seq, at, actor_member, actor_token, action, object, before_hash, after_hash, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Org, e.Seq, micros(e.Time), e.Actor.Member, e.Actor.Token, e.Action, e.Object, e.Before, e.After, e.Detail, e.Prev, e.Hash)
	if err != nil {
		return err
	}
	if _, err := w.Exec(w.ctx, `UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1`, org, e.Seq, e.Hash); err != nil {
		return err
	}
	head.Seq, head.Hash = e.Seq, e.Hash
	w.changes = append(w.changes, demarc.Change{Org: org, Seq: e.Seq, Action: action, Object: object})
	return nil
}

// recordHash is the before/after hash of a record that is not a document:
// SHA-256 over its length-prefixed fields.
func recordHash(fields ...string) demarc.ContentHash {
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return demarc.ContentHash("sha256:" + hex.EncodeToString(h.Sum(nil)))
}

const eventColumns = `org_id, seq, at, actor_member, actor_token, action, object, before_hash, after_hash, detail, prev_hash, hash`

func scanEvent(r Row) (demarc.Event, error) {
	var e demarc.Event
	var at int64
	err := r.Scan(&e.Org, &e.Seq, &at, &e.Actor.Member, &e.Actor.Token, &e.Action, &e.Object, &e.Before, &e.After, &e.Detail, &e.Prev, &e.Hash)
	e.Time = fromMicros(at)
	return e, err
}

// Events implements demarc.AuditLog.
func (s *Store) Events(ctx context.Context, org demarc.OrgID, f demarc.EventFilter) ([]demarc.Event, error) {
	var events []demarc.Event
	err := s.readOne(ctx, "list audit events", func(tx Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events
			WHERE org_id = $1 AND seq > $2 AND ($3 = '' OR action = $3) AND ($4 = '' OR object = $4)
			ORDER BY seq LIMIT $5`, org, f.After, f.Action, f.Object, demarc.Page{Limit: f.Limit}.Size())
		if err != nil {
			return err
		}
		events, err = collect(rows, scanEvent)
		return err
	})
	return events, err
}

// Verify implements demarc.AuditLog. It reads the chain in one consistent
// snapshot, streaming it through a demarc.ChainVerifier.
func (s *Store) Verify(ctx context.Context, org demarc.OrgID) (*demarc.AuditReport, error) {
	var report *demarc.AuditReport
	err := s.read(ctx, "verify audit trail", func(tx Tx) error {
		var head demarc.ChainHead
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE org_id = $1`, org).Scan(&head.Seq, &head.Hash)
		if s.is(err, ClassNoRows) {
			return notFound("organisation %s not found", org)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE org_id = $1 ORDER BY seq`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		v := demarc.NewChainVerifier(org)
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			v.Add(&e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		report = v.Finish(head)
		return nil
	})
	return report, err
}

// collect scans every row.
func collect[T any](rows Rows, scan func(Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	rows.Close()
	return out, rows.Err()
}

// object names an audited object, e.g. "document/doc_01…".
func object[T ~string](kind string, id T) string { return kind + "/" + string(id) }
