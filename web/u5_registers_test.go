package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// vendorRegister holds a SOC 2 report whose twelve months of reliance
// ran out at the end of 2021, and an ISO certificate good until 2099.
const vendorRegister = `attestations:
  - id: vendor-soc2
    provider: aws
    type: soc2-type2
    issuer: Old Audit LLP
    period: {from: 2020-01-01, to: 2020-12-31}
    services: [aws/s3]
    cuecs:
      - id: vendor-cuec-1
        text: Customers review who may read their buckets.
        areas: [identity.access-review]
  - id: vendor-iso
    provider: aws
    type: iso-27001
    period: {from: 2024-01-01, to: 2024-01-01}
    expires: 2099-12-31
    services: ["aws/*"]
`

// renewedRegister records the next SOC 2 report in place of the old.
var renewedRegister = strings.Replace(strings.Replace(vendorRegister, "period: {from: 2020-01-01, to: 2020-12-31}", "period: {from: 2020-01-01, to: 2020-12-31}\n    expires: 2098-06-30", 1),
	"issuer: Old Audit LLP", "issuer: New Audit LLP", 1)

// vendorSystem relies on the vendor register.
const vendorSystem = `name: bucket-site
description: A static site in one bucket.
frameworks: [nist-800-53-r5]
attestation_files: [attestations/vendor.yaml]
components:
  - name: site
    service: aws/s3
`

// registerSite is a site with the vendor register added through the
// form by an editor, and the editor's client.
func registerSite(t *testing.T) (*site, *http.Client, string) {
	t.Helper()
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	status, loc, body := statementForm(t, s, c, "/o/acme/attestations", url.Values{"name": {"attestations/vendor.yaml"}, "content": {vendorRegister}, "note": {"first reports"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/o/acme/attestations/doc_") {
		t.Fatalf("add the register: %d to %q\n%s", status, loc, body)
	}
	return s, c, strings.TrimSuffix(loc, "?saved=1")
}

// An editor adds a register from the form; the list shows it with its
// count, its earliest expiry and that one attestation expired, and the
// register's page lists the attestations with their state and CUECs.
// The example the empty form starts from is a register the API takes.
func TestRegisterCreateAndList(t *testing.T) {
	s, c, reg := registerSite(t)
	status, body := page(t, c, s.url+reg+"?saved=1")
	if status != http.StatusOK || !strings.Contains(body, "Saved version 1 of attestations/vendor.yaml.") {
		t.Fatalf("register page after adding: %d\n%s", status, body)
	}
	for _, want := range []string{`id="att-vendor-soc2"`, `<span class="sev sev-high">expired</span> <span class="date">2021-12-31</span>`, "vendor-cuec-1", "Customers review who may read their buckets.",
		`<span class="state state-complete">current</span> <span class="date">2099-12-31</span>`, "soc2 (implied by the type)", `id="register-form"`, "first reports"} {
		if !strings.Contains(body, want) {
			t.Errorf("register page lacks %q", want)
		}
	}

	status, body = page(t, c, s.url+"/o/acme/attestations")
	if status != http.StatusOK || !strings.Contains(body, `href="`+reg+`">attestations/vendor.yaml</a>`) || !strings.Contains(body, `<span class="sev sev-high">1 expired</span>`) {
		t.Errorf("list: %d, or the register is not listed as expired\n%s", status, body)
	}
	if !strings.Contains(body, `aria-current="page">Attestations</a>`) {
		t.Error("the main navigation does not mark Attestations")
	}
	rows := csvRows(t, c, s.url+"/o/acme/attestations?export=csv")
	if len(rows) != 2 || rows[1][0] != "attestations/vendor.yaml" || rows[1][3] != "2" || rows[1][4] != "2021-12-31" || rows[1][5] != "expired" || rows[1][6] != "1" {
		t.Errorf("list CSV: %v", rows)
	}
	rows = xlsxRows(t, c, s.url+reg+"?export=xlsx")
	if len(rows) != 3 || rows[1][0] != "vendor-soc2" || !strings.HasPrefix(rows[1][9], "expired") || !strings.Contains(rows[1][10], "vendor-cuec-1") {
		t.Errorf("register XLSX: %v", rows)
	}

	// A system that names the register is listed beside it.
	var sys server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleEditor], server.DocumentRequest{Name: "bucket-site", Content: vendorSystem}, &sys, http.StatusCreated)
	_, body = page(t, c, s.url+"/o/acme/attestations")
	if !strings.Contains(body, `<a href="/o/acme/systems/`+string(sys.ID)+`/">bucket-site</a>`) {
		t.Error("the list does not name the system that relies on the register")
	}

	_, body = page(t, c, s.url+"/o/acme/attestations")
	start := strings.Index(body, `<textarea id="register-content"`)
	example := body[start:]
	example = html.UnescapeString(example[strings.Index(example, ">")+1 : strings.Index(example, "</textarea>")])
	status, _, body = statementForm(t, s, c, "/o/acme/attestations", url.Values{"name": {"example"}, "content": {example}})
	if status != http.StatusSeeOther {
		t.Errorf("the form's example is refused: %d\n%s", status, body)
	}
}

