package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/demarc-io/demarc"
)

// BenchmarkMatrixPage renders the matrix page of the webshop against NIST
// SP 800-53 Rev 5 (over 1,000 controls) with its heat map, server-side:
// the page's API calls, the template and the HTML, without the network.
func BenchmarkMatrixPage(b *testing.B) {
	s := newSite(b, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	var m demarc.Matrix
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/matrix?framework=nist-800-53-r5", s.tokens[demarc.RoleViewer], nil, &m, http.StatusOK)
	if len(m.Controls) < 1000 {
		b.Fatalf("the framework has %d controls, want at least 1,000", len(m.Controls))
	}
	path := "/o/acme/systems/" + id + "/?framework=nist-800-53-r5"
	cookie := &http.Cookie{Name: "demarc_token", Value: s.tokens[demarc.RoleViewer]}
	get := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
		return w
	}
	first := get()
	if first.Code != http.StatusOK {
		b.Fatalf("matrix page: %d", first.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if w := get(); w.Code != http.StatusOK {
			b.Fatalf("matrix page: %d", w.Code)
		}
	}
	b.ReportMetric(float64(len(m.Controls)), "controls")
	b.ReportMetric(float64(first.Body.Len()), "html-bytes")
}
