package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// An editor adds the example systems from the empty dashboard; adding
// them again adds nothing and loses nothing; a viewer cannot.
func TestAddExamples(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	_, body := page(t, c, s.url+"/o/acme/")
	if !strings.Contains(body, `id="add-examples"`) {
		t.Fatal("the empty dashboard does not offer the examples")
	}
	csrf := s.csrf(c)
	for round, want := range []string{"Added 5 example systems.", "Added 0 example systems."} {
		resp, err := c.PostForm(s.url+"/o/acme/examples", url.Values{"csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("round %d: %d", round, resp.StatusCode)
		}
		_, body := page(t, c, s.url+loc)
		if !strings.Contains(body, want) || !strings.Contains(body, "serverless-webshop") || strings.Contains(body, `id="add-examples"`) {
			t.Errorf("round %d: the dashboard lacks %q or the systems", round, want)
		}
	}
	var l server.List[server.DocumentView]
	s.api("GET", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 5 {
		t.Errorf("%d systems stored, want 5", len(l.Items))
	}
	viewer := s.browserClient(demarc.RoleViewer)
	resp, err := viewer.PostForm(s.url+"/o/acme/examples", url.Values{"csrf": {s.csrf(viewer)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer adding examples: %d, want 403", resp.StatusCode)
	}
}