// Renewing the expired report through the edit form takes it off the
// dashboard's expired list; before, the dashboard links it to the
// register's row.
func TestRegisterRenewalClearsDashboard(t *testing.T) {
	s, c, reg := registerSite(t)
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleEditor], server.DocumentRequest{Name: "bucket-site", Content: vendorSystem}, nil, http.StatusCreated)
	_, body := page(t, c, s.url+"/o/acme/")
	if !strings.Contains(body, `<span class="sev sev-high">expired</span> <a href="`+reg+`#att-vendor-soc2">vendor-soc2</a>`) {
		t.Fatalf("the dashboard does not link the expired attestation to its register\n%s", body)
	}
	status, loc, body := statementForm(t, s, c, reg, url.Values{"name": {"attestations/vendor.yaml"}, "content": {renewedRegister}, "note": {"new report"}, "etag": {`"v1"`}})
	if status != http.StatusSeeOther {
		t.Fatalf("renew: %d\n%s", status, body)
	}
	_, body = page(t, c, s.url+loc)
	if !strings.Contains(body, "Saved version 2 of attestations/vendor.yaml.") || strings.Contains(body, `<span class="sev sev-high">expired</span>`) {
		t.Error("after renewing, the register still shows an expired attestation, or no flash")
	}
	_, body = page(t, c, s.url+"/o/acme/")
	if strings.Contains(body, "vendor-soc2") {
		t.Error("the dashboard still lists the renewed attestation")
	}
	var o server.Overview
	s.api("GET", "/api/v1/orgs/acme/overview", s.tokens[demarc.RoleViewer], nil, &o, http.StatusOK)
	if o.Totals.AttestationsExpired != 0 {
		t.Errorf("the overview counts %d expired attestations after the renewal", o.Totals.AttestationsExpired)
	}
}

// When two registers hold an attestation of the same id, the dashboard
// links the one the system names.
func TestDashboardLinksTheRegisterTheSystemNames(t *testing.T) {
	s, c, first := registerSite(t)
	status, second, body := statementForm(t, s, c, "/o/acme/attestations", url.Values{"name": {"attestations/other.yaml"}, "content": {vendorRegister}})
	if status != http.StatusSeeOther {
		t.Fatalf("second register: %d\n%s", status, body)
	}
	second = strings.TrimSuffix(second, "?saved=1")
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleEditor],
		server.DocumentRequest{Name: "other-site", Content: strings.Replace(vendorSystem, "attestations/vendor.yaml", "attestations/other.yaml", 1)}, nil, http.StatusCreated)
	_, body = page(t, c, s.url+"/o/acme/")
	if !strings.Contains(body, `href="`+second+`#att-vendor-soc2"`) || strings.Contains(body, `href="`+first+`#att-vendor-soc2"`) {
		t.Errorf("the dashboard links the wrong register (want %s)", second)
	}
}

