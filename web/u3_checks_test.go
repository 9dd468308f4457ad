package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/server"
)

// upFile is a file a form sends.
type upFile struct {
	field, name string
	data        []byte
}

// webshopFiles are the web shop's configuration files, as a person would
// choose them.
func webshopFiles(t *testing.T) []upFile {
	t.Helper()
	var out []upFile
	for _, n := range []string{"main.tf", "shop-app.yaml"} {
		out = append(out, upFile{"config", n, readExample(t, "config/webshop/"+n)})
	}
	return out
}

func readExample(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartForm builds a form body with fields and files, as a browser
// sends it.
func multipartForm(t testing.TB, fields url.Values, files []upFile) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		pw, err := w.CreateFormFile(f.field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, w.FormDataContentType()
}

// postFiles sends a multipart form with the browser's CSRF token and
// returns status, body and where it redirects.
func (s *site) postFiles(c *http.Client, path string, fields url.Values, files []upFile) (int, string, string) {
	s.t.Helper()
	if fields == nil {
		fields = url.Values{}
	}
	fields.Set("csrf", s.csrf(c))
	body, ctype := multipartForm(s.t, fields, files)
	resp, err := c.Post(s.url+path, ctype, body)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// colIndex returns the index of a column by its header.
func colIndex(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

func u3sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// An editor uploads the web shop's Terraform and Kubernetes files: the
// run's page shows the verdicts and findings the API recorded, links
// each control to its explanation, downloads the report in the API's
// formats, and lists the run with its counts; the evidence record, with
// each file's digest, is for auditors and not for viewers.
func TestCheckRunFromUploadedFiles(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	base := "/o/acme/systems/" + id + "/checks"
	editor := s.browserClient(demarc.RoleEditor)

	status, body := page(t, editor, s.url+base)
	if status != 200 || !strings.Contains(body, `id="check-form"`) || !strings.Contains(body, `id="no-runs"`) || !strings.Contains(body, `aria-current="page">Checks</a>`) {
		t.Fatalf("checks page: %d %.400s", status, body)
	}
	status, body, loc := s.postFiles(editor, base, url.Values{"builtin": {"true"}, "framework": {""}}, webshopFiles(t))
	if status != http.StatusSeeOther || loc != base+"/1" {
		t.Fatalf("upload: %d %s %.500s", status, loc, body)
	}

	var rep check.Report
	api := "/api/v1/orgs/acme/systems/" + id + "/checks/1"
	s.api("GET", api, s.tokens[demarc.RoleViewer], nil, &rep, 200)
	if len(rep.Findings) == 0 || rep.Summary.Controls[check.ControlFailing] == 0 {
		t.Fatalf("the web shop's run found nothing to show: %+v", rep.Summary)
	}
	viewer := s.browserClient(demarc.RoleViewer)
	status, body = page(t, viewer, s.url+base+"/1")
	if status != 200 {
		t.Fatalf("run page: %d %.500s", status, body)
	}
	labels := map[check.ControlState]string{check.ControlFailing: "failing", check.ControlIndeterminate: "indeterminate",
		check.ControlVerified: "verified", check.ControlManual: "needs manual evidence", check.ControlNotApplicable: "not applicable"}
	for st, label := range labels {
		want := fmt.Sprintf(`verdict-%s">%s</span> <b>%d</b>`, st, label, rep.Summary.Controls[st])
		if !strings.Contains(body, want) {
			t.Errorf("the run page lacks %s", want)
		}
	}
	if want := fmt.Sprintf("<b>%d</b> fail", rep.Summary.Results[check.Fail]); !strings.Contains(body, want) {
		t.Errorf("the run page lacks %q", want)
	}
	if !strings.Contains(body, "by editor") {
		t.Error("the run page does not say who recorded the run")
	}

	// The control verdicts are the API's, control by control, each linked
	// to its explanation.
	rows := csvRows(t, viewer, s.url+base+"/1?table=controls&export=csv")
	if len(rows)-1 != len(rep.Controls) {
		t.Fatalf("%d control rows, the API has %d", len(rows)-1, len(rep.Controls))
	}
	verdict := colIndex(t, rows[0], "Verdict")
	for i, c := range rep.Controls {
		if rows[i+1][0] != string(c.ID) || rows[i+1][verdict] != labels[c.State] {
			t.Fatalf("control row %d: %v, the API says %s %s", i, rows[i+1], c.ID, c.State)
		}
	}
	failing := rep.Controls[0]
	for _, c := range rep.Controls {
		if c.State == check.ControlFailing {
			failing = c
			break
		}
	}
	href := fmt.Sprintf(`href="/o/acme/systems/%s/explain/%s?framework=%s"`, id, failing.ID, rep.Framework)
	if !strings.Contains(body, href) {
		t.Errorf("control %s does not link to its explanation (%s)", failing.ID, href)
	}
	rows = csvRows(t, viewer, s.url+base+"/1?state=failing&export=csv")
	if len(rows)-1 != rep.Summary.Controls[check.ControlFailing] {
		t.Errorf("the failing filter shows %d controls, the API counts %d", len(rows)-1, rep.Summary.Controls[check.ControlFailing])
	}

	// The findings are the API's, with file and line.
	rows = csvRows(t, viewer, s.url+base+"/1?table=findings&export=csv")
	if len(rows)-1 != len(rep.Findings) {
		t.Fatalf("%d finding rows, the API has %d", len(rows)-1, len(rep.Findings))
	}
	res, where, remedy := colIndex(t, rows[0], "Resource"), colIndex(t, rows[0], "Where"), colIndex(t, rows[0], "Remediation")
	for i, f := range rep.Findings {
		r := rows[i+1]
		if r[res] != f.Resource || r[where] != f.Pos.String() || r[remedy] != f.Remediation || !strings.Contains(f.Pos.String(), ":") {
			t.Errorf("finding row %d: %v, the API says %s at %s", i, r, f.Resource, f.Pos)
		}
	}

	// Downloads are the API's report, byte for byte; SARIF parses.
	resp, sarif := fetch(t, viewer, s.url+base+"/1/download/sarif")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="webshop-check-1.sarif"` {
		t.Fatalf("SARIF download: %d %v", resp.StatusCode, resp.Header)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					Physical struct {
						Artifact struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarif, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != rep.Summary.Results[check.Fail] {
		t.Fatalf("SARIF (%v): %.300s", err, sarif)
	}
	if got := u3apiBody(t, s, api+"?format=sarif"); !bytes.Equal(got, sarif) {
		t.Error("the SARIF download differs from the API's")
	}
	resp, junit := fetch(t, viewer, s.url+base+"/1/download/junit")
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if err := xml.Unmarshal(junit, &suites); err != nil || !strings.HasSuffix(resp.Header.Get("Content-Disposition"), `.xml"`) {
		t.Errorf("JUnit download (%v): %.200s", err, junit)
	}
	if _, md := fetch(t, viewer, s.url+base+"/1/download/markdown"); !strings.HasPrefix(string(md), "# Configuration checks") {
		t.Errorf("Markdown download: %.100s", md)
	}
	if resp, _ := fetch(t, viewer, s.url+base+"/1/download/pdf"); resp.StatusCode != 404 {
		t.Errorf("an unknown format answers %d", resp.StatusCode)
	}

	// The list of runs says when, by whom, and how it went.
	rows = csvRows(t, viewer, s.url+base+"?export=csv")
	if len(rows) != 2 || rows[1][0] != "1" || rows[1][colIndex(t, rows[0], "By")] != "editor" || rows[1][colIndex(t, rows[0], "Framework")] != string(rep.Framework) ||
		rows[1][colIndex(t, rows[0], "Fail")] != fmt.Sprint(rep.Summary.Results[check.Fail]) ||
		rows[1][colIndex(t, rows[0], "Pass")] != fmt.Sprint(rep.Summary.Results[check.Pass]) ||
		rows[1][colIndex(t, rows[0], "Failing controls")] != fmt.Sprint(rep.Summary.Controls[check.ControlFailing]) {
		t.Errorf("runs: %v", rows)
	}

	// Evidence: a note for a viewer, the digests for an auditor.
	if !strings.Contains(body, `id="evidence-note"`) || strings.Contains(body, `id="evidence-facts"`) ||
		strings.Contains(body, u3sha(readExample(t, "config/webshop/shop-app.yaml"))) {
		t.Error("a viewer sees the evidence record")
	}
	if resp, _ := fetch(t, viewer, s.url+base+"/1?table=evidence&export=csv"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer exports the evidence: %d", resp.StatusCode)
	}
	if strings.Contains(body, `id="check-form"`) {
		t.Error("a viewer is offered the upload form")
	}
	auditor := s.browserClient(demarc.RoleAuditor)
	_, body = page(t, auditor, s.url+base+"/1")
	var ev server.CheckEvidence
	s.api("GET", api+"/evidence", s.tokens[demarc.RoleAuditor], nil, &ev, 200)
	// A .tf module's digest is that of the list of its files' digests;
	// a manifest's is the file's own.
	if !strings.Contains(body, u3sha(readExample(t, "config/webshop/shop-app.yaml"))) || len(ev.Evidence.Inputs) != 2 {
		t.Errorf("the auditor's page lacks the digest of shop-app.yaml, or the API has inputs %+v", ev.Evidence.Inputs)
	}
	for _, in := range ev.Evidence.Inputs {
		if !strings.Contains(body, in.SHA256) || !strings.Contains(body, in.File) {
			t.Errorf("the auditor's page lacks input %s with digest %s", in.File, in.SHA256)
		}
	}
	if ev.AuditEvent == nil || !strings.Contains(body, ev.AuditEvent.Hash) || !strings.Contains(body, ev.Evidence.System.SHA256) || !strings.Contains(body, string(ev.Hash)) {
		t.Error("the auditor's page lacks the system's digest, the run's hash or its audit event")
	}
	rows = csvRows(t, auditor, s.url+base+"/1?table=evidence&export=csv")
	if len(rows) != 1+1+len(ev.Evidence.Inputs)+len(ev.Evidence.Policies) {
		t.Errorf("evidence rows: %v", rows)
	}

	// A viewer may not run checks: the API's refusal, nothing recorded.
	status, _, _ = s.postFiles(viewer, base, nil, webshopFiles(t))
	if status != http.StatusForbidden {
		t.Errorf("a viewer's upload answers %d", status)
	}
	if n := runCount(t, s, id); n != 1 {
		t.Errorf("%d runs recorded, want 1", n)
	}
	if status, _ := page(t, viewer, s.url+base+"/7"); status != 404 {
		t.Errorf("an unknown run answers %d", status)
	}
	if status, _ := page(t, viewer, s.url+base+"/first"); status != 404 {
		t.Errorf("a run that is no number answers %d", status)
	}
}

// u3apiBody reads an API path as the viewer.
func u3apiBody(t *testing.T, s *site, path string) []byte {
	t.Helper()
	r, _ := http.NewRequest("GET", s.url+path, nil)
	r.Header.Set("Authorization", "Bearer "+s.tokens[demarc.RoleViewer])
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// runCount is how many check runs the API has for a system.
func runCount(t *testing.T, s *site, id string) int {
	t.Helper()
	var l server.List[server.CheckRunInfo]
	s.api("GET", "/api/v1/orgs/acme/systems/"+id+"/checks", s.tokens[demarc.RoleViewer], nil, &l, 200)
	return len(l.Items)
}

// A file that does not read comes back on the form with its name and
// line, and nothing is recorded; so does a form without files, and one
// with a policy that does not load. A form larger than the API takes is
// refused before it reaches the API.
func TestCheckRunRefusedFiles(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	base := "/o/acme/systems/" + id + "/checks"
	editor := s.browserClient(demarc.RoleEditor)
	broken := upFile{"config", "plan.json", []byte("{\"format_version\": \"1.2\",\n  \"planned_values\": ]\n}\n")}
	badPolicy := upFile{"policy", "team.yaml", []byte("policies:\n  - id: team-broken\n    title: Broken\n    severity: low\n    areas: [no.such-area]\n    rules:\n      - types: [aws_s3_bucket]\n        expr: resource.\n")}
	for _, c := range []struct {
		name   string
		fields url.Values
		files  []upFile
		status int
		says   []string
	}{
		{"malformed plan", url.Values{"framework": {"iso-27001-2022"}}, append(webshopFiles(t)[:1], broken), 422,
			[]string{`<span class="mono where">plan.json:2</span>`, "Sent: <span class=\"mono\">main.tf, plan.json</span>", `<option value="iso-27001-2022" selected>`}},
		{"no files", nil, nil, 422, []string{"Choose at least one configuration file"}},
		{"bad policy", url.Values{"builtin": {"false"}}, append(webshopFiles(t), badPolicy), 422, []string{"team.yaml:", `<option value="false" selected>`}},
		{"unknown framework", url.Values{"framework": {"nist"}}, webshopFiles(t), 400, []string{"unknown framework"}},
	} {
		status, body, _ := s.postFiles(editor, base, c.fields, c.files)
		if status != c.status || !strings.Contains(body, `id="check-error"`) || !strings.Contains(body, `id="check-form"`) {
			t.Errorf("%s: %d, want %d with the form and its error: %.600s", c.name, status, c.status, body)
			continue
		}
		for _, want := range c.says {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %s", c.name, want)
			}
		}
	}
	if n := runCount(t, s, id); n != 0 {
		t.Errorf("refused uploads recorded %d runs", n)
	}

	// Too large: refused in the UI, in-process, before any API call.
	huge := upFile{"config", "big.json", bytes.Repeat([]byte(" "), 34<<20)}
	body, ctype := multipartForm(t, url.Values{"csrf": {"x"}}, []upFile{huge})
	r := httptest.NewRequest("POST", base, body)
	r.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `id="error-message"`) || !strings.Contains(w.Body.String(), "larger than 33 MiB") {
		t.Errorf("a huge upload: %d %.300s", w.Code, w.Body.String())
	}
}
