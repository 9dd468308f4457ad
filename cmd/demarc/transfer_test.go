package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

// cliCase is one run of demarc and what a user would check of it.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout []string // stdout contains each
	stderr []string // stderr contains each
}

func (c cliCase) run(t *testing.T) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, c.args...)
	if code != c.code {
		t.Errorf("exit code = %d, want %d\nstderr: %s", code, c.code, stderr)
	}
	for _, s := range c.stdout {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%.2000s", s, stdout)
		}
	}
	for _, s := range c.stderr {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("stderr shows a panic:\n%s", stderr)
	}
	return stdout
}

func TestExportFedRAMP(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "crm.xlsx")
	cases := []cliCase{
		{name: "xlsx", args: []string{"export", "fedramp-crm", "--system", "examples/serverless-webshop.yaml", "--baseline", "moderate", "--date", "2026-11-25", "-o", xlsx},
			stderr: []string{"wrote " + xlsx + ": 323 CIS rows, 688 CRM rows"}},
		{name: "csv", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml", "-b", "low", "--format", "csv", "--whole-controls"},
			stdout: []string{"Control ID,Can Be Inherited from CSP,Specific Inheritance and Customer Agency/CSP Responsibilities\n", "PE-3,Yes,\"Inherited from the CSP (aws):"}},
		{name: "json with gaps", args: []string{"export", "fedramp-crm", "-s", "examples/saas-vendor-chain.yaml", "-b", "LOW", "-F", "json", "--date", "2026-11-25"},
			stdout: []string{`"baseline": "low"`, `"date": "2026-11-25"`, `"label": "SI-12"`},
			stderr: []string{"warning: 2 control(s) have unassigned or conflicting areas", "AU-11, SI-12"}},
		{name: "unknown baseline", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml", "-b", "medium"}, code: exitUsage,
			stderr: []string{`unknown FedRAMP baseline "medium"; known: low, moderate, high, li-saas`}},
		{name: "missing baseline", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml"}, code: exitUsage,
			stderr: []string{`required flag(s) "baseline" not set`}},
		{name: "bad date", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml", "-b", "low", "--date", "25/11/2026", "-F", "csv"}, code: exitUsage,
			stderr: []string{"--date: \"25/11/2026\" is not a date"}},
		{name: "workbook named csv", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml", "-b", "low", "-o", filepath.Join(dir, "crm.csv")}, code: exitUsage,
			stderr: []string{"a workbook's file name should end in .xlsx"}},
		{name: "missing system", args: []string{"export", "fedramp-crm", "-s", "examples/nope.yaml", "-b", "low", "-F", "csv"}, code: exitInvalid},
		{name: "bad format", args: []string{"export", "fedramp-crm", "-s", "examples/serverless-webshop.yaml", "-b", "low", "-F", "pdf"}, code: exitUsage,
			stderr: []string{"expected one of xlsx, csv, json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := c.run(t)
			if c.name == "csv" {
				recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 157 { // the header and LOW's 156 controls
					t.Errorf("%d CSV records", len(recs))
				}
			}
		})
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"CIS", "CRM", "Notes"}) {
		t.Errorf("sheets = %v", got)
	}
	if v, _ := f.GetCellValue("CRM", "B7"); v != "No" {
		t.Errorf("CRM!B7 = %q", v)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".demarc-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if _, err := os.Stat(filepath.Join(dir, "crm.csv")); !os.IsNotExist(err) {
		t.Error("a refused workbook left a file")
	}
}

func azureFile(t *testing.T, service string) string {
	return filepath.Join(realdata.Path(t, "azure-security-baselines-v3"), service+"-azure-security-benchmark-v3-latest-security-baseline.xlsx")
}

