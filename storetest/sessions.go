package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// testSessions: a revoked session is reported revoked and no other is; a
// cut-off voids exactly the subject's sessions issued before it, never
// moves back, and rounds so that no session issued before it survives;
// purging drops only records whose sessions have all expired; bad input is
// EInvalid; concurrent sign-outs of one session or one person all succeed;
// and a replica sees a sign-out at once.
func testSessions(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	start := time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	ttl := 12 * time.Hour
	alice, bob := "https://idp.example|alice-"+unique(), "https://idp.example|bob-"+unique()
	one, two := demarc.SessionID("sess-one-"+unique()), demarc.SessionID("sess-two-"+unique())

	revoked := func(id demarc.SessionID, subject string, issued time.Time) bool {
		t.Helper()
		r, err := s.SessionRevoked(c, id, subject, issued)
		must(t, err)
		return r
	}
	if revoked(one, alice, start) {
		t.Fatal("a session the store never heard of is revoked")
	}
	must(t, s.RevokeSession(c, one, start.Add(ttl)))
	must(t, s.RevokeSession(c, one, start.Add(ttl/2))) // again, with an earlier expiry: no error, expiry kept
	if !revoked(one, alice, start) || !revoked(one, bob, start) {
		t.Fatal("a revoked session is still live")
	}
	if revoked(two, alice, start) {
		t.Fatal("revoking one session revoked another of the same person")
	}

	// Sign out everywhere: alice's sessions issued before the cut-off are
	// void, those issued after and bob's are not.
	cut := start.Add(time.Hour)
	must(t, s.RevokeSubjectSessions(c, alice, cut, cut.Add(ttl)))
	if !revoked(two, alice, cut.Add(-time.Second)) {
		t.Error("a session issued before the cut-off is live")
	}
	if !revoked(two, alice, cut.Add(-time.Nanosecond)) {
		t.Error("a session issued a nanosecond before the cut-off is live")
	}
	if revoked(two, alice, cut.Add(time.Microsecond)) {
		t.Error("a session issued after the cut-off is void")
	}
	if revoked(two, bob, cut.Add(-time.Second)) {
		t.Error("another person's session is void")
	}
	// An earlier cut-off changes nothing; a later one moves it forward.
	must(t, s.RevokeSubjectSessions(c, alice, start, start.Add(ttl)))
	if !revoked(two, alice, cut.Add(-time.Second)) {
		t.Error("an earlier cut-off moved the cut-off back")
	}
	later := cut.Add(time.Hour)
	must(t, s.RevokeSubjectSessions(c, alice, later, later.Add(ttl)))
	if !revoked(two, alice, later.Add(-time.Minute)) || revoked(two, alice, later.Add(time.Second)) {
		t.Error("a later cut-off did not move the cut-off forward")
	}

	// Purging keeps what still matters and drops what does not.
	short := demarc.SessionID("sess-short-" + unique())
	must(t, s.RevokeSession(c, short, start.Add(time.Minute)))
	n, err := s.PurgeSessions(c, start.Add(time.Minute).Add(-time.Microsecond))
	must(t, err)
	equal(t, "purged before anything expired", n, int64(0))
	if !revoked(short, bob, start) {
		t.Fatal("purging dropped a revocation whose session has not expired")
	}
	n, err = s.PurgeSessions(c, start.Add(time.Minute))
	must(t, err)
	equal(t, "purged when one session expired", n, int64(1))
	if revoked(short, bob, start) {
		t.Error("an expired revocation was not purged")
	}
	if !revoked(one, bob, start) {
		t.Error("purging dropped a revocation whose session has not expired")
	}
	// The first revocation kept its later expiry, and alice's cut-off
	// lives until the last session it voids has expired.
	n, err = s.PurgeSessions(c, start.Add(ttl).Add(-time.Microsecond))
	must(t, err)
	equal(t, "purged before the long revocation expired", n, int64(0))
	n, err = s.PurgeSessions(c, later.Add(ttl))
	must(t, err)
	equal(t, "purged at the end", n, int64(2))
	if revoked(one, bob, start) || revoked(two, alice, later.Add(-time.Minute)) {
		t.Error("purged records still revoke sessions")
	}

	testSessionInput(t, s)
	testConcurrentSignOuts(t, s, start, ttl)
	if h.Replica != nil {
		other := h.Replica(t, s)
		id := demarc.SessionID("sess-replica-" + unique())
		must(t, s.RevokeSession(c, id, start.Add(ttl)))
		r, err := other.SessionRevoked(c, id, bob, start)
		must(t, err)
		if !r {
			t.Error("a session revoked through one replica is live on the other")
		}
	}
}

// testSessionInput: every malformed argument is EInvalid, naming it.
func testSessionInput(t *testing.T, s demarc.Store) {
	c := ctx(t)
	at := time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		err  error
		says string
	}{
		{"empty id", s.RevokeSession(c, "", at), "session id"},
		{"long id", s.RevokeSession(c, demarc.SessionID(strings.Repeat("x", 257)), at), "session id"},
		{"id with a space", s.RevokeSession(c, "a b", at), "session id"},
		{"no expiry", s.RevokeSession(c, "sess-x", time.Time{}), "expires"},
		{"empty subject", s.RevokeSubjectSessions(c, "", at, at), "subject"},
		{"subject with a control character", s.RevokeSubjectSessions(c, "alice\x00", at, at), "subject"},
		{"subject not UTF-8", s.RevokeSubjectSessions(c, "alice\xff", at, at), "subject"},
		{"no cut-off", s.RevokeSubjectSessions(c, "alice", time.Time{}, at), "before"},
		{"check without id", errOnly(s.SessionRevoked(c, "", "alice", at)), "session id"},
		{"check without subject", errOnly(s.SessionRevoked(c, "sess-x", "", at)), "subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.err, demarc.EInvalid)
			if !strings.Contains(tc.err.Error(), tc.says) {
				t.Errorf("error %q does not name %s", tc.err, tc.says)
			}
		})
	}
}

func errOnly(_ bool, err error) error { return err }

// testConcurrentSignOuts: replicas and browser tabs may sign the same
// session or person out at once; every call succeeds and the result is
// the latest of what they asked.
func testConcurrentSignOuts(t *testing.T, s demarc.Store, start time.Time, ttl time.Duration) {
	c := ctx(t)
	id := demarc.SessionID("sess-busy-" + unique())
	subject := "https://idp.example|busy-" + unique()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- s.RevokeSession(c, id, start.Add(ttl))
		}()
		go func() {
			defer wg.Done()
			at := start.Add(time.Duration(i) * time.Minute)
			errs <- s.RevokeSubjectSessions(c, subject, at, at.Add(ttl))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	last := start.Add((n - 1) * time.Minute)
	r, err := s.SessionRevoked(c, "sess-other-"+demarc.SessionID(unique()), subject, last.Add(-time.Second))
	must(t, err)
	if !r {
		t.Error("the latest of concurrent cut-offs was lost")
	}
	r, err = s.SessionRevoked(c, id, "someone", start)
	must(t, err)
	if !r {
		t.Error("a session revoked concurrently is live")
	}
}
