package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/prowler"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/snapshot"
	"github.com/demarc-io/demarc/systemfile"
)

// auditHead is the sequence number of an organisation's newest audit
// event, to prove that a refused request wrote nothing.
func auditHead(t *testing.T, e *env, tn *tenant) int64 {
	t.Helper()
	r, err := e.store.Verify(context.Background(), tn.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r.Head.Seq
}

// yamlBody drops the comment lines that head a library file, which name
// the file it was written for.
func yamlBody(content string) string {
	var keep []string
	for _, line := range strings.Split(content, "\n") {
		if !strings.HasPrefix(line, "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// providerContent reads a provider document's content through the API.
func providerContent(t *testing.T, e *env, tn *tenant, id demarc.DocumentID) string {
	t.Helper()
	var d DocumentView
	e.must(200, req{method: "GET", path: "/api/v1/orgs/" + tn.org.Slug + "/providers/" + string(id), token: tn.tokens[demarc.RoleViewer]}).json(t, &d)
	return d.Content
}

// NIST's catalog imported over the API is the framework the command line
// imports from the same file; a system of the organisation can then use
// it, and its matrix is the library's. A dry run stores nothing; a name
// that is taken needs replace and If-Match, as any update does.
func TestImportOSCALCatalogAsFramework(t *testing.T) {
	path := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	data := readTestFile(t, path)
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	url := "/api/v1/orgs/acme/imports/oscal-catalog?filename=" + filepath.Base(path)
	const fwID = "nist-sp-800-53-rev5-catalog-2021"

	head := auditHead(t, e, a)
	var dry ImportResult
	e.must(200, req{method: "POST", path: url + "&dry_run=true", token: tok, body: data, contentType: "application/json"}).json(t, &dry)
	if !dry.DryRun || dry.Document != nil || dry.Action != "create" || dry.Content == "" || !reflect.DeepEqual(dry.Frameworks, []demarc.FrameworkID{fwID}) {
		t.Fatalf("dry run: %+v", dry)
	}
	if auditHead(t, e, a) != head {
		t.Fatal("a dry run wrote to the store")
	}

	r := e.must(201, req{method: "POST", path: url, token: tok, body: data, contentType: "application/json"})
	var res ImportResult
	r.json(t, &res)
	if res.Document == nil || res.Document.Kind != demarc.DocProvider || res.Name != fwID || r.header.Get("ETag") != `"v1"` ||
		r.header.Get("Location") != "/api/v1/orgs/acme/providers/"+string(res.Document.ID) {
		t.Fatalf("import: %s %+v", r.header, res)
	}
	stored := providerContent(t, e, a, res.Document.ID)
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	fw, _, err := oscal.ImportFramework(path, lib, oscal.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cli bytes.Buffer
	if err := oscal.WriteLibrary(&cli, fw, ""); err != nil {
		t.Fatal(err)
	}
	if yamlBody(stored) != yamlBody(cli.String()) {
		t.Error("the stored framework differs from the command line's import of the same file")
	}

	// A system uses the framework; its matrix is the library's.
	sys := e.createDoc(a, "systems", "shop", "name: shop\nframeworks: ["+fwID+"]\ncomponents:\n  - name: api\n    service: aws/lambda\n")
	m := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/matrix", token: a.tokens[demarc.RoleViewer]})
	f, err := library.ParseFile("nist", []byte(stored))
	if err != nil {
		t.Fatal(err)
	}
	ext, err := library.Extend(f)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := systemfile.Parse("shop", []byte("name: shop\nframeworks: ["+fwID+"]\ncomponents:\n  - name: api\n    service: aws/lambda\n"))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := resolve.New(ext).Resolve(parsed)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := render.Matrix(&want, resolved.Matrix(ext.Framework(fwID)), render.JSON, render.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.body, want.Bytes()) {
		t.Errorf("the matrix over the imported framework differs from the library's (%d vs %d bytes)", len(m.body), len(want.Bytes()))
	}

	// The name is taken: 409, and replacing needs If-Match.
	post := func(query string, headers map[string]string) *resp {
		return e.do(req{method: "POST", path: url + query, token: tok, body: data, contentType: "application/json", headers: headers})
	}
	head = auditHead(t, e, a)
	for _, c := range []struct {
		query   string
		headers map[string]string
		status  int
		says    string
	}{
		{"", nil, 409, "replace=true"},
		{"&replace=true", nil, 428, "If-Match"},
		{"&replace=true", map[string]string{"If-Match": `"v7"`}, 412, "not 7"},
		{"&replace=true&name=other", map[string]string{"If-Match": `"v1"`}, 412, "no provider document named"},
		{"&replace=true&dry_run=true", map[string]string{"If-Match": `"v7"`}, 412, "not 7"},
	} {
		if r := post(c.query, c.headers); r.status != c.status || !strings.Contains(errText(r), c.says) {
			t.Errorf("import%s with %v: got %s, want %d saying %q", c.query, c.headers, r, c.status, c.says)
		}
	}
	if auditHead(t, e, a) != head {
		t.Fatal("a refused import wrote to the store")
	}
	r = post("&replace=true&id=nist-renamed&name="+fwID, map[string]string{"If-Match": `"v1"`})
	if r.status != 200 || r.header.Get("ETag") != `"v2"` {
		t.Fatalf("replace: %s", r)
	}
	r.json(t, &res)
	if res.Action != "replace" || res.Document.Version != 2 || res.Name != fwID || !reflect.DeepEqual(res.Frameworks, []demarc.FrameworkID{"nist-renamed"}) {
		t.Errorf("replace: %+v", res)
	}
}

// A FedRAMP profile names NIST's catalog by its web address: sent with
// the catalog as a multipart body, it resolves as the command line's
// --catalog resolves it; without, the answer says what is missing.
func TestImportOSCALProfileWithCatalog(t *testing.T) {
	profile := realdata.Path(t, "oscal/fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	url := "/api/v1/orgs/acme/imports/oscal-profile"

	r := e.do(req{method: "POST", path: url + "?filename=" + filepath.Base(profile), token: tok, body: readTestFile(t, profile), contentType: "application/json"})
	if r.status != 422 || !strings.Contains(errText(r), "outside the document") || !strings.Contains(errText(r), "send the catalog") {
		t.Errorf("profile without its catalog: %s", r)
	}
	q := multipartReq(t, url, formPart{"profile", filepath.Base(profile), readTestFile(t, profile)}, formPart{"catalog", filepath.Base(catalog), readTestFile(t, catalog)})
	q.token = tok
	var res ImportResult
	e.must(201, q).json(t, &res)
	if !reflect.DeepEqual(res.Frameworks, []demarc.FrameworkID{"fedramp-rev5-moderate-baseline"}) || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "outside the document") {
		t.Fatalf("import: %+v", res)
	}
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	fw, _, err := oscal.ImportFramework(profile, lib, oscal.ImportOptions{Catalog: catalog, Model: oscal.Profile})
	if err != nil {
		t.Fatal(err)
	}
	var cli bytes.Buffer
	if err := oscal.WriteLibrary(&cli, fw, ""); err != nil {
		t.Fatal(err)
	}
	if yamlBody(providerContent(t, e, a, res.Document.ID)) != yamlBody(cli.String()) {
		t.Error("the stored baseline differs from the command line's import with --catalog")
	}
	// A catalog is not a profile.
	r = e.do(req{method: "POST", path: url + "?id=nist", token: tok, body: readTestFile(t, catalog), contentType: "application/json"})
	if r.status != 422 || !strings.Contains(errText(r), "expected a profile") {
		t.Errorf("a catalog as a profile: %s", r)
	}
}

// A service exported as its provider's leveraged plan imports back as the
// same statement the command line reads from the file, and the export is
// valid OSCAL.
func TestImportOSCALSSPRoundTrip(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	sys := e.webshop(a)
	plan := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/exports/oscal-responsibility?service=aws/lambda&framework=nist-800-53-r5&as_of=2026-11-25",
		token: a.tokens[demarc.RoleViewer]}).body
	if rep := oscal.Validate("lambda.json", plan, nil); !rep.Valid() {
		t.Fatalf("the exported plan is not valid OSCAL: %v", rep.Problems)
	}
	var res ImportResult
	e.must(201, req{method: "POST", path: "/api/v1/orgs/acme/imports/oscal-ssp?filename=lambda.json", token: a.tokens[demarc.RoleEditor], body: plan, contentType: "application/json"}).json(t, &res)
	if res.Name != "aws/lambda" || !reflect.DeepEqual(res.Services, []demarc.ServiceID{"aws/lambda"}) {
		t.Fatalf("import: %+v", res)
	}
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ssp.Read("lambda.json", plan)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ssp.Import(lib, doc, ssp.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cli bytes.Buffer
	if err := st.WriteYAML(&cli); err != nil {
		t.Fatal(err)
	}
	if providerContent(t, e, a, res.Document.ID) != cli.String() {
		t.Error("the stored statement differs from the command line's import of the same plan")
	}

	tok := a.tokens[demarc.RoleEditor]
	for _, c := range []struct {
		query, body string
		status      int
		says        string
	}{
		{"?filename=test.json", string(readTestFile(t, "../oscal/testdata/leveraged_ssp.json")), 422, "pass it with the query parameter model"},
		{"?model=cloud", string(readTestFile(t, "../oscal/testdata/leveraged_ssp.json")), 400, "not one of"},
		{"?filename=broken.json", "{\n  \"system-security-plan\": {\n    \"uuid\": ,\n", 422, "broken.json"},
	} {
		r := e.do(req{method: "POST", path: "/api/v1/orgs/acme/imports/oscal-ssp" + c.query, token: tok, body: c.body, contentType: "application/json"})
		if r.status != c.status || !strings.Contains(errText(r), c.says) {
			t.Errorf("oscal-ssp%s: got %s, want %d saying %q", c.query, r, c.status, c.says)
		}
	}
}

// A baseline workbook becomes the service statement the command line
// makes; rows that cannot be read are named by sheet and row, and
// skip_bad imports the rest.
func TestImportAzureBaseline(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	url := "/api/v1/orgs/acme/imports/azure-baseline?filename=key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx"
	good := []string{"Network Security", "NS-2", "Customer", "Azure Private Link", "True", "False"}
	bad := []string{"Network Security", "NS-2", "Partner", "Azure Private Link", "True", "False"}
	head := auditHead(t, e, a)
	for _, c := range []struct {
		url, ctype string
		body       []byte
		status     int
		says       string
	}{
		{url, xlsxTypes[0], baselineWorkbook(t, [][]string{bad, good}), 422, `sheet "Feature Summary" row 2: Responsibility: "Partner"`},
		{url, "text/csv", []byte("a,b\n"), 415, "application/vnd.openxmlformats"},
		{url, xlsxTypes[1], []byte("PK not really a workbook"), 422, "not an XLSX workbook"},
		{"/api/v1/orgs/acme/imports/azure-baseline", xlsxTypes[0], baselineWorkbook(t, [][]string{good}), 400, "query parameter service, or the file's name"},
		{url + "&model=on-prem", xlsxTypes[0], baselineWorkbook(t, [][]string{good}), 400, "not one of"},
	} {
		r := e.do(req{method: "POST", path: c.url, token: tok, body: c.body, contentType: c.ctype})
		if r.status != c.status || !strings.Contains(errText(r), c.says) {
			t.Errorf("%s (%s): got %s, want %d saying %q", c.url, c.ctype, r, c.status, c.says)
		}
	}
	if auditHead(t, e, a) != head {
		t.Fatal("a refused import wrote to the store")
	}
	var res ImportResult
	e.must(201, req{method: "POST", path: url + "&skip_bad=true", token: tok, body: baselineWorkbook(t, [][]string{bad, good}), contentType: xlsxTypes[0]}).json(t, &res)
	if res.Name != "azure/key-vault" || !strings.Contains(strings.Join(res.Warnings, "\n"), "row left out") {
		t.Errorf("skip_bad: %+v", res)
	}
	sys := e.createDoc(a, "systems", "vault", "name: vault\ncomponents:\n  - name: kv\n    service: azure/key-vault\n")
	var x struct {
		Decisions []struct {
			Source string `json:"source"`
		} `json:"decisions"`
	}
	r := e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/explain/network.segmentation", token: tok})
	if err := json.Unmarshal(r.body, &x); err != nil || !bytes.Contains(r.body, []byte("key-vault-azure-security-benchmark")) {
		t.Errorf("the imported statement does not decide the area: %s", r)
	}
}

// A Prowler mapping becomes the framework the command line makes;
// requirements that cannot be read are named by line.
func TestImportProwler(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	url := "/api/v1/orgs/acme/imports/prowler?filename=small.json"
	badReq := "{\"Framework\": \"X\", \"Requirements\": [\n{\"Id\": \"1\", \"Checks\": [\"iam_root_mfa_enabled\"]},\n{\"Id\": \"2\", \"Checks\": \"s3_bucket_public\"}]}"
	for _, c := range []struct {
		query, body, ctype string
		status             int
		says               string
	}{
		{"", badReq, "application/json", 422, `small.json:3: Requirements[1]: Checks: expected a list of check names`},
		{"", prowlerMapping[:40], "application/json", 422, "small.json: line"},
		{"&id=Not An Id", prowlerMapping, "application/json", 400, "query parameter id"},
		{"", prowlerMapping, "application/yaml", 415, "application/json"},
		{"&match=cis-v9", prowlerMapping, "application/json", 404, `unknown framework "cis-v9"`},
	} {
		r := e.do(req{method: "POST", path: url + strings.ReplaceAll(c.query, " ", "%20"), token: tok, body: c.body, contentType: c.ctype})
		if r.status != c.status || !strings.Contains(errText(r), c.says) {
			t.Errorf("prowler%s: got %s, want %d saying %q", c.query, r, c.status, c.says)
		}
	}
	var res ImportResult
	e.must(201, req{method: "POST", path: url, token: tok, body: prowlerMapping, contentType: "application/json"}).json(t, &res)
	m, err := prowler.Parse("small.json", []byte(prowlerMapping))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	imp, err := prowler.Import(m, lib, prowler.MapOptions{}, prowler.FrameworkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cli bytes.Buffer
	if err := imp.WriteLibrary(&cli); err != nil {
		t.Fatal(err)
	}
	if providerContent(t, e, a, res.Document.ID) != cli.String() || res.Name != string(imp.Framework.ID) {
		t.Errorf("the stored framework %s differs from the command line's import", res.Name)
	}
	e.must(201, req{method: "POST", path: url + "&skip_bad=true&name=partial", token: tok, body: badReq, contentType: "application/json"}).json(t, &res)
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "requirement left out: small.json:3") {
		t.Errorf("skip_bad: %+v", res.Warnings)
	}
}

// Every import refuses a body of the wrong type, an empty one, one over
// the limit and unknown parameters with a 4xx that says so, and stores
// nothing.
func TestImportBadBodies(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	tok := a.tokens[demarc.RoleEditor]
	head := auditHead(t, e, a)
	for _, k := range importKinds() {
		url := "/api/v1/orgs/acme/imports/" + k.kind
		for _, c := range []struct {
			name, path, ctype string
			body              []byte
			status            int
			says              string
		}{
			{"no content type", url, "", []byte("{}"), 415, "Content-Type"},
			{"wrong type", url, "text/html", []byte("{}"), 415, "not accepted"},
			{"empty", url, k.media[0], []byte("  \n"), 400, "empty"},
			{"unknown parameter", url + "?format=json", k.media[0], []byte("{}"), 400, "unknown query parameter"},
			{"bad flag", url + "?dry_run=perhaps", k.media[0], []byte("{}"), 400, "not true or false"},
			{"bad file name", url + "?filename=../x.json", k.media[0], []byte("{\"a\": 1}"), 400, "relative path"},
		} {
			r := e.do(req{method: "POST", path: c.path, token: tok, body: c.body, contentType: c.ctype})
			if r.status != c.status || !strings.Contains(errText(r), c.says) || r.errorCode() == "" {
				t.Errorf("%s %s: got %s, want %d saying %q", k.kind, c.name, r, c.status, c.says)
			}
		}
	}
	big := bytes.Repeat([]byte(" "), importBodyLimit+1)
	if r := e.do(req{method: "POST", path: "/api/v1/orgs/acme/imports/prowler", token: tok, body: big, contentType: "application/json"}); r.status != 413 {
		t.Errorf("oversized: got %s, want 413", r)
	}
	bad := multipartReq(t, "/api/v1/orgs/acme/imports/oscal-profile", formPart{"catalog", "c.json", []byte("{}")})
	bad.token = tok
	if r := e.do(bad); r.status != 400 || !strings.Contains(errText(r), "no part profile") {
		t.Errorf("multipart without the profile: %s", r)
	}
	if auditHead(t, e, a) != head {
		t.Fatal("a refused import wrote to the store")
	}
	var docs List[demarc.Document]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/providers", token: tok}).json(t, &docs)
	if len(docs.Items) != 0 {
		t.Errorf("refused imports left %d documents", len(docs.Items))
	}
}

// localCheck is what 'demarc check' reports for the web shop over its
// configuration folder.
func localCheck(t *testing.T, framework string) *check.Report {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/serverless-webshop.yaml", lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	set, err := check.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	walk := func(ctx context.Context, fn func(*demarc.Snapshot) error) error {
		return snapshot.Walk(ctx, []string{"../examples/config/webshop"}, fn)
	}
	run, err := check.Execute(context.Background(), check.NewEngine(set, check.Options{}), walk, check.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	return check.BuildReport(res, lib.Framework(demarc.FrameworkID(framework)), set.Policies(), run.Collector, check.ReportOptions{Inputs: run.Inputs, PolicySources: set.Sources})
}

// sameVerdicts compares what two reports say: the counts, every control's
// state and owner, every finding, and the inputs' digests.
func sameVerdicts(t *testing.T, got, want *check.Report) {
	t.Helper()
	if !reflect.DeepEqual(got.Summary, want.Summary) {
		t.Errorf("summary %+v, want %+v", got.Summary, want.Summary)
	}
	states := func(r *check.Report) []string {
		var out []string
		for _, c := range r.Controls {
			out = append(out, fmt.Sprint(c.ID, c.State, c.Owner, c.CheckedAreas, c.ManualAreas))
		}
		return out
	}
	if !reflect.DeepEqual(states(got), states(want)) {
		t.Error("control verdicts differ from the command line's")
	}
	findings := func(r *check.Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, fmt.Sprint(f.Policy, f.Resource, f.Status, f.Severity, filepath.Base(f.Pos.File), f.Pos.Line, f.Values))
		}
		return out
	}
	if !reflect.DeepEqual(findings(got), findings(want)) {
		t.Errorf("findings differ from the command line's:\n%v\n%v", findings(got), findings(want))
	}
	digests := func(r *check.Report) map[string]string {
		out := map[string]string{}
		for _, in := range r.Evidence.Inputs {
			out[in.Format] = in.SHA256
		}
		return out
	}
	if !reflect.DeepEqual(digests(got), digests(want)) {
		t.Errorf("input digests %v, want %v", digests(got), digests(want))
	}
}

// A check run over the web shop's uploaded configuration finds what the
// command line finds over the folder, is recorded, and reads back in
// every format; its evidence names the digest of every input and the
// audit event that recorded it.
func TestCheckRunRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	e := newEnv(t, backend{"sqlite", openSQLite}, func(c *Config) { c.Now = func() time.Time { return now } })
	a := e.tenant("acme")
	sys := e.webshop(a)
	base := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/checks"
	q := webshopChecks(t, base)
	q.token = a.tokens[demarc.RoleEditor]
	r := e.must(201, q)
	var info CheckRunInfo
	r.json(t, &info)
	if info.Run != 1 || info.System != sys.ID || r.header.Get("Location") != base+"/1" || !strings.HasPrefix(info.Summary, "webshop version 1, nist-800-53-r5: 2 inputs") {
		t.Fatalf("run: %s %+v", r.header, info)
	}
	viewer := a.tokens[demarc.RoleViewer]
	var rep check.Report
	e.must(200, req{method: "GET", path: base + "/1", token: viewer}).json(t, &rep)
	sameVerdicts(t, &rep, localCheck(t, "nist-800-53-r5"))
	if rep.Evidence.System == nil || rep.Evidence.System.File != "webshop" || !rep.Evidence.GeneratedAt.Equal(now) || rep.Evidence.Tool.Name != "demarc" {
		t.Errorf("evidence: %+v", rep.Evidence)
	}

	// Every format, from the stored record.
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						FullDescription struct{ Text string } `json:"fullDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	r = e.must(200, req{method: "GET", path: base + "/1?format=sarif", token: viewer})
	if err := json.Unmarshal(r.body, &sarif); err != nil || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != rep.Summary.Results[check.Fail] || len(sarif.Runs[0].Results) == 0 {
		t.Fatalf("SARIF (%v): %.300s", err, r.body)
	}
	if got, want := r.body, mustSARIF(t, &rep); !bytes.Equal(got, want) {
		t.Error("the SARIF of the stored run differs from the SARIF of its report")
	}
	if sarif.Runs[0].Tool.Driver.Rules[0].FullDescription.Text == "" {
		t.Error("SARIF rules lost the policies' messages in storage")
	}
	for _, c := range []struct{ format, ctype, contains string }{
		{"yaml", "application/yaml", "system: serverless-webshop"},
		{"junit", "application/xml", "<testsuites"},
		{"markdown", "text/markdown", "# Configuration checks: serverless-webshop"},
		{"table", "text/plain", "controls: "},
	} {
		r := e.must(200, req{method: "GET", path: base + "/1?format=" + c.format, token: viewer})
		if !strings.HasPrefix(r.header.Get("Content-Type"), c.ctype) || !strings.Contains(string(r.body), c.contains) {
			t.Errorf("format %s: %s %.200s", c.format, r.header.Get("Content-Type"), r.body)
		}
	}

	// The evidence record, for auditors, ties the run to the audit trail.
	auditor := a.tokens[demarc.RoleAuditor]
	var ev CheckEvidence
	e.must(200, req{method: "GET", path: base + "/1/evidence", token: auditor}).json(t, &ev)
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	if ev.Run != 1 || ev.System != (demarc.DocumentRef{ID: sys.ID, Version: 1}) || ev.Framework != "nist-800-53-r5" || ev.Hash != info.Hash ||
		ev.Evidence.System.SHA256 != sum([]byte(example(t, "serverless-webshop.yaml"))) || len(ev.Controls) != len(rep.Controls) || len(ev.Findings) != len(rep.Findings) {
		t.Errorf("evidence: %+v", ev)
	}
	for _, in := range ev.Evidence.Inputs {
		if in.File == "webshop/shop-app.yaml" && in.SHA256 != sum(readTestFile(t, "../examples/config/webshop/shop-app.yaml")) {
			t.Errorf("input %s: digest %s", in.File, in.SHA256)
		}
	}
	if ev.AuditEvent == nil {
		t.Fatal("the evidence names no audit event")
	}
	var events List[demarc.Event]
	e.must(200, req{method: "GET", path: fmt.Sprintf("/api/v1/orgs/acme/audit/events?after=%d&limit=1", ev.AuditEvent.Seq-1), token: auditor}).json(t, &events)
	if len(events.Items) != 1 || events.Items[0].Hash != ev.AuditEvent.Hash || events.Items[0].After != ev.Hash || events.Items[0].Actor.Member != a.members[demarc.RoleEditor].ID {
		t.Errorf("audit event %+v does not record the run %s", events.Items, ev.Hash)
	}
	e.must(403, req{method: "GET", path: base + "/1/evidence", token: viewer})

	// A second run, against another framework, with a policy of the
	// organisation's own instead of the built-in pack.
	policy := []byte("policies:\n  - id: team-buckets-tagged\n    title: Buckets carry an owner tag\n    severity: low\n    areas: [ops.asset-inventory]\n" +
		"    message: The bucket has no owner tag.\n    remediation: Add tags.owner.\n    rules:\n      - types: [aws_s3_bucket]\n        expr: has(resource.tags) && \"owner\" in resource.tags\n")
	q = multipartReq(t, base+"?framework=iso-27001-2022&builtin=false&version=1", append(webshopConfig(t), formPart{"policy", "team.yaml", policy})...)
	q.token = a.tokens[demarc.RoleOwner]
	e.must(201, q).json(t, &info)
	e.must(200, req{method: "GET", path: base + "/2", token: viewer}).json(t, &rep)
	if info.Run != 2 || rep.Framework != "iso-27001-2022" || len(rep.Policies) != 1 || rep.Policies[0].ID != "team-buckets-tagged" || len(rep.Evidence.Policies) != 1 {
		t.Errorf("second run: %+v, policies %+v", info, rep.Policies)
	}

	// Newest first, a page at a time.
	var page List[CheckRunInfo]
	e.must(200, req{method: "GET", path: base + "?limit=1", token: viewer}).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].Run != 2 || page.Next == "" {
		t.Fatalf("first page: %+v", page)
	}
	next := page.Next
	page = List[CheckRunInfo]{}
	e.must(200, req{method: "GET", path: base + "?limit=1&cursor=" + next, token: viewer}).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].Run != 1 || page.Next != "" {
		t.Fatalf("second page: %+v", page)
	}

	// Runs cannot change, and the document routes do not show them.
	for _, method := range []string{"PUT", "PATCH", "DELETE"} {
		r := e.do(req{method: method, path: base + "/1", token: a.tokens[demarc.RoleOwner], body: "{}", contentType: "application/json", headers: map[string]string{"If-Match": `"v1"`}})
		if r.status != 405 {
			t.Errorf("%s a run: got %s, want 405", method, r)
		}
	}
	runs, err := e.store.DocumentByName(context.Background(), a.org.ID, demarc.DocCheckRun, string(sys.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"systems", "providers", "attestations"} {
		e.must(404, req{method: "GET", path: "/api/v1/orgs/acme/" + kind + "/" + string(runs.ID), token: viewer})
		e.must(404, req{method: "DELETE", path: "/api/v1/orgs/acme/" + kind + "/" + string(runs.ID), token: a.tokens[demarc.RoleOwner], headers: map[string]string{"If-Match": `"v2"`}})
	}
	var systems List[demarc.Document]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/systems", token: viewer}).json(t, &systems)
	if len(systems.Items) != 1 {
		t.Errorf("the systems list shows %d documents", len(systems.Items))
	}
	e.must(404, req{method: "GET", path: base + "/3", token: viewer})
	e.must(400, req{method: "GET", path: base + "/first", token: viewer})
}

func mustSARIF(t *testing.T, r *check.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := check.Write(&buf, r, check.SARIF, render.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A check run refuses what it cannot check — the wrong body, files it
// cannot read (named with their line), policies that do not load — with
// a 4xx that says so, and records nothing.
func TestCheckRunBadInput(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	sys := e.webshop(a)
	base := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/checks"
	tok := a.tokens[demarc.RoleEditor]
	head := auditHead(t, e, a)
	config := webshopConfig(t)
	brokenPlan := formPart{"config", "plan.json", []byte("{\"format_version\": \"1.2\",\n  \"planned_values\": ]\n}\n")}
	badPolicy := formPart{"policy", "team.yaml", readTestFile(t, "../cmd/demarc/testdata/check/bad-policy.yaml")}
	cases := []struct {
		name   string
		q      req
		status int
		says   []string
	}{
		{"json body", req{method: "POST", path: base, body: "{}", contentType: "application/json"}, 415, []string{"multipart/form-data"}},
		{"no boundary", req{method: "POST", path: base, body: "x", contentType: "multipart/form-data"}, 400, []string{"boundary"}},
		{"no config", multipartReq(t, base, badPolicy), 400, []string{"no config part"}},
		{"unknown part", multipartReq(t, base, formPart{"file", "main.tf", []byte("x")}), 400, []string{`unknown part "file"`}},
		{"no file name", multipartReq(t, base, formPart{"config", "", []byte("x")}), 400, []string{"is missing"}},
		{"path outside", multipartReq(t, base, formPart{"config", "../../etc/passwd", []byte("x")}), 400, []string{"relative path"}},
		{"twice", multipartReq(t, base, config[0], config[0]), 400, []string{"sent twice"}},
		{"malformed plan", multipartReq(t, base, config[0], brokenPlan), 422, []string{"plan.json:2"}},
		{"not configuration", multipartReq(t, base, config[0], formPart{"config", "notes.txt", []byte("just notes\n")}), 422, []string{"notes.txt", "not a supported configuration format"}},
		{"bad policy", multipartReq(t, base, append(config, badPolicy)...), 422, []string{"team.yaml:", "team-broken"}},
		{"no policies", multipartReq(t, base+"?builtin=false", config...), 400, []string{"builtin=false leaves no policies"}},
		{"unknown framework", multipartReq(t, base+"?framework=nist", config...), 400, []string{"unknown framework"}},
		{"unknown version", multipartReq(t, base+"?version=9", config...), 404, []string{"no version 9"}},
		{"unknown system", multipartReq(t, "/api/v1/orgs/acme/systems/doc_00000000000000000000000000/checks", config...), 404, []string{"not found"}},
		{"too large", req{method: "POST", path: base, body: bytes.Repeat([]byte("x"), checkBodyLimit+1), contentType: "multipart/form-data; boundary=x"}, 413, []string{"larger than"}},
	}
	for _, c := range cases {
		q := c.q
		q.token = tok
		r := e.do(q)
		ok := r.status == c.status && r.errorCode() != ""
		for _, s := range c.says {
			ok = ok && strings.Contains(errText(r), s)
		}
		if !ok {
			t.Errorf("%s: got %s, want %d saying %q", c.name, r, c.status, c.says)
		}
	}
	r := e.do(func() req { q := multipartReq(t, base, config[0], brokenPlan); q.token = tok; return q }())
	if !hasProblem(r, "plan.json:2") {
		t.Errorf("the problem does not name the file and line: %s", r)
	}
	if auditHead(t, e, a) != head {
		t.Fatal("a refused check run wrote to the store")
	}
	var runs List[CheckRunInfo]
	e.must(200, req{method: "GET", path: base, token: tok}).json(t, &runs)
	if len(runs.Items) != 0 {
		t.Errorf("refused runs were recorded: %+v", runs.Items)
	}
	e.must(400, req{method: "GET", path: base + "?cursor=3", token: tok})
}

// The OSCAL exports are valid OSCAL, byte for byte what the library
// writes for the same services and frameworks.
func TestExportsOSCALStatements(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	sys := e.webshop(a)
	base := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/exports/"
	tok := a.tokens[demarc.RoleViewer]
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	opts := ssp.Options{LastModified: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	iso := []*demarc.Framework{lib.Framework("iso-27001-2022")}
	var used []*demarc.Service
	for _, id := range []string{"aws/api-gateway", "aws/cloudfront", "aws/cloudtrail", "aws/cognito", "aws/dynamodb", "aws/eks", "aws/kms", "aws/lambda", "aws/s3", "generic/caas"} {
		used = append(used, lib.Service(demarc.ServiceID(id)))
	}
	compdef, err := ssp.ComponentDefinition(resolve.New(lib), used, iso, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wantCompdef, wantLeveraged bytes.Buffer
	if err := ssp.Write(&wantCompdef, compdef); err != nil {
		t.Fatal(err)
	}
	leveraged, err := ssp.Leveraged(resolve.New(lib), lib.Service("aws/s3"), iso[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ssp.Write(&wantLeveraged, leveraged); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, file string
		want       []byte
	}{
		{"oscal-component-definition?framework=iso-27001-2022&as_of=2026-11-25", "serverless-webshop-components.json", wantCompdef.Bytes()},
		{"oscal-responsibility?service=aws/s3&framework=iso-27001-2022&as_of=2026-11-25", "aws-s3-leveraged.json", wantLeveraged.Bytes()},
	} {
		r := e.must(200, req{method: "GET", path: base + c.path, token: tok})
		if rep := oscal.Validate(c.file, r.body, nil); !rep.Valid() {
			t.Errorf("%s is not valid OSCAL: %v", c.path, rep.Problems)
		}
		if !bytes.Equal(r.body, c.want) {
			t.Errorf("%s differs from the library's document", c.path)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+c.file+`"` {
			t.Errorf("%s: Content-Disposition %q", c.path, cd)
		}
	}
	for _, c := range []struct {
		path   string
		status int
		says   string
	}{
		{"oscal-component-definition?service=aws/s3&provider=aws", 400, "exclude each other"},
		{"oscal-component-definition?service=aws/s4", 404, `unknown service "aws/s4"`},
		{"oscal-component-definition?provider=oracle", 404, `unknown provider "oracle"`},
		{"oscal-component-definition?framework=nist", 404, `unknown framework "nist"`},
		{"oscal-responsibility", 400, "the system uses 10 services"},
		{"oscal-responsibility?as_of=someday&service=aws/s3", 400, "as_of"},
	} {
		r := e.do(req{method: "GET", path: base + c.path, token: tok})
		if r.status != c.status || !strings.Contains(errText(r), c.says) {
			t.Errorf("%s: got %s, want %d saying %q", c.path, r, c.status, c.says)
		}
	}
}