// Refusals keep every field and store nothing: invalid YAML and a bad
// field show their line, a taken name says so, and a stale version says
// someone else saved.
func TestRegisterFormRefusals(t *testing.T) {
	s, c, reg := registerSite(t)
	bad := "attestations:\n  - id: broken\n    provider: [unclosed\n"
	status, _, body := statementForm(t, s, c, "/o/acme/attestations", url.Values{"name": {"attestations/broken.yaml"}, "content": {bad}, "note": {"try"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="register-error"`) || !strings.Contains(body, `<span class="mono">line `) {
		t.Errorf("invalid YAML: %d, want 422 with the line\n%s", status, body)
	}
	if !strings.Contains(body, "provider: [unclosed") || !strings.Contains(body, `value="attestations/broken.yaml"`) || !strings.Contains(body, `value="try"`) {
		t.Error("invalid YAML: what was typed is not kept")
	}
	if !strings.Contains(body, `aria-invalid="true" aria-describedby="register-error">attestations:`) {
		t.Error("invalid YAML: the content box is not marked invalid")
	}

	wrong := strings.Replace(vendorRegister, "type: soc2-type2", "type: soc3", 1)
	status, _, body = statementForm(t, s, c, reg, url.Values{"name": {"attestations/vendor.yaml"}, "content": {wrong}, "etag": {`"v1"`}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `<span class="mono">line 4</span>`) || !strings.Contains(body, "soc3") {
		t.Errorf("a bad type: %d, want 422 naming line 4\n%s", status, body)
	}
	if !strings.Contains(body, "type: soc3") {
		t.Error("a bad type: the content typed is not kept")
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/attestations", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 1 || l.Items[0].Version != 1 {
		t.Fatalf("refused forms stored something: %+v", l.Items)
	}

	status, _, body = statementForm(t, s, c, "/o/acme/attestations", url.Values{"name": {"attestations/vendor.yaml"}, "content": {vendorRegister}})
	if status != http.StatusConflict || !strings.Contains(body, `id="register-error"`) || !strings.Contains(body, `aria-invalid="true" aria-describedby="register-error">`) {
		t.Errorf("a taken name: %d, want 409 with the name marked\n%s", status, body)
	}

	doc := strings.TrimPrefix(reg, "/o/acme/attestations/")
	resp, data := apiDo(t, s, "PUT", "/api/v1/orgs/acme/attestations/"+doc, s.tokens[demarc.RoleAdmin], server.DocumentRequest{Content: renewedRegister, Note: "admin renewed"}, map[string]string{"If-Match": `"v1"`})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("someone else's save: %d %s", resp.StatusCode, data)
	}
	mine := strings.Replace(vendorRegister, "Old Audit LLP", "My Audit LLP", 1)
	status, _, body = statementForm(t, s, c, reg, url.Values{"name": {"attestations/vendor.yaml"}, "content": {mine}, "note": {"mine"}, "etag": {`"v1"`}})
	if status != http.StatusPreconditionFailed || !strings.Contains(body, "Someone else saved version 2 of this register") || !strings.Contains(body, "My Audit LLP") ||
		!strings.Contains(body, `name="etag" value="&#34;v2&#34;"`) || !strings.Contains(body, `value="mine"`) {
		t.Errorf("stale save: %d, want 412 saying version 2 with my text kept\n%s", status, body)
	}
	status, loc, _ := statementForm(t, s, c, reg, url.Values{"name": {"attestations/vendor.yaml"}, "content": {mine}, "etag": {`"v2"`}})
	if status != http.StatusSeeOther {
		t.Fatalf("saving again: %d", status)
	}
	_, body = page(t, c, s.url+loc)
	if !strings.Contains(body, "Saved version 3") || !strings.Contains(body, "My Audit LLP") {
		t.Error("the second save did not store version 3 with my text")
	}
}

// The versions list names author and note; a version reads on its own,
// and "what changed" shows the lines removed and added.
func TestRegisterVersionsAndDiff(t *testing.T) {
	s, c, reg := registerSite(t)
	status, _, body := statementForm(t, s, c, reg, url.Values{"name": {"attestations/vendor.yaml"}, "content": {renewedRegister}, "note": {"new report"}, "etag": {`"v1"`}})
	if status != http.StatusSeeOther {
		t.Fatalf("renew: %d\n%s", status, body)
	}
	_, body = page(t, c, s.url+reg)
	for _, want := range []string{"<td>editor</td><td>new report</td>", "<td>editor</td><td>first reports</td>", `href="` + reg + `?from=1&amp;to=2#compare">what changed</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("versions list lacks %q", want)
		}
	}
	status, body = page(t, c, s.url+reg+"?version=1")
	if status != http.StatusOK || !strings.Contains(body, `id="old-version"`) || !strings.Contains(body, "Old Audit LLP") || !strings.Contains(body, `<span class="sev sev-high">expired</span> <span class="date">2021-12-31</span>`) {
		t.Errorf("version 1: %d, or not shown as it was\n%s", status, body)
	}
	form := body[strings.Index(body, `id="register-form"`):]
	if !strings.Contains(body, "Restore version 1") || !strings.Contains(form, `name="etag" value="&#34;v2&#34;"`) ||
		!strings.Contains(form[strings.Index(form, "<textarea"):], "issuer: Old Audit LLP") {
		t.Error("version 1 is not offered for restoring, with its content over the current version")
	}
	rows := csvRows(t, c, s.url+reg+"?version=1&export=csv")
	if len(rows) != 3 || !strings.HasPrefix(rows[1][9], "expired") {
		t.Errorf("version 1 CSV: %v", rows)
	}

	status, body = page(t, c, s.url+reg+"?from=1&to=2")
	if status != http.StatusOK || !strings.Contains(body, `id="line-diff"`) {
		t.Fatalf("diff: %d\n%s", status, body)
	}
	for _, want := range []string{"2 lines added</span>, <span class=\"del-text\">1 removed", `<tr class="del"><td class="n">5</td><td class="n"></td>`,
		"<code>    issuer: Old Audit LLP</code>", `<tr class="ins"><td class="n"></td><td class="n">5</td>`, "<code>    issuer: New Audit LLP</code>",
		"<code>    expires: 2098-06-30</code>", "unchanged lines"} {
		if !strings.Contains(body, want) {
			t.Errorf("diff lacks %q", want)
		}
	}
	_, body = page(t, c, s.url+reg+"?from=2&to=2")
	if !strings.Contains(body, "no change.") {
		t.Error("comparing a version with itself does not say no change")
	}
	for q, want := range map[string]int{"?version=abc": http.StatusBadRequest, "?version=9": http.StatusNotFound, "?from=1": http.StatusBadRequest, "?from=1&to=0": http.StatusBadRequest} {
		if status, _ := page(t, c, s.url+reg+q); status != want {
			t.Errorf("%s: %d, want %d", q, status, want)
		}
	}
}

// A register a system names cannot be deleted: the page names the system
// instead of offering the button, and a forged delete gets the API's 409
// naming it. A stale page is refused with 412. Once no system names it,
// the register goes.
func TestRegisterDelete(t *testing.T) {
	s, c, reg := registerSite(t)
	var sys server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleEditor], server.DocumentRequest{Name: "bucket-site", Content: vendorSystem}, &sys, http.StatusCreated)
	_, body := page(t, c, s.url+reg)
	if strings.Contains(body, `id="delete-form"`) || !strings.Contains(body, `id="delete-blocked"`) || !strings.Contains(body, "bucket-site") {
		t.Error("the page offers to delete a register a system names, or does not name the system")
	}
	del := reg + "/delete"
	status, _, body := statementForm(t, s, c, del, url.Values{"etag": {`"v1"`}})
	if status != http.StatusConflict || !strings.Contains(body, "Not deleted: cannot delete attestation register") || !strings.Contains(body, "bucket-site") {
		t.Errorf("deleting a register a system names: %d\n%s", status, body)
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/attestations", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 1 {
		t.Fatal("a refused delete deleted the register")
	}
	s.deleteDoc("/api/v1/orgs/acme/systems/"+string(sys.ID), s.tokens[demarc.RoleEditor])
	_, body = page(t, c, s.url+reg)
	if !strings.Contains(body, `id="delete-form"`) {
		t.Error("no delete form once no system names the register")
	}
	status, _, body = statementForm(t, s, c, del, url.Values{"etag": {`"v9"`}})
	if status != http.StatusPreconditionFailed || !strings.Contains(body, `id="delete-error"`) || !strings.Contains(body, `name="etag" value="&#34;v1&#34;"`) {
		t.Errorf("stale delete: %d\n%s", status, body)
	}
	status, loc, _ := statementForm(t, s, c, del, url.Values{"etag": {`"v1"`}})
	if status != http.StatusSeeOther || loc != "/o/acme/attestations?deleted=attestations%2Fvendor.yaml" {
		t.Fatalf("delete: %d to %q", status, loc)
	}
	_, body = page(t, c, s.url+loc)
	if !strings.Contains(body, "Deleted the register attestations/vendor.yaml.") || strings.Contains(body, `href="`+reg+`"`) {
		t.Error("after deleting: no flash, or the register is still listed")
	}
	if status, _ := page(t, c, s.url+reg); status != http.StatusNotFound {
		t.Errorf("the deleted register's page: %d, want 404", status)
	}
}

