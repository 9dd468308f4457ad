package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/server"
)

// nistLow is NIST's low baseline resolved into a catalog: a real catalog,
// smaller than the whole of SP 800-53.
const nistLow = "oscal/nist/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json"

// hiddenValue reads a hidden input's value from a page.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no hidden %s", name)
	}
	return html.UnescapeString(m[1])
}

// providerDocs lists the organisation's provider documents through the
// API.
func providerDocs(t *testing.T, s *site) []demarc.Document {
	t.Helper()
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/providers", s.tokens[demarc.RoleViewer], nil, &l, 200)
	return l.Items
}

// An editor previews an OSCAL catalog, which stores nothing and shows the
// framework with its controls; imports it from the preview without
// choosing the file again; finds it in the matrix page's framework
// picker; importing it again offers to replace it, which takes a new
// version, and a replace that lost a race says so.
func TestImportCatalogFromLibrary(t *testing.T) {
	path := realdata.Path(t, nistLow)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	editor := s.browserClient(demarc.RoleEditor)
	status, body := page(t, editor, s.url+"/o/acme/library?tab=import")
	if status != 200 || !strings.Contains(body, `id="import-form"`) || !strings.Contains(body, `aria-current="page">Import</a>`) {
		t.Fatalf("import tab: %d %.400s", status, body)
	}
	file := upFile{"file", filepath.Base(path), data}

	status, body, _ = s.postFiles(editor, "/o/acme/library/import", url.Values{"kind": {"oscal-catalog"}, "do": {"preview"}}, []upFile{file})
	if status != 200 || !strings.Contains(body, `id="preview"`) {
		t.Fatalf("preview: %d %.600s", status, body)
	}
	if docs := providerDocs(t, s); len(docs) != 0 {
		t.Fatalf("a preview stored %v", docs)
	}
	fw := regexp.MustCompile(`id="preview-frameworks">1 — <span class="mono">([^<]+)</span>[^<]*: <b>(\d+)</b> controls`).FindStringSubmatch(body)
	if fw == nil {
		t.Fatalf("the preview names no framework: %.2000s", body[strings.Index(body, `id="preview"`):])
	}
	f, err := library.ParseFile("low", []byte(apiDryRun(t, s, path, data).Content))
	if err != nil {
		t.Fatal(err)
	}
	controls := 0
	for _, c := range f.Frameworks[0].Controls {
		if !c.Withdrawn {
			controls++
		}
	}
	if fw[1] != string(f.Frameworks[0].ID) || fw[2] != itoa(controls) {
		t.Errorf("the preview says %s with %s controls; the API's dry run makes %s with %d", fw[1], fw[2], f.Frameworks[0].ID, controls)
	}
	if hiddenValue(t, body, "file_name") != file.name || !strings.Contains(body, `id="import-file-kept"`) {
		t.Error("the preview does not keep the chosen file")
	}

	// Import from the preview: the file comes from the form.
	fields := url.Values{"kind": {"oscal-catalog"}, "do": {"import"}, "file_name": {file.name}, "file_data": {hiddenValue(t, body, "file_data")}}
	status, body, loc := s.postFiles(editor, "/o/acme/library/import", fields, nil)
	docs := providerDocs(t, s)
	if status != http.StatusSeeOther || len(docs) != 1 || loc != "/o/acme/library?tab=import&imported="+string(docs[0].ID) {
		t.Fatalf("import: %d %s %v %.400s", status, loc, docs, body)
	}
	_, body = page(t, editor, s.url+loc)
	matrix := "/o/acme/systems/" + id + "/?framework=" + fw[1]
	if !strings.Contains(body, `id="imported"`) || !strings.Contains(body, `href="`+html.EscapeString(matrix)+`"`) ||
		!strings.Contains(body, `href="/o/acme/library/statements/`+string(docs[0].ID)+`"`) || !strings.Contains(body, "Imported "+fw[1]+" as version 1.") {
		t.Fatalf("after the import: %.1500s", body)
	}
	if status, _ := page(t, editor, s.url+"/o/acme/library/statements/"+string(docs[0].ID)); status != 200 {
		t.Errorf("the stored statement's page answers %d", status)
	}
	status, body = page(t, editor, s.url+matrix)
	if status != 200 || !strings.Contains(body, `<option value="`+fw[1]+`" selected>`) {
		t.Errorf("the matrix under the imported framework: %d", status)
	}
	if !strings.Contains(body, "Controls <span class=\"muted\">("+itoa(controls)+" of "+itoa(controls)+")") {
		t.Errorf("the matrix does not list the framework's %d controls", controls)
	}

	// Again: the name is taken; the form offers to replace it.
	status, body, _ = s.postFiles(editor, "/o/acme/library/import", url.Values{"kind": {"oscal-catalog"}, "do": {"import"}}, []upFile{file})
	if status != http.StatusConflict || !strings.Contains(body, `id="import-existing"`) || !strings.Contains(body, `id="import-replace"`) ||
		hiddenValue(t, body, "etag") != `"v1"` || hiddenValue(t, body, "name") != fw[1] {
		t.Fatalf("import again: %d %.1500s", status, body)
	}
	carried := hiddenValue(t, body, "file_data")
	// The new version gives the framework another id, so that its content
	// differs: a version the same as the last is no new version.
	replace := url.Values{"kind": {"oscal-catalog"}, "do": {"import"}, "name": {fw[1]}, "id": {"nist-low"}, "replace": {"yes"}, "etag": {`"v1"`},
		"file_name": {file.name}, "file_data": {carried}}
	status, _, loc = s.postFiles(editor, "/o/acme/library/import", replace, nil)
	if docs = providerDocs(t, s); status != http.StatusSeeOther || len(docs) != 1 || docs[0].Version != 2 || !strings.HasSuffix(loc, string(docs[0].ID)) {
		t.Fatalf("replace: %d %s %v", status, loc, docs)
	}
	// The same form again names version 1, which is no longer current.
	status, body, _ = s.postFiles(editor, "/o/acme/library/import", replace, nil)
	if status != http.StatusPreconditionFailed || !strings.Contains(body, `id="import-stale"`) || !strings.Contains(body, "version 2") || hiddenValue(t, body, "etag") != `"v2"` {
		t.Errorf("a stale replace: %d %.1500s", status, body)
	}
	if docs = providerDocs(t, s); docs[0].Version != 2 {
		t.Errorf("a stale replace stored version %d", docs[0].Version)
	}
}

