package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// formValues reads what a browser would send for the form with id on a
// page of the UI: text and hidden inputs, checked boxes, the selected
// option of each select, textareas. Buttons are left to the caller.
func formValues(t testing.TB, body, id string) url.Values {
	t.Helper()
	start := strings.Index(body, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no form %q on the page", id)
	}
	start = strings.LastIndex(body[:start], "<form")
	end := strings.Index(body[start:], "</form>")
	form := body[start : start+end]
	vals := url.Values{}
	for _, tag := range inputTag.FindAllString(form, -1) {
		a := tagAttrs(tag)
		typ := a["type"]
		if a["name"] == "" || typ == "submit" || typ == "button" {
			continue
		}
		if (typ == "checkbox" || typ == "radio") && !tagHas(tag, "checked") {
			continue
		}
		vals.Add(a["name"], a["value"])
	}
	for _, m := range selectTag.FindAllStringSubmatch(form, -1) {
		name := tagAttrs(m[1])["name"]
		opts := optionTag.FindAllStringSubmatch(m[2], -1)
		chosen := ""
		for i, o := range opts {
			v, ok := tagAttrs(o[1])["value"]
			if !ok {
				v = html.UnescapeString(o[2])
			}
			if i == 0 || tagHas(o[1], "selected") {
				chosen = v
			}
			if tagHas(o[1], "selected") {
				break
			}
		}
		vals.Set(name, chosen)
	}
	for _, m := range textareaTag.FindAllStringSubmatch(form, -1) {
		vals.Set(tagAttrs(m[1])["name"], strings.TrimPrefix(html.UnescapeString(m[2]), "\n"))
	}
	return vals
}

var (
	inputTag    = regexp.MustCompile(`<input\b[^>]*>`)
	selectTag   = regexp.MustCompile(`(?s)<select\b([^>]*)>(.*?)</select>`)
	optionTag   = regexp.MustCompile(`(?s)<option\b([^>]*)>(.*?)</option>`)
	textareaTag = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	attrPattern = regexp.MustCompile(`([a-z][a-z0-9_-]*)="([^"]*)"`)
)

func tagAttrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attrPattern.FindAllStringSubmatch(tag, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

func tagHas(tag, name string) bool {
	return regexp.MustCompile(`\s` + name + `(\s|>|=|$)`).MatchString(tag)
}

// formPost sends a form as the browser would and returns status, body and
// where it redirects.
func formPost(t testing.TB, c *http.Client, u string, vals url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(u, vals)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// systemNames lists the names of acme's stored systems through the API.
func (s *site) systemNames() []string {
	s.t.Helper()
	var l server.List[demarc.Document]
	s.api("GET", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleOwner], nil, &l, http.StatusOK)
	var out []string
	for _, d := range l.Items {
		out = append(out, d.Name)
	}
	return out
}

// updateSystem stores a new version of a system through the API, as
// another member would.
func (s *site) updateSystem(id string, version int, content string) {
	s.t.Helper()
	body, _ := json.Marshal(server.DocumentRequest{Content: content})
	req, _ := http.NewRequest("PUT", s.url+"/api/v1/orgs/acme/systems/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.tokens[demarc.RoleAdmin])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", `"v`+strconv.Itoa(version)+`"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("update system: %s", resp.Status)
	}
}

// storedSystem reads a stored system document through the API.
func (s *site) storedSystem(id string) server.DocumentView {
	s.t.Helper()
	var d server.DocumentView
	s.api("GET", "/api/v1/orgs/acme/systems/"+id, s.tokens[demarc.RoleOwner], nil, &d, http.StatusOK)
	return d
}

// newSystemForm is the composer's new-system form as loaded, with the
// given fields set.
func newSystemForm(t testing.TB, s *site, c *http.Client, set map[string]string) url.Values {
	t.Helper()
	status, body := page(t, c, s.url+"/o/acme/systems/new")
	if status != http.StatusOK {
		t.Fatalf("new system page: %d\n%s", status, body)
	}
	vals := formValues(t, body, "composer")
	for k, v := range set {
		vals.Set(k, v)
	}
	return vals
}

// The composer builds the system file from the form, the API stores it,
// and the browser lands on the new system's matrix.
func TestComposerCreatesSystem(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	vals := newSystemForm(t, s, c, map[string]string{
		"name": "shop-api", "description": "Orders API", "data_classification": "internal",
		"components.0.name": "api", "components.0.service": "aws/lambda",
		"components.1.name": "app", "components.1.service": "generic/caas", "components.1.runs_on": "cluster",
		"components.2.name": "cluster", "components.2.service": "aws/eks",
		"teams.0.name": "platform", "teams.0.responsible": "os.*, data.backup",
		"overrides.0.area": "ops.penetration-testing", "overrides.0.owner": "third-party", "overrides.0.party": "redteam", "overrides.0.reason": "Annual test",
		"assumptions.0.area": "data.backup", "assumptions.0.component": "api", "assumptions.0.owner": "provider",
		"note": "first draft", "op": "save",
	})
	vals["frameworks"] = []string{"nist-800-53-r5", "soc2"}
	status, body, loc := formPost(t, c, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/o/acme/systems/doc_") {
		t.Fatalf("save: %d to %q\n%s", status, loc, body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/o/acme/systems/"), "/")
	doc := s.storedSystem(id)
	var got struct {
		Name        string   `yaml:"name"`
		Frameworks  []string `yaml:"frameworks"`
		Class       string   `yaml:"data_classification"`
		Components  []map[string]string
		Teams       []map[string]any
		Overrides   []map[string]string
		Assumptions []map[string]string
	}
	if err := yaml.Unmarshal([]byte(doc.Content), &got); err != nil {
		t.Fatalf("stored content does not parse: %v\n%s", err, doc.Content)
	}
	if doc.Name != "shop-api" || got.Name != "shop-api" || got.Class != "internal" || strings.Join(got.Frameworks, ",") != "nist-800-53-r5,soc2" {
		t.Errorf("stored %q: %+v", doc.Name, got)
	}
	if len(got.Components) != 3 || got.Components[1]["runs_on"] != "cluster" || got.Components[0]["service"] != "aws/lambda" {
		t.Errorf("components: %+v", got.Components)
	}
	if len(got.Teams) != 1 || got.Teams[0]["name"] != "platform" || len(got.Teams[0]["responsible"].([]any)) != 2 {
		t.Errorf("teams: %+v", got.Teams)
	}
	if len(got.Overrides) != 1 || got.Overrides[0]["party"] != "redteam" || len(got.Assumptions) != 1 || got.Assumptions[0]["component"] != "api" {
		t.Errorf("overrides %+v assumptions %+v", got.Overrides, got.Assumptions)
	}
	status, matrix := page(t, c, s.url+loc)
	if status != http.StatusOK || !strings.Contains(matrix, "shop-api") {
		t.Errorf("matrix page after save: %d", status)
	}
}

// Editing from the form keeps what the form does not show (attestation
// files, contracts, regulations) and stores a new version.
func TestComposerEditKeepsTheRestOfTheFile(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleEditor)
	status, body := page(t, c, s.url+"/o/acme/systems/"+id+"/edit")
	if status != http.StatusOK {
		t.Fatalf("edit page: %d\n%s", status, body)
	}
	if !strings.Contains(body, `id="comments-note"`) || !strings.Contains(body, "contracts:") {
		t.Error("the edit page does not warn of comments or show the parts the form keeps")
	}
	vals := formValues(t, body, "composer")
	if vals.Get("version") != "1" || vals.Get("components.5.runs_on") != "cluster" || vals.Get("teams.2.cuecs") != "aws-soc2-cuec-1" {
		t.Fatalf("the form does not hold the stored system: version %q runs_on %q cuecs %q", vals.Get("version"), vals.Get("components.5.runs_on"), vals.Get("teams.2.cuecs"))
	}
	vals.Set("description", "Web shop, now with a new description.")
	vals.Set("op", "save")
	status, body, loc := formPost(t, c, s.url+"/o/acme/systems/"+id+"/edit", vals)
	if status != http.StatusSeeOther || loc != "/o/acme/systems/"+id+"/" {
		t.Fatalf("save: %d to %q\n%s", status, loc, body)
	}
	doc := s.storedSystem(id)
	if doc.Version != 2 || doc.Name != "webshop" {
		t.Errorf("stored version %d named %q, want version 2 still named webshop", doc.Version, doc.Name)
	}
	for _, want := range []string{"now with a new description", "attestation_files:", "attestations/aws-sample.yaml", "redteam-ltd", "notify_hours: 0",
		"regulations: [gdpr]", "requires: [data-residency-choice]", "cuecs: [aws-soc2-cuec-1]", "runs_on: cluster"} {
		if !strings.Contains(doc.Content, want) {
			t.Errorf("stored version 2 lost %q:\n%s", want, doc.Content)
		}
	}
}

// badCase is a form that must be refused with a message, keeping what
// the user typed, with nothing stored.
type badCase struct {
	name   string
	set    map[string]string
	status int
	// message must appear on the page; input must still be in the form.
	message string
	input   []string
	// near is the id of the element the problem must show beside.
	near string
}

// Every bad form is shown again with the problem beside its field and
// the user's input kept, and nothing is stored.
func TestComposerBadInput(t *testing.T) {
	s := newSite(t, false)
	s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleEditor)
	base := map[string]string{"name": "draft", "components.0.name": "api", "components.0.service": "aws/lambda", "op": "save"}
	cases := []badCase{
		{name: "invalid YAML", set: map[string]string{"op": "save-yaml", "yaml": "name: broken\ncomponents: [\n  - name: x\n"}, status: 422,
			message: "line", input: []string{"name: broken\ncomponents: [\n  - name: x"}, near: "yaml-err"},
		{name: "unknown service", set: map[string]string{"components.0.service": "aws/lambada"}, status: 422,
			message: "unknown service", input: []string{`value="aws/lambada"`}, near: "components-0-service-err"},
		{name: "runs_on unknown component", set: map[string]string{"components.0.runs_on": "ghost"}, status: 422,
			message: "not a component", input: []string{`<option value="ghost" selected>ghost (unknown)</option>`}, near: "components-0-runs_on-err"},
		{name: "runs_on cycle", set: map[string]string{"components.0.runs_on": "db", "components.1.name": "db", "components.1.service": "aws/ec2", "components.1.runs_on": "api"}, status: 422,
			message: "runs_on cycle", input: []string{`value="db"`, `<option value="api" selected>api</option>`}, near: "components-1-runs_on-err"},
		{name: "missing name", set: map[string]string{"name": "", "description": "typed before the name"}, status: 422,
			message: `missing required field "name"`, input: []string{"typed before the name", `value="aws/lambda"`}, near: "f-name-err"},
		{name: "duplicate name", set: map[string]string{"name": "webshop", "description": "a second webshop"}, status: 409,
			message: "already", input: []string{"a second webshop"}, near: "f-name-err"},
		{name: "unknown area in a team", set: map[string]string{"teams.0.name": "ops", "teams.0.responsible": "os.patchng"}, status: 422,
			message: "matches no area", input: []string{`value="os.patchng"`}, near: "teams-0-responsible-err"},
		{name: "duties not duty=owner", set: map[string]string{"overrides.0.area": "data.backup", "overrides.0.owner": "customer", "overrides.0.reason": "r", "overrides.0.duties": "implement provider"}, status: 422,
			message: "is not duty=owner", input: []string{`value="implement provider"`}, near: "overrides-0-duties-err"},
	}
	before := len(s.systemNames())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := newSystemForm(t, s, c, base)
			for k, v := range tc.set {
				vals.Set(k, v)
			}
			status, body, _ := formPost(t, c, s.url+"/o/acme/systems/new", vals)
			checkRefused(t, tc, status, body)
		})
	}
	if after := s.systemNames(); len(after) != before {
		t.Errorf("refused forms stored systems: %v", after)
	}
}

// checkRefused checks a refused form's page.
func checkRefused(t *testing.T, tc badCase, status int, body string) {
	t.Helper()
	if status != tc.status {
		t.Fatalf("status %d, want %d\n%s", status, tc.status, body)
	}
	text := html.UnescapeString(body)
	if !strings.Contains(text, tc.message) {
		t.Errorf("the page does not say %q", tc.message)
	}
	for _, in := range tc.input {
		if !strings.Contains(text, in) && !strings.Contains(body, in) {
			t.Errorf("the user's input %q is not in the form shown again", in)
		}
	}
	if tc.near != "" {
		i := strings.Index(body, `id="`+tc.near+`"`)
		if i < 0 {
			t.Errorf("no problem shown at #%s", tc.near)
		} else if end := strings.Index(body[i:], "</ul>"); end < 0 || !strings.Contains(html.UnescapeString(body[i:i+end]), tc.message) {
			t.Errorf("the problem at #%s does not say %q", tc.near, tc.message)
		}
	}
}

// Two people edit the same version: the second save is refused with a
// 412 that names the version saved first, keeps the second person's
// input, and stores nothing; saving again on purpose then succeeds.
func TestComposerStaleVersion(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleEditor)
	_, body := page(t, c, s.url+"/o/acme/systems/"+id+"/edit")
	vals := formValues(t, body, "composer")
	first := s.storedSystem(id)
	s.updateSystem(id, first.Version, first.Content+"# saved by someone else\n")
	vals.Set("description", "my edit, made at the same time")
	vals.Set("op", "save")
	status, body, _ := formPost(t, c, s.url+"/o/acme/systems/"+id+"/edit", vals)
	checkRefused(t, badCase{status: http.StatusPreconditionFailed, message: "Someone else saved version 2", input: []string{"my edit, made at the same time"}}, status, body)
	if !strings.Contains(body, "saved by someone else") {
		t.Error("the page does not show the version saved first")
	}
	if d := s.storedSystem(id); d.Version != 2 || strings.Contains(d.Content, "my edit") {
		t.Fatalf("after a 412: version %d, content has our edit: %v", d.Version, strings.Contains(d.Content, "my edit"))
	}
	again := formValues(t, body, "composer")
	if again.Get("version") != "2" {
		t.Fatalf("the form now names version %q, want 2", again.Get("version"))
	}
	again.Set("op", "save")
	status, _, _ = formPost(t, c, s.url+"/o/acme/systems/"+id+"/edit", again)
	if d := s.storedSystem(id); status != http.StatusSeeOther || d.Version != 3 || !strings.Contains(d.Content, "my edit") {
		t.Errorf("saving again: %d, version %d", status, d.Version)
	}
}

// A form without its token, or too large to read, is refused and
// nothing is stored.
func TestComposerRefusesForgedAndOversizedForms(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	vals := newSystemForm(t, s, c, map[string]string{"name": "forged", "components.0.name": "api", "components.0.service": "aws/lambda", "op": "save"})
	vals.Set("description", "typed before the token expired")
	vals.Del("csrf")
	status, body, _ := formPost(t, c, s.url+"/o/acme/systems/new", vals)
	checkRefused(t, badCase{status: http.StatusForbidden, message: "form has expired", input: []string{`value="forged"`, "typed before the token expired"}}, status, body)
	if again := formValues(t, body, "composer"); again.Get("csrf") == "" || again.Get("components.0.service") != "aws/lambda" {
		t.Error("the form shown again has no fresh token or lost a component")
	}
	req, _ := http.NewRequest("POST", s.url+"/o/acme/systems/new", strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cross, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || strings.Contains(string(cross), "typed before the token expired") {
		t.Errorf("a form from another site: %d, and the answer shows the form: %v", resp.StatusCode, strings.Contains(string(cross), "typed before"))
	}
	vals = newSystemForm(t, s, c, map[string]string{"name": "huge", "components.0.name": "api", "components.0.service": "aws/lambda", "op": "save-yaml"})
	vals.Set("yaml", "name: huge\ndescription: "+strings.Repeat("x", 5<<20)+"\ncomponents: [{name: a, service: aws/lambda}]\n")
	status, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large") {
		t.Errorf("oversized form: %d", status)
	}
	if names := s.systemNames(); len(names) != 0 {
		t.Errorf("stored %v", names)
	}
}

// A viewer gets no composer, and a form sent anyway is refused by the
// API with a 403 page.
func TestComposerViewerIsRefused(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	viewer := s.browserClient(demarc.RoleViewer)
	for _, p := range []string{"/o/acme/systems/new", "/o/acme/systems/" + id + "/edit"} {
		status, body := page(t, viewer, s.url+p)
		if status != http.StatusForbidden || strings.Contains(body, `id="composer"`) {
			t.Errorf("viewer GET %s: %d", p, status)
		}
	}
	_, dash := page(t, viewer, s.url+"/o/acme/")
	if strings.Contains(dash, `id="new-system"`) {
		t.Error("the dashboard offers a viewer to compose a system")
	}
	editor := s.browserClient(demarc.RoleEditor)
	vals := newSystemForm(t, s, editor, map[string]string{"name": "sneaky", "components.0.name": "api", "components.0.service": "aws/lambda", "op": "save"})
	vals.Set("csrf", s.csrf(viewer))
	status, body, _ := formPost(t, viewer, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusForbidden || !strings.Contains(body, "error-message") {
		t.Errorf("viewer POST: %d\n%s", status, body)
	}
	if names := s.systemNames(); len(names) != 1 {
		t.Errorf("stored %v", names)
	}
}

// The form's helper buttons work without script: more rows, adding a
// service from the catalogue search, switching between form and YAML,
// and checking without saving.
func TestComposerWorksWithoutScript(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	vals := newSystemForm(t, s, c, map[string]string{"name": "noscript", "cat_q": "lambda", "op": "search"})
	status, body, _ := formPost(t, c, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusOK || !strings.Contains(body, "1 of ") {
		t.Fatalf("catalogue search: %d, want one service shown", status)
	}
	vals = formValues(t, body, "composer")
	vals.Set("add", "aws/lambda")
	_, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	vals = formValues(t, body, "composer")
	vals.Set("add", "aws/lambda")
	_, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	vals = formValues(t, body, "composer")
	if vals.Get("components.0.name") != "lambda" || vals.Get("components.1.name") != "lambda-2" || vals.Get("components.1.service") != "aws/lambda" {
		t.Fatalf("catalogue add: %q %q", vals.Get("components.0.name"), vals.Get("components.1.name"))
	}
	rows := rowsOf(vals, "teams")
	vals.Set("op", "more-teams")
	_, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	vals = formValues(t, body, "composer")
	if got := rowsOf(vals, "teams"); got != rows+1 {
		t.Errorf("more team rows: %d rows, want %d", got, rows+1)
	}
	vals.Set("op", "to-yaml")
	_, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	vals = formValues(t, body, "composer")
	if y := vals.Get("yaml"); !strings.Contains(y, "name: noscript") || !strings.Contains(y, "service: aws/lambda") {
		t.Fatalf("form to YAML:\n%s", y)
	}
	vals.Set("yaml", strings.Replace(vals.Get("yaml"), "name: noscript", "name: from-yaml", 1))
	vals.Set("op", "from-yaml")
	_, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	vals = formValues(t, body, "composer")
	if vals.Get("name") != "from-yaml" {
		t.Errorf("YAML to form: name %q", vals.Get("name"))
	}
	vals.Set("op", "check")
	status, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusOK || !strings.Contains(body, "is valid, with 2 components") {
		t.Errorf("check: %d", status)
	}
	if names := s.systemNames(); len(names) != 0 {
		t.Errorf("helper buttons stored %v", names)
	}
}

// rowsOf counts a list's rows in a form.
func rowsOf(vals url.Values, list string) int {
	n := 0
	for k := range vals {
		if rest, ok := strings.CutPrefix(k, list+"."); ok && strings.HasSuffix(rest, ".name") {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, ".name")); err == nil && i+1 > n {
				n = i + 1
			}
		}
	}
	return n
}

// The gaps page's "assign a team" link opens the composer with a team
// row for the area, ready for a name.
func TestComposerPrefillsTeamForArea(t *testing.T) {
	s := newSite(t, false)
	id := s.putSystem("webshop", "serverless-webshop.yaml")
	c := s.browserClient(demarc.RoleEditor)
	_, body := page(t, c, s.url+"/o/acme/systems/"+id+"/edit?area=ops.penetration-testing")
	vals := formValues(t, body, "composer")
	if vals.Get("teams.3.responsible") != "ops.penetration-testing" || !strings.Contains(body, `id="teams-3-name" name="teams.3.name" value="" autocomplete="off" autofocus`) {
		t.Errorf("prefilled team row: %q", vals.Get("teams.3.responsible"))
	}
}

// A stored system that no longer parses opens in the editor as YAML,
// with the problems shown, and is fixed there.
func TestComposerFixesInvalidSystem(t *testing.T) {
	s := newSite(t, false)
	var stmt server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/providers", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: "internal", Content: customStatement}, &stmt, http.StatusCreated)
	var doc server.DocumentView
	s.api("POST", "/api/v1/orgs/acme/systems", s.tokens[demarc.RoleOwner], server.DocumentRequest{Name: "uses-reg",
		Content: "name: uses-reg\ncomponents:\n  - name: api\n    service: acme-internal/run\n"}, &doc, http.StatusCreated)
	// A new version of the statement that renames the service leaves the
	// system naming a service that no longer exists.
	s.apiMatch("PUT", "/api/v1/orgs/acme/providers/"+string(stmt.ID), s.tokens[demarc.RoleOwner], `"v1"`,
		server.DocumentRequest{Content: strings.Replace(customStatement, "acme-internal/run", "acme-internal/runner", 1)}, nil, http.StatusOK)
	c := s.browserClient(demarc.RoleEditor)
	_, dash := page(t, c, s.url+"/o/acme/")
	if !strings.Contains(dash, "does not parse") || !strings.Contains(dash, "/o/acme/systems/"+string(doc.ID)+"/edit") {
		t.Fatal("the dashboard does not show the broken system with a link to fix it")
	}
	status, body := page(t, c, s.url+"/o/acme/systems/"+string(doc.ID)+"/edit")
	if status != http.StatusOK || !strings.Contains(body, "does not pass the checks") || !strings.Contains(body, "acme-internal/run") {
		t.Fatalf("edit page of a broken system: %d", status)
	}
	vals := formValues(t, body, "composer")
	vals.Set("yaml", "name: uses-reg\ncomponents:\n  - name: api\n    service: aws/lambda\n")
	vals.Set("op", "save-yaml")
	status, _, _ = formPost(t, c, s.url+"/o/acme/systems/"+string(doc.ID)+"/edit", vals)
	if d := s.storedSystem(string(doc.ID)); status != http.StatusSeeOther || d.Version != 2 || strings.Contains(d.Content, "acme-internal") {
		t.Errorf("fix as YAML: %d, version %d", status, d.Version)
	}
}

// YAML the form cannot hold without losing part of it stays YAML: the
// page says why, and a form save does not store an empty form instead.
func TestComposerKeepsYAMLTheFormCannotHold(t *testing.T) {
	s := newSite(t, false)
	c := s.browserClient(demarc.RoleEditor)
	vals := newSystemForm(t, s, c, map[string]string{"op": "from-yaml",
		"yaml": "name: odd\ncomponents:\n  - name: a\n    service: aws/lambda\n    colour: red\n"})
	status, body, _ := formPost(t, c, s.url+"/o/acme/systems/new", vals)
	checkRefused(t, badCase{status: http.StatusUnprocessableEntity, message: `components[0] has "colour" (line 5), which the form has no field for`,
		input: []string{"colour: red"}, near: "yaml-err"}, status, body)
	if strings.Contains(body, `id="about"`) {
		t.Error("the form is offered for YAML it cannot hold")
	}
	vals = formValues(t, body, "composer")
	vals.Set("op", "save")
	status, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "colour: red") {
		t.Errorf("a form save while the form is not in use: %d", status)
	}
	vals.Set("op", "save-yaml")
	status, body, _ = formPost(t, c, s.url+"/o/acme/systems/new", vals)
	checkRefused(t, badCase{status: http.StatusUnprocessableEntity, message: "colour", input: []string{"colour: red"}, near: "yaml-err"}, status, body)
	if names := s.systemNames(); len(names) != 0 {
		t.Errorf("stored %v", names)
	}
}
