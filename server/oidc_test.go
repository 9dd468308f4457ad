package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oidctest"
)

// browser is a user agent with cookies that does not follow redirects
// by itself, so that each hop can be checked.
type browser struct {
	t      *testing.T
	client *http.Client
	base   string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) *resp {
	b.t.Helper()
	return b.send("GET", u, "", nil)
}

func (b *browser) send(method, u, body string, headers map[string]string) *resp {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	r, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	res, err := b.client.Do(r)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: data}
}

// signIn walks the authorization-code flow: demarc → provider → demarc.
// It returns the callback's answer.
func (b *browser) signIn(login string) *resp {
	b.t.Helper()
	r := b.get(login)
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("login: %s", r)
	}
	r = b.get(r.header.Get("Location")) // the provider approves at once
	if r.status != http.StatusFound {
		b.t.Fatalf("authorize: %s", r)
	}
	return b.get(r.header.Get("Location"))
}

// oidcEnv is a server with sign-in through an in-process provider.
type oidcEnv struct {
	*env
	idp   *oidctest.Provider
	clock *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newOIDCEnv(t *testing.T) *oidcEnv {
	idp, err := oidctest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	clk := &clock{now: time.Now()}
	// The server's URL is needed for the redirect URL before the server
	// exists: listen first.
	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	e := newEnv(t, backend{"sqlite", openSQLite}, func(c *Config) {
		c.OIDC = &OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: hs.URL + "/auth/callback"}
		c.PublicURL = hs.URL
		c.Now = clk.Now
	})
	h = e.srv
	e.http = hs
	return &oidcEnv{env: e, idp: idp, clock: clk}
}

// A person an admin invited by e-mail signs in, lands where they wanted,
// acts for the organisation with the invited role, and must send the
// session's CSRF token with every change.
func TestSignIn(t *testing.T) {
	o := newOIDCEnv(t)
	a := o.tenant("acme")
	o.must(201, req{method: "POST", path: "/api/v1/orgs/acme/members", token: a.tokens[demarc.RoleAdmin],
		body: demarc.MemberInput{Email: "alice@acme.example", Name: "Alice", Role: demarc.RoleEditor}})
	o.idp.SetUser(&oidctest.User{Subject: "alice-1", Email: "alice@acme.example", EmailVerified: true, Name: "Alice"})
	b := newBrowser(t, o.http.URL)
	r := b.signIn("/auth/login?org=acme&return=/api/v1/orgs/acme")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/api/v1/orgs/acme" {
		t.Fatalf("callback: %s (Location %q)", r, r.header.Get("Location"))
	}
	var me Me
	b.get("/api/v1/me").json(t, &me)
	if me.Via != viaSession || me.Subject != o.idp.URL+"|alice-1" || len(me.Memberships) != 1 || me.Memberships[0].Member.Role != demarc.RoleEditor || me.CSRFToken == "" {
		t.Fatalf("me: %+v", me)
	}
	if r := b.get("/api/v1/orgs/acme/members"); r.status != 200 {
		t.Fatalf("reading as the session: %s", r)
	}
	doc := `{"name":"shop","content":"name: shop\ncomponents:\n  - name: api\n    service: aws/lambda\n"}`
	ctype := map[string]string{"Content-Type": "application/json"}
	if r := b.send("POST", "/api/v1/orgs/acme/systems", doc, ctype); r.status != 403 || !strings.Contains(string(r.body), CSRFHeader) {
		t.Fatalf("a change without the CSRF token: %s", r)
	}
	if r := b.send("POST", "/api/v1/orgs/acme/systems", doc, map[string]string{"Content-Type": "application/json", CSRFHeader: "forged"}); r.status != 403 {
		t.Fatalf("a change with a wrong CSRF token: %s", r)
	}
	if r := b.send("POST", "/api/v1/orgs/acme/systems", doc, map[string]string{"Content-Type": "application/json", CSRFHeader: me.CSRFToken, "Origin": "https://evil.example"}); r.status != 403 {
		t.Fatalf("a cross-origin change: %s", r)
	}
	r = b.send("POST", "/api/v1/orgs/acme/systems", doc, map[string]string{"Content-Type": "application/json", CSRFHeader: me.CSRFToken, "Origin": o.http.URL})
	if r.status != 201 {
		t.Fatalf("a change with the CSRF token: %s", r)
	}
	var events List[demarc.Event]
	o.must(200, req{method: "GET", path: "/api/v1/orgs/acme/audit/events?action=document.create", token: a.tokens[demarc.RoleAuditor]}).json(t, &events)
	if len(events.Items) != 1 || events.Items[0].Actor.Member != me.Memberships[0].Member.ID || events.Items[0].Actor.Token != "" {
		t.Fatalf("the change is recorded as %+v", events.Items)
	}
	// The session is not a member of other organisations.
	o.tenant("rival")
	if r := b.get("/api/v1/orgs/rival"); r.status != 404 {
		t.Fatalf("another organisation: %s", r)
	}
	// Removing the member ends what the session may do at once.
	var m demarc.Member
	o.must(200, req{method: "GET", path: "/api/v1/orgs/acme/members/" + string(me.Memberships[0].Member.ID), token: a.tokens[demarc.RoleAdmin]}).json(t, &m)
	o.must(204, req{method: "DELETE", path: "/api/v1/orgs/acme/members/" + string(m.ID), token: a.tokens[demarc.RoleAdmin], headers: map[string]string{"If-Match": versionTag(m.Version)}})
	if r := b.get("/api/v1/orgs/acme/members"); r.status != 404 {
		t.Fatalf("after removal: %s", r)
	}
	// Sessions expire; logging out ends one.
	o.clock.add(SessionTTL + time.Minute)
	if r := b.get("/api/v1/me"); r.status != 401 {
		t.Fatalf("an expired session: %s", r)
	}
	if r := b.send("POST", "/auth/logout", "", nil); r.status != 204 {
		t.Fatalf("logout: %s", r)
	}
	if r := b.get("/api/v1/me"); r.status != 401 {
		t.Fatalf("after logout: %s", r)
	}
}

