package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
)

// Every analysis and export answers in the format asked for, with its
// content type, and files come as attachments.
func TestAnalysesAndExports(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	sys := e.webshop(a)
	base := "/api/v1/orgs/acme/systems/" + string(sys.ID)
	cases := []struct {
		path, ctype, starts, contains, file string
	}{
		{"/matrix?format=csv&family=si", "text/csv", "system,framework,control", "si-2", ""},
		{"/matrix?format=markdown&family=si", "text/markdown", "", "si-2", ""},
		{"/matrix?format=yaml&owner=shared", "application/yaml", "system: serverless-webshop", "owner: shared", ""},
		{"/matrix?format=table&family=si", "text/plain", "", "si-2", ""},
		{"/explain/os.patching?format=markdown", "text/markdown", "", "os.patching", ""},
		{"/explain/si-2", "application/json", "{", `"id": "si-2"`, ""},
		{"/gaps?as_of=2026-11-25&format=csv", "text/csv", "", "over-delegation", ""},
		{"/gaps?as_of=2026-11-25&severity=high", "application/json", "{", `"severity": "high"`, ""},
		{"/incidents?type=compromised-cloud-credentials&format=yaml", "application/yaml", "system: serverless-webshop", "compromised-cloud-credentials", ""},
		{"/telemetry?coverage=needs-enabling", "application/json", "{", "needs-enabling", ""},
		{"/risk", "application/json", "{", "customer-managed", ""},
		{"/exports/oscal-ssp?as_of=2026-11-25&framework=iso-27001-2022", "application/json", "{", `"system-security-plan"`, "serverless-webshop-ssp.json"},
		{"/exports/fedramp-crm?baseline=low&format=csv", "text/csv", "", "AC-2", "serverless-webshop-fedramp-crm.csv"},
		{"/exports/fedramp-crm?baseline=low", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK", "", "serverless-webshop-fedramp-crm.xlsx"},
		{"/exports/matrix-xlsx?framework=nist-800-53-r5,iso-27001-2022", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK", "", "serverless-webshop-matrix.xlsx"},
		{"/exports/report?as_of=2026-11-25", "text/html", "<!DOCTYPE html>", "serverless-webshop", "serverless-webshop-report.html"},
	}
	for _, c := range cases {
		r := e.must(200, req{method: "GET", path: base + c.path, token: a.tokens[demarc.RoleAuditor]})
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", c.path, ct, c.ctype)
		}
		if !bytes.HasPrefix(r.body, []byte(c.starts)) || !bytes.Contains(r.body, []byte(c.contains)) {
			t.Errorf("%s: body does not start with %q and hold %q: %.120s", c.path, c.starts, c.contains, r.body)
		}
		if cd := r.header.Get("Content-Disposition"); c.file != "" && cd != `attachment; filename="`+c.file+`"` {
			t.Errorf("%s: Content-Disposition %q", c.path, cd)
		}
		if r.header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", c.path)
		}
	}
	r := e.must(200, req{method: "GET", path: base + "/exports/report", token: a.tokens[demarc.RoleViewer]})
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "script") || !strings.Contains(csp, "style-src 'unsafe-inline'") {
		t.Errorf("report CSP %q", csp)
	}
	var m demarc.Matrix
	if err := json.Unmarshal(e.must(200, req{method: "GET", path: base + "/matrix?owner=customer", token: a.tokens[demarc.RoleViewer]}).body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Controls) == 0 || m.Summary[demarc.OwnerCustomer] != len(m.Controls) {
		t.Errorf("owner filter: %d controls, summary %v", len(m.Controls), m.Summary)
	}
}