// apiDryRun asks the API what importing the catalog would store.
func apiDryRun(t *testing.T, s *site, path string, data []byte) *server.ImportResult {
	t.Helper()
	r, _ := http.NewRequest("POST", s.url+"/api/v1/orgs/acme/imports/oscal-catalog?dry_run=true&filename="+url.QueryEscape(filepath.Base(path)), bytes.NewReader(data))
	r.Header.Set("Authorization", "Bearer "+s.tokens[demarc.RoleEditor])
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res server.ImportResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("dry run: %d %v", resp.StatusCode, err)
	}
	return &res
}

// A file the importer refuses comes back on the form with the problem's
// file and line, and nothing is stored; so do forms that lack what an
// import needs. A viewer is not offered the form and cannot import.
func TestImportRefusedFiles(t *testing.T) {
	s := newSite(t, false)
	editor := s.browserClient(demarc.RoleEditor)
	broken := upFile{"file", "broken.json", []byte("{\n  \"catalog\": {\n    \"uuid\": ,\n")}
	for _, c := range []struct {
		name   string
		fields url.Values
		files  []upFile
		status int
		says   []string
	}{
		{"malformed catalog", url.Values{"kind": {"oscal-catalog"}, "name": {"mine"}}, []upFile{broken}, 422,
			[]string{`<span class="mono where">broken.json:3</span>`, `value="mine"`, `<option value="oscal-catalog" selected>`}},
		{"no kind", nil, []upFile{broken}, 422, []string{"Choose what kind of file to import."}},
		{"no file", url.Values{"kind": {"prowler"}}, nil, 422, []string{"Choose the file to import."}},
		{"catalog beside a catalog", url.Values{"kind": {"oscal-catalog"}}, []upFile{broken, {"catalog", "c.json", []byte("{}")}}, 422, []string{"beside an OSCAL profile only"}},
		{"model of a framework", url.Values{"kind": {"prowler"}, "model": {"saas"}}, []upFile{broken}, 422, []string{"A service model is for"}},
		{"not a workbook", url.Values{"kind": {"azure-baseline"}, "id": {"azure/key-vault"}}, []upFile{{"file", "kv.xlsx", []byte("not a workbook")}}, 422, []string{"kv.xlsx"}},
	} {
		status, body, _ := s.postFiles(editor, "/o/acme/library/import", c.fields, c.files)
		if status != c.status || !strings.Contains(body, `id="import-error"`) || !strings.Contains(body, `id="import-form"`) {
			t.Errorf("%s: %d, want %d with the form and its error: %.800s", c.name, status, c.status, body)
			continue
		}
		for _, want := range c.says {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %s: %.1500s", c.name, want, body[strings.Index(body, `id="import-form"`):])
			}
		}
	}
	// A form sent without its files (not multipart) is refused the same.
	resp, err := editor.PostForm(s.url+"/o/acme/library/import", url.Values{"csrf": {s.csrf(editor)}, "kind": {"oscal-catalog"},
		"catalog_name": {"c.json"}, "catalog_data": {"e30="}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Errorf("a form without files answers %d", resp.StatusCode)
	}
	if docs := providerDocs(t, s); len(docs) != 0 {
		t.Errorf("refused imports stored %v", docs)
	}
	viewer := s.browserClient(demarc.RoleViewer)
	if _, body := page(t, viewer, s.url+"/o/acme/library?tab=import"); !strings.Contains(body, `id="import-denied"`) || strings.Contains(body, `id="import-form"`) {
		t.Error("a viewer is offered the import form")
	}
	if status, _, _ := s.postFiles(viewer, "/o/acme/library/import", url.Values{"kind": {"oscal-catalog"}}, []upFile{broken}); status != http.StatusForbidden {
		t.Errorf("a viewer's import answers %d", status)
	}
}