// Someone nobody invited can sign in and create an organisation of their
// own; an unverified e-mail address links to no invitation.
func TestSignInWithoutInvitation(t *testing.T) {
	o := newOIDCEnv(t)
	a := o.tenant("acme")
	o.must(201, req{method: "POST", path: "/api/v1/orgs/acme/members", token: a.tokens[demarc.RoleAdmin],
		body: demarc.MemberInput{Email: "mallory@acme.example", Name: "Mallory", Role: demarc.RoleAdmin}})
	o.idp.SetUser(&oidctest.User{Subject: "m-1", Email: "mallory@acme.example", EmailVerified: false, Name: "Mallory"})
	b := newBrowser(t, o.http.URL)
	if r := b.signIn("/auth/login?org=acme"); r.status != http.StatusSeeOther {
		t.Fatalf("callback: %s", r)
	}
	var me Me
	b.get("/api/v1/me").json(t, &me)
	if len(me.Memberships) != 0 {
		t.Fatalf("an unverified address was linked: %+v", me.Memberships)
	}
	if r := b.get("/api/v1/orgs/acme"); r.status != 404 {
		t.Fatalf("acme as an uninvited person: %s", r)
	}
	r := b.send("POST", "/api/v1/orgs", `{"slug":"mallory-co","name":"Mallory Co"}`, map[string]string{"Content-Type": "application/json", CSRFHeader: me.CSRFToken})
	var out OrgCreated
	r.json(t, &out)
	if r.status != 201 || out.Owner.Subject != me.Subject || out.Token != nil {
		t.Fatalf("create organisation: %s", r)
	}
	if r := b.get("/api/v1/orgs/mallory-co/members"); r.status != 200 {
		t.Fatalf("own organisation: %s", r)
	}
}

