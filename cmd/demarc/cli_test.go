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
		{"matrix-azure-iso-markdown", []string{"matrix", "-s", "examples/azure-enterprise-app.yaml", "-f", "iso-27001-2022", "-o", "markdown"}, 0},
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
	for _, cmd := range [][]string{{"matrix"}, {"explain"}, {"library"}, {"library", "list"}, {"library", "show"}, {"validate"}, {"schema"}} {
		stdout, _, code := runCLI(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:") {
			t.Errorf("demarc %s --help: code %d, no examples:\n%s", strings.Join(cmd, " "), code, stdout)
		}
	}
}
