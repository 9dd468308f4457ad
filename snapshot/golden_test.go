package snapshot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden compares the whole snapshot of real files with the golden
// JSON in testdata/golden; go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	files := []string{
		"configs/aquasecurity-trivy-checks/examples/terraform-plan/tfplan.json",
		"configs/aquasecurity-trivy-checks/examples/terraform",
		"configs/aquasecurity-trivy-checks/examples/cloudformation/template.json",
		"configs/aquasecurity-trivy-checks/examples/kubernetes/deployment.yaml",
		"configs/fugue-regula/pkg/loader/test_inputs/data/cfn_intrinsics.yaml",
		"configs/fugue-regula/pkg/loader/tf_test/tfvars-01",
		"configs/hashicorp-terraform-json/testdata/110_sensitive_values/plan.json",
		"configs/hashicorp-terraform-json/testdata/has_changes/terraform.tfstate",
	}
	dir := realdata.Path(t, "configs")
	dir = filepath.Dir(dir)
	for _, f := range files {
		s, err := Read(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = bytes.ReplaceAll(got, []byte(dir+string(filepath.Separator)), nil)
		golden := filepath.Join("testdata", "golden", strings.ReplaceAll(f, "/", "_")+".golden.json")
		if *update {
			if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGolden -update)", err)
		}
		if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
			t.Errorf("%s differs from %s; rerun with -update and review the diff", f, golden)
		}
	}
}
