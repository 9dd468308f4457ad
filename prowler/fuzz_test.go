package prowler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

// FuzzParse feeds the parser corrupted mapping files, seeded from the real
// ones cut down to a few requirements: it must return an error or a
// mapping whose every requirement has an id and a place, never panic; and
// mapping and building the framework must not panic either.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Framework": "CIS", "Version": "1", "Provider": "AWS", "Requirements": [{"Id": "1.1", "Checks": ["iam_root_mfa_enabled"], "Attributes": [{"Section": "1 IAM"}]}]}`))
	f.Add([]byte(`{"framework": "CIS-Controls", "requirements": [{"id": "1.1", "attributes": {"Section": "1. Inventory"}, "checks": {"aws": []}}]}`))
	f.Add([]byte(`{"Framework": "X", "Requirements": [{"Id": "1", "Checks": "s3"}, null, {"Id": "1"}]}`))
	if dir := realdata.Dir(); dir != "" {
		for _, name := range []string{"cis_controls_8.1.json", "ccc_aws.json", "nist_800_53_revision_5_aws.json", "fedramp_moderate_revision_4_aws.json"} {
			if data, err := os.ReadFile(filepath.Join(dir, dataDir, name)); err == nil {
				f.Add(excerpt(f, data, 4))
			}
		}
	}
	lib, err := library.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.json", data)
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error without the invalid code: %v", err)
			}
			return
		}
		for _, r := range m.Requirements {
			if r.ID == "" || r.Path == "" || r.Line < 1 || r.Manual != (len(r.Checks) == 0) {
				t.Fatalf("bad requirement %+v", r)
			}
		}
		matched, err := Map(m, lib, MapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		imp := Framework(m, matched, FrameworkOptions{})
		if len(imp.Left)+len(imp.Framework.Controls) != len(m.Requirements) {
			t.Fatalf("%d left out and %d controls for %d requirements", len(imp.Left), len(imp.Framework.Controls), len(m.Requirements))
		}
	})
}

// excerpt keeps the first n requirements of a real mapping file.
func excerpt(t testing.TB, data []byte, n int) []byte {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"Requirements", "requirements"} {
		if reqs, ok := doc[key].([]any); ok && len(reqs) > n {
			doc[key] = reqs[:n]
		}
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
