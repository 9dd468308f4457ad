package web_test

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The dashboard shows what the API's overview says: per system the
// owner split, open gaps by severity, attestations due; and the totals.
func TestDashboardOverview(t *testing.T) {
	s := newSite(t, false)
	s.putSystem("webshop", "serverless-webshop.yaml")
	s.putSystem("hr", "saas-vendor-chain.yaml")
	var o server.Overview
	s.api("GET", "/api/v1/orgs/acme/overview?days=400", s.tokens[demarc.RoleViewer], nil, &o, http.StatusOK)
	c := s.browserClient(demarc.RoleViewer)
	status, body := page(t, c, s.url+"/o/acme/?days=400")
	if status != http.StatusOK {
		t.Fatalf("dashboard: %d", status)
	}
	text := html.UnescapeString(body)
	if len(o.Systems) != 2 || strings.Count(body, `<th scope="row"><a href="/o/acme/systems/`) != 2 {
		t.Fatalf("the dashboard does not list the %d systems", len(o.Systems))
	}
	for _, so := range o.Systems {
		for _, owner := range []demarc.Owner{demarc.OwnerProvider, demarc.OwnerShared, demarc.OwnerCustomer} {
			if n := so.Owners[owner]; n > 0 && !strings.Contains(body, `title="`+string(owner)+`: `+strconv.Itoa(n)+`"`) {
				t.Errorf("%s: no %s segment of %d controls", so.Name, owner, n)
			}
		}
		if g := so.Gaps; g.High > 0 && !strings.Contains(body, `sev-high">high `+strconv.Itoa(g.High)+`<`) {
			t.Errorf("%s: high gaps %d not shown", so.Name, g.High)
		}
		for _, a := range so.Attestations {
			if !strings.Contains(text, a.ID) {
				t.Errorf("%s: attestation %s due %s not shown", so.Name, a.ID, a.ValidThrough)
			}
		}
	}
	total := o.Totals.Gaps.High + o.Totals.Gaps.Medium + o.Totals.Gaps.Low
	if !strings.Contains(body, `<div class="n">`+strconv.Itoa(total)+`</div>open gaps`) {
		t.Errorf("the totals do not show %d open gaps", total)
	}
	_, soc2 := page(t, c, s.url+"/o/acme/?framework=soc2")
	if !strings.Contains(soc2, "soc2 · ") || strings.Contains(soc2, "nist-800-53-r5 · ") {
		t.Error("the framework filter does not judge every system against SOC 2")
	}
	status, bad := page(t, c, s.url+"/o/acme/?days=many")
	if status != http.StatusBadRequest || !strings.Contains(bad, "days") {
		t.Errorf("days=many: %d", status)
	}
}

// The overview exports as CSV and XLSX, one row per system.
func TestDashboardExports(t *testing.T) {
	s := newSite(t, false)
	s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleViewer)
	resp, err := c.Get(s.url + "/o/acme/?export=csv")
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "System,Version,Framework,Controls,Provider,Shared,Customer") || !strings.HasPrefix(lines[1], "webshop,v1,nist-800-53-r5,") {
		t.Errorf("CSV:\n%s", csv)
	}
	resp, err = c.Get(s.url + "/o/acme/?export=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil || len(rows) != 2 || rows[1][0] != "webshop" {
		t.Errorf("XLSX rows: %v %v", rows, err)
	}
}
