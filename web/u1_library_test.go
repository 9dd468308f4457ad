package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The library's tabs list what the API lists; the services tab narrows
// by provider, model and text, and each id links to its entry.
func TestLibraryTabs(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleViewer)
	base := s.url + "/o/acme/library"
	for _, kind := range []string{"providers", "services", "areas", "frameworks", "models"} {
		var l server.List[server.LibraryItem]
		s.api("GET", "/api/v1/orgs/acme/library/"+kind, s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
		status, body := page(t, c, base+"?tab="+kind)
		if status != http.StatusOK {
			t.Fatalf("tab %s: %d\n%s", kind, status, body)
		}
		it := l.Items[len(l.Items)-1]
		if !strings.Contains(body, `href="/o/acme/library/entry/`+it.ID+`">`+it.ID+`</a>`) {
			t.Errorf("tab %s does not link %s to its entry", kind, it.ID)
		}
		rows := csvRows(t, c, base+"?tab="+kind+"&export=csv")
		if len(rows)-1 != len(l.Items) {
			t.Errorf("tab %s: CSV has %d rows, the API %d", kind, len(rows)-1, len(l.Items))
		}
	}
	var l server.List[server.LibraryItem]
	s.api("GET", "/api/v1/orgs/acme/library/services?provider=aws&model=paas", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	rows := csvRows(t, c, base+"?tab=services&provider=aws&model=paas&export=csv")
	if len(rows)-1 != len(l.Items) || len(l.Items) == 0 {
		t.Errorf("aws paas services: CSV has %d rows, the API %d", len(rows)-1, len(l.Items))
	}
	rows = xlsxRows(t, c, base+"?tab=services&q=kubernetes&export=xlsx")
	if len(rows) < 3 {
		t.Fatalf("searching kubernetes finds %d services", len(rows)-1)
	}
	for _, r := range rows[1:] {
		if !strings.Contains(strings.ToLower(r[0]+r[1]+r[4]), "kubernetes") {
			t.Errorf("search kept %v", r)
		}
	}
	status, body := page(t, c, base+"?tab=services&provider=nobody")
	if status != http.StatusBadRequest || !strings.Contains(body, `Filter provider: &#34;nobody&#34; is not one of`) {
		t.Errorf("unknown provider filter: %d", status)
	}
	status, _ = page(t, c, base+"?tab=recipes")
	if status != http.StatusNotFound {
		t.Errorf("unknown tab: %d, want 404", status)
	}
}

// A service's entry shows who owns every area for it, with owner cells,
// marking what the provider or service states; a provider's lists its
// services and statement; a framework's its controls; unknown is 404.
func TestLibraryEntries(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleViewer)
	base := s.url + "/o/acme/library/entry/"
	status, body := page(t, c, base+"aws/rds")
	if status != http.StatusOK {
		t.Fatalf("aws/rds: %d\n%s", status, body)
	}
	if !strings.Contains(body, `<tr class="stated">`) || !strings.Contains(body, `<span class="owner o-shared"><b aria-hidden="true">S</b> shared</span>`) {
		t.Error("the service's rules lack stated rows or owner cells")
	}
	all := csvRows(t, c, base+"aws/rds?export=csv")
	stated := csvRows(t, c, base+"aws/rds?stated=yes&export=csv")
	if all[0][3] != "Owner" || len(stated) < 2 || len(stated) >= len(all) {
		t.Errorf("rules: %d rows, %d stated", len(all)-1, len(stated)-1)
	}
	status, body = page(t, c, base+"aws")
	if status != http.StatusOK || !strings.Contains(body, `href="/o/acme/library/entry/aws/lambda"`) {
		t.Errorf("provider aws: %d, or no link to aws/lambda", status)
	}
	rows := csvRows(t, c, base+"nist-800-53-r5?family=ac&export=csv")
	if len(rows) < 10 || slices.ContainsFunc(column(rows, 2), func(f string) bool { return !strings.EqualFold(f, "ac") }) {
		t.Errorf("800-53 AC family: %d rows", len(rows)-1)
	}
	status, body = page(t, c, base+"os.patching")
	if status != http.StatusOK || !strings.Contains(body, "Layer os") {
		t.Errorf("area os.patching: %d", status)
	}
	status, _ = page(t, c, base+"aws%3Fformat=yaml")
	if status != http.StatusNotFound {
		t.Errorf("an entry id with a question mark: %d, want 404 (the id is not a query)", status)
	}
	status, body = page(t, c, base+"aws/lamda")
	if status != http.StatusNotFound || !strings.Contains(body, "aws/lambda") {
		t.Errorf("a misspelt entry: %d, want 404 suggesting aws/lambda", status)
	}
}

// statementForm posts the statement form of a page as the client.
func statementForm(t *testing.T, s *site, c *http.Client, action string, fields url.Values) (int, string, string) {
	t.Helper()
	fields.Set("csrf", s.csrfOf(c))
	resp, err := c.PostForm(s.url+action, fields)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// csrfOf is the form token the client's cookie holds.
func (s *site) csrfOf(c *http.Client) string {
	u, _ := url.Parse(s.url)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == "demarc_csrf" {
			return k.Value
		}
	}
	s.t.Fatal("the client has no form token")
	return ""
}

const customStatement = `providers:
  - id: acme-internal
    title: Acme internal platform
    kind: generic
    services:
      - id: acme-internal/run
        title: Acme Run
        model: paas
        category: compute
        overrides:
          - area: data.backup
            owner: provider
            provider: The platform team backs up every app's volumes nightly.
`

