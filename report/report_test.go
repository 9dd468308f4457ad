package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/internal/browsertest"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/report"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

func webshopReport(t *testing.T) []byte {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/serverless-webshop.yaml", lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	asOf, _ := demarc.ParseDate("2026-11-25")
	d, err := report.Build(analyze.New(res, lib.Framework("nist-800-53-r5"), analyze.Options{AsOf: asOf}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The report is one file: nothing is fetched from anywhere.
func TestReportIsSelfContained(t *testing.T) {
	html := string(webshopReport(t))
	for _, banned := range []string{"<script src", "<link ", "@import", "url(http", "src=\"http"} {
		if strings.Contains(html, banned) {
			t.Errorf("report refers to an external asset (%q)", banned)
		}
	}
	for _, want := range []string{`id="heatmap"`, "Owner split per nist-800-53-r5 family", "Gaps", "Residual risk", "Incident duties", "Telemetry duties", "<svg"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The report opens in a real browser without errors, and the heat map is
// there with a cell for every area of every component.
func TestReportInBrowser(t *testing.T) {
	ctx := browsertest.Start(t, 1280, 900, 60*time.Second)
	problems := browsertest.ConsoleProblems(ctx)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, webshopReport(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.ID("heatmap"))); err != nil {
		t.Fatal(err)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#heatmap td.cell").length`))
	if err != nil {
		t.Fatal(err)
	}
	components, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#heatmap th.comp").length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors: %v", p)
	}
	lib, _ := library.Builtin()
	if want := 10 * len(lib.Areas()); cells != want || components != 10 {
		t.Errorf("heat map has %d cells for %d components, want %d for 10", cells, components, want)
	}
	saveScreenshot(t, "report-webshop.png", shot)
}

// saveScreenshot keeps a screenshot under testdata/screenshots/TEST for
// people to look at; it is not compared.
func saveScreenshot(t *testing.T, name string, png []byte) {
	dir := filepath.Join("testdata", "screenshots", t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