// A FedRAMP profile names NIST's catalog by address: chosen beside it,
// the catalog stands in, and the preview shows the baseline with the
// importer's warnings, both files kept for the import.
func TestImportProfileWithCatalog(t *testing.T) {
	profile := realdata.Path(t, "oscal/fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := newSite(t, false)
	editor := s.browserClient(demarc.RoleEditor)
	files := []upFile{{"file", filepath.Base(profile), read(profile)}, {"catalog", filepath.Base(catalog), read(catalog)}}
	status, body, _ := s.postFiles(editor, "/o/acme/library/import", url.Values{"kind": {"oscal-profile"}, "do": {"preview"}}, files)
	if status != 200 || !strings.Contains(body, `<span class="mono">fedramp-rev5-moderate-baseline</span>`) || !strings.Contains(body, "outside the document") {
		t.Fatalf("preview: %d %.1500s", status, body)
	}
	if hiddenValue(t, body, "file_name") != files[0].name || hiddenValue(t, body, "catalog_name") != files[1].name {
		t.Error("the preview does not keep the profile and its catalog")
	}
	// Without the catalog the importer says what is missing.
	status, body, _ = s.postFiles(editor, "/o/acme/library/import", url.Values{"kind": {"oscal-profile"}, "do": {"preview"}}, files[:1])
	if status != 422 || !strings.Contains(body, "send the catalog") {
		t.Errorf("a profile without its catalog: %d", status)
	}
	if docs := providerDocs(t, s); len(docs) != 0 {
		t.Errorf("previews stored %v", docs)
	}
}
