package oscal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// resolveIDs resolves a file and returns the selected control ids in
// order, and the notes.
func resolveIDs(t *testing.T, path, catalog string) ([]string, []string) {
	t.Helper()
	r := newResolver(catalog)
	set, err := r.resolve(fileTarget(path))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(set.list))
	for i, e := range set.list {
		ids[i] = e.id
	}
	return ids, r.notes
}

// Each selection rule of OSCAL profile resolution, on a small catalog.
func TestResolveSelection(t *testing.T) {
	all := []string{"ac-1", "ac-2", "ac-2.1", "ac-2.10", "ac-2.99", "ac-99", "pe-3", "zz-1"}
	cases := []struct {
		profile string
		want    []string
		note    string
	}{
		{"abc_catalog.json", all, ""},
		// No include rule means every control.
		{"include_all_profile.yaml", all, ""},
		// with-ids with child controls, a pattern, an exclusion; the
		// back-matter resource's XML link is skipped for its JSON one.
		{"select_profile.json", []string{"ac-1", "ac-2", "ac-2.1", "ac-2.99", "pe-3"}, ""},
		// A profile of a profile; excluding ac-2 with its children.
		{"nested_profile.json", []string{"ac-1"}, ""},
		// A catalog embedded in the back-matter as base64.
		{"embedded_profile.json", []string{"ac-1", "si-2"}, ""},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			got, notes := resolveIDs(t, filepath.Join("testdata", c.profile), "")
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if len(notes) > 0 {
				t.Errorf("unexpected notes %q", notes)
			}
		})
	}
}

// Parts that a profile's alterations add become statement ids of the
// resolved control.
func TestResolveAddsAlteredParts(t *testing.T) {
	r := newResolver("")
	set, err := r.resolve(fileTarget("testdata/nested_profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range set.byID["ac-1"].parts {
		ids = append(ids, p.id)
	}
	want := []string{"ac-1_smt", "ac-1_smt.a", "ac-1_smt.b", "ac-1_gdn", "ac-1_fr"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("ac-1 parts %v, want %v", ids, want)
	}
	// The catalog's own entry is left as it was.
	cat, err := r.resolve(fileTarget("testdata/abc_catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cat.byID["ac-1"].parts); n != 4 {
		t.Errorf("the catalog's ac-1 has %d parts after the profile altered it, want 4", n)
	}
}

func TestResolveErrors(t *testing.T) {
	cases := []struct {
		profile, catalog string
		code             string
		want             []string
	}{
		{"cycle_a_profile.json", "", demarc.EInvalid, []string{"cyclic profile imports: cycle_a_profile.json → cycle_b_profile.json → cycle_a_profile.json"}},
		{"remote_profile.json", "", demarc.ENotFound, []string{`imports[0].href "https://example.com/oscal/abc_catalog.json"`, "is remote", "never fetches from the network", "--catalog FILE"}},
		{"missing_profile.json", "", demarc.ENotFound, []string{"nowhere/abc_catalog.json does not exist (looked for testdata/nowhere/abc_catalog.json)", "--catalog FILE"}},
		{"bad_pattern_profile.json", "", demarc.EInvalid, []string{`matching pattern "ac-[" is malformed`}},
		{"remote_profile.json", "testdata/leveraged_ssp.json", demarc.EInvalid, []string{"is an OSCAL system-security-plan; expected a catalog or a profile"}},
		{"no_such_profile.json", "", demarc.ENotFound, []string{"cannot read OSCAL document testdata/no_such_profile.json"}},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			_, err := newResolver(c.catalog).resolve(fileTarget(filepath.Join("testdata", c.profile)))
			if err == nil {
				t.Fatal("no error")
			}
			if demarc.ErrorCode(err) != c.code {
				t.Errorf("code %q, want %q: %v", demarc.ErrorCode(err), c.code, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// A stand-in catalog replaces an import that is not local, and the notes
// say so — as they say which selected ids the catalog lacks.
func TestResolveWithStandInCatalog(t *testing.T) {
	got, notes := resolveIDs(t, "testdata/remote_profile.json", "testdata/abc_catalog.json")
	if !reflect.DeepEqual(got, []string{"ac-1"}) {
		t.Errorf("got %v, want [ac-1]", got)
	}
	for _, want := range []string{"is not available locally (https://example.com/oscal/abc_catalog.json is remote); read testdata/abc_catalog.json instead (--catalog)",
		`names control "ac-3", which abc_catalog.json does not have`} {
		if !containsText(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

// NIST's and FedRAMP's published baselines resolve against NIST's
// catalog to exactly the controls of the resolved catalogs they publish.
func TestPublishedBaselinesResolve(t *testing.T) {
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	cases := []struct {
		profile, resolved string
		count             int
	}{
		{"nist/NIST_SP-800-53_rev5_LOW-baseline_profile.json", "nist/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json", 149},
		{"nist/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json", "nist/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json", 287},
		{"nist/NIST_SP-800-53_rev5_HIGH-baseline_profile.json", "nist/NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json", 370},
		{"nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json", "", 96},
		{"fedramp/FedRAMP_rev5_LOW-baseline_profile.json", "fedramp/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json", 156},
		{"fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json", "", 323},
		{"fedramp/FedRAMP_rev5_HIGH-baseline_profile.json", "", 410},
		{"fedramp/FedRAMP_rev5_LI-SaaS-baseline_profile.json", "", 156},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.profile), func(t *testing.T) {
			got, notes := resolveIDs(t, realdata.Path(t, "oscal/"+c.profile), catalog)
			if len(got) != c.count {
				t.Errorf("%d controls, want %d", len(got), c.count)
			}
			// Every selected id exists in the catalog: the only note is
			// the stand-in catalog.
			if len(notes) != 1 || !strings.Contains(notes[0], "--catalog") {
				t.Errorf("notes %q; want only the stand-in catalog's", notes)
			}
			want := sortedCopy(got)
			if c.resolved != "" {
				want = publishedIDs(t, realdata.Path(t, "oscal/"+c.resolved))
			}
			if g := sortedCopy(got); !reflect.DeepEqual(g, want) {
				t.Errorf("resolved ids differ from the published resolution:\ngot  %v\nwant %v", g, want)
			}
		})
	}
	// The profile's own catalog link is tried first: NIST's profiles name
	// a catalog that is not beside them here, FedRAMP's a web address.
	_, err := newResolver("").resolve(fileTarget(realdata.Path(t, "oscal/fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json")))
	if err == nil || !strings.Contains(err.Error(), "https://raw.githubusercontent.com/usnistgov/oscal-content/v1.2.0/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json is remote") {
		t.Errorf("got %v, want the remote catalog named", err)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// publishedIDs reads the control ids of a resolved catalog with the
// standard library, independently of this package.
func publishedIDs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type control struct {
		ID       string    `json:"id"`
		Controls []control `json:"controls"`
	}
	type grp struct {
		Controls []control `json:"controls"`
		Groups   []grp     `json:"groups"`
	}
	var doc struct {
		Catalog struct {
			grp
		} `json:"catalog"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var walkControls func([]control)
	walkControls = func(cs []control) {
		for _, c := range cs {
			ids = append(ids, c.ID)
			walkControls(c.Controls)
		}
	}
	var walkGroups func(grp)
	walkGroups = func(g grp) {
		walkControls(g.Controls)
		for _, sub := range g.Groups {
			walkGroups(sub)
		}
	}
	walkGroups(doc.Catalog.grp)
	sort.Strings(ids)
	return ids
}
