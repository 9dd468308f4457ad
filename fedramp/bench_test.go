package fedramp

import (
	"io"
	"testing"
)

// BenchmarkBuild composes the HIGH baseline's CIS and CRM (one row per
// statement part) for the example system with the most components.
func BenchmarkBuild(b *testing.B) {
	res := resolveExample(b, "serverless-webshop.yaml")
	base, err := LookupBaseline("high")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(res, base, Options{Date: day}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteXLSX writes that workbook.
func BenchmarkWriteXLSX(b *testing.B) {
	w := build(b, "serverless-webshop.yaml", "high", Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteXLSX(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
