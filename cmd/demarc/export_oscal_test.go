package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/demarc-io/demarc/internal/realdata"
)

var (
	oscalSchemaOnce sync.Once
	oscalSchema     *jsonschema.Schema
	oscalSchemaErr  error
)

// checkOSCAL fails the test unless out is valid against NIST's OSCAL 1.1.3
// schema, and returns it decoded.
func checkOSCAL(t *testing.T, out string) map[string]any {
	t.Helper()
	path := realdata.Path(t, "oscal/schema/oscal_complete_schema-1-1-3.json")
	oscalSchemaOnce.Do(func() { oscalSchema, oscalSchemaErr = jsonschema.NewCompiler().Compile(path) })
	if oscalSchemaErr != nil {
		t.Fatal(oscalSchemaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := oscalSchema.Validate(inst); err != nil {
		t.Fatalf("output is not valid OSCAL 1.1.3: %v", err)
	}
	return inst.(map[string]any)
}

func TestExportOSCALSSP(t *testing.T) {
	args := []string{"export", "oscal-ssp", "--system", "examples/serverless-webshop.yaml", "--framework", "nist-800-53-r5", "--as-of", "2026-11-25"}
	out, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := checkOSCAL(t, out)
	plan := doc["system-security-plan"].(map[string]any)
	meta := plan["metadata"].(map[string]any)
	if meta["oscal-version"] != "1.1.3" || meta["last-modified"] != "2026-11-25T00:00:00Z" {
		t.Errorf("metadata %v", meta)
	}
	again, _, _ := runCLI(t, args...)
	if again != out {
		t.Error("two runs with the same --as-of differ")
	}
	// -o writes the same document to a file.
	file := filepath.Join(t.TempDir(), "ssp.json")
	if _, stderr, code := runCLI(t, append(args, "-o", file)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != out {
		t.Errorf("-o wrote %d bytes (%v); stdout had %d", len(data), err, len(out))
	}
}

func TestExportOSCALErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no system", []string{"export", "oscal-ssp"}, 1, "system"},
		{"unknown framework", []string{"export", "oscal-ssp", "-s", "examples/serverless-webshop.yaml", "-f", "nist-800-53"}, 2, "unknown framework"},
		{"bad as-of", []string{"export", "oscal-ssp", "-s", "examples/serverless-webshop.yaml", "--as-of", "25/11/2026"}, 1, "--as-of"},
		{"bad status", []string{"export", "oscal-ssp", "-s", "examples/serverless-webshop.yaml", "--status", "live"}, 2, "unknown system status"},
		{"no service", []string{"export", "oscal-component-definition"}, 1, "--service"},
		{"both", []string{"export", "oscal-component-definition", "--service", "aws/rds", "--provider", "aws"}, 1, "exclude each other"},
		{"unknown service", []string{"export", "oscal-component-definition", "--service", "aws/rdss"}, 2, `unknown service "aws/rdss"`},
		{"unknown provider", []string{"export", "oscal-component-definition", "--provider", "oracle"}, 2, `unknown provider "oracle"`},
		{"responsibility unknown service", []string{"export", "oscal-responsibility", "--service", "nope/x"}, 2, "unknown service"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) || out != "" {
				t.Errorf("exit %d, stderr %q, %d bytes out; want exit %d mentioning %q", code, stderr, len(out), c.code, c.want)
			}
		})
	}
}

func TestExportOSCALComponentDefinition(t *testing.T) {
	out, stderr, code := runCLI(t, "export", "oscal-component-definition", "--service", "aws/rds", "--framework", "nist-800-53-r5", "--framework", "iso-27001-2022", "--as-of", "2026-11-25")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := checkOSCAL(t, out)
	comps := doc["component-definition"].(map[string]any)["components"].([]any)
	if len(comps) != 1 || len(comps[0].(map[string]any)["control-implementations"].([]any)) != 2 {
		t.Errorf("want one component with two control implementations, got %d components", len(comps))
	}
	out, stderr, code = runCLI(t, "export", "oscal-component-definition", "--provider", "gcp", "-f", "soc2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc = checkOSCAL(t, out)
	if n := len(doc["component-definition"].(map[string]any)["components"].([]any)); n < 5 {
		t.Errorf("--provider gcp gave %d components", n)
	}
}

// A service exported as a leveraged plan imports back as a library file
// that demarc loads.
func TestExportResponsibilityImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "lambda.json")
	lib := filepath.Join(dir, "lambda.yaml")
	if _, stderr, code := runCLI(t, "export", "oscal-responsibility", "--service", "aws/lambda", "--as-of", "2026-11-25", "-o", plan); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	checkOSCAL(t, string(data))
	_, stderr, code := runCLI(t, "import", "oscal-ssp", plan, "-o", lib)
	if code != 0 || !strings.Contains(stderr, "area rules of aws/lambda (faas)") || strings.Contains(stderr, "defects") {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	if out, stderr, code := runCLI(t, "validate", lib); code != 0 {
		t.Fatalf("the imported library file does not validate: %s%s", out, stderr)
	}
}