// An editor adds a custom service through the statements form; it joins
// the library. Refusals keep every field: invalid YAML shows its line, a
// taken name says so, and a stale version says someone else saved.
func TestStatementForms(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	status, body := page(t, c, s.url+"/o/acme/library?tab=statements")
	if status != http.StatusOK || !strings.Contains(body, `id="statement-form"`) {
		t.Fatalf("statements tab: %d, or no form for an editor", status)
	}
	bad := "providers:\n  - id: broken\n    title: [unclosed\n"
	status, _, body = statementForm(t, s, c, "/o/acme/library/statements", url.Values{"name": {"internal"}, "content": {bad}, "note": {"first try"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="statement-error"`) || !strings.Contains(body, `<span class="mono">line `) {
		t.Errorf("invalid YAML: %d, want 422 with the line of the problem\n%s", status, body)
	}
	if !strings.Contains(body, "title: [unclosed") || !strings.Contains(body, `value="internal"`) || !strings.Contains(body, `value="first try"`) {
		t.Error("invalid YAML: what was typed is not kept")
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/providers", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 0 {
		t.Fatalf("a refused statement was stored: %v", l.Items)
	}

	status, loc, _ := statementForm(t, s, c, "/o/acme/library/statements", url.Values{"name": {"internal"}, "content": {customStatement}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/o/acme/library/statements/doc_") {
		t.Fatalf("add: %d to %q", status, loc)
	}
	status, body = page(t, c, s.url+loc)
	if status != http.StatusOK || !strings.Contains(body, "Saved version 1 of internal.") || !strings.Contains(body, `href="/o/acme/library/entry/acme-internal/run"`) {
		t.Errorf("after adding: %d, no flash or no link to the new service", status)
	}
	status, body = page(t, c, s.url+"/o/acme/library/entry/acme-internal/run?stated=yes")
	if status != http.StatusOK || !strings.Contains(body, "backs up every app") || !strings.Contains(body, "your statement internal") {
		t.Errorf("the custom service's entry: %d", status)
	}

	status, _, body = statementForm(t, s, c, "/o/acme/library/statements", url.Values{"name": {"internal"}, "content": {customStatement}})
	if status != http.StatusConflict || !strings.Contains(body, `id="statement-error"`) || !strings.Contains(body, "acme-internal/run") {
		t.Errorf("a taken name: %d, want 409 with the content kept", status)
	}

	doc := strings.TrimPrefix(strings.Split(loc, "?")[0], "/o/acme/library/statements/")
	action := "/o/acme/library/statements/" + doc
	newer := strings.Replace(customStatement, "nightly", "hourly", 1)
	resp, data := apiDo(t, s, "PUT", "/api/v1/orgs/acme/providers/"+doc, s.tokens[demarc.RoleAdmin], server.DocumentRequest{Content: newer}, map[string]string{"If-Match": `"v1"`})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("someone else's save: %d %s", resp.StatusCode, data)
	}
	mine := strings.Replace(customStatement, "nightly", "every six hours", 1)
	status, _, body = statementForm(t, s, c, action, url.Values{"name": {"internal"}, "content": {mine}, "etag": {`"v1"`}})
	if status != http.StatusPreconditionFailed || !strings.Contains(body, "Someone else saved version 2") || !strings.Contains(body, "every six hours") ||
		!strings.Contains(body, `name="etag" value="&#34;v2&#34;"`) {
		t.Errorf("stale save: %d, want 412 saying version 2 with my text kept\n%s", status, body)
	}
	status, loc, _ = statementForm(t, s, c, action, url.Values{"name": {"internal"}, "content": {mine}, "etag": {`"v2"`}})
	if status != http.StatusSeeOther {
		t.Fatalf("saving again: %d", status)
	}
	_, body = page(t, c, s.url+loc)
	if !strings.Contains(body, "Saved version 3 of internal.") || !strings.Contains(body, "every six hours") {
		t.Error("the second save did not store version 3 with my text")
	}

	// The example the empty form starts from is a statement the API takes.
	_, body = page(t, c, s.url+"/o/acme/library?tab=statements")
	start := strings.Index(body, `<textarea id="statement-content"`)
	example := body[start:]
	example = html.UnescapeString(example[strings.Index(example, ">")+1 : strings.Index(example, "</textarea>")])
	status, _, body = statementForm(t, s, c, "/o/acme/library/statements", url.Values{"name": {"example"}, "content": {example}})
	if status != http.StatusSeeOther {
		t.Errorf("the form's example is refused: %d\n%s", status, body)
	}
}

// A viewer sees the statements but no form, and a forged form post is
// refused by the API.
func TestStatementFormsNeedAnEditor(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleViewer)
	_, body := page(t, c, s.url+"/o/acme/library?tab=statements")
	if strings.Contains(body, `id="statement-form"`) {
		t.Error("a viewer is offered the statement form")
	}
	status, _, _ := statementForm(t, s, c, "/o/acme/library/statements", url.Values{"name": {"x"}, "content": {customStatement}})
	if status != http.StatusForbidden {
		t.Errorf("a viewer's post: %d, want 403", status)
	}
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/providers", s.tokens[demarc.RoleViewer], nil, &l, http.StatusOK)
	if len(l.Items) != 0 {
		t.Errorf("a viewer's statement was stored")
	}
}
