package sqlstore

import (
	"context"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/demarc-io/demarc"
)

// Session records are the one exception to "every table has an org_id":
// a session belongs to a person, who may be a member of any number of
// organisations or of none. They write no audit event for the same
// reason, and take no organisation's lock: each change is one statement.

// Limits on what a session record holds.
const (
	maxSessionID = 256
	maxSubject   = 1000
)

// RevokeSession implements demarc.SessionStore. A second revocation of
// the same session keeps the later expiry.
func (s *Store) RevokeSession(ctx context.Context, id demarc.SessionID, expires time.Time) error {
	const op = "revoke session"
	if err := validSessionID(id); err != nil {
		return s.fail(op, err)
	}
	if expires.IsZero() {
		return s.fail(op, invalid("expires: is required"))
	}
	return s.write(ctx, op, demarc.Actor{}, func(w *writer) error {
		_, err := w.Exec(ctx, `INSERT INTO session_revocations (id, expires_at) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET expires_at = CASE
				WHEN excluded.expires_at > session_revocations.expires_at THEN excluded.expires_at
				ELSE session_revocations.expires_at END`,
			id, ceilMicros(expires))
		return err
	})
}

// RevokeSubjectSessions implements demarc.SessionStore. Each bound only
// moves forward, so that replicas signing the same person out at once
// cannot undo each other.
func (s *Store) RevokeSubjectSessions(ctx context.Context, subject string, before, until time.Time) error {
	const op = "revoke subject sessions"
	if err := validSubject(subject); err != nil {
		return s.fail(op, err)
	}
	if before.IsZero() || until.IsZero() {
		return s.fail(op, invalid("before and until: are required"))
	}
	return s.write(ctx, op, demarc.Actor{}, func(w *writer) error {
		_, err := w.Exec(ctx, `INSERT INTO session_cutoffs (subject, before_at, until_at) VALUES ($1, $2, $3)
			ON CONFLICT (subject) DO UPDATE SET
				before_at = CASE WHEN excluded.before_at > session_cutoffs.before_at THEN excluded.before_at ELSE session_cutoffs.before_at END,
				until_at = CASE WHEN excluded.until_at > session_cutoffs.until_at THEN excluded.until_at ELSE session_cutoffs.until_at END`,
			subject, ceilMicros(before), ceilMicros(until))
		return err
	})
}

// SessionRevoked implements demarc.SessionStore, in one statement over
// two primary keys: it runs on every request made with a session. The
// cut-off is rounded up and the issue time down, so that a session
// issued in the same microsecond as a cut-off counts as before it.
func (s *Store) SessionRevoked(ctx context.Context, id demarc.SessionID, subject string, issued time.Time) (bool, error) {
	const op = "check session"
	if err := validSessionID(id); err != nil {
		return false, s.fail(op, err)
	}
	if err := validSubject(subject); err != nil {
		return false, s.fail(op, err)
	}
	var n int64
	err := s.readOne(ctx, op, func(tx Tx) error {
		return tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM session_revocations WHERE id = $1) +
			(SELECT count(*) FROM session_cutoffs WHERE subject = $2 AND before_at > $3)`,
			id, subject, issued.UnixMicro()).Scan(&n)
	})
	return n > 0, err
}

// PurgeSessions implements demarc.SessionStore. A record whose bound is
// now or earlier ends only sessions that have expired: a server refuses
// a session from the instant its expiry is reached.
func (s *Store) PurgeSessions(ctx context.Context, now time.Time) (int64, error) {
	var purged int64
	err := s.write(ctx, "purge sessions", demarc.Actor{}, func(w *writer) error {
		at := now.UnixMicro()
		a, err := w.Exec(ctx, `DELETE FROM session_revocations WHERE expires_at <= $1`, at)
		if err != nil {
			return err
		}
		b, err := w.Exec(ctx, `DELETE FROM session_cutoffs WHERE until_at <= $1`, at)
		purged = a + b
		return err
	})
	return purged, err
}

// ceilMicros stores a bound rounded up to the microsecond, so that
// rounding never lets a session through early nor drops its record too
// soon.
func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if t.After(time.UnixMicro(us)) {
		us++
	}
	return us
}

func validSessionID(id demarc.SessionID) error {
	if id == "" || len(id) > maxSessionID {
		return invalid("session id: must be 1 to %d characters", maxSessionID)
	}
	for _, r := range string(id) {
		if r <= ' ' || r > '~' {
			return invalid("session id: must be printable ASCII without spaces")
		}
	}
	return nil
}

func validSubject(subject string) error {
	if subject == "" || len(subject) > maxSubject {
		return invalid("subject: must be 1 to %d bytes", maxSubject)
	}
	if !utf8.ValidString(subject) {
		return invalid("subject: is not valid UTF-8")
	}
	for _, r := range subject {
		if unicode.IsControl(r) {
			return invalid("subject: must not contain control characters")
		}
	}
	return nil
}