// A viewer reads registers but sees no form; forged posts get 403 and
// change nothing.
func TestRegisterFormsNeedAnEditor(t *testing.T) {
	s, _, reg := registerSite(t)
	c := s.browserClient(demarc.RoleViewer)
	_, body := page(t, c, s.url+"/o/acme/attestations")
	if strings.Contains(body, `id="register-form"`) || !strings.Contains(body, "attestations/vendor.yaml") {
		t.Error("a viewer is offered the form, or does not see the register")
	}
	_, body = page(t, c, s.url+reg)
	if strings.Contains(body, `id="register-form"`) || strings.Contains(body, `id="delete-form"`) || !strings.Contains(body, `id="register-yaml"`) {
		t.Error("a viewer is offered a form on the register, or does not see its content")
	}
	for action, fields := range map[string]url.Values{
		"/o/acme/attestations": {"name": {"x"}, "content": {vendorRegister}},
		reg:                    {"name": {"attestations/vendor.yaml"}, "content": {renewedRegister}, "etag": {`"v1"`}},
		reg + "/delete":        {"etag": {`"v1"`}, "anyway": {"yes"}},
	} {
		if status, _, _ := statementForm(t, s, c, action, fields); status != http.StatusForbidden {
			t.Errorf("a viewer's post to %s: %d, want 403", action, status)
		}
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/attestations", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 1 || l.Items[0].Version != 1 {
		t.Errorf("a viewer's posts changed the registers: %+v", l.Items)
	}
}

