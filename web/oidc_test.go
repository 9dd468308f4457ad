package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oidctest"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/sqlite"
	"github.com/demarc-io/demarc/web"
)

// In a real browser: a person an owner invited by e-mail signs in through
// the identity provider for the first time, lands on the organisation's
// dashboard with the invited role, and signs out.
func TestSignInWithIdentityProviderInBrowser(t *testing.T) {
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
	if _, err := st.AddMember(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.MemberInput{Email: "alice@acme.test", Name: "Alice", Role: demarc.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	idp.SetUser(&oidctest.User{Subject: "alice-1", Email: "alice@acme.test", EmailVerified: true, Name: "Alice"})

	// The redirect URL needs the server's address before the server exists.
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

	b := newBrowser(t, 1280, 900)
	b.do(chromedp.Navigate(hs.URL+"/signin?org=acme"), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
	b.shot("signin")
	b.do(chromedp.Click(chromedp.CSS("#oidc-signin")), chromedp.WaitVisible(chromedp.CSS(`nav.primary a[href="/o/acme/"]`)))
	if got := b.text("header .switcher summary"); !strings.Contains(got, "Acme Retail") || !strings.Contains(got, "editor") {
		t.Errorf("signed in as %q, want Acme Retail as editor", got)
	}
	if got := b.text("h1"); !strings.Contains(got, "Acme Retail") {
		t.Errorf("landing page says %q", got)
	}
	b.shot("dashboard")
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	b.do(chromedp.Navigate(hs.URL+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	b.clean()
}
