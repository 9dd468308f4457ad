package azurebaseline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc/internal/realdata"
)

// BenchmarkRead reads one real baseline workbook and builds its statement.
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(realdata.Path(b, dataDir), "key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		wb, err := Read("key-vault.xlsx", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewStatement(wb, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkbook builds a one-row workbook in memory and reads it, as
// the row fuzzer does.
func BenchmarkWorkbook(b *testing.B) {
	for b.Loop() {
		data := workbook(b, map[string][][]string{FeatureSheet: {header, row("NS-2", "Customer", "Azure Private Link", "True", "False")}})
		if _, err := Read("x.xlsx", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
