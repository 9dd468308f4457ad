package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/browsertest"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/server"
)

// u2SignIn signs the browser in with a token, as a person would.
func u2SignIn(b *browser, s *site, token string) {
	b.t.Helper()
	b.do(chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#signin-form button")),
		chromedp.WaitVisible(chromedp.CSS("nav.primary")))
}

// inputValue reads an input's current value.
func inputValue(b *browser, sel string) string {
	b.t.Helper()
	return eval[string](b, `document.querySelector(`+jsString(sel)+`).value`)
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// setInput sets an input's or select's value and tells the page, as
// typing or choosing would.
func setInput(b *browser, sel, v string) {
	b.t.Helper()
	eval[bool](b, `(function (el) { el.value = `+jsString(v)+`; el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true})); return true; })(document.querySelector(`+jsString(sel)+`))`)
}

// waitFor polls a JavaScript condition until it holds, for up to five
// seconds.
func waitFor(b *browser, js string) {
	b.t.Helper()
	for range 100 {
		if eval[bool](b, js) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("waited in vain for %s", js)
}

// catalogueAdd searches the catalogue and adds a service.
func catalogueAdd(b *browser, query, service string) {
	b.t.Helper()
	add := `#catalogue-table button[data-add-service="` + service + `"]`
	setInput(b, "#cat-q", "")
	b.do(chromedp.SendKeys(chromedp.CSS("#cat-q"), query), chromedp.WaitVisible(chromedp.CSS(add)), chromedp.Click(chromedp.CSS(add)))
}

// A person composes a system from the catalogue: searches, adds three
// services, sets what runs on what, names a team; a mistake is shown
// beside its field with everything kept; once fixed, the save lands on
// the new system's matrix.
func TestComposeFromCatalogueInBrowser(t *testing.T) {
	s := newSite(t, false)
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleEditor])
	b.do(chromedp.Navigate(s.url+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS("#new-system")), chromedp.Click(chromedp.CSS("#new-system")),
		chromedp.WaitVisible(chromedp.CSS("#composer")))
	b.do(chromedp.SendKeys(chromedp.CSS("#f-name"), "checkout"))
	catalogueAdd(b, "lambda", "aws/lambda")
	catalogueAdd(b, "kubernetes aws", "aws/eks")
	catalogueAdd(b, "generic caas", "generic/caas")
	if n := eval[int](b, `document.querySelectorAll("#catalogue-table tbody tr:not([hidden])").length`); n < 1 {
		t.Errorf("the catalogue search shows %d services", n)
	}
	for i, want := range []string{"lambda", "eks", "caas"} {
		if got := inputValue(b, "#components-"+string(rune('0'+i))+"-name"); got != want {
			t.Fatalf("component row %d is named %q, want %q", i, got, want)
		}
	}
	// A fourth service needs a row more: the script adds one, numbered on.
	catalogueAdd(b, "s3", "aws/s3")
	if got := inputValue(b, `[name="components.3.service"]`); got != "aws/s3" || inputValue(b, "#components-3-name") != "s3" {
		t.Fatalf("the added row holds %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`button[data-add-row="teams"]`)))
	waitFor(b, `document.activeElement.id === "teams-1-name"`)
	// The runs-on choices follow the names typed so far.
	if n := eval[int](b, `document.querySelectorAll("#components-2-runs_on option").length`); n != 4 {
		t.Errorf("runs-on of caas offers %d choices, want none, lambda, eks, s3", n)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#components-2-runs_on"), "eks"),
		chromedp.SendKeys(chromedp.CSS("#teams-0-name"), "platform"),
		chromedp.SendKeys(chromedp.CSS("#teams-0-responsible"), "os.*, data.backup"),
		chromedp.SetValue(chromedp.CSS("#components-0-service"), "aws/lambada"))
	b.shot("composed")
	// The refused form answers 422, which Chromium logs as a failed load:
	// check the console up to here, then watch it afresh on that page.
	b.clean()
	b.do(chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#compose-message")))
	b.problems = browsertest.ConsoleProblems(b.ctx)
	if msg := b.text("#components-0-service-err"); !strings.Contains(msg, "unknown service") {
		t.Errorf("the problem beside the service says %q", msg)
	}
	for sel, want := range map[string]string{"#f-name": "checkout", "#components-0-service": "aws/lambada", "#components-2-runs_on": "eks",
		"#teams-0-name": "platform", "#teams-0-responsible": "os.*, data.backup"} {
		if got := inputValue(b, sel); got != want {
			t.Errorf("after the refusal %s is %q, want %q", sel, got, want)
		}
	}
	b.shot("refused")
	if names := s.systemNames(); len(names) != 0 {
		t.Fatalf("a refused form stored %v", names)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#components-0-service"), "aws/lambda"), chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#heatmap")))
	if path := eval[string](b, `location.pathname`); !strings.HasPrefix(path, "/o/acme/systems/doc_") {
		t.Errorf("after saving the browser is at %s, want the system's matrix", path)
	}
	b.shot("matrix")
	id := strings.Trim(strings.TrimPrefix(eval[string](b, `location.pathname`), "/o/acme/systems/"), "/")
	doc := s.storedSystem(id)
	for _, want := range []string{"name: checkout", "service: aws/lambda", "service: aws/eks", "runs_on: eks", "service: aws/s3", "responsible: [os.*, data.backup]"} {
		if !strings.Contains(doc.Content, want) {
			t.Errorf("the stored system lacks %q:\n%s", want, doc.Content)
		}
	}
	b.clean()
}

// gapSystem has one team for every customer area but data.backup, so
// its only team gap is that no one backs the data up.
const gapSystem = `name: tiny
components:
  - name: api
    service: aws/lambda
teams:
  - name: dev
    responsible: [network.*, container.*, runtime.*, app.*, identity.*, endpoint.*, ops.*, gov.*, os.*, data.classification, data.encryption-at-rest, data.key-management, data.retention-deletion, data.residency, data.access-governance, data.privacy]
`

// A gap where no team does the customer's work is resolved from the gaps
// page: "Assign a team" opens the composer with a team row for the area,
// the person names the team and saves, and the gap is gone.
func TestResolveGapByAssigningTeamInBrowser(t *testing.T) {
	s := newSite(t, false)
	var doc server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: "tiny", Content: gapSystem}, &doc, http.StatusCreated)
	gapsOf := func() []demarc.Gap {
		var g render.GapReport
		s.api("GET", "/api/v1/orgs/acme/systems/"+string(doc.ID)+"/gaps?kind=no-customer-owner", s.tokens[demarc.RoleViewer], nil, &g, http.StatusOK)
		return g.Gaps
	}
	if g := gapsOf(); len(g) != 1 || len(g[0].Areas) != 1 || g[0].Areas[0] != "data.backup" {
		t.Fatalf("the system's team gaps: %+v", g)
	}
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleEditor])
	assign := `a[href*="edit?area=data.backup"]`
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+string(doc.ID)+"/gaps"), chromedp.WaitVisible(chromedp.CSS(assign)))
	b.shot("gaps-before")
	b.do(chromedp.Click(chromedp.CSS(assign)), chromedp.WaitVisible(chromedp.CSS("fieldset.prefilled")))
	if got := inputValue(b, "#teams-1-responsible"); got != "data.backup" {
		t.Fatalf("the new team row is responsible for %q", got)
	}
	waitFor(b, `document.activeElement.id === "teams-1-name"`)
	b.do(chromedp.SendKeys(chromedp.CSS("#teams-1-name"), "backup-ops"))
	b.shot("team-assigned")
	b.do(chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#heatmap")))
	if g := gapsOf(); len(g) != 0 {
		t.Fatalf("after assigning a team the gaps are %+v", g)
	}
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+string(doc.ID)+"/gaps"), chromedp.WaitVisible(chromedp.CSS("#gap-counts")))
	if n := eval[int](b, `document.querySelectorAll('a[href*="edit?area="]').length`); n != 0 {
		t.Errorf("the gaps page still offers %d team assignments", n)
	}
	b.shot("gaps-after")
	b.clean()
}