// Tokens and subscriptions come a page at a time, in a stable order,
// with a cursor the server made; every item on exactly one page.
func TestTokenAndSubscriptionPages(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a, cloud := e.tenant("acme"), e.tenant("cloud")
	ctx := context.Background()
	owner := a.members[demarc.RoleOwner].ID
	for range 6 {
		e.token(a.org.ID, owner)
	}
	by := demarc.Actor{Member: cloud.members[demarc.RoleOwner].ID}
	for i := range 5 {
		rev, err := e.store.CreateDocument(ctx, by, cloud.org.ID, demarc.DocumentInput{Kind: demarc.DocProvider, Name: fmt.Sprintf("p%d", i),
			Content: []byte(fmt.Sprintf("providers:\n  - id: p%d\n    title: P\n    kind: generic\n    services: []\n", i))})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := e.store.Publish(ctx, by, cloud.org.ID, rev.Document, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Subscribe(ctx, demarc.Actor{Member: owner}, a.org.ID, pub.ID); err != nil {
			t.Fatal(err)
		}
	}
	tok := a.tokens[demarc.RoleOwner]
	pages := func(path string, limit int) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for n := 0; ; n++ {
			if n > 20 {
				t.Fatal("the pages never end")
			}
			var page List[json.RawMessage]
			e.must(200, req{method: "GET", path: fmt.Sprintf("%s?limit=%d&cursor=%s", path, limit, cursor), token: tok}).json(t, &page)
			if len(page.Items) > limit {
				t.Fatalf("%s: a page of %d items, limit %d", path, len(page.Items), limit)
			}
			for _, raw := range page.Items {
				var x struct{ ID string }
				if err := json.Unmarshal(raw, &x); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, x.ID)
			}
			if page.Next == "" {
				return ids
			}
			cursor = page.Next
		}
	}
	toks, err := e.store.Tokens(ctx, a.org.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var wantToks []string
	for _, tk := range toks {
		wantToks = append(wantToks, string(tk.ID))
	}
	if got := pages("/api/v1/orgs/acme/tokens", 4); !reflect.DeepEqual(got, wantToks) || len(got) != 11 {
		t.Errorf("tokens in pages: %v, want the store's order %v", got, wantToks)
	}
	subs, err := e.store.Subscriptions(ctx, a.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wantSubs []string
	for _, s := range subs {
		wantSubs = append(wantSubs, string(s.ID))
	}
	if got := pages("/api/v1/orgs/acme/subscriptions", 2); !reflect.DeepEqual(got, wantSubs) || len(got) != 5 {
		t.Errorf("subscriptions in pages: %v, want %v", got, wantSubs)
	}
	// A viewer pages through its own tokens only.
	var own List[demarc.Token]
	e.must(200, req{method: "GET", path: "/api/v1/orgs/acme/tokens?limit=500", token: a.tokens[demarc.RoleViewer]}).json(t, &own)
	if len(own.Items) != 1 || own.Items[0].Member != a.members[demarc.RoleViewer].ID {
		t.Errorf("a viewer's tokens: %+v", own.Items)
	}
	for _, c := range []struct{ path, says string }{
		{"/tokens?cursor=nope", "not a cursor"},
		{"/tokens?cursor=sub_01abc", "not a cursor"},
		{"/subscriptions?cursor=tok_01abc", "not a cursor"},
		{"/subscriptions?limit=501", "not an integer"},
		{"/tokens?limit=x", "not an integer"},
	} {
		if r := e.do(req{method: "GET", path: "/api/v1/orgs/acme" + c.path, token: tok}); r.status != 400 || !strings.Contains(errText(r), c.says) {
			t.Errorf("%s: got %s, want 400 saying %q", c.path, r, c.says)
		}
	}
}

// Concurrent runs of one system each get their own number; none is lost.
func TestConcurrentCheckRuns(t *testing.T) {
	e := newEnv(t, backend{"sqlite", openSQLite}, nil)
	a := e.tenant("acme")
	sys := e.webshop(a)
	base := "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/checks"
	var wg sync.WaitGroup
	runs := make([]int, 4)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := webshopChecks(t, base)
			q.token = a.tokens[demarc.RoleEditor]
			r := e.do(q)
			var info CheckRunInfo
			if r.status != 201 || json.Unmarshal(r.body, &info) != nil {
				t.Errorf("run %d: %s", i, r)
				return
			}
			runs[i] = info.Run
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, n := range runs {
		seen[n] = true
	}
	if len(seen) != len(runs) || seen[0] {
		t.Errorf("run numbers %v: each run needs its own", runs)
	}
}
