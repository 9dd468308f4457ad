package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// signIn signs the browser in with a role's token and waits for the
// dashboard.
func (b *browser) signIn(s *site, role demarc.Role) {
	b.t.Helper()
	b.do(chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SendKeys(chromedp.CSS("#token"), s.tokens[role]), chromedp.Click(chromedp.CSS("#signin-form button")),
		chromedp.WaitVisible(chromedp.CSS("nav.primary")))
}

// shotPage saves a screenshot of the whole page, or of the window when
// the page is too tall for one image.
func (b *browser) shotPage(name string) {
	b.t.Helper()
	if eval[int](b, `document.documentElement.scrollHeight`) <= 12000 {
		b.shot(name)
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("testdata", "screenshots", b.t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// cookieClient is an HTTP client holding the browser's cookies for the
// site, HttpOnly ones included, so that it downloads exactly what the
// browser would.
func (b *browser) cookieClient(s *site) *http.Client {
	b.t.Helper()
	cookies, err := chromedp.Run(b.ctx, chromedp.Action[[]*network.Cookie](func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{s.url}})
		return res.Cookies, err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.url)
	var list []*http.Cookie
	for _, k := range cookies {
		list = append(list, &http.Cookie{Name: k.Name, Value: k.Value, Path: k.Path})
	}
	jar.SetCookies(u, list)
	return &http.Client{Jar: jar}
}

// In a real browser: choose a component and another service on the diff
// page, ask what moves, and see the moved controls and areas.
func TestWhatIfInBrowser(t *testing.T) {
	s, _, base := analysisSite(t)
	b := newBrowser(t, 1280, 900)
	b.signIn(s, demarc.RoleViewer)
	b.do(chromedp.Navigate(base+"diff"), chromedp.WaitVisible(chromedp.CSS("#whatif-form")))
	if got := b.text("#one-version"); !strings.Contains(got, "only one version") {
		t.Errorf("the versions form says %q", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#component"), "api"), chromedp.SetValue(chromedp.CSS("#service"), "aws/ec2"),
		chromedp.Click(chromedp.CSS("#whatif-form button")), chromedp.WaitVisible(chromedp.CSS("#result")))
	if got := b.text("#result-h"); !strings.Contains(got, "What if api used aws/ec2") {
		t.Errorf("result heading %q", got)
	}
	if got := b.text("#moved-summary"); !strings.Contains(got, "controls and") {
		t.Errorf("summary %q", got)
	}
	table := `#table-webshop-whatif`
	controls := eval[int](b, `Array.from(document.querySelectorAll("`+table+` tbody tr")).filter(tr => tr.cells[0].textContent === "control").length`)
	areas := eval[int](b, `Array.from(document.querySelectorAll("`+table+` tbody tr")).filter(tr => tr.cells[0].textContent === "area").length`)
	if controls == 0 || areas == 0 {
		t.Errorf("what-if lists %d controls and %d areas, want some of each", controls, areas)
	}
	if got := eval[string](b, `document.querySelector("#component").value + " " + document.querySelector("#service").value`); got != "api aws/ec2" {
		t.Errorf("the form no longer shows the picks: %q", got)
	}
	b.shotPage("whatif")
	// The filter box narrows the rows as one types.
	b.do(chromedp.SendKeys(chromedp.CSS(`input[data-filter="table-webshop-whatif"]`), "os.patching"))
	if shown := eval[int](b, `Array.from(document.querySelectorAll("`+table+` tbody tr")).filter(tr => !tr.hidden).length`); shown != 1 {
		t.Errorf("typing os.patching leaves %d rows", shown)
	}
	b.clean()
	// An unknown pick shows the API's message on the form. The page
	// answers 422, which Chromium logs to the console as a failed load,
	// so the console was checked before.
	b.do(chromedp.Navigate(base+"diff?component=ghost&service=aws/ec2"), chromedp.WaitVisible(chromedp.CSS("#whatif-error")))
	if got := b.text("#whatif-error"); !strings.Contains(got, `no component "ghost"`) {
		t.Errorf("what-if error %q", got)
	}
}

// In a real browser: narrow the gaps with an autosubmitting filter, then
// download the workbook the XLSX link points at with the browser's own
// cookies and find the rows shown.
func TestGapsExportInBrowser(t *testing.T) {
	s, _, base := analysisSite(t)
	b := newBrowser(t, 1280, 900)
	b.signIn(s, demarc.RoleViewer)
	b.do(chromedp.Navigate(base+"gaps"), chromedp.WaitVisible(chromedp.CSS("#gap-filters")))
	all := eval[int](b, `document.querySelectorAll("tr[id^=gap-]").length`)
	eval[bool](b, `(() => { const s = document.querySelector("select[name=severity]"); s.value = "high"; s.dispatchEvent(new Event("change")); return true; })()`)
	b.do(chromedp.WaitReady(chromedp.CSS(`select[name=severity] option[value="high"][selected]`)), chromedp.WaitVisible(chromedp.CSS("#gap-filters")))
	high := eval[int](b, `document.querySelectorAll("tr[id^=gap-]").length`)
	if high == 0 || high >= all {
		t.Fatalf("severity high shows %d of %d gaps", high, all)
	}
	href := eval[string](b, `Array.from(document.querySelectorAll(".exports a")).find(a => a.textContent === "XLSX").href`)
	if !strings.Contains(href, "severity=high") || !strings.Contains(href, "export=xlsx") {
		t.Fatalf("XLSX link %q does not carry the filter", href)
	}
	rows := xlsxRows(t, b.cookieClient(s), href)
	if rows[0][0] != "Severity" || len(rows)-1 != high {
		t.Errorf("workbook: header %v, %d rows, want the %d shown", rows[0], len(rows)-1, high)
	}
	for _, r := range rows[1:] {
		if r[0] != "high" {
			t.Errorf("workbook row %v", r)
		}
	}
	b.shotPage("gaps-high")
	b.clean()
}

// Every analysis page renders at desktop width without console errors;
// the gaps page fits a phone's width.
func TestAnalysisPagesScreenshots(t *testing.T) {
	s, _, base := analysisSite(t)
	var doc server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/providers", s.tokens[demarc.RoleEditor], server.DocumentRequest{Name: "internal", Content: customStatement}, &doc, http.StatusCreated)
	b := newBrowser(t, 1280, 900)
	b.signIn(s, demarc.RoleEditor)
	pages := []struct{ name, path, wait string }{
		{"gaps", base + "gaps", "#gap-counts"},
		{"incidents", base + "incidents?type=ransomware-data-destruction", "#notices"},
		{"telemetry", base + "telemetry?coverage=needs-enabling", "#sources"},
		{"risk", base + "risk", "#risk-split"},
		{"diff-whatif", base + "diff?component=cluster&service=gcp/gke", "#result"},
		{"compare-services", s.url + "/o/acme/compare?service=aws/ec2&service=aws/lambda&service=aws/ecs-fargate&differs=yes", "#compare-filters"},
		{"compare-providers", s.url + "/o/acme/compare?model=saas&provider=aws&provider=azure&provider=gcp&layer=data", "#compare-filters"},
		{"library-services", s.url + "/o/acme/library?tab=services&provider=aws", "#library-filters"},
		{"library-entry-service", s.url + "/o/acme/library/entry/aws/rds?stated=yes", "#rules-h"},
		{"library-entry-provider", s.url + "/o/acme/library/entry/gcp", "#statement-h"},
		{"library-providers", s.url + "/o/acme/library", "#library-h"},
		{"library-areas", s.url + "/o/acme/library?tab=areas&layer=identity", "#library-filters"},
		{"library-frameworks", s.url + "/o/acme/library?tab=frameworks", "#library-h"},
		{"library-entry-framework", s.url + "/o/acme/library/entry/soc2", "#controls-h"},
		{"library-entry-model", s.url + "/o/acme/library/entry/faas", "#defaults-h"},
		{"library-entry-area", s.url + "/o/acme/library/entry/identity.mfa", "#main h1"},
		{"library-statements", s.url + "/o/acme/library?tab=statements", "#statement-form"},
		{"library-statement", s.url + "/o/acme/library/statements/" + string(doc.ID), "#statement-entries"},
	}
	for _, p := range pages {
		b.do(chromedp.Navigate(p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		b.shotPage(p.name)
	}
	b.clean()
	// A statement the API refuses comes back with its problems and lines
	// beside the text typed. The page answers 422, which Chromium logs to
	// the console as a failed load, so the console was checked before.
	b.do(chromedp.Navigate(s.url+"/o/acme/library?tab=statements"), chromedp.WaitVisible(chromedp.CSS("#statement-form")),
		chromedp.SendKeys(chromedp.CSS("#statement-name"), "broken"),
		chromedp.SetValue(chromedp.CSS("#statement-content"), "providers:\n  - id: broken\n    title: Broken\n    kind: cloudy\n    services: []\n"),
		chromedp.Click(chromedp.CSS("#statement-form button")), chromedp.WaitVisible(chromedp.CSS("#statement-error")))
	if got := b.text("#statement-error"); !strings.Contains(got, "line 4") {
		t.Errorf("the refused statement's problems do not name line 4: %q", got)
	}
	if got := eval[string](b, `document.querySelector("#statement-content").value`); !strings.Contains(got, "kind: cloudy") {
		t.Errorf("the text typed is lost: %q", got)
	}
	b.shotPage("library-statement-refused")

	phone := newBrowser(t, 390, 844)
	phone.signIn(s, demarc.RoleViewer)
	phone.do(chromedp.Navigate(base+"gaps"), chromedp.WaitVisible(chromedp.CSS("#gap-counts")))
	if w := eval[int](phone, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("the gaps page is %d px wide at a 390 px viewport", w)
	}
	phone.do(chromedp.Navigate(base+"gaps?severity=high"), chromedp.WaitVisible(chromedp.CSS("#gap-counts")))
	phone.shotPage("gaps-phone")
	phone.clean()
}
