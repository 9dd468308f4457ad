package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// checkAccessible fails the test when the page in the browser has what
// accessibilityProblems looks for.
func (b *browser) checkAccessible(name string) {
	b.t.Helper()
	if got := eval[string](b, accessibilityProblems); got != "" {
		b.t.Errorf("%s:\n%s", name, got)
	}
}

// In a real browser: an editor opens Attestations from the main
// navigation, adds a register with an expired report, follows the
// dashboard's link to its row, renews the report through the edit form,
// sees what changed between the versions and that the dashboard no
// longer lists it, filters the table, and deletes the register after
// confirming. Every page passes the accessibility checks and fits a
// phone's width.
func TestRegistersInBrowser(t *testing.T) {
	s := newSite(t, false)
	b := newBrowser(t, 1280, 900)
	b.signIn(s, demarc.RoleEditor)
	b.do(chromedp.Click(chromedp.CSS(`nav.primary a[href="/o/acme/attestations"]`)), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	b.checkAccessible("empty list")
	if got := eval[string](b, `document.querySelector("#register-content").value`); !strings.Contains(got, "bridge_letters:") || !strings.Contains(got, "cuecs:") {
		t.Errorf("the new register does not start from the example: %q", got)
	}

	b.do(chromedp.SetValue(chromedp.CSS("#register-name"), "attestations/vendor.yaml"), chromedp.SetValue(chromedp.CSS("#register-content"), vendorRegister),
		chromedp.SendKeys(chromedp.CSS("#register-note"), "first reports"),
		chromedp.Click(chromedp.CSS("#register-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#att-vendor-soc2")))
	if got := b.text(".flash"); !strings.Contains(got, "Saved version 1 of attestations/vendor.yaml.") {
		t.Errorf("flash after adding: %q", got)
	}
	if got := b.text("#att-vendor-soc2"); !strings.Contains(got, "expired") || !strings.Contains(got, "vendor-cuec-1") {
		t.Errorf("the SOC 2 row: %q", got)
	}
	reg, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	reg = strings.TrimSuffix(strings.TrimPrefix(reg, s.url), "?saved=1")
	b.checkAccessible("register")
	b.shotPage("register")

	var site server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleEditor], server.DocumentRequest{Name: "bucket-site", Content: vendorSystem}, &site, http.StatusCreated)
	b.do(chromedp.Navigate(s.url+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS(`a[href$="#att-vendor-soc2"]`)))
	b.shotPage("dashboard-expired")
	b.do(chromedp.Click(chromedp.CSS(`a[href$="#att-vendor-soc2"]`)), chromedp.WaitVisible(chromedp.CSS("#att-vendor-soc2")))
	if got := eval[string](b, `document.querySelector(":target") ? document.querySelector(":target").id : ""`); got != "att-vendor-soc2" {
		t.Errorf("the dashboard's link lands on %q, want the attestation's row", got)
	}

	b.do(chromedp.SetValue(chromedp.CSS("#register-content"), renewedRegister), chromedp.SendKeys(chromedp.CSS("#register-note"), "renewed SOC 2"),
		chromedp.Click(chromedp.CSS("#register-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.Contains(got, "Saved version 2") {
		t.Errorf("flash after renewing: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#attestations .sev-high").length`); n != 0 {
		t.Errorf("%d attestations still expired after renewing", n)
	}
	b.do(chromedp.Click(chromedp.CSS(`#version-list a[href$="from=1&to=2#compare"]`)), chromedp.WaitVisible(chromedp.CSS("#line-diff")))
	if got := b.text("#line-diff"); !strings.Contains(got, "issuer: Old Audit LLP") || !strings.Contains(got, "expires: 2098-06-30") {
		t.Errorf("the line diff: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#line-diff tr.ins").length`); n != 2 {
		t.Errorf("the line diff marks %d lines added, want 2", n)
	}
	b.checkAccessible("diff")
	b.shotPage("diff")

	b.do(chromedp.Navigate(s.url+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS("#systems")))
	if got := b.text("#systems"); strings.Contains(got, "vendor-soc2") {
		t.Error("the dashboard still lists the renewed attestation")
	}

	b.do(chromedp.Navigate(s.url+"/o/acme/attestations"), chromedp.WaitVisible(chromedp.CSS("#registers")))
	b.checkAccessible("list")
	b.shotPage("list")
	b.do(chromedp.Navigate(s.url+reg), chromedp.WaitVisible(chromedp.CSS("#attestations")),
		chromedp.SendKeys(chromedp.CSS(`#attestations input[type=search]`), "iso"))
	if n := eval[int](b, `document.querySelectorAll("#attestations tbody tr:not([hidden])").length`); n != 1 {
		t.Errorf("filtering by iso leaves %d rows, want 1", n)
	}

	phone := newBrowser(t, 390, 844)
	phone.signIn(s, demarc.RoleViewer)
	for _, p := range []struct{ name, path, wait string }{
		{"list-phone", "/o/acme/attestations", "#registers"},
		{"register-phone", reg, "#register-yaml"},
		{"diff-phone", reg + "?from=1&to=2", "#line-diff"},
	} {
		phone.do(chromedp.Navigate(s.url+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		if w := eval[int](phone, `document.documentElement.scrollWidth`); w > 400 {
			t.Errorf("%s is %d px wide at a 390 px viewport", p.path, w)
		}
		phone.checkAccessible(p.name)
		phone.shotPage(p.name)
	}
	phone.clean()

	// While a system names the register it cannot be deleted: the page
	// names the system instead of offering the button. Once the system is
	// gone, the register can go, after confirming.
	b.do(chromedp.Navigate(s.url+reg), chromedp.WaitVisible(chromedp.CSS("#delete-blocked")))
	if got := b.text("#delete-blocked"); !strings.Contains(got, "bucket-site") {
		t.Errorf("the page does not say which system holds the register: %q", got)
	}
	s.deleteDoc("/api/v1/orgs/acme/systems/"+string(site.ID), s.tokens[demarc.RoleEditor])
	b.do(chromedp.Navigate(s.url+reg), chromedp.WaitVisible(chromedp.CSS("#delete-form")))
	eval[bool](b, `(() => { window.confirm = () => true; return true; })()`)
	b.do(chromedp.Click(chromedp.CSS("#delete-form button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.Contains(got, "Deleted the register attestations/vendor.yaml.") {
		t.Errorf("flash after deleting: %q", got)
	}
	b.checkAccessible("list after delete")
	b.shotPage("list-after-delete")
	b.clean()
}
