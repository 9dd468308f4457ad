package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// Golden tests of the OSCAL commands: importing catalogs and profiles,
// validating OSCAL documents. Paths into the reference data are shown as
// $DATA.
func TestOSCALGolden(t *testing.T) {
	data := func(rel string) string { return realdata.Path(t, "oscal/"+rel) }
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"oscal-import-catalog", []string{"import", "oscal-catalog", "oscal/testdata/abc_catalog.json"}, 0},
		{"oscal-import-profile", []string{"import", "oscal-profile", "oscal/testdata/select_profile.json", "--id", "abc-select"}, 0},
		{"oscal-import-profile-strict", []string{"import", "oscal-profile", "oscal/testdata/include_all_profile.yaml", "--strict"}, 2},
		{"oscal-import-remote-without-catalog", []string{"import", "oscal-profile", data("fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")}, 2},
		{"oscal-import-cycle", []string{"import", "oscal-profile", "oscal/testdata/cycle_a_profile.json"}, 2},
		{"oscal-import-wrong-model", []string{"import", "oscal-catalog", "oscal/testdata/select_profile.json"}, 2},
		{"oscal-import-truncated", []string{"import", "oscal-catalog", "oscal/testdata/truncated_catalog.json"}, 2},
		{"oscal-import-no-file", []string{"import", "oscal-catalog"}, 1},
		{"oscal-validate-ok", []string{"validate", "oscal/testdata/leveraged_ssp.json", "oscal/testdata/leveraging_ssp.json", "oscal/testdata/abc_catalog.json",
			"--leveraged", "oscal/testdata/leveraged_ssp.json", "--catalog", "oscal/testdata/abc_catalog.json"}, 0},
		{"oscal-validate-broken-references", []string{"validate", "oscal/testdata/broken_leveraging_ssp.json",
			"--leveraged", "oscal/testdata/leveraged_ssp.json", "--catalog", "oscal/testdata/select_profile.json"}, 2},
		{"oscal-validate-unchecked-json", []string{"validate", "oscal/testdata/leveraging_ssp.json", "-F", "json"}, 0},
		{"oscal-validate-public", []string{"validate", data("trestle/leveraging_ssp.json"), data("nist/examples/example-component.json"), data("nist/NIST_SP-800-53_rev5_catalog_2021.json"), data("fedramp/fedramp_values.json")}, 2},
		{"oscal-validate-truncated", []string{"validate", "oscal/testdata/truncated_catalog.json"}, 2},
		{"oscal-validate-missing-leveraged", []string{"validate", "oscal/testdata/leveraging_ssp.json", "--leveraged", "oscal/testdata/nope.json"}, 2},
	}
	dir := realdata.Dir()
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
			golden(t, c.name, strings.ReplaceAll(got, dir, "$DATA"))
		})
	}
}

// The published baselines become frameworks a system's matrix is computed
// for: import with -o, then matrix --library.
func TestImportedBaselinesDriveTheMatrix(t *testing.T) {
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	cases := []struct {
		profile string
		id      string
		count   int
	}{
		{"fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json", "fedramp-moderate", 323},
		{"fedramp/FedRAMP_rev5_LI-SaaS-baseline_profile.json", "fedramp-li-saas", 156},
		{"nist/NIST_SP-800-53_rev5_HIGH-baseline_profile.json", "nist-high", 370},
		{"nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json", "nist-privacy", 96},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			lib := filepath.Join(t.TempDir(), c.id+".yaml")
			_, stderr, code := runCLI(t, "import", "oscal-profile", realdata.Path(t, "oscal/"+c.profile), "--catalog", catalog, "--id", c.id, "-o", lib)
			if code != 0 {
				t.Fatalf("import: exit %d\n%s", code, stderr)
			}
			if want := fmt.Sprintf("imported %d controls (0 withdrawn) as framework %s; 1 warning", c.count, c.id); !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
			stdout, stderr, code := runCLI(t, "matrix", "--library", lib, "--framework", c.id, "--system", "examples/serverless-webshop.yaml", "--format", "json")
			if code != 0 {
				t.Fatalf("matrix: exit %d\n%s", code, stderr)
			}
			var m struct {
				Framework string `json:"framework"`
				Controls  []struct {
					ID    string `json:"id"`
					Owner string `json:"owner"`
				} `json:"controls"`
			}
			if err := json.Unmarshal([]byte(stdout), &m); err != nil {
				t.Fatal(err)
			}
			if m.Framework != c.id || len(m.Controls) != c.count {
				t.Errorf("matrix of %s with %d controls, want %s with %d", m.Framework, len(m.Controls), c.id, c.count)
			}
			for _, ctl := range m.Controls {
				if ctl.Owner == "" {
					t.Errorf("%s has no owner", ctl.ID)
				}
			}
		})
	}
}

// A failed import writes no file.
func TestFailedImportWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lib.yaml")
	_, _, code := runCLI(t, "import", "oscal-profile", "oscal/testdata/missing_profile.json", "-o", out)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was written: %v", out, err)
	}
}

// Every file of NIST's prototype chain is OSCAL to 'validate', and every
// one is reported invalid.
func TestValidatePrototypeFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(realdata.Path(t, "oscal/prototype-srm"), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no prototype files: %v", err)
	}
	stdout, stderr, code := runCLI(t, append([]string{"validate", "-F", "json"}, files...)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	var reports []fileReport
	if err := json.Unmarshal([]byte(stdout), &reports); err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Valid || !strings.HasPrefix(r.Kind, "oscal") || len(r.Problems) == 0 {
			t.Errorf("%s: kind %q, valid %v, %d problems", r.File, r.Kind, r.Valid, len(r.Problems))
		}
	}
}

func TestOSCALHelpHasExamples(t *testing.T) {
	for _, cmd := range [][]string{{"import", "oscal-catalog"}, {"import", "oscal-profile"}} {
		stdout, _, code := runCLI(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:") {
			t.Errorf("demarc %s --help: code %d, no examples:\n%s", strings.Join(cmd, " "), code, stdout)
		}
	}
}
