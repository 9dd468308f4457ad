package server

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
)

// transferAccessCases are the access cases of the OSCAL exports, the
// imports and the check runs.
func transferAccessCases() map[string]accessCase {
	sys := func(fx *fixture) string { return "/systems/" + string(fx.system) }
	imp := func(kind, query string, body func(t testing.TB) ([]byte, string)) accessCase {
		build := func(fx *fixture, who string) req {
			data, ctype := body(fx.e.t)
			return req{method: "POST", path: fx.acmePath("/imports/" + kind + "?name=" + kind + "-" + who + query), body: data, contentType: ctype}
		}
		return accessCase{build: build, allowed: writers, status: http.StatusCreated}
	}
	run := func(p string) func(fx *fixture) string {
		return func(fx *fixture) string { return sys(fx) + "/checks/" + fx.checkRun() + p }
	}
	return map[string]accessCase{
		"exportOSCALComponentDefinition": analysisCase(sys, "/exports/oscal-component-definition?service=aws/lambda&framework=iso-27001-2022&as_of=2026-11-25"),
		"exportOSCALResponsibility":      analysisCase(sys, "/exports/oscal-responsibility?service=aws/lambda&framework=iso-27001-2022&as_of=2026-11-25"),

		"runChecks": {build: func(fx *fixture, _ string) req {
			return webshopChecks(fx.e.t, fx.acmePath(sys(fx)+"/checks"))
		}, allowed: writers, status: http.StatusCreated, cross: func(fx *fixture) req {
			return webshopChecks(fx.e.t, fx.rivalPath(sys(fx)+"/checks"))
		}},
		"listCheckRuns":    analysisCase(sys, "/checks"),
		"getCheckRun":      analysisCase(run(""), "?format=sarif"),
		"getCheckEvidence": {build: get(func(fx *fixture) string { return fx.acmePath(run("/evidence")(fx)) }), allowed: trail, status: 200, cross: crossGet(func(fx *fixture) string { return fx.rivalPath(run("/evidence")(fx)) })},

		"importOSCALCatalog": imp("oscal-catalog", "&id=abc", func(t testing.TB) ([]byte, string) {
			return readTestFile(t, "../oscal/testdata/abc_catalog.json"), "application/json"
		}),
		"importOSCALProfile": imp("oscal-profile", "&id=embedded", func(t testing.TB) ([]byte, string) {
			return readTestFile(t, "../oscal/testdata/embedded_profile.json"), "application/json"
		}),
		"importOSCALSSP": imp("oscal-ssp", "&model=iaas", func(t testing.TB) ([]byte, string) {
			return readTestFile(t, "../oscal/testdata/leveraged_ssp.json"), "application/json"
		}),
		"importAzureBaseline": imp("azure-baseline", "&filename=key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx", func(t testing.TB) ([]byte, string) {
			return baselineWorkbook(t, [][]string{{"Network Security", "NS-2", "Customer", "Azure Private Link", "True", "False"}}), xlsxTypes[0]
		}),
		"importProwler": imp("prowler", "", func(testing.TB) ([]byte, string) { return []byte(prowlerMapping), "application/json" }),
	}
}

// prowlerMapping is a small compliance mapping in Prowler's older shape.
const prowlerMapping = `{"Framework": "Small", "Version": "1", "Requirements": [
  {"Id": "1.1", "Description": "x", "Checks": ["iam_root_mfa_enabled"]},
  {"Id": "1.2", "Description": "y", "Checks": ["s3_bucket_default_encryption"]}
]}`

func readTestFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// baselineWorkbook builds an Azure baseline workbook whose Feature
// Summary sheet has rows (domain, control, responsibility, feature,
// supported, enabled by default).
func baselineWorkbook(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Feature Summary"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	all := append([][]string{{"Control Domain", "ASB Control ID", "Responsibility", "Feature Name", "Feature Supported", "Feature Enabled by Default"}}, rows...)
	for i, r := range all {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// formPart is one file of a multipart request a test sends.
type formPart struct {
	field, name string
	data        []byte
}

// multipartReq builds a POST of files as multipart/form-data.
func multipartReq(t testing.TB, path string, parts ...formPart) req {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.name+`"`)
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data) // writes to a bytes.Buffer do not fail
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return req{method: "POST", path: path, body: buf.Bytes(), headers: map[string]string{"Content-Type": mw.FormDataContentType()}}
}

// webshopConfig is the web shop's configuration as uploads: its folder's
// files under webshop/.
func webshopConfig(t testing.TB) []formPart {
	t.Helper()
	var parts []formPart
	for _, name := range []string{"main.tf", "shop-app.yaml"} {
		parts = append(parts, formPart{"config", "webshop/" + name, readTestFile(t, filepath.Join("..", "examples", "config", "webshop", name))})
	}
	return parts
}

// webshopChecks is a check run of the web shop's configuration.
func webshopChecks(t testing.TB, path string) req {
	return multipartReq(t, path, webshopConfig(t)...)
}

// fixtureRuns holds the check run recorded for each fixture that needs
// one, made on first use.
var fixtureRuns = struct {
	sync.Mutex
	run map[*fixture]string
}{run: map[*fixture]string{}}

// checkRun returns the number of a check run of acme's system, recording
// one the first time.
func (fx *fixture) checkRun() string {
	fixtureRuns.Lock()
	defer fixtureRuns.Unlock()
	if n, ok := fixtureRuns.run[fx]; ok {
		return n
	}
	q := webshopChecks(fx.e.t, fx.acmePath("/systems/"+string(fx.system)+"/checks"))
	q.token = fx.acme.tokens[demarc.RoleEditor]
	var info CheckRunInfo
	fx.e.must(http.StatusCreated, q).json(fx.e.t, &info)
	n := itoa(info.Run)
	fixtureRuns.run[fx] = n
	return n
}

// errText is an error answer's message and problems, one per line, as a
// user reads them.
func errText(r *resp) string {
	var b ErrorBody
	if json.Unmarshal(r.body, &b) != nil {
		return string(r.body)
	}
	text := b.Error.Message
	for _, p := range b.Error.Problems {
		text += "\n" + p.String()
	}
	return text
}

// hasProblem reports whether an error body lists a problem whose text
// holds every one of parts.
func hasProblem(r *resp, parts ...string) bool {
	var b ErrorBody
	if json.Unmarshal(r.body, &b) != nil {
		return false
	}
	for _, p := range b.Error.Problems {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(p.String(), part)
		}
		if all {
			return true
		}
	}
	return false
}