// An editor requests a sign-off from the sign-offs page; acme's owner
// signs it in the browser; the provider party signs through the API; the
// page shows it complete.
func TestRequestAndSignInBrowser(t *testing.T) {
	s := newSite(t, false)
	id := s.providerParty()
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleEditor])
	b.do(chromedp.Navigate(s.url+"/o/acme/signoffs"), chromedp.WaitVisible(chromedp.CSS("#request-form")),
		chromedp.Click(chromedp.CSS("#request-submit")))
	if invalid := eval[bool](b, `document.querySelector("#request-system").matches(":invalid")`); !invalid {
		t.Error("the request form went without a system chosen")
	}
	b.do(chromedp.SetValue(chromedp.CSS("#request-system"), id), chromedp.Click(chromedp.CSS("#request-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signoff-state")))
	if state := b.text("#signoff-state"); state != "pending" {
		t.Errorf("a new sign-off is %q", state)
	}
	path := eval[string](b, `location.pathname`)
	b.shot("requested")

	owner := newBrowser(t, 1280, 900)
	u2SignIn(owner, s, s.tokens[demarc.RoleOwner])
	owner.do(chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.CSS("#sign-form")), chromedp.Click(chromedp.CSS("#sign")))
	if invalid := eval[bool](owner, `document.querySelector("#confirm").matches(":invalid")`); !invalid {
		t.Error("the sign form went without the confirmation ticked")
	}
	owner.do(chromedp.Click(chromedp.CSS("#confirm")), chromedp.Click(chromedp.CSS("#sign")), chromedp.WaitVisible(chromedp.CSS("#signed-note")))
	owner.shot("signed-by-acme")
	var so server.SignoffView
	s.api("GET", "/api/v1/orgs/acme/signoffs/"+strings.TrimPrefix(path, "/o/acme/signoffs/"), s.tokens[demarc.RoleViewer], nil, &so, http.StatusOK)
	if so.State != demarc.SignoffPending || !so.SignedBy(s.org.ID) {
		t.Fatalf("after acme signed: %s", so.State)
	}
	s.api("POST", "/api/v1/orgs/rival/signoffs/"+string(so.ID)+"/sign", s.rival, server.SignRequest{MatrixHash: so.MatrixHash}, nil, http.StatusOK)
	owner.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#signoff-state")))
	if state := owner.text("#signoff-state"); state != "complete" {
		t.Errorf("after both parties signed the page says %q", state)
	}
	owner.shot("complete")
	owner.do(chromedp.Navigate(s.url+"/o/acme/signoffs"), chromedp.WaitVisible(chromedp.CSS("#request-form")))
	owner.shot("list")
	b.clean()
	owner.clean()
}