// Every way an ID token can be wrong makes sign-in fail, and so do a
// replayed code, a forged state and a callback nobody started.
func TestSignInRefusesBadTokens(t *testing.T) {
	o := newOIDCEnv(t)
	o.idp.SetUser(&oidctest.User{Subject: "bob", Email: "bob@x.example", EmailVerified: true})
	cases := []struct {
		name   string
		tamper func(h, c map[string]any)
		says   string
	}{
		{"wrong nonce", func(h, c map[string]any) { c["nonce"] = "other" }, "nonce"},
		{"expired", func(h, c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "expired"},
		{"issued in the future", func(h, c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }, "future"},
		{"wrong audience", func(h, c map[string]any) { c["aud"] = "someone-else" }, "not meant for this client"},
		{"several audiences", func(h, c map[string]any) { c["aud"] = []string{o.idp.ClientID, "other"} }, "azp"},
		{"wrong issuer", func(h, c map[string]any) { c["iss"] = "https://evil.example" }, "issued by"},
		{"no subject", func(h, c map[string]any) { c["sub"] = "" }, "no subject"},
		{"alg none", func(h, c map[string]any) { h["alg"] = "none" }, "only RS256"},
		{"HS256", func(h, c map[string]any) { h["alg"] = "HS256" }, "only RS256"},
		{"unknown key", func(h, c map[string]any) { h["kid"] = "nope" }, "unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o.idp.Tamper(tc.tamper)
			b := newBrowser(t, o.http.URL)
			r := b.signIn("/auth/login")
			if r.status != 401 || !strings.Contains(string(r.body), tc.says) {
				t.Fatalf("got %s, want 401 saying %q", r, tc.says)
			}
			if b.get("/api/v1/me").status != 401 {
				t.Fatal("a session was started")
			}
		})
	}
	t.Run("signed with another key", func(t *testing.T) {
		if err := o.idp.Rotate(); err != nil {
			t.Fatal(err)
		}
		// The probe with an unknown key above fetched the keys; they are
		// fetched again only after keyRefetch.
		o.clock.add(keyRefetch)
		b := newBrowser(t, o.http.URL)
		if r := b.signIn("/auth/login"); r.status != 303 {
			t.Fatalf("after key rotation: %s", r) // the new key is fetched
		}
		o.idp.Tamper(func(h, c map[string]any) { h["kid"] = "key-1" }) // signed with key 2, claims key 1
		o.clock.add(10 * time.Second)
		b = newBrowser(t, o.http.URL)
		if r := b.signIn("/auth/login"); r.status != 401 || !strings.Contains(string(r.body), "signature") {
			t.Fatalf("a token whose signature is not its key's: %s", r)
		}
	})
	t.Run("forged state", func(t *testing.T) {
		b := newBrowser(t, o.http.URL)
		r := b.get(b.get("/auth/login").header.Get("Location"))
		u, _ := url.Parse(r.header.Get("Location"))
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		if r := b.get(u.String()); r.status != 400 {
			t.Fatalf("forged state: %s", r)
		}
	})
	t.Run("no login started", func(t *testing.T) {
		b := newBrowser(t, o.http.URL)
		if r := b.get("/auth/callback?code=x&state=y"); r.status != 400 {
			t.Fatalf("callback without login: %s", r)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		b := newBrowser(t, o.http.URL)
		r := b.get(b.get("/auth/login").header.Get("Location"))
		back := r.header.Get("Location")
		if r := b.get(back); r.status != 303 {
			t.Fatalf("first use: %s", r)
		}
		// The same browser starts again and replays the old code with the
		// new state.
		r2 := b.get(b.get("/auth/login").header.Get("Location"))
		u, _ := url.Parse(back)
		u2, _ := url.Parse(r2.header.Get("Location"))
		q := u2.Query()
		q.Set("code", u.Query().Get("code"))
		u2.RawQuery = q.Encode()
		if r := b.get(u2.String()); r.status != 401 {
			t.Fatalf("replayed code: %s", r)
		}
	})
	t.Run("refused at the provider", func(t *testing.T) {
		o.idp.SetUser(nil)
		defer o.idp.SetUser(&oidctest.User{Subject: "bob"})
		b := newBrowser(t, o.http.URL)
		if r := b.signIn("/auth/login"); r.status != 401 || !strings.Contains(string(r.body), "access_denied") {
			t.Fatalf("access denied: %s", r)
		}
	})
	t.Run("no open redirect", func(t *testing.T) {
		o.idp.SetUser(&oidctest.User{Subject: "bob"})
		for _, ret := range []string{"//evil.example/x", "https://evil.example", `/\evil.example`, "javascript:alert(1)"} {
			b := newBrowser(t, o.http.URL)
			if r := b.signIn("/auth/login?return=" + url.QueryEscape(ret)); r.header.Get("Location") != "/" {
				t.Errorf("return %q sent the browser to %q", ret, r.header.Get("Location"))
			}
		}
	})
}

// FuzzIDToken: no string verifies as an ID token unless the provider
// signed it, and none makes the verifier panic.
func FuzzIDToken(f *testing.F) {
	idp, err := oidctest.New()
	if err != nil {
		f.Fatal(err)
	}
	defer idp.Close()
	c, err := newOIDCClient(OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, RedirectURL: "http://127.0.0.1/cb"}, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := c.key(context.Background(), "key-1"); err != nil {
		f.Fatal(err)
	}
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"key-1"}`))
	claims, _ := json.Marshal(map[string]any{"iss": idp.URL, "sub": "x", "aud": idp.ClientID, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nonce": "n"})
	f.Add(hdr + "." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln")
	f.Add("a.b.c")
	f.Add("..")
	f.Add(hdr + ".e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := c.verify(context.Background(), raw, "n"); err == nil {
			t.Fatalf("an unsigned token verified: %q", raw)
		}
	})
}
