package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oidctest"
)

// newSignInEnv is newOIDCEnv over any backend, with a session key that a
// second replica can share; a nil key is a random one.
func newSignInEnv(t *testing.T, b backend, key []byte) *oidcEnv {
	idp, err := oidctest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	clk := &clock{now: time.Now()}
	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	e := newEnv(t, b, func(c *Config) {
		c.OIDC = &OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: hs.URL + "/auth/callback"}
		c.PublicURL = hs.URL
		c.Now = clk.Now
		c.SessionKey = key
	})
	h = e.srv
	e.http = hs
	return &oidcEnv{env: e, idp: idp, clock: clk}
}

// signedIn signs subject in with a browser of its own and returns the
// browser, its session cookie's value and the session's CSRF token.
func (o *oidcEnv) signedIn(t *testing.T, subject string) (*browser, string, string) {
	t.Helper()
	o.idp.SetUser(&oidctest.User{Subject: subject, Email: subject + "@example.com", EmailVerified: true, Name: subject})
	b := newBrowser(t, o.http.URL)
	if r := b.signIn("/auth/login"); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %s", subject, r)
	}
	var me Me
	b.get("/api/v1/me").json(t, &me)
	if me.Via != viaSession || me.CSRFToken == "" {
		t.Fatalf("me after sign-in: %+v", me)
	}
	return b, b.cookie(sessionCookie), me.CSRFToken
}

