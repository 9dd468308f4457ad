package ssp_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
)

// trimmed returns a real plan cut down to its first requirements, a seed
// small enough to mutate quickly.
func trimmed(t testing.TB, rel string, keep int) []byte {
	data, err := os.ReadFile(realdata.Path(t, "oscal/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, model := range v {
		m := model.(map[string]any)
		cis := []any{m["control-implementation"]}
		if comps, ok := m["components"].([]any); ok {
			cis = comps[0].(map[string]any)["control_implementations"].([]any)
		}
		for _, ci := range cis {
			c := ci.(map[string]any)
			reqs := c["implemented-requirements"].([]any)
			c["implemented-requirements"] = reqs[:keep]
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzRead feeds Read and Import arbitrary documents: they must fail with
// EInvalid or succeed, never panic; every defect names a JSON path and an
// expectation; every import loads as a library file.
func FuzzRead(f *testing.F) {
	f.Add(trimmed(f, "trestle/leveraged_ssp.json", 2))
	f.Add(trimmed(f, "trestle/leveraging_ssp.json", 1))
	f.Add(trimmed(f, "prototype-srm/example.ssp.msp.json", 1))
	f.Add(trimmed(f, "prototype-srm/example.ssp.csp.sr.json", 1))
	f.Add([]byte("system-security-plan:\n  metadata:\n    oscal-version: 1.1.3\n  control-implementation:\n    implemented-requirements:\n      - control-id: ac-2\n"))
	lib, err := library.Builtin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ssp.Read("fuzz.json", data)
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("error with code %s: %v", demarc.ErrorCode(err), err)
			}
			return
		}
		for _, d := range doc.Defects {
			if !strings.HasPrefix(d.Path, "$") || d.Expected == "" || d.Document != "fuzz.json" {
				t.Fatalf("defect without a place or an expectation: %+v", d)
			}
		}
		st, err := ssp.Import(lib, doc, ssp.ImportOptions{Provider: "fuzz", Service: "svc", Model: demarc.ModelIaaS})
		if err != nil {
			if demarc.ErrorCode(err) != demarc.EInvalid {
				t.Fatalf("import error with code %s: %v", demarc.ErrorCode(err), err)
			}
			return
		}
		var buf bytes.Buffer
		if err := st.WriteYAML(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := library.ParseFile("fuzz.yaml", buf.Bytes()); err != nil {
			t.Fatalf("imported statement does not parse as a library file: %v\n%s", err, buf.String())
		}
	})
}
