package main

import (
	"context"
	"testing"

	"github.com/demarc-io/demarc/check"
)

// The workload is what the benchmark claims: the asked number of distinct
// policies, the asked number of records, and results of every kind.
func TestWorkload(t *testing.T) {
	r, err := run(context.Background(), 5000, 300, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if r.policies != 300 || r.records < 5000 || r.snapshots < 5 {
		t.Errorf("%d policies, %d records in %d snapshots", r.policies, r.records, r.snapshots)
	}
	for _, s := range []check.Status{check.Pass, check.Fail, check.Indeterminate, check.NotApplicable} {
		if r.counts[s] == 0 {
			t.Errorf("no %s results: %v", s, r.counts)
		}
	}
}

// BenchmarkCheck runs the end-to-end workload on 50,000 records per
// iteration; 'go run ./bench/check' runs the full million.
func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		r, err := run(context.Background(), 50_000, 300, 10_000)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.records)/r.elapsed.Seconds(), "records/s")
	}
}
