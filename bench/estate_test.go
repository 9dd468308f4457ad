package bench_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/demarc-io/demarc/bench"
	"github.com/demarc-io/demarc/library"
)

func TestGeneratedEstateResolves(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bench.Generate(&buf, lib, 50, 20, 1); err != nil {
		t.Fatal(err)
	}
	tot, err := bench.Run(context.Background(), &buf, "estate.yaml", lib, lib.Framework("nist-800-53-r5"))
	if err != nil {
		t.Fatal(err)
	}
	if tot.Systems != 50 {
		t.Fatalf("systems = %d, want 50", tot.Systems)
	}
	if tot.Owners["shared"] == 0 || tot.Owners["customer"] == 0 {
		t.Errorf("owner counts look wrong: %v", tot.Owners)
	}
}

// BenchmarkEstate is the end-to-end estate run for 1,000 systems of 20
// components (parse, check, resolve, roll up to 800-53); the full
// 10,000-system figure comes from ./bench/cmd/estate.
func BenchmarkEstate(b *testing.B) {
	lib, err := library.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bench.Generate(&buf, lib, 1000, 20, 1); err != nil {
		b.Fatal(err)
	}
	fw := lib.Framework("nist-800-53-r5")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bench.Run(context.Background(), bytes.NewReader(buf.Bytes()), "estate.yaml", lib, fw); err != nil {
			b.Fatal(err)
		}
	}
}
