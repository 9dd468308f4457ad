package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// addSeeds adds the files matching the patterns as fuzzing seeds: real
// files under configs/ in the data folder, and the package's fixtures.
func addSeeds(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		if strings.HasPrefix(p, "configs/") {
			dir := realdata.Dir()
			if dir == "" {
				continue
			}
			p = filepath.Join(dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
}

// fuzzParse parses data as format and checks what must hold of any
// snapshot read; a panic fails the fuzzer by itself.
func fuzzParse(t *testing.T, name, format string, data []byte) {
	s, err := ParseBytes(name, format, data)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("an error without a message")
		}
		return
	}
	checkSnapshot(t, name, s)
	for _, p := range s.Problems {
		if p.Message == "" {
			t.Fatalf("a problem without a message: %+v", p)
		}
	}
}

func FuzzDetect(f *testing.F) {
	addSeeds(f, "configs/fugue-regula/pkg/loader/test_inputs/data/*", "configs/hashicorp-terraform-json/testdata/basic/*.json",
		"testdata/*.json", "testdata/*.ndjson", "testdata/*.tfstate")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "input", "", data) })
}

func FuzzTerraformHCL(f *testing.F) {
	addSeeds(f, "configs/fugue-regula/rego/tests/rules/tf/aws/*/inputs/*.tf", "configs/fugue-regula/pkg/loader/tf_test/*/*.tf",
		"configs/hashicorp-terraform-json/testdata/*/*.tf", "configs/aquasecurity-trivy-checks/examples/*/main.tf")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "main.tf", FormatTerraform, data) })
}

func FuzzCloudFormation(f *testing.F) {
	addSeeds(f, "configs/fugue-regula/rego/tests/rules/cfn/*/inputs/*", "configs/fugue-regula/pkg/loader/test_inputs/data/cfn*",
		"configs/aquasecurity-trivy-checks/examples/cloudformation/*.json")
	f.Add([]byte("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: !If [C, !Sub '${A.Arn}', !Ref AWS::NoValue]\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "template.yaml", FormatCloudFormation, data) })
}

func FuzzKubernetes(f *testing.F) {
	addSeeds(f, "configs/fugue-regula/rego/tests/rules/k8s/*/inputs/*.yaml", "configs/aquasecurity-trivy-checks/examples/kubernetes/*.yaml")
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, "manifest.yaml", FormatKubernetes, data) })
}

func FuzzTerraformPlanAndState(f *testing.F) {
	addSeeds(f, "configs/hashicorp-terraform-json/testdata/*/plan.json", "configs/hashicorp-terraform-json/testdata/*/*state*",
		"configs/fugue-regula/rego/tests/examples/aws/inputs/*.json", "testdata/plan_s3.json", "testdata/state_*")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, "plan.json", FormatTerraformPlan, data)
		fuzzParse(t, "state.json", FormatTerraformState, data)
	})
}

func FuzzInventory(f *testing.F) {
	addSeeds(f, "testdata/aws_config_*.json", "testdata/gcp_assets.ndjson", "testdata/azure_resource_graph.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzParse(t, "config.json", FormatAWSConfig, data)
		fuzzParse(t, "assets.ndjson", FormatGCPAsset, data)
		fuzzParse(t, "graph.json", FormatAzureResourceGraph, data)
	})
}