// The dashboard and the audit trail in the browser, at desk and phone
// widths: the owner split bars are laid out, the chain verifies.
func TestDashboardAndAuditInBrowser(t *testing.T) {
	s := newSite(t, false)
	s.putSystem("webshop", "serverless-webshop.yaml")
	s.putSystem("hr", "saas-vendor-chain.yaml")
	for _, size := range []struct {
		name string
		w, h int
	}{{"desk", 1280, 900}, {"phone", 390, 844}} {
		b := newBrowser(t, size.w, size.h)
		u2SignIn(b, s, s.tokens[demarc.RoleOwner])
		b.do(chromedp.Navigate(s.url+"/o/acme/"), chromedp.WaitVisible(chromedp.CSS("#totals")))
		if w := eval[string](b, `document.querySelector(".split.small .seg").style.width`); !strings.HasSuffix(w, "%") {
			t.Errorf("%s: the owner split is not laid out (width %q)", size.name, w)
		}
		if over := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("%s: the dashboard is wider than the window", size.name)
		}
		b.shot("dashboard-" + size.name)
		b.do(chromedp.Navigate(s.url+"/o/acme/audit"), chromedp.WaitVisible(chromedp.CSS("#chain-status")))
		if status := b.text("#chain-status"); !strings.Contains(status, "Chain verified: OK.") {
			t.Errorf("%s: the chain status says %q", size.name, status)
		}
		b.shot("audit-" + size.name)
		b.do(chromedp.Navigate(s.url+"/o/acme/systems/new"), chromedp.WaitVisible(chromedp.CSS("#composer")))
		if over := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("%s: the composer is wider than the window", size.name)
		}
		b.shot("composer-" + size.name)
		b.clean()
	}
}