// NIST's prototype imports with its defects reported; --strict refuses it;
// --report lists every defect.
func TestImportOSCALSSPPrototype(t *testing.T) {
	csp := realdata.Path(t, "oscal/prototype-srm/example.ssp.csp.json")
	dir := t.TempDir()
	lib, report := filepath.Join(dir, "csp.yaml"), filepath.Join(dir, "report.json")
	_, stderr, code := runCLI(t, "import", "oscal-ssp", csp, "--provider", "csp", "--service", "cloud", "--model", "iaas", "--report", report, "-o", lib)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"imported 82 provided and 82 responsibility statements on 44 controls", "defects of", "× schema: expected an RFC 4122 version 4 or 5 UUID", "$.system-security-plan.uuid"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	var r struct {
		Defects []struct{ Path, Value, Expected string } `json:"defects"`
	}
	data, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &r) != nil || len(r.Defects) < 500 {
		t.Fatalf("report: %v, %d defects", err, len(r.Defects))
	}
	if out, stderr, code := runCLI(t, "validate", lib); code != 0 {
		t.Fatalf("the imported library file does not validate: %s%s", out, stderr)
	}
	strict := filepath.Join(dir, "strict.yaml")
	_, stderr, code = runCLI(t, "import", "oscal-ssp", csp, "--model", "iaas", "--strict", "-o", strict)
	if code != 2 || !strings.Contains(stderr, "--strict") {
		t.Errorf("--strict: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(strict); err == nil {
		t.Error("--strict wrote a file")
	}
}

// The CSP → MSP → application chain, through the command line: two
// imports and a matrix over them.
func TestImportOSCALSSPChain(t *testing.T) {
	csp := realdata.Path(t, "oscal/prototype-srm/example.ssp.csp.json")
	msp := realdata.Path(t, "oscal/prototype-srm/example.ssp.msp.json")
	dir := t.TempDir()
	cspLib, mspLib, system := filepath.Join(dir, "csp.yaml"), filepath.Join(dir, "msp.yaml"), filepath.Join(dir, "app.yaml")
	if _, stderr, code := runCLI(t, "import", "oscal-ssp", csp, "--provider", "csp", "--service", "cloud", "--model", "iaas", "-o", cspLib); code != 0 {
		t.Fatalf("csp: exit %d: %s", code, stderr)
	}
	_, stderr, code := runCLI(t, "import", "oscal-ssp", msp, "--leveraged", csp, "--provider", "msp", "--service", "platform", "--model", "paas", "-o", mspLib)
	if code != 0 || !strings.Contains(stderr, "note: leverages Cloud Service Provider System Security Plan") {
		t.Fatalf("msp: exit %d: %s", code, stderr)
	}
	sys := "name: app-on-msp\ncomponents:\n  - name: app\n    service: generic/paas\n    runs_on: platform\n  - name: platform\n    service: msp/platform\n    runs_on: infra\n  - name: infra\n    service: csp/cloud\n"
	if err := os.WriteFile(system, []byte(sys), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "--library", cspLib, "--library", mspLib, "matrix", "--system", system, "--family", "sc", "--format", "json")
	if code != 0 {
		t.Fatalf("matrix: exit %d: %s", code, stderr)
	}
	var m struct {
		Controls []struct {
			ID       string `json:"id"`
			Provider []struct {
				Party      struct{ Name string } `json:"party"`
				Components []string              `json:"components"`
			} `json:"provider"`
		} `json:"controls"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Controls {
		if c.ID != "sc-7" {
			continue
		}
		for _, p := range c.Provider {
			if p.Party.Name != "csp" || len(p.Components) != 3 {
				t.Errorf("sc-7: provider part by %s on %v; the CSP's network lies beneath all three components", p.Party.Name, p.Components)
			}
		}
		return
	}
	t.Error("no sc-7 in the matrix")
}

func TestImportOSCALSSPErrors(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.json")
	if err := os.WriteFile(truncated, []byte("{\n  \"system-security-plan\": {\n    \"uuid\": "), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"import", "oscal-ssp"}, 1, "one OSCAL FILE"},
		{"missing", []string{"import", "oscal-ssp", "nope.json"}, 2, "cannot read nope.json"},
		{"truncated", []string{"import", "oscal-ssp", truncated}, 2, "truncated.json:3:"},
		{"profile", []string{"import", "oscal-ssp", realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_LOW-baseline_profile.json")}, 2, "this is an OSCAL profile"},
		{"no model", []string{"import", "oscal-ssp", realdata.Path(t, "oscal/trestle/leveraged_ssp.json")}, 1, "--model"},
		{"bad model", []string{"import", "oscal-ssp", realdata.Path(t, "oscal/trestle/leveraged_ssp.json"), "--model", "mainframe"}, 2, `"mainframe"`},
		{"exports nothing", []string{"import", "oscal-ssp", realdata.Path(t, "oscal/trestle/leveraging_ssp.json"), "--model", "saas"}, 2, "exports nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) || out != "" {
				t.Errorf("exit %d, stderr %q, %d bytes out; want exit %d mentioning %q", code, stderr, len(out), c.code, c.want)
			}
		})
	}
}

// The YAML a user gets names where it came from.
func TestImportOSCALSSPOutput(t *testing.T) {
	out, stderr, code := runCLI(t, "import", "oscal-ssp", realdata.Path(t, "oscal/trestle/leveraged_ssp.json"), "--model", "iaas", "--provider", "acme", "--service", "iaas")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# Imported from leveraged_ssp.json (OSCAL 1.0.0 system-security-plan)", "- id: acme\n", "- id: acme/iaas\n", "model: iaas", "area: identity.account-lifecycle"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !bytes.Contains([]byte(stderr), []byte("checked against 1.0.6")) {
		t.Errorf("stderr does not say which schema checked the plan: %s", stderr)
	}
}
