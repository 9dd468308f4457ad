package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oidctest"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/sqlite"
	"github.com/demarc-io/demarc/web"
)

// signInSite is a server with the UI and sign-in through an in-process
// identity provider, where alice is an invited editor of acme and the
// owner has an API token.
type signInSite struct {
	url   string
	token string // the owner's API token
}

func newSignInSite(t *testing.T) *signInSite {
	t.Helper()
	idp, err := oidctest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demarc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, owner, err := st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "acme", Name: "Acme Retail"},
		demarc.MemberInput{Email: "owner@acme.test", Name: "Olive Owner", Role: demarc.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	by := demarc.Actor{Member: owner.ID}
	if _, err := st.AddMember(ctx, by, org.ID, demarc.MemberInput{Email: "alice@acme.test", Name: "Alice", Role: demarc.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(ctx, by, org.ID, demarc.TokenInput{Member: owner.ID, Name: "laptop", Hash: hash, Hint: hint}); err != nil {
		t.Fatal(err)
	}
	idp.SetUser(&oidctest.User{Subject: "alice-1", Email: "alice@acme.test", EmailVerified: true, Name: "Alice"})

	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	srv, err := server.New(server.Config{Store: st, NoRateLimit: true, PublicURL: hs.URL,
		OIDC: &server.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: hs.URL + "/auth/callback"},
		UI:   func(api http.Handler) (http.Handler, error) { return web.New(web.Config{API: api, OIDC: true}) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h = srv
	return &signInSite{url: hs.URL, token: secret}
}

// sessionOf returns the browser's session cookie.
func (b *browser) sessionOf(base string) *http.Cookie {
	b.t.Helper()
	c := b.cookieClient(&site{url: base})
	u, _ := url.Parse(base)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "demarc_session" {
			return &http.Cookie{Name: k.Name, Value: k.Value}
		}
	}
	b.t.Fatal("the browser has no session cookie")
	return nil
}

// signedOut fails unless a copied session cookie is refused by the API
// (401) and sends the UI's visitor to sign in.
func signedOut(t *testing.T, base string, session *http.Cookie) {
	t.Helper()
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/api/v1/me", "/o/acme/"} {
		r, err := http.NewRequest("GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.AddCookie(session)
		res, err := noFollow.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch {
		case path == "/api/v1/me" && res.StatusCode != http.StatusUnauthorized:
			t.Errorf("the API accepts the old session cookie: GET %s answers %d", path, res.StatusCode)
		case path == "/o/acme/" && (res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin")):
			t.Errorf("the UI accepts the old session cookie: GET %s answers %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// signInWithHTTP signs alice in with a plain HTTP client, as a second
// browser would, and returns the client holding the session.
func signInWithHTTP(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.Get(base + "/auth/login?return=/o/acme/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/o/acme/" {
		t.Fatalf("signing in over HTTP ended at %s with %d", res.Request.URL, res.StatusCode)
	}
	return c
}

// In a real browser: "Sign out" ends the session on the server, so that
// a copy of its cookie taken before is refused; "Sign out everywhere"
// ends the person's session in another browser too. A token sign-in
// offers only "Sign out", which leaves the token valid.
func TestSignOutInBrowser(t *testing.T) {
	s := newSignInSite(t)
	b := newBrowser(t, 1280, 900)
	signIn := func() {
		b.do(chromedp.Navigate(s.url+"/signin?org=acme"), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")),
			chromedp.Click(chromedp.CSS("#oidc-signin")), chromedp.WaitVisible(chromedp.CSS(`nav.primary a[href="/o/acme/"]`)))
	}

	signIn()
	if got := b.text(`form[action="/signout"] button[name="everywhere"]`); got != "Sign out everywhere" {
		t.Errorf("the everywhere button says %q", got)
	}
	b.shot("signed-in")
	old := b.sessionOf(s.url)
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button:not([name])`)), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	signedOut(t, s.url, old)

	// Everywhere: the browser and another one, signed in as alice.
	signIn()
	first := b.sessionOf(s.url)
	other := signInWithHTTP(t, s.url)
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button[name="everywhere"]`)), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	signedOut(t, s.url, first)
	u, _ := url.Parse(s.url)
	for _, k := range other.Jar.Cookies(u) {
		if k.Name == "demarc_session" {
			signedOut(t, s.url, &http.Cookie{Name: k.Name, Value: k.Value})
		}
	}

	// A token sign-in: no "everywhere", and the token outlives signing out.
	b.do(chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SendKeys(chromedp.CSS("#token"), s.token), chromedp.Click(chromedp.CSS("#signin-form button")),
		chromedp.WaitVisible(chromedp.CSS("nav.primary")))
	if n := eval[int](b, `document.querySelectorAll('form[action="/signout"] button[name="everywhere"]').length`); n != 0 {
		t.Errorf("a token sign-in offers to sign out everywhere")
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	r, err := http.NewRequest("GET", s.url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the token after signing out answers %d; signing out must not revoke it", res.StatusCode)
	}
	b.clean()
}
