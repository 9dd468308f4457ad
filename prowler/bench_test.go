package prowler

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// BenchmarkImport parses, maps and builds the largest mapping in the data
// folder (C5, 610 requirements, 720 KB).
func BenchmarkImport(b *testing.B) {
	path := filepath.Join(realdata.Path(b, dataDir), "c5_aws.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lib := builtin(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		m, err := Parse(path, data)
		if err != nil {
			b.Fatal(err)
		}
		matched, err := Map(m, lib, MapOptions{})
		if err != nil {
			b.Fatal(err)
		}
		Framework(m, matched, FrameworkOptions{})
	}
}
