package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// A statement whose service a system uses cannot be deleted: the page
// shows the API's refusal naming the system, and the statement stays.
// Once the system is gone it is deleted; a stale page is refused first.
func TestStatementDelete(t *testing.T) {
	s := newSite(t, false)
	owner := s.tokens[demarc.RoleOwner]
	var stmt, sys server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/providers", owner, server.DocumentRequest{Name: "internal", Content: customStatement}, &stmt, http.StatusCreated)
	s.api("POST", "/api/v1/orgs/acme/systems", owner, server.DocumentRequest{Name: "runs-internal",
		Content: "name: runs-internal\ncomponents:\n  - name: api\n    service: acme-internal/run\n"}, &sys, http.StatusCreated)
	c := s.browserClient(demarc.RoleEditor)
	page := "/o/acme/library/statements/" + string(stmt.ID)
	post := func(etag string) (int, string, string) {
		t.Helper()
		resp, err := c.PostForm(s.url+page+"/delete", url.Values{"csrf": {s.csrf(c)}, "etag": {etag}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp)
	}
	status, _, body := post(`"v1"`)
	if status != http.StatusConflict || !strings.Contains(body, `id="delete-error"`) || !strings.Contains(body, "runs-internal") {
		t.Fatalf("deleting a statement in use: %d", status)
	}
	s.deleteDoc("/api/v1/orgs/acme/systems/"+string(sys.ID), owner)
	if status, _, body := post(`"v7"`); status != http.StatusPreconditionFailed || !strings.Contains(body, "someone saved version 1") {
		t.Errorf("stale delete: %d", status)
	}
	status, loc, _ := post(`"v1"`)
	if status != http.StatusSeeOther || loc != "/o/acme/library?tab=statements&deleted=internal" {
		t.Fatalf("delete: %d to %q", status, loc)
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/providers", owner, nil, &l, http.StatusOK)
	if len(l.Items) != 0 {
		t.Error("the statement is still stored")
	}
	resp, err := c.Get(s.url + loc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bodyOf(t, resp), "Deleted the statement internal.") {
		t.Error("the statements tab does not say the statement was deleted")
	}
}

// bodyOf reads and closes a response's body.
func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
