package rego

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/snapshot"
)

// BenchmarkEngine evaluates the test policies (4 packages, 8 rules) over
// a real plan, a multi-document manifest and Terraform source, 100 times
// each per iteration, on every core.
func BenchmarkEngine(b *testing.B) {
	set, problems := Load([]string{"testdata/policies"}, LoadOptions{})
	if len(problems) > 0 {
		b.Fatal(problems)
	}
	var snaps []*demarc.Snapshot
	for _, in := range []string{realdata.Path(b, "configs/fugue-regula/rego/tests/rules/tf/aws/s3/inputs/bucket_sse_infra.json"), "testdata/inputs/pods.yaml", "testdata/inputs/alb"} {
		s, err := snapshot.Read(in)
		if err != nil {
			b.Fatal(err)
		}
		for range 100 {
			snaps = append(snaps, s)
		}
	}
	e := NewEngine(set, Options{})
	results := 0
	for b.Loop() {
		err := check.CheckSnapshots(context.Background(), e, snaps, func(bt check.Batch) { results += len(bt.Results) })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(snaps)*b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(results)/b.Elapsed().Seconds(), "results/s")
}

// BenchmarkDecode converts one file of each kind to Rego input.
func BenchmarkDecode(b *testing.B) {
	files := map[string]string{
		"plan": realdata.Path(b, "configs/fugue-regula/rego/tests/rules/tf/aws/iam/inputs/user_attached_policy_infra.json"),
		"yaml": realdata.Path(b, "configs/fugue-regula/rego/tests/rules/cfn/s3/inputs/valid_encryption_infra.yaml"),
		"hcl":  realdata.Path(b, "configs/fugue-regula/rego/tests/rules/tf/aws/security_groups/inputs/invalidTwoSecurityGroupsOpen.tf"),
	}
	for name, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := decodeFile(filepath.Base(path), data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad parses, compiles and prepares the test policies.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, problems := Load([]string{"testdata/policies"}, LoadOptions{}); len(problems) > 0 {
			b.Fatal(problems)
		}
	}
}