func TestImportAzureBaseline(t *testing.T) {
	dir := t.TempDir()
	kv, search := azureFile(t, "key-vault"), azureFile(t, "azure-cognitive-search")
	data, err := os.ReadFile(kv)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.xlsx")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	badRows := filepath.Join(dir, "bad-rows.xlsx")
	writeWorkbook(t, badRows, "Feature Summary", [][]string{
		{"Control Domain", "ASB Control ID", "Responsibility", "Feature Name", "Feature Supported", "Feature Enabled by Default"},
		{"Network Security", "NS-2", "Partner", "Azure Private Link", "True", "False"},
		{"Network Security", "NS-2", "Customer", "Azure Private Link", "True", "False"},
	})
	wrongSheet := filepath.Join(dir, "wrong-sheet.xlsx")
	writeWorkbook(t, wrongSheet, "Features", [][]string{{"a"}})
	library := filepath.Join(dir, "search.yaml")
	cases := []cliCase{
		{name: "library file", args: []string{"import", "azure-baseline", search, "-o", library},
			stderr: []string{"→ azure/cognitive-search (paas): 35 rows, 13 area rules"}},
		{name: "rows as json", args: []string{"import", "azure-baseline", kv, "--format", "json"},
			stdout: []string{`"service": "azure/key-vault"`, `"control": "IM-1"`, `"feature": "Azure AD Authentication Required for Data Plane Access"`, `"owner": "provider"`, `"sheet": "Feature Summary"`, `"row": 2`},
			stderr: []string{"azure/key-vault is already in the library"}},
		{name: "service and model", args: []string{"import", "azure-baseline", kv, "--service", "azure/kv-imported", "--model", "saas"},
			stdout: []string{"id: azure/kv-imported", "model: saas"}},
		{name: "service with two files", args: []string{"import", "azure-baseline", kv, search, "--service", "azure/x"}, code: exitUsage},
		{name: "bad model", args: []string{"import", "azure-baseline", kv, "--model", "cloud"}, code: exitUsage},
		{name: "bad service id", args: []string{"import", "azure-baseline", kv, "--service", "aws/kv"}, code: exitInvalid, stderr: []string{`service id "aws/kv" should be azure/`}},
		{name: "no files", args: []string{"import", "azure-baseline"}, code: exitUsage},
		{name: "missing file", args: []string{"import", "azure-baseline", filepath.Join(dir, "nope.xlsx")}, code: exitInvalid, stderr: []string{"cannot read " + filepath.Join(dir, "nope.xlsx")}},
		{name: "truncated", args: []string{"import", "azure-baseline", truncated}, code: exitInvalid, stderr: []string{truncated + ": not an XLSX workbook"}},
		{name: "wrong sheet", args: []string{"import", "azure-baseline", wrongSheet}, code: exitInvalid, stderr: []string{`no "Feature Summary" sheet (sheets: Features)`}},
		{name: "bad rows", args: []string{"import", "azure-baseline", badRows}, code: exitInvalid,
			stderr: []string{"1 row(s) could not be read (--skip-bad imports the rest)", badRows + `: sheet "Feature Summary" row 2: Responsibility: "Partner" is not one of`}},
		{name: "bad rows skipped", args: []string{"import", "azure-baseline", badRows, "--skip-bad"},
			stdout: []string{"area: network.segmentation"}, stderr: []string{"warning: row left out: " + badRows + `: sheet "Feature Summary" row 2`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
	// The imported service resolves in a system.
	sys := filepath.Join(dir, "system.yaml")
	if err := os.WriteFile(sys, []byte("name: search-app\ncomponents:\n  - name: search\n    service: azure/cognitive-search\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cliCase{name: "use the import", args: []string{"--library", library, "matrix", "--system", sys, "--format", "csv"},
		stdout: []string{"search-app,nist-800-53-r5,sc-28,"}}.run(t)
}

func writeWorkbook(t *testing.T, path, sheet string, rows [][]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
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
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestImportProwler(t *testing.T) {
	dir := t.TempDir()
	data := realdata.Path(t, "prowler-compliance")
	cis := filepath.Join(data, "cis_3.0_azure.json")
	raw, err := os.ReadFile(cis)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.json")
	if err := os.WriteFile(truncated, raw[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	badReq := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badReq, []byte("{\"Framework\": \"X\", \"Requirements\": [\n{\"Id\": \"1\", \"Checks\": [\"iam_root_mfa_enabled\"]},\n{\"Id\": \"2\", \"Checks\": \"s3_bucket_public\"}]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, checks := filepath.Join(dir, "cis.yaml"), filepath.Join(dir, "cis.checks.json")
	cases := []cliCase{
		{name: "library file", args: []string{"import", "prowler", cis, "-o", out, "--checks-out", checks},
			stderr: []string{"cis_3.0_azure.json → framework cis-3.0-azure (legacy shape)", "159 requirements (46 manual", "warning: 10.1 (Requirements[158], line 3479) maps to no area"}},
		{name: "json", args: []string{"import", "prowler", filepath.Join(data, "cis_controls_8.1.json"), "-F", "json"},
			stdout: []string{`"shape": "current"`, `"matched_ids_in": "cis-v8"`, `"id": "1.1"`, `"manual": false`, `"iam_cloud_asset_inventory_enabled"`, `"areas_from": "cis-v8 1.1"`}},
		{name: "repeats", args: []string{"import", "prowler", filepath.Join(data, "nist_800_53_revision_5_aws.json"), "--id", "nist-aws"},
			stdout: []string{"  - id: nist-aws\n"}, stderr: []string{`Requirements[167].Id: repeats id "ia_5_1_h"`}},
		{name: "match none", args: []string{"import", "prowler", filepath.Join(data, "iso27001_2022_gcp.json"), "--match", "none", "-F", "json"},
			stdout: []string{`"framework": "iso27001-2022-gcp"`}, stderr: []string{"mapped to areas through their checks"}},
		{name: "unknown match", args: []string{"import", "prowler", cis, "--match", "cis-v9"}, code: exitInvalid, stderr: []string{`unknown framework "cis-v9"`}},
		{name: "bad id", args: []string{"import", "prowler", cis, "--id", "CIS Azure"}, code: exitUsage},
		{name: "truncated", args: []string{"import", "prowler", truncated}, code: exitInvalid, stderr: []string{truncated + ": line 20, column 163: the file ends early (truncated?)"}},
		{name: "bad requirement", args: []string{"import", "prowler", badReq}, code: exitInvalid,
			stderr: []string{"1 requirement(s) could not be read", badReq + ":3: Requirements[1]: Checks: expected a list of check names, found a JSON string"}},
		{name: "bad requirement skipped", args: []string{"import", "prowler", badReq, "--skip-bad"},
			stdout: []string{"  - id: \"1\"\n"}, stderr: []string{"warning: requirement left out: " + badReq + ":3"}},
		{name: "two files", args: []string{"import", "prowler", cis, cis}, code: exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := library.ParseFile(out, written); err != nil {
		t.Errorf("the framework does not parse as a library file: %v", err)
	}
	var side struct {
		Framework    string
		Requirements []struct {
			ID     string
			Checks map[string][]string
			Manual bool
		}
	}
	b, err := os.ReadFile(checks)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&side); err != nil {
		t.Fatal(err)
	}
	if side.Framework != "cis-3.0-azure" || len(side.Requirements) != 159 || side.Requirements[0].ID != "2.3" || side.Requirements[0].Checks["azure"][0] != "entra_policy_ensure_default_user_cannot_create_tenants" {
		t.Errorf("checks file: %+v", side.Requirements[0])
	}
	// The framework is usable in a matrix.
	cliCase{name: "use the import", args: []string{"--library", out, "matrix", "--system", "examples/azure-enterprise-app.yaml", "--framework", "cis-3.0-azure", "--format", "csv"},
		stdout: []string{"claims-portal,cis-3.0-azure,2.3,2.3,"}}.run(t)
}