// cookie returns the value of the browser's cookie for its server, or "".
func (b *browser) cookie(name string) string {
	u, err := url.Parse(b.base)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// withSession is the header that presents a copied session cookie, with
// more headers when given in pairs.
func withSession(value string, more ...string) map[string]string {
	h := map[string]string{"Cookie": sessionCookie + "=" + value}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// clearsSession reports whether a response tells the browser to drop
// the session cookie.
func clearsSession(r *resp) bool {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie && c.Value == "" && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// Signing out ends the session on the server: a copy of the cookie taken
// before is refused afterwards. A live session must send its CSRF token
// to sign out, so that another site cannot sign anyone out.
func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	o := newSignInEnv(t, backend{"sqlite", openSQLite}, nil)
	b, old, csrf := o.signedIn(t, "alice-1")

	for name, h := range map[string]map[string]string{
		"without the CSRF token": nil,
		"with a wrong one":       {CSRFHeader: "forged"},
		"from another site":      {CSRFHeader: csrf, "Origin": "https://evil.example"},
	} {
		if r := b.send("POST", "/auth/logout", "", h); r.status != 403 || clearsSession(r) {
			t.Fatalf("logout %s: %s (cookie cleared: %v)", name, r, clearsSession(r))
		}
	}
	if r := b.get("/api/v1/me"); r.status != 200 {
		t.Fatalf("a refused logout ended the session: %s", r)
	}

	r := b.send("POST", "/auth/logout", "", map[string]string{CSRFHeader: csrf})
	if r.status != 204 || !clearsSession(r) {
		t.Fatalf("logout: %s (cookie cleared: %v)", r, clearsSession(r))
	}
	if b.cookie(sessionCookie) != "" {
		t.Fatal("the browser kept its session cookie")
	}
	// The copied cookie is refused for reading and for changing.
	r = o.do(req{method: "GET", path: "/api/v1/me", headers: withSession(old)})
	if r.status != 401 || !strings.Contains(string(r.body), "signed out") {
		t.Fatalf("the old cookie after logout: %s", r)
	}
	r = o.do(req{method: "POST", path: "/api/v1/orgs", body: OrgRequest{Slug: "alice-co", Name: "Alice Co"}, headers: withSession(old, CSRFHeader, csrf)})
	if r.status != 401 {
		t.Fatalf("a change with the old cookie after logout: %s", r)
	}
	// Signing out a session that is already over has nothing to end;
	// signing it out everywhere is refused, since it proves nothing.
	if r := o.do(req{method: "POST", path: "/auth/logout", headers: withSession(old, CSRFHeader, csrf)}); r.status != 204 || !clearsSession(r) {
		t.Fatalf("logout again with the old cookie: %s", r)
	}
	if r := o.do(req{method: "POST", path: "/auth/logout?everywhere=true", headers: withSession(old, CSRFHeader, csrf)}); r.status != 401 {
		t.Fatalf("logout everywhere with the old cookie: %s", r)
	}
	// Signing in again starts a new session that works.
	o.clock.add(time.Second)
	b2, _, _ := o.signedIn(t, "alice-1")
	if r := b2.get("/api/v1/me"); r.status != 200 {
		t.Fatalf("a new session after logout: %s", r)
	}
}

// Signing out everywhere voids every session of the person, in every
// browser, and no one else's; sessions started afterwards work.
func TestSignOutEverywhere(t *testing.T) {
	o := newSignInEnv(t, backend{"sqlite", openSQLite}, nil)
	laptop, laptopCookie, csrf := o.signedIn(t, "alice-1")
	phone, _, _ := o.signedIn(t, "alice-1")
	bob, _, _ := o.signedIn(t, "bob-1")
	o.clock.add(time.Second)

	for _, q := range []string{"?everywhere=maybe", "?all=true"} {
		if r := laptop.send("POST", "/auth/logout"+q, "", map[string]string{CSRFHeader: csrf}); r.status != 400 {
			t.Fatalf("logout%s: %s", q, r)
		}
	}
	if r := laptop.send("POST", "/auth/logout?everywhere=true", "", map[string]string{CSRFHeader: csrf}); r.status != 204 || !clearsSession(r) {
		t.Fatalf("logout everywhere: %s", r)
	}
	if r := phone.get("/api/v1/me"); r.status != 401 {
		t.Fatalf("alice's other session after logout everywhere: %s", r)
	}
	if r := o.do(req{method: "GET", path: "/api/v1/me", headers: withSession(laptopCookie)}); r.status != 401 {
		t.Fatalf("the copied cookie after logout everywhere: %s", r)
	}
	if r := bob.get("/api/v1/me"); r.status != 200 {
		t.Fatalf("bob's session after alice signed out everywhere: %s", r)
	}
	o.clock.add(time.Second)
	again, _, _ := o.signedIn(t, "alice-1")
	if r := again.get("/api/v1/me"); r.status != 200 {
		t.Fatalf("a session started after logout everywhere: %s", r)
	}
}

// A cookie sealed before sessions had IDs cannot be signed out, so it is
// refused.
func TestSessionWithoutIDIsRefused(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	v, err := e.srv.sessions.seal("session", map[string]any{"sub": "https://idp.example|old", "csrf": "x", "exp": time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", headers: withSession(v)}); r.status != 401 {
		t.Fatalf("a session without an ID: %s", r)
	}
}

// sessionFaults is a store whose session records can be made to fail, as
// when the database is unreachable or refuses writes.
type sessionFaults struct {
	demarc.Store
	writes, reads atomic.Bool
}

var errStoreDown = &demarc.Error{Code: demarc.EInternal, Op: "session", Message: "storage failure", Err: errors.New("connection refused")}

func (f *sessionFaults) RevokeSession(ctx context.Context, id demarc.SessionID, expires time.Time) error {
	if f.writes.Load() {
		return errStoreDown
	}
	return f.Store.RevokeSession(ctx, id, expires)
}

func (f *sessionFaults) RevokeSubjectSessions(ctx context.Context, subject string, before, until time.Time) error {
	if f.writes.Load() {
		return errStoreDown
	}
	return f.Store.RevokeSubjectSessions(ctx, subject, before, until)
}

func (f *sessionFaults) SessionRevoked(ctx context.Context, id demarc.SessionID, subject string, issued time.Time) (bool, error) {
	if f.reads.Load() {
		return false, errStoreDown
	}
	return f.Store.SessionRevoked(ctx, id, subject, issued)
}

// When the sign-out cannot be recorded the answer is 503 and the cookie
// stays, so that the person knows they are still signed in; when the
// store cannot say whether a session was signed out, requests with it
// get 503 too, never a 500 and never a pass.
func TestSignOutFailsWhenTheStoreCannotRecordIt(t *testing.T) {
	faults := &sessionFaults{}
	o := newSignInEnv(t, backend{"sqlite", func(t testing.TB) (demarc.Store, orgLister) {
		st, orgs := openSQLite(t)
		faults.Store = st
		return faults, orgs
	}}, nil)
	b, _, csrf := o.signedIn(t, "alice-1")

	faults.writes.Store(true)
	for _, q := range []string{"", "?everywhere=true"} {
		r := b.send("POST", "/auth/logout"+q, "", map[string]string{CSRFHeader: csrf})
		if r.status != 503 || clearsSession(r) || !strings.Contains(string(r.body), "still valid") {
			t.Fatalf("logout%s with the store refusing writes: %s (cookie cleared: %v)", q, r, clearsSession(r))
		}
	}
	if r := b.get("/api/v1/me"); r.status != 200 {
		t.Fatalf("the session after a failed logout: %s", r)
	}

	faults.reads.Store(true)
	if r := b.get("/api/v1/me"); r.status != 503 {
		t.Fatalf("a session the store cannot check: %s", r)
	}
	if r := b.send("POST", "/auth/logout", "", map[string]string{CSRFHeader: csrf}); r.status != 503 || clearsSession(r) {
		t.Fatalf("logout with the store down: %s", r)
	}

	faults.writes.Store(false)
	faults.reads.Store(false)
	if r := b.send("POST", "/auth/logout", "", map[string]string{CSRFHeader: csrf}); r.status != 204 || !clearsSession(r) {
		t.Fatalf("logout once the store is back: %s", r)
	}
}

// mintSession starts a session for subject as a sign-in would, and
// returns its cookie value and contents.
func mintSession(t *testing.T, e *env, subject string) (string, session) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := e.srv.sessions.start(rec, subject, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Result().Cookies() {
		var s session
		if c.Name == sessionCookie && e.srv.sessions.open("session", c.Value, &s) {
			return c.Value, s
		}
	}
	t.Fatal("no session cookie was set")
	return "", session{}
}

// Signing out purges the records of sign-outs whose sessions have
// expired anyway, and keeps the rest.
func TestSignOutPurgesExpiredRecords(t *testing.T) {
	clk := &clock{now: time.Now()}
	e := newEnv(t, backend{"sqlite", openSQLite}, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	revoked := func(s session) bool {
		t.Helper()
		r, err := e.store.SessionRevoked(ctx, demarc.SessionID(s.ID), s.Subject, s.Issued)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	oldCookie, old := mintSession(t, e, "https://idp.example|alice")
	e.must(204, req{method: "POST", path: "/auth/logout", headers: withSession(oldCookie, CSRFHeader, old.CSRF)})
	if !revoked(old) {
		t.Fatal("the sign-out was not recorded")
	}
	clk.add(SessionTTL + time.Minute)
	newCookie, fresh := mintSession(t, e, "https://idp.example|bob")
	e.must(204, req{method: "POST", path: "/auth/logout", headers: withSession(newCookie, CSRFHeader, fresh.CSRF)})
	if revoked(old) {
		t.Error("the record of a session that has expired was not purged")
	}
	if !revoked(fresh) {
		t.Error("the record of a live session was purged")
	}
}

// Two replicas share one PostgreSQL database and a session key. A
// session signed out through one is refused by the other at once, with
// no wait for a notification; signing out everywhere through the other
// is refused by the first at once.
func TestSignOutAcrossReplicas(t *testing.T) {
	if os.Getenv("DEMARC_TEST_POSTGRES") == "" {
		t.Skip("DEMARC_TEST_POSTGRES is not set")
	}
	schema := "demarc_signout_" + strings.ToLower(demarc.NewID("t")[2+10:])
	dropSchema(t, schema)
	pg := backend{"postgres", func(t testing.TB) (demarc.Store, orgLister) { return openPostgresSchema(t, schema) }}
	key := make([]byte, 32)
	rand.Read(key)
	a := newSignInEnv(t, pg, key)
	b := newEnv(t, pg, func(c *Config) { c.SessionKey = key; c.Now = a.clock.Now })

	br, cookie, csrf := a.signedIn(t, "alice-1")
	b.must(200, req{method: "GET", path: "/api/v1/me", headers: withSession(cookie)})
	if r := br.send("POST", "/auth/logout", "", map[string]string{CSRFHeader: csrf}); r.status != 204 {
		t.Fatalf("logout through a: %s", r)
	}
	if r := b.do(req{method: "GET", path: "/api/v1/me", headers: withSession(cookie)}); r.status != 401 {
		t.Fatalf("replica b right after logout through a: %s", r)
	}

	a.clock.add(time.Second)
	_, laptop, laptopCSRF := a.signedIn(t, "alice-1")
	_, phone, _ := a.signedIn(t, "alice-1")
	a.must(200, req{method: "GET", path: "/api/v1/me", headers: withSession(phone)})
	a.clock.add(time.Second)
	b.must(204, req{method: "POST", path: "/auth/logout?everywhere=true", headers: withSession(laptop, CSRFHeader, laptopCSRF)})
	if r := a.do(req{method: "GET", path: "/api/v1/me", headers: withSession(phone)}); r.status != 401 {
		t.Fatalf("replica a right after logout everywhere through b: %s", r)
	}
}
