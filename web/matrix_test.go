package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
)

// The matrix page lists every control of the framework, and its filters
// narrow the list the way the API's do.
func TestMatrixPageFilters(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleViewer)
	base := s.url + "/o/acme/systems/" + id + "/"
	status, all := page(t, c, base+"?framework=nist-800-53-r5")
	if status != http.StatusOK {
		t.Fatalf("matrix page: %d\n%s", status, all)
	}
	var m demarc.Matrix
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/matrix?framework=nist-800-53-r5", s.tokens[demarc.RoleViewer], nil, &m, http.StatusOK)
	if rows := strings.Count(all, `<tr><td class="mono"><a href="/o/acme/systems/`) + strings.Count(all, `<tr class="has-gap"><td class="mono">`); rows != len(m.Controls) {
		t.Errorf("matrix page lists %d controls, the API %d", rows, len(m.Controls))
	}
	_, customer := page(t, c, base+"?framework=nist-800-53-r5&owner=customer")
	want := m.Summary[demarc.OwnerCustomer]
	if !strings.Contains(customer, "("+itoa(want)+" of "+itoa(len(m.Controls))+")") {
		t.Errorf("owner filter: page does not say %d of %d", want, len(m.Controls))
	}
	if !strings.Contains(all, `id="heatmap"`) {
		t.Error("matrix page has no heat map")
	}
}

// The control list downloads as a workbook with the rows shown.
func TestMatrixTableExportsXLSX(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleViewer)
	resp, err := c.Get(s.url + "/o/acme/systems/" + id + "/?framework=nist-800-53-r5&owner=provider&export=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.Contains(ct, "spreadsheetml") {
		t.Fatalf("export: %d %s", resp.StatusCode, ct)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	var m demarc.Matrix
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/matrix?framework=nist-800-53-r5&owner=provider", s.tokens[demarc.RoleViewer], nil, &m, http.StatusOK)
	if len(rows) != len(m.Controls)+1 || rows[0][0] != "Control" {
		t.Errorf("workbook has %d rows, want %d controls and a header", len(rows), len(m.Controls))
	}
	for _, r := range rows[1:] {
		if r[3] != "provider" {
			t.Fatalf("filtered export has a %s row", r[3])
		}
	}
	for _, what := range []string{"matrix-xlsx", "oscal-ssp", "fedramp-crm?baseline=moderate", "report", "matrix?format=csv"} {
		resp, err := c.Get(s.url + "/o/acme/systems/" + id + "/download/" + what)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=\"webshop-") {
			t.Errorf("download %s: %d %q", what, resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	}
}

// In a real browser: sign in with a token, open the system from the
// dashboard, see the heat map, select a cell and read why.
func TestHeatMapToExplanationInBrowser(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	b := newBrowser(t, 1280, 900)
	b.do(chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	b.shot("signin")
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), s.tokens[demarc.RoleViewer]), chromedp.Click(chromedp.CSS("#signin-form button")),
		chromedp.WaitVisible(chromedp.CSS(`nav.primary a[href="/o/acme/"]`)))
	if got := b.text("h1"); !strings.Contains(got, "Acme Retail") {
		t.Errorf("after sign-in the page says %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`main a[href$="/systems/`+id+`/"]`)), chromedp.WaitVisible(chromedp.CSS("#heatmap")))
	cells := eval[int](b, `document.querySelectorAll("#heatmap td.cell").length`)
	comps := eval[int](b, `document.querySelectorAll("#heatmap th.comp").length`)
	rows := eval[int](b, `document.querySelectorAll("#heatmap tbody tr:not(.layer)").length`)
	if comps == 0 || cells != comps*rows {
		t.Errorf("heat map has %d cells for %d components × %d areas", cells, comps, rows)
	}
	letters := eval[string](b, `Array.from(new Set(Array.from(document.querySelectorAll("#heatmap td.cell a")).map(a => a.textContent))).sort().join("")`)
	if !strings.Contains(letters, "P") || !strings.Contains(letters, "C") {
		t.Errorf("heat map letters %q lack provider or customer", letters)
	}
	b.shot("matrix")
	// Keyboard: focus the first cell, move right, follow the link.
	b.do(chromedp.Focus(chromedp.CSS("#heatmap td.cell a")), chromedp.KeyEvent(kb.ArrowRight))
	label := eval[string](b, `document.activeElement.getAttribute("aria-label")`)
	href := eval[string](b, `document.activeElement.getAttribute("href")`)
	if label == "" || !strings.Contains(href, "/explain/") {
		t.Fatalf("keyboard focus is on %q (%s), want a heat-map cell", label, href)
	}
	b.do(chromedp.Click(chromedp.CSS(`#heatmap td.cell a[href="`+href+`"]`)), chromedp.WaitVisible(chromedp.CSS("#reasoning")))
	if focus := eval[int](b, `document.querySelectorAll("tr.focus").length`); focus != 1 {
		t.Errorf("explanation marks %d rows as the chosen component, want 1", focus)
	}
	if got := b.text("#reasoning"); !strings.Contains(got, "Decided by") {
		t.Errorf("explanation lacks the deciding rule: %q", got)
	}
	b.shot("explain")
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+id+"/explain/si-2?framework=nist-800-53-r5"), chromedp.WaitVisible(chromedp.CSS("#who-h")))
	b.shot("explain-control")
	b.clean()
}

// At phone width the pages still show the matrix without horizontal
// scrolling of the page itself.
func TestMatrixAtPhoneWidth(t *testing.T) {
	s := newSite(t, true)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	b := newBrowser(t, 390, 844)
	b.do(chromedp.Navigate(s.url+"/o/acme/systems/"+id+"/"), chromedp.WaitVisible(chromedp.CSS("#heatmap")))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 400 {
		wide := eval[string](b, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 400 && !e.closest(".scroll")).slice(0, 8).map(e => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right)).join(", ")`)
		t.Errorf("page is %d px wide at a 390 px viewport; too wide: %s", w, wide)
	}
	b.shot("matrix-phone")
	b.clean()
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