// Another organisation's owner finds neither acme's registers nor one
// of them under its own organisation.
func TestRegistersOfAnotherOrganisation(t *testing.T) {
	s, _, reg := registerSite(t)
	c := s.browserClient("")
	csrf := s.csrf(c)
	resp, err := c.PostForm(s.url+"/signin", url.Values{"csrf": {csrf}, "token": {s.rival}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	doc := strings.TrimPrefix(reg, "/o/acme/attestations/")
	for _, p := range []string{"/o/acme/attestations", reg, "/o/rival/attestations/" + doc, "/o/rival/attestations/" + doc + "?version=1"} {
		if status, _ := page(t, c, s.url+p); status != http.StatusNotFound {
			t.Errorf("rival reads %s: %d, want 404", p, status)
		}
	}
	status, _, _ := statementForm(t, s, c, "/o/rival/attestations/"+doc, url.Values{"name": {"stolen"}, "content": {vendorRegister}, "etag": {`"v1"`}})
	if status != http.StatusNotFound {
		t.Errorf("rival replaces acme's register: %d, want 404", status)
	}
	if status, body := page(t, c, s.url+"/o/rival/attestations"); status != http.StatusOK || strings.Contains(body, "vendor.yaml") {
		t.Errorf("rival's own list: %d, or it shows acme's register", status)
	}
}
