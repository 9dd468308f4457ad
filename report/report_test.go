package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
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
	chromium := browser(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, webshopReport(t), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Start the browser, then listen to its console before loading the page.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	problems := consoleProblems(ctx)
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

// consoleProblems collects the page's console errors, warnings and
// uncaught exceptions; call the returned func to read them.
func consoleProblems(ctx context.Context) func() []string {
	lctx, stop := context.WithCancel(ctx)
	messages := chromedp.Console(lctx)
	var mu sync.Mutex
	var found []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == "error" || m.Type == "warning" {
				mu.Lock()
				found = append(found, string(m.Type)+": "+m.Text)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		time.Sleep(200 * time.Millisecond) // let late messages arrive
		stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return found
	}
}

// browser finds headless Chromium, skipping the test when there is none
// unless DEMARC_REQUIRE_BROWSER is set (as in CI).
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DEMARC_REQUIRE_BROWSER") != "" {
		t.Fatal("Chromium not found; install the chromium package")
	}
	t.Skip("Chromium not found; install the chromium package to run browser tests")
	return ""
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
