package rego

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc/internal/realdata"
)

// inputNames are the file names the fuzzers try, one per reader.
var inputNames = []string{"x.json", "x.yaml", "x.tf", "x.ndjson", "x.template"}

// FuzzDecodeFile feeds bytes to conftest-compatible input readers: they
// must return documents or an error, never panic.
func FuzzDecodeFile(f *testing.F) {
	seeds := []string{"testdata/inputs/pods.yaml", "testdata/inputs/public-plan.json", "testdata/inputs/alb/main.tf"}
	if dir := realdata.Dir(); dir != "" {
		for _, rel := range []string{
			"configs/fugue-regula/rego/tests/rules/cfn/s3/inputs/valid_encryption_infra.yaml",
			"configs/fugue-regula/rego/tests/rules/tf/aws/s3/inputs/bucket_sse_infra.json",
			"configs/fugue-regula/rego/tests/rules/tf/aws/security_groups/inputs/invalidTwoSecurityGroupsOpen.tf",
			"configs/fugue-regula/rego/tests/rules/k8s/host_ipc_namespace/inputs/invalid_example.yaml",
		} {
			seeds = append(seeds, filepath.Join(dir, rel))
		}
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		for i, n := range inputNames {
			if strings.HasSuffix(s, filepath.Ext(n)) {
				f.Add(uint8(i), data)
			}
		}
	}
	f.Add(uint8(1), []byte("a: &x [*x]\n"))
	f.Add(uint8(1), []byte("<<: [1]\n"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := inputNames[int(kind)%len(inputNames)]
		start := time.Now()
		docs, err := decodeFile(name, data)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s: %d bytes took %s", name, len(data), d)
		}
		if err != nil {
			return
		}
		for _, d := range docs {
			if d.input == nil {
				t.Fatalf("%s: a document without input", name)
			}
		}
	})
}

// FuzzLoadPolicy feeds bytes as a Rego file: it loads with problems or
// policies, never a panic.
func FuzzLoadPolicy(f *testing.F) {
	for _, dir := range []string{"testdata/policies", "testdata/bad", "testdata/loop"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.rego"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "p.rego")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		set, problems := Load([]string{p}, LoadOptions{})
		for _, pb := range problems {
			if pb.Pos.File == "" {
				t.Errorf("a problem without a file: %v", pb)
			}
		}
		for _, pol := range set.Policies() {
			if pol.ID == "" || pol.Severity.Rank() == 0 {
				t.Errorf("policy %+v", pol)
			}
		}
	})
}
