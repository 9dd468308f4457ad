package oscal

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

func builtin(t testing.TB) *library.Library {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// Each control takes the built-in mapping of the same id; an enhancement
// the library lacks takes its parent's areas, a control its family's, and
// a control nothing maps is left out — each said in a warning.
func TestImportMapsAreas(t *testing.T) {
	lib := builtin(t)
	fw, warnings, err := ImportFramework("testdata/abc_catalog.json", lib, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nist := lib.Framework(DefaultAreasFrom)
	byID := map[demarc.ControlID]demarc.Control{}
	for _, c := range fw.Controls {
		byID[c.ID] = c
	}
	cases := []struct {
		id        demarc.ControlID
		areas     []demarc.AreaID
		areasFrom string
		withdrawn bool
	}{
		{"ac-1", libControl(t, lib, "ac-1").Areas, libControl(t, lib, "ac-1").AreasFrom, false},
		{"ac-2", libControl(t, lib, "ac-2").Areas, "", false},
		{"ac-2.1", libControl(t, lib, "ac-2").Areas, "parent ac-2", false},
		{"ac-2.10", nil, "", true},
		{"ac-2.99", libControl(t, lib, "ac-2").Areas, "parent ac-2", false},
		{"ac-99", familyAreas(nist, "ac"), "family ac", false},
		{"pe-3", libControl(t, lib, "pe-3").Areas, libControl(t, lib, "pe-3").AreasFrom, false},
	}
	for _, c := range cases {
		got, ok := byID[c.id]
		if !ok {
			t.Errorf("%s missing", c.id)
			continue
		}
		if !reflect.DeepEqual(got.Areas, c.areas) || got.AreasFrom != c.areasFrom || got.Withdrawn != c.withdrawn {
			t.Errorf("%s: areas %v from %q withdrawn %v; want %v from %q withdrawn %v", c.id, got.Areas, got.AreasFrom, got.Withdrawn, c.areas, c.areasFrom, c.withdrawn)
		}
	}
	if _, ok := byID["zz-1"]; ok {
		t.Error("zz-1, which nothing maps, was kept")
	}
	for _, want := range []string{
		"ac-2.99 (Test Enhancement Unknown to the Library) is not in nist-800-53-r5; it takes the areas of ac-2",
		"ac-99 (Test Control Unknown to the Library) is not in nist-800-53-r5; it takes the areas of family ac",
		`zz-1 (Unmapped Control) maps to no area: nist-800-53-r5 has no control zz-1, no mapped parent and no family "zz"; it is left out of the framework`,
	} {
		if !containsText(warnings, want) {
			t.Errorf("warnings %q\nlack %q", warnings, want)
		}
	}
	if fw.ID != "abc" || fw.Title != "ABC Test Catalog" || len(fw.Families) != 2 {
		t.Errorf("framework %s %q with %d families; want abc, its title, and the 2 families that hold kept controls", fw.ID, fw.Title, len(fw.Families))
	}
}

func libControl(t *testing.T, lib *library.Library, id demarc.ControlID) *demarc.Control {
	t.Helper()
	c := lib.Control(DefaultAreasFrom, id)
	if c == nil {
		t.Fatalf("the built-in framework lacks %s", id)
	}
	return c
}

func familyAreas(fw *demarc.Framework, id string) []demarc.AreaID {
	for _, f := range fw.Families {
		if f.ID == id {
			return f.Areas
		}
	}
	return nil
}

func TestImportOptionsAndFailures(t *testing.T) {
	lib := builtin(t)
	cases := []struct {
		name string
		path string
		opts ImportOptions
		want string
	}{
		{"strict", "testdata/abc_catalog.json", ImportOptions{Strict: true}, "1 control maps to no area (--strict): zz-1"},
		{"nothing maps", "testdata/abc_catalog.json", ImportOptions{AreasFrom: "iso-27001-2022"}, "none of the 8 controls of testdata/abc_catalog.json maps to an area through iso-27001-2022"},
		{"unknown mapping framework", "testdata/abc_catalog.json", ImportOptions{AreasFrom: "nist-800-53-r9"}, `framework "nist-800-53-r9", whose areas imported controls take, is not in the library`},
		{"bad id", "testdata/abc_catalog.json", ImportOptions{ID: "My Framework"}, `framework id "My Framework"`},
		{"wrong model", "testdata/select_profile.json", ImportOptions{Model: Catalog}, "testdata/select_profile.json is an OSCAL profile; expected a catalog"},
		{"an SSP", "testdata/leveraged_ssp.json", ImportOptions{}, "is an OSCAL system-security-plan; expected a catalog or a profile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ImportFramework(c.path, lib, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	fw, _, err := ImportFramework("testdata/select_profile.json", lib, ImportOptions{ID: "abc-select"})
	if err != nil || fw.ID != "abc-select" {
		t.Errorf("got %v, %v; want framework abc-select", fw, err)
	}
}

func TestFrameworkID(t *testing.T) {
	cases := map[string]demarc.FrameworkID{
		"FedRAMP_rev5_MODERATE-baseline_profile.json":                         "fedramp-rev5-moderate-baseline",
		"NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json":      "nist-sp-800-53-rev5-low-baseline",
		"dir/My Catalog (v2).yaml":                                            "my-catalog-v2",
		"___.json":                                                            "oscal",
		"NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json": "nist-sp-800-53-rev5-high-baseline-resolved-profile-catalog-min",
	}
	for in, want := range cases {
		if got := frameworkID(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// The library file WriteLibrary writes loads back to the same framework —
// every control with the same areas — and a system's matrix can be
// computed for it.
func TestWriteLibraryRoundTrip(t *testing.T) {
	lib := builtin(t)
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	for _, path := range []string{"testdata/abc_catalog.json", realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json"),
		realdata.Path(t, "oscal/fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")} {
		fw, _, err := ImportFramework(path, lib, ImportOptions{Catalog: catalog})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteLibrary(&buf, fw, "imported for a test\nsecond line"); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "# imported for a test\n# second line\nframeworks:\n") {
			t.Errorf("the file starts %q", buf.String()[:60])
		}
		f, err := library.ParseFile("imported.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("%s: the written file does not parse: %v", path, err)
		}
		extended, err := library.Extend(f)
		if err != nil {
			t.Fatalf("%s: the written file does not load: %v", path, err)
		}
		loaded := extended.Framework(fw.ID)
		if len(loaded.Controls) != len(fw.Controls) {
			t.Fatalf("%s: %d controls loaded, %d imported", path, len(loaded.Controls), len(fw.Controls))
		}
		for i, c := range fw.Controls {
			l := loaded.Controls[i]
			if l.ID != c.ID || !reflect.DeepEqual(l.Areas, c.Areas) || l.Withdrawn != c.Withdrawn || l.Parent != c.Parent {
				t.Errorf("%s: %s loads as %+v, imported as %+v", path, c.ID, l, c)
			}
		}
		sys, err := systemfile.Load("../examples/serverless-webshop.yaml", extended)
		if err != nil {
			t.Fatal(err)
		}
		res, err := resolve.New(extended).Resolve(sys)
		if err != nil {
			t.Fatal(err)
		}
		m := res.Matrix(loaded)
		if len(m.Controls) != len(fw.Controls)-countWithdrawn(fw.Controls) {
			t.Errorf("%s: matrix of %d controls, want every control that is not withdrawn", path, len(m.Controls))
		}
	}
}

// An enhancement whose parent a profile does not select stands alone.
func TestEnhancementWithoutItsParent(t *testing.T) {
	fw, _, err := ImportFramework(realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json"), builtin(t),
		ImportOptions{Catalog: realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fw.Controls {
		if c.ID == "ac-3.14" {
			if c.Parent != "" || len(c.Areas) == 0 {
				t.Errorf("ac-3.14: parent %q, areas %v; want no parent (ac-3 is not selected) and its own areas", c.Parent, c.Areas)
			}
			return
		}
	}
	t.Error("ac-3.14 missing from the privacy baseline")
}
