package resolve_test

import (
	"bytes"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/bench"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// benchSystem returns a generated system of 20 components with runs_on
// chains, drawn from the whole library.
func benchSystem(b *testing.B) (*library.Library, *demarc.System) {
	lib, err := library.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bench.Generate(&buf, lib, 1, 20, 7); err != nil {
		b.Fatal(err)
	}
	doc, err := systemfile.NewStream("bench.yaml", &buf).Next()
	if err != nil {
		b.Fatal(err)
	}
	sys, err := doc.Parse()
	if err != nil {
		b.Fatal(err)
	}
	return lib, sys
}

// One system of 20 components against all of 800-53 rev5, with every
// control's parts: the full matrix a user asks for.
func BenchmarkMatrix80053(b *testing.B) {
	lib, sys := benchSystem(b)
	engine := resolve.New(lib)
	fw := lib.Framework("nist-800-53-r5")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := engine.Resolve(sys)
		if err != nil {
			b.Fatal(err)
		}
		if m := res.Matrix(fw); len(m.Controls) < 1000 {
			b.Fatal("short matrix")
		}
	}
}

// Resolution alone: every area on every component.
func BenchmarkResolve(b *testing.B) {
	lib, sys := benchSystem(b)
	engine := resolve.New(lib)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := engine.Resolve(sys); err != nil {
			b.Fatal(err)
		}
	}
}

// The owners-only roll-up used for estates.
func BenchmarkOwners80053(b *testing.B) {
	lib, sys := benchSystem(b)
	engine := resolve.New(lib)
	fw := lib.Framework("nist-800-53-r5")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := engine.Resolve(sys)
		if err != nil {
			b.Fatal(err)
		}
		res.Owners(fw)
	}
}

func BenchmarkNewEngine(b *testing.B) {
	lib, err := library.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		resolve.New(lib)
	}
}
