package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// accessibilityProblems lists, in the page it runs on, what keeps a
// screen-reader or keyboard user out: form controls without a label,
// links and buttons without a name, images without text, duplicate ids,
// a missing language or a page without exactly one main heading.
const accessibilityProblems = `(() => {
  const out = [];
  const named = e => (e.getAttribute("aria-label") || "").trim() || e.getAttribute("aria-labelledby") || (e.textContent || "").trim() || e.getAttribute("title");
  document.querySelectorAll("input, select, textarea").forEach(e => {
    if (["hidden", "submit", "button", "reset"].includes(e.type)) { return; }
    if (e.labels.length === 0 && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby")) {
      out.push("unlabelled " + e.tagName.toLowerCase() + " name=" + e.name + " id=" + e.id);
    }
  });
  document.querySelectorAll("a[href], button").forEach(e => {
    if (!named(e) && !(e.value || "").trim()) { out.push("nameless " + e.tagName.toLowerCase() + " " + (e.getAttribute("href") || "")); }
  });
  document.querySelectorAll("img").forEach(e => { if (!e.hasAttribute("alt")) { out.push("img without alt " + e.src); } });
  const ids = {};
  document.querySelectorAll("[id]").forEach(e => { ids[e.id] = (ids[e.id] || 0) + 1; });
  Object.keys(ids).forEach(id => { if (ids[id] > 1) { out.push("duplicate id " + id); } });
  if (!document.documentElement.lang) { out.push("no lang on html"); }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) { out.push(h1 + " h1 elements"); }
  if (!document.querySelector("main")) { out.push("no main landmark"); }
  return out.join("\n");
})()`

// Every page passes the accessibility checks above, and its first Tab
// reaches the skip link.
func TestPagesAreAccessible(t *testing.T) {
	s := newSite(t, true)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	sys := "/o/acme/systems/" + id + "/"
	pages := []string{
		"/o/acme/", sys, sys + "explain/si-2?framework=nist-800-53-r5", sys + "explain/os.patching?component=api",
		sys + "gaps", sys + "incidents", sys + "telemetry", sys + "risk", sys + "diff", sys + "diff?component=api&service=aws/ec2",
		sys + "edit", "/o/acme/systems/new", "/o/acme/compare", "/o/acme/library", "/o/acme/library?tab=services",
		"/o/acme/library/entry/aws/lambda", "/o/acme/signoffs", "/o/acme/audit",
		sys + "checks", "/o/acme/library?tab=import", "/o/acme/library?tab=statements", "/o/acme/settings", "/o/acme/settings/tokens",
		"/o/acme/publications", "/o/acme/subscriptions",
	}
	b := newBrowser(t, 1280, 900)
	for _, p := range pages {
		b.do(chromedp.Navigate(s.url+p), chromedp.WaitVisible(chromedp.CSS("main")))
		if got := eval[string](b, accessibilityProblems); got != "" {
			t.Errorf("%s:\n%s", p, got)
		}
		b.do(chromedp.KeyEvent("\t"))
		if got := eval[string](b, `document.activeElement.className`); !strings.Contains(got, "skip") {
			t.Errorf("%s: the first Tab reaches %q, want the skip link", p, got)
		}
	}
	// The checks themselves find what they look for.
	got := eval[string](b, `(() => { const i = document.createElement("input"); i.name = "probe"; document.querySelector("main").append(i, document.createElement("h1")); return 1; })()`+" && "+accessibilityProblems)
	if !strings.Contains(got, "unlabelled input name=probe") || !strings.Contains(got, "2 h1 elements") {
		t.Errorf("the checks miss an unlabelled input and a second h1: %q", got)
	}
	b.clean()
}

// The sign-in page passes the same checks.
func TestSignInPageIsAccessible(t *testing.T) {
	s := newSite(t, false)
	b := newBrowser(t, 1280, 900)
	b.do(chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if got := eval[string](b, accessibilityProblems); got != "" {
		t.Errorf("sign-in page:\n%s", got)
	}
	b.clean()
}
