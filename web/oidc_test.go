package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// In a real browser: a person an owner invited by e-mail signs in through
// the identity provider for the first time, lands on the organisation's
// dashboard with the invited role, and signs out.
func TestSignInWithIdentityProviderInBrowser(t *testing.T) {
	s := newSignInSite(t)
	b := newBrowser(t, 1280, 900)
	b.do(chromedp.Navigate(s.url+"/signin?org=acme"), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
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
	b.do(chromedp.Navigate(s.url+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	b.clean()
}
