package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/web"
)

// The audit page lists the organisation's events with who did what, says
// the chain verifies, filters by action and object, pages, and exports
// every event with whole hashes.
func TestAuditTrail(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	doc := s.storedSystem(id)
	s.updateSystem(id, doc.Version, doc.Content+"# v2\n")
	var all server.List[demarc.Event]
	s.api("GET", "/api/v1/orgs/acme/audit/events?limit=500", s.tokens[demarc.RoleAuditor], nil, &all, http.StatusOK)
	c := s.browserClient(demarc.RoleAuditor)
	status, body := page(t, c, s.url+"/o/acme/audit")
	if status != http.StatusOK || !strings.Contains(body, "Chain verified: OK.") {
		t.Fatalf("audit page: %d", status)
	}
	if n := strings.Count(body, `<tr><td class="mono">`); n != len(all.Items) {
		t.Errorf("the page lists %d events, the API %d", n, len(all.Items))
	}
	if !strings.Contains(body, "Olive Owner") || !strings.Contains(body, "document.update") {
		t.Error("the page does not name the actor or the action")
	}
	_, filtered := page(t, c, s.url+"/o/acme/audit?action=document.update")
	if strings.Count(filtered, `<tr><td class="mono">`) != 1 || strings.Contains(filtered, `class="mono">member.add<`) {
		t.Error("the action filter does not narrow the events to the one update")
	}
	_, byObject := page(t, c, s.url+"/o/acme/audit?object=document/"+id)
	if strings.Count(byObject, `<tr><td class="mono">`) != 2 {
		t.Error("the object filter does not narrow the events to the system's two")
	}
	after := strconv.FormatInt(all.Items[len(all.Items)-2].Seq, 10)
	_, paged := page(t, c, s.url+"/o/acme/audit?after="+after)
	if strings.Count(paged, `<tr><td class="mono">`) != 1 || !strings.Contains(paged, `id="first-page"`) {
		t.Error("paging after an event does not show only the newer one")
	}
	resp, err := c.Get(s.url + "/o/acme/audit?export=csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	csv, _ := io.ReadAll(resp.Body)
	last := all.Items[len(all.Items)-1]
	if lines := strings.Count(string(csv), "\n"); lines != len(all.Items)+1 || !strings.Contains(string(csv), last.Hash) || !strings.Contains(string(csv), string(last.After)) {
		t.Errorf("CSV export: %d lines, want %d with whole hashes\n%s", lines, len(all.Items)+1, csv)
	}
	status, bad := page(t, c, s.url+"/o/acme/audit?after=soon")
	if status != http.StatusBadRequest || !strings.Contains(bad, "after") {
		t.Errorf("a bad after: %d", status)
	}
}

// Members who may not read the trail get neither the page nor the link.
func TestAuditNeedsAuditRole(t *testing.T) {
	s := newSite(t, false)
	for _, role := range []demarc.Role{demarc.RoleViewer, demarc.RoleEditor} {
		c := s.browserClient(role)
		status, body := page(t, c, s.url+"/o/acme/audit")
		if status != http.StatusForbidden || strings.Contains(body, "chain-status") {
			t.Errorf("%s: %d", role, status)
		}
		_, dash := page(t, c, s.url+"/o/acme/")
		if strings.Contains(dash, `href="/o/acme/audit"`) {
			t.Errorf("%s: the navigation links the audit trail", role)
		}
	}
}

// When the API reports that events were altered, the page says the chain
// failed, which events, and marks their rows.
func TestAuditShowsTampering(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	org := demarc.Org{ID: "org_1", Slug: "acme", Name: "Acme Retail"}
	events := []demarc.Event{
		{Org: org.ID, Seq: 1, Time: now, Action: demarc.ActionOrgCreate, Object: "org/org_1", Hash: "aaa"},
		{Org: org.ID, Seq: 2, Time: now, Action: demarc.ActionDocumentCreate, Object: "document/doc_1", After: "sha256:0123456789abcdef0123", Hash: "bbb"},
	}
	verify := server.Verification{AuditReport: demarc.AuditReport{Org: org.ID, Events: 2, Head: demarc.ChainHead{Seq: 2, Hash: "bbb"},
		Problems: []demarc.AuditProblem{{Seq: 2, Kind: demarc.TamperAltered, Message: "document.create on document/doc_1 no longer matches its hash"}}}}
	api := http.NewServeMux()
	answer := func(path string, v any) {
		api.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(v) })
	}
	answer("/api/v1/me", server.Me{Via: "local", Memberships: []server.Membership{{Org: org, Member: demarc.Member{ID: "mem_1", Org: org.ID, Role: demarc.RoleAuditor}}}})
	answer("/api/v1/orgs/org_1/audit/verify", verify)
	answer("/api/v1/orgs/org_1/audit/events", server.List[demarc.Event]{Items: events})
	answer("/api/v1/orgs/org_1/members", server.List[demarc.Member]{Items: []demarc.Member{}})
	ui, err := web.New(web.Config{API: api, Local: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ui)
	defer hs.Close()
	status, body := page(t, hs.Client(), hs.URL+"/o/acme/audit")
	if status != http.StatusOK {
		t.Fatalf("audit page: %d\n%s", status, body)
	}
	if !strings.Contains(body, "Chain verification failed: 1 problem.") || !strings.Contains(body, "no longer matches its hash") {
		t.Error("the page does not say the chain failed and why")
	}
	if !strings.Contains(body, `<tr class="tampered"><td class="mono">2</td>`) || strings.Contains(body, `<tr class="tampered"><td class="mono">1</td>`) {
		t.Error("the altered event's row is not marked, or another is")
	}
}
