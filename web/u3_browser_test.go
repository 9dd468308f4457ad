package web_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/internal/browsertest"
	"github.com/demarc-io/demarc/internal/realdata"
)

// absExample is the absolute path of a file of the repository's
// examples, for a file input.
func absExample(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "examples", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// u3Accessible fails the test when the page has what keeps a screen
// reader or keyboard user out (see accessibilityProblems).
func u3Accessible(b *browser, what string) {
	b.t.Helper()
	if got := eval[string](b, accessibilityProblems); got != "" {
		b.t.Errorf("%s:\n%s", what, got)
	}
}

// An editor opens the system's checks from its navigation, chooses the
// web shop's Terraform and Kubernetes files and runs the checks: the
// run's page shows the API's verdicts, narrows the controls to the
// failing ones, and reads on a phone. A malformed plan comes back on the
// form naming its file and line, and nothing is recorded.
func TestRunChecksInBrowser(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleEditor])
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+id+"/"), chromedp.WaitVisible(chromedp.CSS("#heatmap")),
		chromedp.Click(chromedp.CSS(`nav.system a[href$="/checks"]`)), chromedp.WaitVisible(chromedp.CSS("#check-form")))
	u3Accessible(b, "checks page")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#check-config"), []string{absExample(t, "config/webshop/main.tf"), absExample(t, "config/webshop/shop-app.yaml")}))
	b.shot("form")
	b.do(chromedp.Click(chromedp.CSS("#check-run")), chromedp.WaitVisible(chromedp.CSS("#verdict-counts")))
	var rep check.Report
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/checks/1", s.tokens[demarc.RoleViewer], nil, &rep, 200)
	failing := strconv.Itoa(rep.Summary.Controls[check.ControlFailing])
	if got := b.text("#verdict-counts"); !strings.Contains(got, "failing "+failing) {
		t.Errorf("the verdicts read %q, the API counts %s failing", got, failing)
	}
	u3Accessible(b, "run page")
	if n := eval[int](b, `document.querySelectorAll("#table-webshop-check-1-findings tbody tr").length`); n != len(rep.Findings) {
		t.Errorf("%d findings shown, the API has %d", n, len(rep.Findings))
	}
	// The verdict filter submits itself.
	setInput(b, `select[name="state"]`, "failing")
	waitFor(b, `location.search.indexOf("state=failing") >= 0 && document.readyState === "complete"`)
	b.do(chromedp.WaitVisible(chromedp.CSS("#verdict-counts")))
	if n := eval[int](b, `document.querySelectorAll("#table-webshop-check-1-controls tbody tr").length`); strconv.Itoa(n) != failing {
		t.Errorf("the failing filter shows %d controls, want %s", n, failing)
	}
	b.shot("run")

	// On a phone the page fits the screen.
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.url+"/o/acme/systems/"+id+"/checks/1"), chromedp.WaitVisible(chromedp.CSS("#verdict-counts")))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the run page is %d px wide on a 390 px phone", w)
	}
	b.shot("run-phone")
	b.do(chromedp.EmulateViewport(1280, 900))

	// A malformed plan: the form again, naming the file and line. The
	// refusal answers 422, which Chromium logs as a failed load: check the
	// console up to here, then watch it afresh on that page.
	plan := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(plan, []byte("{\"format_version\": \"1.2\",\n  \"planned_values\": ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+id+"/checks"), chromedp.WaitVisible(chromedp.CSS("#check-form")))
	if got := b.text("#table-webshop-check-runs"); !strings.Contains(got, "editor") {
		t.Errorf("the runs list does not say who ran the checks: %q", got)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#check-config"), []string{plan}))
	b.clean()
	b.do(chromedp.Click(chromedp.CSS("#check-run")), chromedp.WaitVisible(chromedp.CSS("#check-error")))
	b.problems = browsertest.ConsoleProblems(b.ctx)
	if got := b.text("#check-error"); !strings.Contains(got, "plan.json:2") {
		t.Errorf("the refusal reads %q", got)
	}
	u3Accessible(b, "refused upload")
	b.shot("refused")
	if n := runCount(t, s, id); n != 1 {
		t.Errorf("%d runs recorded, want 1", n)
	}
	b.clean()
}

// An editor previews NIST's low baseline catalog in the library's import
// tab, imports it from the preview without choosing the file again, and
// follows the link to a system's matrix, whose framework picker has it.
func TestImportCatalogInBrowser(t *testing.T) {
	path := realdata.Path(t, nistLow)
	s := newSite(t, false)
	s.putSystem("webshop", "serverless-webshop.yaml")
	b := newBrowser(t, 1280, 900)
	u2SignIn(b, s, s.tokens[demarc.RoleEditor])
	b.do(chromedp.Navigate(s.url+"/o/acme/library"), chromedp.WaitVisible(chromedp.CSS("nav.tabs")),
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="tab=import"]`)), chromedp.WaitVisible(chromedp.CSS("#import-form")))
	u3Accessible(b, "import tab")
	b.do(chromedp.SetValue(chromedp.CSS("#import-kind"), "oscal-catalog"), chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}))
	b.do(chromedp.Click(chromedp.CSS("#import-preview")), chromedp.WaitVisible(chromedp.CSS("#preview")))
	if got := b.text("#preview-frameworks"); !strings.Contains(got, "nist-sp-800-53-rev5-low-baseline") || !strings.Contains(got, "controls") {
		t.Errorf("the preview reads %q", got)
	}
	if docs := providerDocs(t, s); len(docs) != 0 {
		t.Fatalf("the preview stored %v", docs)
	}
	if got := inputValue(b, "#import-kind"); got != "oscal-catalog" {
		t.Errorf("after the preview the kind is %q", got)
	}
	u3Accessible(b, "import preview")
	b.shot("preview")
	b.do(chromedp.Click(chromedp.CSS("#import-go")), chromedp.WaitVisible(chromedp.CSS("#imported")))
	u3Accessible(b, "import done")
	b.shot("imported")
	b.do(chromedp.Click(chromedp.CSS(`#use-nist-sp-800-53-rev5-low-baseline a`)), chromedp.WaitVisible(chromedp.CSS("#framework")))
	if got := inputValue(b, "#framework"); got != "nist-sp-800-53-rev5-low-baseline" {
		t.Errorf("the matrix's framework picker shows %q", got)
	}
	b.clean()
}
