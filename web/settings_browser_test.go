package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// checkAccessible fails the test when the page has accessibility problems.
func checkAccessible(b *browser, name string) {
	b.t.Helper()
	if got := eval[string](b, accessibilityProblems); got != "" {
		b.t.Errorf("%s:\n%s", name, got)
	}
}

// rowWith returns the CSS selector of the table row whose header cell
// contains text.
func rowWith(b *browser, table, text string) string {
	b.t.Helper()
	id := eval[string](b, `(() => { const tr = Array.from(document.querySelectorAll(`+jsString(table+" tbody tr")+`)).find(tr => tr.querySelector("th") && tr.querySelector("th").textContent.includes(`+jsString(text)+`)); return tr ? tr.id : ""; })()`)
	if id == "" {
		b.t.Fatalf("no row of %s contains %q", table, text)
	}
	return "#" + id
}

// An owner opens Settings from the navigation, invites a member and sees
// the link to send, changes the member's role, makes an API token and
// sees its secret once with a copy button, and revokes it; the pages
// pass the accessibility checks and fit a phone. A duplicate invitation
// comes back on its form.
func TestSettingsInBrowser(t *testing.T) {
	s := newSite(t, false)
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleOwner])
	b.do(chromedp.Click(chromedp.CSS(`nav.primary a[href="/o/acme/settings"]`)), chromedp.WaitVisible(chromedp.CSS("#members")))
	checkAccessible(b, "settings")
	b.do(chromedp.SendKeys(chromedp.CSS("#add-email"), "nina@acme.test"), chromedp.SendKeys(chromedp.CSS("#add-name"), "Nina New"))
	setInput(b, "#add-role", "editor")
	b.do(chromedp.Click(chromedp.CSS("#add-member-submit")), chromedp.WaitVisible(chromedp.CSS("#invited")))
	if got := inputValue(b, "#invite-link-new"); got != s.url+"/signin?org=acme" {
		t.Errorf("the invitation link is %q", got)
	}
	if hidden := eval[bool](b, `document.querySelector('#invited button[data-copy]').hidden`); hidden {
		t.Error("the copy button stays hidden with script on")
	}
	b.shot("invited")

	row := rowWith(b, "table.members", "nina@acme.test")
	setInput(b, row+" select", "auditor")
	b.do(chromedp.Click(chromedp.CSS(row+" .role-form button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.Contains(got, "nina@acme.test is now auditor") {
		t.Errorf("after changing the role: %q", got)
	}
	var members server.List[demarc.Member]
	s.api("GET", "/api/v1/orgs/acme/members", s.tokens[demarc.RoleOwner], nil, &members, http.StatusOK)
	for _, m := range members.Items {
		if m.Email == "nina@acme.test" && m.Role != demarc.RoleAuditor {
			t.Errorf("the API says nina is %s", m.Role)
		}
	}
	b.shot("role-changed")

	b.do(chromedp.Click(chromedp.CSS(`nav.tabs a[href="/o/acme/settings/tokens"]`)), chromedp.WaitVisible(chromedp.CSS("#token-form")))
	checkAccessible(b, "tokens")
	b.do(chromedp.SendKeys(chromedp.CSS("#token-name"), "ci pipeline"), chromedp.Click(chromedp.CSS("#token-create")), chromedp.WaitVisible(chromedp.CSS("#token-secret")))
	checkAccessible(b, "new token")
	secret := inputValue(b, "#token-secret")
	if !strings.HasPrefix(secret, demarc.TokenPrefix) {
		t.Fatalf("the secret shown is %q", secret)
	}
	if st, me := meWith(t, s, secret); st != http.StatusOK || me.Email != "owner@acme.test" {
		t.Errorf("the secret shown does not sign in as the owner: %d", st)
	}
	b.do(chromedp.Click(chromedp.CSS("#token-created button[data-copy]")))
	waitFor(b, `document.querySelector("#token-created .copied").textContent !== ""`)
	b.shot("token-secret")
	b.do(chromedp.Click(chromedp.CSS("#tokens-back")), chromedp.WaitVisible(chromedp.CSS("#tokens")))
	if eval[bool](b, `document.documentElement.outerHTML.includes(`+jsString(secret)+`)`) {
		t.Error("the token list shows the secret")
	}
	b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#tokens")))
	if eval[bool](b, `document.documentElement.outerHTML.includes(`+jsString(secret)+`)`) {
		t.Error("a reload shows the secret")
	}
	row = rowWith(b, "#tokens table", "ci pipeline")
	eval[bool](b, `(window.confirm = () => true, true)`)
	b.do(chromedp.Click(chromedp.CSS(row+" button.danger")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if st, _ := meWith(t, s, secret); st != http.StatusUnauthorized {
		t.Errorf("the revoked token answers %d", st)
	}
	b.shot("token-revoked")

	phone := newBrowser(t, 390, 844)
	u2SignIn(phone, s, s.tokens[demarc.RoleAdmin])
	for _, p := range []string{"/o/acme/settings", "/o/acme/settings/tokens?member=all"} {
		phone.do(chromedp.Navigate(s.url+p), chromedp.WaitVisible(chromedp.CSS("main")))
		if w := eval[int](phone, `document.documentElement.scrollWidth`); w > 400 {
			t.Errorf("%s is %d px wide at a 390 px viewport", p, w)
		}
	}
	phone.shot("tokens-phone")
	phone.clean()
	b.clean()

	// Refused pages answer 409, which Chromium logs as a failed load, so
	// the console was checked before.
	b.do(chromedp.Navigate(s.url+"/o/acme/settings"), chromedp.WaitVisible(chromedp.CSS("#add-member-form")),
		chromedp.SendKeys(chromedp.CSS("#add-email"), "editor@acme.test"), chromedp.SendKeys(chromedp.CSS("#add-name"), "Second Editor"),
		chromedp.Click(chromedp.CSS("#add-member-submit")), chromedp.WaitVisible(chromedp.CSS("#add-error")))
	if inputValue(b, "#add-email") != "editor@acme.test" || inputValue(b, "#add-name") != "Second Editor" {
		t.Error("the refused invitation lost what was typed")
	}
	b.shot("duplicate-member")
}

// A provider publishes its statement from the page; acme's admin
// subscribes from the list; when the provider publishes a version that
// moves backups to itself, acme's subscriptions show the news, the
// subscription shows what moved, and the admin acknowledges it.
func TestPublishingInBrowser(t *testing.T) {
	s := newSite(t, false)
	cloudToken, stmt := providerOrg(s)
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, cloudToken)
	b.do(chromedp.Navigate(s.url+"/o/cloud/"), chromedp.WaitVisible(chromedp.CSS("nav.primary")),
		chromedp.Click(chromedp.CSS(`nav.primary a[href="/o/cloud/publications"]`)), chromedp.WaitVisible(chromedp.CSS("#publish-form")))
	checkAccessible(b, "publications (provider)")
	setInput(b, "#publish-statement", stmt)
	b.do(chromedp.Click(chromedp.CSS("#publish-submit")), chromedp.WaitVisible(chromedp.CSS("#versions")))
	checkAccessible(b, "publication")
	b.shot("published")

	u2SignIn(b, s, s.tokens[demarc.RoleAdmin])
	b.do(chromedp.Navigate(s.url+"/o/acme/publications"), chromedp.WaitVisible(chromedp.CSS("#offered")))
	row := rowWith(b, "#offered table", "cloudco")
	b.do(chromedp.Click(chromedp.CSS(row+" button")), chromedp.WaitVisible(chromedp.CSS("#no-news")))
	b.shot("subscribed")

	s.apiWith("PUT", "/api/v1/orgs/cloud/providers/"+stmt, cloudToken, `"v1"`, server.DocumentRequest{Content: backupStatement, Note: "we back up now"}, http.StatusOK)
	s.api("POST", "/api/v1/orgs/cloud/providers/"+stmt+"/publish", cloudToken, server.PublishRequest{}, nil, http.StatusCreated)

	b.do(chromedp.Click(chromedp.CSS(`nav.primary a[href="/o/acme/publications"]`)), chromedp.WaitVisible(chromedp.CSS("#offered")),
		chromedp.Click(chromedp.CSS(`nav.tabs a[href="/o/acme/subscriptions"]`)), chromedp.WaitVisible(chromedp.CSS("tr.news")))
	checkAccessible(b, "subscriptions")
	b.shot("news")
	b.do(chromedp.Click(chromedp.CSS("tr.news th a")), chromedp.WaitVisible(chromedp.CSS("#changes")))
	checkAccessible(b, "subscription")
	if got := b.text("#changes"); !strings.Contains(got, "data.backup") || !strings.Contains(got, "cp-9") {
		t.Errorf("what moved does not name data.backup and cp-9: %q", got)
	}
	b.shot("what-moved")
	b.do(chromedp.Click(chromedp.CSS("#acknowledge")), chromedp.WaitVisible(chromedp.CSS("#no-news")))
	if got := b.text("#acknowledged"); got != "v2" {
		t.Errorf("acknowledged %q after acknowledging", got)
	}
	b.shot("acknowledged")

	phone := newBrowser(t, 390, 844)
	u2SignIn(phone, s, s.tokens[demarc.RoleViewer])
	phone.do(chromedp.Navigate(s.url+"/o/acme/subscriptions"), chromedp.WaitVisible(chromedp.CSS("main")))
	if w := eval[int](phone, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("the subscriptions page is %d px wide at a 390 px viewport", w)
	}
	phone.clean()
	b.clean()
}
