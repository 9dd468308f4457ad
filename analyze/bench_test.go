package analyze_test

import (
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// BenchmarkAnalyzeWebshop is everything 'demarc report' computes for the
// webshop example against 800-53: gaps, risks, incident plans, telemetry.
func BenchmarkAnalyzeWebshop(b *testing.B) {
	lib, err := library.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/serverless-webshop.yaml", lib)
	if err != nil {
		b.Fatal(err)
	}
	engine := resolve.New(lib)
	fw := lib.Framework("nist-800-53-r5")
	asOf, _ := demarc.ParseDate("2026-11-25")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := engine.Resolve(sys)
		if err != nil {
			b.Fatal(err)
		}
		an := analyze.New(res, fw, analyze.Options{AsOf: asOf})
		gaps := an.Gaps()
		an.Risks(gaps)
		if _, err := an.Incidents(""); err != nil {
			b.Fatal(err)
		}
		an.Telemetry()
	}
}
