package web_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/demarc-io/demarc"
)

// pageGetter renders one UI page server-side, through the in-process API
// calls, the template and the HTML, without the network.
func pageGetter(b *testing.B, s *site, path string) func() *httptest.ResponseRecorder {
	cookie := &http.Cookie{Name: "demarc_token", Value: s.tokens[demarc.RoleViewer]}
	return func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, w.Code)
		}
		return w
	}
}

// BenchmarkMatrixPage renders the matrix page of the webshop against NIST
// SP 800-53 Rev 5 (over 1,000 controls) with its heat map.
func BenchmarkMatrixPage(b *testing.B) {
	s := newSite(b, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	var m demarc.Matrix
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/matrix?framework=nist-800-53-r5", s.tokens[demarc.RoleViewer], nil, &m, http.StatusOK)
	if len(m.Controls) < 1000 {
		b.Fatalf("the framework has %d controls, want at least 1,000", len(m.Controls))
	}
	get := pageGetter(b, s, "/o/acme/systems/"+id+"/?framework=nist-800-53-r5")
	first := get()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
	b.ReportMetric(float64(len(m.Controls)), "controls")
	b.ReportMetric(float64(first.Body.Len()), "html-bytes")
}

// BenchmarkPages renders the other heavy pages: the dashboard of an
// organisation with 20 systems, and one system's gaps, incident duties,
// risk and explanation of a control.
func BenchmarkPages(b *testing.B) {
	s := newSite(b, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	for i := range 19 {
		s.putSystem("webshop-"+strconv.Itoa(i), "serverless-webshop.yaml")
	}
	sys := "/o/acme/systems/" + id + "/"
	for _, p := range []struct{ name, path string }{
		{"dashboard-20-systems", "/o/acme/"},
		{"gaps", sys + "gaps"},
		{"incidents", sys + "incidents"},
		{"risk", sys + "risk"},
		{"explain-si-2", sys + "explain/si-2?framework=nist-800-53-r5"},
		{"library-services", "/o/acme/library?tab=services"},
	} {
		b.Run(p.name, func(b *testing.B) {
			get := pageGetter(b, s, p.path)
			get()
			b.ReportAllocs()
			for b.Loop() {
				get()
			}
		})
	}
}
