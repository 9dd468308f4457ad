// Package browsertest starts headless Chromium for tests and watches its
// console, for every package that checks pages in a real browser.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start opens a headless Chromium tab of width × height for the test,
// closed when the test ends; the returned context runs for at most
// timeout. Without Chromium the test is skipped, unless
// DEMARC_REQUIRE_BROWSER is set (as in CI): then it fails.
func Start(t testing.TB, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	chromium := find()
	if chromium == "" {
		if os.Getenv("DEMARC_REQUIRE_BROWSER") != "" {
			t.Fatal("Chromium not found; install the chromium package")
		}
		t.Skip("Chromium not found; install the chromium package to run browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// ConsoleProblems collects the tab's console errors, warnings and
// uncaught exceptions from now on; call the returned func to stop and
// read them (later calls return the same list).
func ConsoleProblems(ctx context.Context) func() []string {
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
	var once sync.Once
	var result []string
	return func() []string {
		once.Do(func() {
			time.Sleep(200 * time.Millisecond) // let late messages arrive
			stop()
			<-done
			mu.Lock()
			result = append([]string(nil), found...)
			mu.Unlock()
		})
		return result
	}
}
