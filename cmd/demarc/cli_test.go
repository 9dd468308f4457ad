package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// repoRoot is the repository root, where users run demarc from.
var repoRoot, _ = filepath.Abs("../..")

// runCLI runs demarc from the repository root, as a user would.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Chdir(repoRoot)
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// Golden tests: the exact output users see, for each command and format.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"matrix-azure-iso-table", []string{"matrix", "--system", "examples/azure-enterprise-app.yaml", "--framework", "iso-27001-2022"}, 0},
		{"matrix-azure-iso-csv", []string{"matrix", "--system", "examples/azure-enterprise-app.yaml", "--framework", "iso-27001-2022", "--format", "csv"}, 0},
		{"matrix-azure-iso-markdown", []string{"matrix", "-s", "examples/azure-enterprise-app.yaml", "-f", "iso-27001-2022", "-F", "markdown"}, 0},
		{"matrix-gke-si-family-json", []string{"matrix", "--system", "examples/gcp-kubernetes-platform.yaml", "--family", "si", "--format", "json"}, 0},
		{"matrix-gke-shared-yaml", []string{"matrix", "--system", "examples/gcp-kubernetes-platform.yaml", "--framework", "cis-v8", "--owner", "customer", "--format", "yaml"}, 0},
		{"explain-gke-si-2", []string{"explain", "--system", "examples/gcp-kubernetes-platform.yaml", "si-2"}, 0},
		{"explain-gke-area-json", []string{"explain", "--system", "examples/gcp-kubernetes-platform.yaml", "os.patching", "--format", "json"}, 0},
		{"explain-azure-markdown", []string{"explain", "--system", "examples/azure-enterprise-app.yaml", "A.8.24", "--framework", "iso-27001-2022", "--format", "markdown"}, 0},
		{"library-list-models", []string{"library", "list", "models"}, 0},
		{"library-list-frameworks", []string{"library", "list", "frameworks"}, 0},
		{"library-show-area", []string{"library", "show", "os.patching"}, 0},
		{"validate-examples", []string{"validate", "examples/azure-enterprise-app.yaml", "examples/gcp-kubernetes-platform.yaml"}, 0},
		{"validate-bad", []string{"validate", "cmd/demarc/testdata/bad-system.yaml"}, 2},
		{"unknown-framework", []string{"matrix", "--system", "examples/azure-enterprise-app.yaml", "--framework", "iso27001"}, 2},
		{"unknown-control", []string{"explain", "--system", "examples/azure-enterprise-app.yaml", "si-99"}, 2},
		{"explain-finds-framework", []string{"explain", "--system", "examples/azure-enterprise-app.yaml", "SC-28"}, 0},
		{"missing-system-flag", []string{"matrix"}, 1},
		{"unknown-flag", []string{"matrix", "--sytem", "x.yaml"}, 1},
		{"unknown-command", []string{"matrx"}, 1},
		{"bad-format", []string{"matrix", "--system", "examples/azure-enterprise-app.yaml", "--format", "pdf"}, 1},
		{"missing-file", []string{"matrix", "--system", "examples/nope.yaml"}, 2},
		{"gaps-webshop-table", []string{"gaps", "--system", "examples/serverless-webshop.yaml", "--as-of", "2026-11-25"}, 0},
		{"gaps-webshop-pci-lapsed-json", []string{"gaps", "-s", "examples/serverless-webshop.yaml", "-f", "pci-dss-4", "--as-of", "2026-11-16", "--kind", "unsupported-inheritance", "-F", "json"}, 0},
		{"gaps-fail-on-high", []string{"gaps", "-s", "examples/serverless-webshop.yaml", "--as-of", "2026-11-25", "--severity", "high", "--fail-on", "high"}, 3},
		{"gaps-azure-csv", []string{"gaps", "-s", "examples/azure-enterprise-app.yaml", "--as-of", "2026-11-25", "-F", "csv"}, 0},
		{"gaps-chain-markdown", []string{"gaps", "-s", "examples/saas-vendor-chain.yaml", "--as-of", "2026-11-25", "-F", "markdown"}, 0},
		{"gaps-bad-date", []string{"gaps", "-s", "examples/saas-vendor-chain.yaml", "--as-of", "25/11/2026"}, 1},
		{"risk-webshop", []string{"risk", "-s", "examples/serverless-webshop.yaml", "--as-of", "2026-11-25"}, 0},
		{"risk-lift-yaml", []string{"risk", "-s", "examples/lift-and-shift.yaml", "--as-of", "2026-11-25", "-F", "yaml"}, 0},
		{"incident-webshop-credentials", []string{"incident", "-s", "examples/serverless-webshop.yaml", "--type", "compromised-cloud-credentials"}, 0},
		{"incident-azure-all-markdown", []string{"incident", "-s", "examples/azure-enterprise-app.yaml", "-F", "markdown"}, 0},
		{"incident-unknown-type", []string{"incident", "-s", "examples/azure-enterprise-app.yaml", "--type", "ransomware"}, 2},
		{"telemetry-gke-needs-enabling-csv", []string{"telemetry", "-s", "examples/gcp-kubernetes-platform.yaml", "--coverage", "needs-enabling", "-F", "csv"}, 0},
		{"telemetry-webshop-json", []string{"telemetry", "-s", "examples/serverless-webshop.yaml", "-F", "json"}, 0},
		{"diff-lift-to-lambda", []string{"diff", "examples/lift-and-shift.yaml", "--swap", "app-servers=aws/lambda"}, 0},
		{"diff-two-files-json", []string{"diff", "examples/azure-enterprise-app.yaml", "examples/gcp-kubernetes-platform.yaml", "-F", "json"}, 0},
		{"diff-bad-swap", []string{"diff", "examples/lift-and-shift.yaml", "--swap", "app-server=aws/lambda"}, 2},
		{"diff-no-swap", []string{"diff", "examples/lift-and-shift.yaml"}, 1},
		{"compare-paas", []string{"compare", "--model", "paas"}, 0},
		{"matrix-oscal-profile", []string{"matrix", "-s", "examples/serverless-webshop.yaml", "-f", "oscal/testdata/select_profile.json"}, 0},
		{"matrix-two-frameworks-not-xlsx", []string{"matrix", "-s", "examples/serverless-webshop.yaml", "-f", "soc2,pci-dss-4"}, 1},
		{"compare-databases-markdown", []string{"compare", "--services", "aws/rds,azure/sql-database,gcp/cloud-sql", "--differ-only", "-F", "markdown"}, 0},
		{"compare-unknown-provider", []string{"compare", "--model", "iaas", "--providers", "aws,oracle"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit code = %d, want %d\nstderr: %s", code, c.code, stderr)
			}
			got := fmt.Sprintf("$ demarc %s\n%s", strings.Join(c.args, " "), stdout)
			if stderr != "" {
				got += "--- stderr\n" + stderr
			}
			golden(t, c.name, got)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("cmd", "demarc", "testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/demarc -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return ""
}

// Every command has help with examples.
func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range [][]string{{"matrix"}, {"explain"}, {"library"}, {"library", "list"}, {"library", "show"}, {"validate"}, {"schema"},
		{"gaps"}, {"risk"}, {"incident"}, {"telemetry"}, {"diff"}, {"compare"}, {"report"}} {
		stdout, _, code := runCLI(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:") {
			t.Errorf("demarc %s --help: code %d, no examples:\n%s", strings.Join(cmd, " "), code, stdout)
		}
	}
}

// The report command writes one HTML file.
func TestReportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	_, stderr, code := runCLI(t, "report", "--system", "examples/azure-enterprise-app.yaml", "--as-of", "2026-11-25", "-o", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `id="heatmap"`) || !strings.HasPrefix(string(data), "<!DOCTYPE html>") {
		t.Errorf("not a report: %.200s", data)
	}
}

// matrix --format xlsx writes one sheet per framework the system lists.
func TestMatrixWorkbook(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.xlsx")
	_, stderr, code := runCLI(t, "matrix", "--system", "examples/serverless-webshop.yaml", "--format", "xlsx", "-o", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	wb, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sheets := strings.Join(wb.GetSheetList(), ",")
	for _, fw := range []string{"nist-800-53-r5", "pci-dss-4", "iso-27001-2022"} {
		if !strings.Contains(sheets, fw) {
			t.Errorf("sheets %s lack %s", sheets, fw)
		}
	}
}
