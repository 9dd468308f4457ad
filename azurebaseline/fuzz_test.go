package azurebaseline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// FuzzRead feeds the reader corrupted workbooks, seeded from real ones:
// it must return an error or a workbook, never panic.
func FuzzRead(f *testing.F) {
	small := workbook(f, map[string][][]string{FeatureSheet: {header, row("NS-2", "Customer", "Azure Private Link", "True", "False")}})
	f.Add(small)
	f.Add(small[:len(small)-20])
	if dir := realdata.Dir(); dir != "" {
		for _, name := range []string{"azure-advisor", "key-vault"} {
			data, err := os.ReadFile(filepath.Join(dir, dataDir, name+"-azure-security-benchmark-v3-latest-security-baseline.xlsx"))
			if err == nil {
				f.Add(data)
				f.Add(data[:len(data)*3/4])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wb, err := Read("fuzz.xlsx", bytes.NewReader(data))
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		checkRows(t, wb)
	})
}

// FuzzRow feeds the row reader arbitrary cells under the real headings:
// a row is read or reported, never both, never neither.
func FuzzRow(f *testing.F) {
	f.Add("NS-2", "Customer", "Azure Private Link", "True", "False")
	f.Add("None", "Shared", "Service Native Backup Capability", "True", "False")
	f.Add("PV-2", "Shared", "No Related Feature", "No Related Feature", "No Related Feature")
	f.Add("AM-5", "Not Applicable", "Custom VM Images", "Not Applicable", "Not Applicable")
	f.Add("xx", "", "", "", "")
	_, cols := findHeader([][]string{header})
	wb := &Workbook{File: "fuzz.xlsx", Service: "azure/fuzz"}
	f.Fuzz(func(t *testing.T, control, resp, feature, supported, enabled string) {
		r, problems := wb.readRow(FeatureSheet, 2, row(control, resp, feature, supported, enabled), cols)
		if len(problems) > 0 {
			for _, p := range problems {
				if p.Pos.File != "fuzz.xlsx" || !strings.HasPrefix(p.Field, `sheet "Feature Summary" row 2: `) {
					t.Fatalf("problem without a place: %+v", p)
				}
			}
			return
		}
		if !r.Owner.Valid() || r.Row != 2 || r.Areas == nil || (r.Control == "" && r.Feature == "" && strings.TrimSpace(control) != "" && !strings.EqualFold(strings.TrimSpace(control), "none")) {
			t.Fatalf("bad row %+v from %q %q %q %q %q", r, control, resp, feature, supported, enabled)
		}
		if _, err := NewStatement(&Workbook{File: "fuzz.xlsx", Service: "azure/fuzz", Rows: []Row{r}}, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}

func checkRows(t *testing.T, wb *Workbook) {
	t.Helper()
	for _, r := range wb.Rows {
		if !r.Owner.Valid() || r.Row < 1 || r.Areas == nil {
			t.Fatalf("bad row %+v", r)
		}
	}
	for _, p := range wb.Problems {
		if p.Pos.File != "fuzz.xlsx" || p.Field == "" {
			t.Fatalf("problem without a place: %+v", p)
		}
	}
}
