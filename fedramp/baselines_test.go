package fedramp

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

var update = flag.Bool("update", false, "rewrite baselines.json from the FedRAMP profiles and the NIST catalog")

// The profiles FedRAMP publishes, by baseline id.
var profileFiles = []struct{ id, file string }{
	{"low", "FedRAMP_rev5_LOW-baseline_profile.json"},
	{"moderate", "FedRAMP_rev5_MODERATE-baseline_profile.json"},
	{"high", "FedRAMP_rev5_HIGH-baseline_profile.json"},
	{"li-saas", "FedRAMP_rev5_LI-SaaS-baseline_profile.json"},
}

const nistCatalog = "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json"

// The embedded baselines are exactly what FedRAMP's profiles select, and
// the parts exactly the statement items of NIST's catalog.
func TestBaselinesMatchProfiles(t *testing.T) {
	want := deriveBaselines(t)
	data, err := json.MarshalIndent(want, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile("baselines.json", data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(data, baselinesJSON) {
		t.Fatal("baselines.json differs from the FedRAMP profiles; run go test ./fedramp -run TestBaselinesMatchProfiles -update")
	}
}

func deriveBaselines(t *testing.T) baselineData {
	parts, version := catalogParts(t)
	out := baselineData{Catalog: "NIST SP 800-53 Rev 5 " + version, Parts: map[string][]string{}}
	for _, pf := range profileFiles {
		var doc struct {
			Profile struct {
				Metadata struct{ Title, Version string }
				Imports  []struct {
					IncludeControls []struct {
						WithIDs []string `json:"with-ids"`
					} `json:"include-controls"`
					ExcludeControls []any `json:"exclude-controls"`
				}
			}
		}
		readJSON(t, realdata.Path(t, "oscal/fedramp/"+pf.file), &doc)
		if len(doc.Profile.Imports) != 1 || len(doc.Profile.Imports[0].ExcludeControls) > 0 {
			t.Fatalf("%s: expected one import without exclusions", pf.file)
		}
		b := &Baseline{ID: pf.id, Title: doc.Profile.Metadata.Title, Version: doc.Profile.Metadata.Version}
		for _, inc := range doc.Profile.Imports[0].IncludeControls {
			for _, id := range inc.WithIDs {
				b.Controls = append(b.Controls, demarc.ControlID(id))
				p, ok := parts[id]
				if !ok {
					t.Fatalf("%s selects %s, which NIST's catalog lacks", pf.file, id)
				}
				if len(p) > 0 {
					out.Parts[id] = p
				}
			}
		}
		out.Baselines = append(out.Baselines, b)
	}
	return out
}

// catalogParts returns, for every control of NIST's catalog, the labels of
// its statement's top-level items.
func catalogParts(t *testing.T) (map[string][]string, string) {
	type part struct {
		ID    string
		Name  string
		Parts []part
	}
	type control struct {
		ID       string
		Parts    []part
		Controls []control
	}
	var doc struct {
		Catalog struct {
			Metadata struct{ Version string }
			Groups   []struct{ Controls []control }
		}
	}
	readJSON(t, realdata.Path(t, nistCatalog), &doc)
	out := map[string][]string{}
	var walk func(cs []control)
	walk = func(cs []control) {
		for _, c := range cs {
			labels := []string{}
			for _, p := range c.Parts {
				if p.Name != "statement" {
					continue
				}
				for _, item := range p.Parts {
					_, label, ok := strings.Cut(item.ID, "_smt.")
					if !ok || strings.Contains(label, ".") {
						t.Fatalf("%s: unexpected statement item id %q", c.ID, item.ID)
					}
					labels = append(labels, label)
				}
			}
			out[c.ID] = labels
			walk(c.Controls)
		}
	}
	for _, g := range doc.Catalog.Groups {
		walk(g.Controls)
	}
	return out, doc.Catalog.Metadata.Version
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
}

// Every baseline control exists, not withdrawn, in the built-in 800-53
// framework, so the workbook never has to leave a control out.
func TestBaselinesResolveAgainstBuiltinFramework(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Baselines()
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := map[string]int{"low": 156, "moderate": 323, "high": 410, "li-saas": 156}
	for _, b := range bs {
		if got := len(b.Controls); got != wantCounts[b.ID] {
			t.Errorf("%s: %d controls, want %d", b.ID, got, wantCounts[b.ID])
		}
		for _, id := range b.Controls {
			c := lib.Control("nist-800-53-r5", id)
			switch {
			case c == nil:
				t.Errorf("%s: %s is not in the built-in nist-800-53-r5 framework", b.ID, id)
			case c.Withdrawn:
				t.Errorf("%s: %s is withdrawn in the built-in framework", b.ID, id)
			}
		}
	}
	// Higher baselines contain the lower ones.
	low, _ := LookupBaseline("low")
	mod, _ := LookupBaseline("MODERATE")
	high, _ := LookupBaseline("high")
	for _, pair := range [][2]*Baseline{{low, mod}, {mod, high}} {
		for _, id := range pair[0].Controls {
			if !slices.Contains(pair[1].Controls, id) {
				t.Errorf("%s is in %s but not in %s", id, pair[0].ID, pair[1].ID)
			}
		}
	}
}

func TestLookupBaselineUnknown(t *testing.T) {
	_, err := LookupBaseline("medium")
	if demarc.ErrorCode(err) != demarc.ENotFound || !strings.Contains(err.Error(), "low, moderate, high, li-saas") {
		t.Fatalf("err = %v", err)
	}
}

func TestLabel(t *testing.T) {
	cases := []struct {
		id   demarc.ControlID
		part string
		want string
	}{
		{"ac-2", "", "AC-2"},
		{"ac-2", "a", "AC-2(a)"},
		{"ac-2.12", "", "AC-2(12)"},
		{"ia-5.1", "h", "IA-5(1)(h)"},
		{"SC-7", "", "SC-7"},
	}
	for _, c := range cases {
		if got := Label(c.id, c.part); got != c.want {
			t.Errorf("Label(%s, %q) = %s, want %s", c.id, c.part, got, c.want)
		}
	}
	parts := Parts("ac-2")
	sort.Strings(parts)
	if strings.Join(parts, "") != "abcdefghijkl" {
		t.Errorf("Parts(ac-2) = %v", parts)
	}
	if Parts("ac-2.1") != nil {
		t.Errorf("Parts(ac-2.1) = %v, want none", Parts("ac-2.1"))
	}
}
