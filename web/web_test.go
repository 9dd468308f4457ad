package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// Without credentials every page sends the browser to sign in, keeping
// where it wanted to go.
func TestPagesNeedSignIn(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient("")
	for _, p := range []string{"/", "/o/acme/", "/o/acme/systems/doc_x/"} {
		resp, err := c.Get(s.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
			t.Errorf("GET %s: %d to %q, want 303 to /signin", p, resp.StatusCode, loc)
		}
	}
}

// A bad token is refused on the sign-in page with a clear message; a
// good one lands on the organisation's dashboard.
func TestSignInWithToken(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient("")
	csrf := s.csrf(c)
	resp, err := c.PostForm(s.url+"/signin", url.Values{"csrf": {csrf}, "token": {demarc.TokenPrefix + "not-a-real-token"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %d, want 401", resp.StatusCode)
	}
	resp, err = c.PostForm(s.url+"/signin", url.Values{"csrf": {"wrong"}, "token": {s.tokens[demarc.RoleViewer]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong CSRF token: %d, want 403", resp.StatusCode)
	}
	c = s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, s.url+"/o/acme/")
	if status != http.StatusOK || !strings.Contains(body, "Systems of Acme Retail") {
		t.Errorf("dashboard: %d\n%s", status, body)
	}
}

// A member of one organisation cannot see another's pages or systems:
// they answer exactly as a page that does not exist.
func TestPagesKeepOrganisationsApart(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	jar := s.browserClient("")
	csrf := s.csrf(jar)
	resp, err := jar.PostForm(s.url+"/signin", url.Values{"csrf": {csrf}, "token": {s.rival}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, p := range []string{"/o/acme/", "/o/acme/systems/" + id + "/", "/o/rival/systems/" + id + "/", "/o/rival/systems/" + id + "/explain/si-2"} {
		status, body := page(t, jar, s.url+p)
		if status != http.StatusNotFound || strings.Contains(body, "webshop") {
			t.Errorf("rival GET %s: %d, want 404 without the system's name", p, status)
		}
	}
}
