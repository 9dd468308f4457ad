package oscal

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
)

// wantProblem is a problem a test expects: its line, field and a part of
// its message.
type wantProblem struct {
	line  int
	field string
	msg   string
}

// Every OSCAL file of the public reference data, checked on its own: the
// valid ones pass, and each defective one reports its defects — how many,
// and the telling ones exactly.
func TestValidateEveryPublicDocument(t *testing.T) {
	const ci = "system-security-plan.control-implementation.implemented-requirements"
	cases := map[string]struct {
		problems int
		want     []wantProblem
	}{
		"fedramp/FedRAMP_rev5_HIGH-baseline_profile.json":                          {},
		"fedramp/FedRAMP_rev5_LI-SaaS-baseline_profile.json":                       {},
		"fedramp/FedRAMP_rev5_LOW-baseline_profile.json":                           {},
		"fedramp/FedRAMP_rev5_MODERATE-baseline_profile.json":                      {},
		"fedramp/FedRAMP_rev5_LOW-baseline-resolved-profile_catalog.json":          {},
		"nist/NIST_SP-800-53_rev5_catalog_2021.json":                               {},
		"nist/NIST_SP-800-53_rev5_LOW-baseline_profile.json":                       {},
		"nist/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json":                  {},
		"nist/NIST_SP-800-53_rev5_HIGH-baseline_profile.json":                      {},
		"nist/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json":                   {},
		"nist/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json":      {},
		"nist/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json": {},
		"nist/NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json": {},
		"nist/examples/basic-catalog.json":                                         {},
		"nist/examples/ifa_assessment-results-example.json":                        {},
		"nist/examples/ifa_ssp-example.json":                                       {},
		"nist/examples/ssp-example.json":                                           {},
		"nist/examples/ssp-example.yaml":                                           {},
		"trestle/leveraged_ssp.json":                                               {},
		"fedramp/FedRAMP-SSP-OSCAL-Template.json": {4, []wantProblem{
			{32, "system-security-plan.metadata.revisions[1].props[0].uuid", "uuid 528974e9-fcde-494f-a2fa-35d6f1e31171 is also the uuid of system-security-plan.metadata.revisions[0].props[0]"},
			{1822, "system-security-plan.system-implementation.components[14].uuid", "is also the uuid of system-security-plan.system-implementation.components[5]; expected each component to have its own uuid"},
			{2745, ci + "[1].statements[1].by-components[2].inherited[0].provided-uuid", `provided-uuid "11111111-0000-4000-9009-002001002001" points at a provided statement of this same document`},
			{2752, ci + "[1].statements[1].by-components[2].satisfied[0].responsibility-uuid", "points at a responsibility of this same document"},
		}},
		"fedramp/FedRAMP_extensions.json": {1, []wantProblem{{2, "extensions", `unknown OSCAL model "extensions"`}}},
		"fedramp/fedramp_values.json":     {1, []wantProblem{{2, "fedramp-values", `unknown OSCAL model "fedramp-values"`}}},
		"nist/examples/example-component-definition.json": {3, []wantProblem{
			{44, "component-definition.components[0].responsible-roles[1].role-id", `role "customer" is not defined in metadata.roles; expected one of "provider"`},
			{126, "component-definition.components[0].control-implementations[0].implemented-requirements[1].statements[0].uuid", "uuid bb9219b1-e51c-4680-abb0-616a43bbfbb1 is also the uuid of"},
		}},
		"nist/examples/example-component.json": {1, []wantProblem{
			{25, "component-definition.components[0].responsible-roles[0].role-id", `role "provider" is not defined: the document's metadata defines no roles`},
		}},
		"trestle/leveraging_ssp.json": {1, []wantProblem{
			{254, ci + "[0].statements[0].by-components[1].satisfied[0].responsible-roles[0].role-id", `role "role-id" is not defined in metadata.roles`},
		}},
		// NIST's prototype shared-responsibility chain: uuids that are not
		// UUIDs, export statements outside "export", and statements that
		// inherit from the same document, on internal components.
		"prototype-srm/example.ssp.csp.json": {787, []wantProblem{
			{3, "system-security-plan.uuid", `got "CSP49ff16-0e12-4155-aae7-794d72bb34bd"; expected an RFC 4122 version 4 or 5 UUID`},
			{122, ci + "[0].statements[0].by-components[0].provided", `unknown field "provided" (it belongs inside "export")`},
			{129, ci + "[0].statements[0].by-components[0].responsibilities", `unknown field "responsibilities" (it belongs inside "export")`},
			{138, ci + "[0].statements[0].by-components[0].satisfied[0]", `satisfied statement on component "OSCAL Testing Workflow Application" (CSPe140e1-fd88-4a94-92df-bca4759df597), which has implementation-point "internal"`},
		}},
		"prototype-srm/example.ssp.msp.json": {1607, []wantProblem{
			{140, ci + "[0].statements[0].by-components[0].inherited[0].provided-uuid", `provided-uuid "MSPf8c5de-bae7-4ace-93d3-ab4f1bf4efc0" points at a provided statement of this same document`},
			{152, ci + "[0].statements[0].by-components[0].satisfied[0].responsibility-uuid", `responsibility-uuid "MSP73ad59-4e44-4d7a-9ae0-8d2c0e1c16d1" points at a responsibility of this same document`},
		}},
		"prototype-srm/example.ssp.app.json":    {1607, nil},
		"prototype-srm/example.ssp.csp.sr.json": {1, []wantProblem{{2, "shared-responsibility", `unknown OSCAL model "shared-responsibility"`}}},
		"prototype-srm/example.ssp.msp.sr.json": {1, []wantProblem{{2, "shared-responsibility", `unknown OSCAL model "shared-responsibility"`}}},
	}
	dir := realdata.Path(t, "oscal")
	for _, rel := range publicDocuments(t, dir) {
		c, ok := cases[rel]
		if !ok {
			t.Errorf("%s: an OSCAL file the test does not know; add it", rel)
			continue
		}
		delete(cases, rel)
		t.Run(rel, func(t *testing.T) {
			rep := Validate(rel, readData(t, rel), nil)
			if len(rep.Problems) != c.problems {
				t.Errorf("%d problems, want %d:\n%s", len(rep.Problems), c.problems, firstProblems(rep.Problems))
			}
			checkProblems(t, rep.Problems, c.want)
		})
	}
	for rel := range cases {
		t.Errorf("%s: not found among the reference files", rel)
	}
}

// publicDocuments lists the OSCAL documents of the reference data; the
// JSON schemas themselves are not documents.
func publicDocuments(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := filepath.Ext(p)
		if ext != ".json" && ext != ".yaml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if Sniff(p, data) {
			out = append(out, filepath.ToSlash(rel))
		} else if !strings.HasPrefix(rel, "schema") {
			t.Errorf("%s is not recognised as OSCAL", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func checkProblems(t *testing.T, got demarc.Problems, want []wantProblem) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range got {
			if p.Pos.Line == w.line && p.Field == w.field && strings.Contains(p.Message, w.msg) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem at line %d, %s: %q among\n%s", w.line, w.field, w.msg, firstProblems(got))
		}
	}
}

func firstProblems(ps demarc.Problems) string {
	var b strings.Builder
	for i, p := range ps {
		if i == 12 {
			b.WriteString("  …\n")
			break
		}
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// References into leveraged SSPs and the catalog, each broken in its own
// way, are each reported; the same document with sound references passes.
func TestValidateCrossReferences(t *testing.T) {
	refs, err := LoadReferences([]string{"testdata/leveraged_ssp.json"}, "testdata/select_profile.json")
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("testdata/leveraging_ssp.json")
	if err != nil {
		t.Fatal(err)
	}
	if rep := Validate("leveraging_ssp.json", good, refs); !rep.Valid() || len(rep.Notes) > 0 {
		t.Errorf("the sound SSP: problems\n%s notes %q", firstProblems(rep.Problems), rep.Notes)
	}
	bad, err := os.ReadFile("testdata/broken_leveraging_ssp.json")
	if err != nil {
		t.Fatal(err)
	}
	const bc = "system-security-plan.control-implementation.implemented-requirements[0].statements[0].by-components"
	want := []wantProblem{
		{80, "system-security-plan.system-implementation.components[1].props[1].value", `leveraged-authorization-uuid "12345678-1234-4234-8234-123456789abc" names no entry of system-implementation.leveraged-authorizations`},
		{105, "system-security-plan.control-implementation.implemented-requirements[0].statements[0].statement-id", `statement-id "ac-2_smt.z" is not a part of ac-2 in select_profile.json (did you mean "ac-2_smt.a", "ac-2_smt"?)`},
		{113, bc + "[0].inherited[0]", `inherited statement on component "Broken App" (1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b), which has no implementation-point; expected a leveraged component`},
		{115, bc + "[0].inherited[0].provided-uuid", `provided-uuid "8b9c0d1e-2f3a-4b4c-9d6e-7f8a9b0c1d2e" points at a responsibility (system-security-plan.control-implementation.implemented-requirements[0].statements[0].by-components[0].export.responsibilities[0] in leveraged_ssp.json); expected a provided statement`},
		{120, bc + "[0].satisfied[0]", `satisfied statement on component "Broken App"`},
		{122, bc + "[0].satisfied[0].responsibility-uuid", `responsibility-uuid "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" is not in the leveraged SSP leveraged_ssp.json; expected the uuid of a responsibility it exports`},
		{133, bc + "[1].component-uuid", `component-uuid "ffffffff-ffff-4fff-bfff-ffffffffffff" names no component of system-implementation.components`},
		{138, bc + "[1].responsible-roles[0].role-id", `role "auditor" is not defined in metadata.roles; expected one of "admin"`},
		{140, bc + "[1].responsible-roles[0].party-uuids[0]", `party "deadbeef-0000-4000-8000-000000000000" is not defined in metadata.parties`},
	}
	rep := Validate("broken_leveraging_ssp.json", bad, refs)
	if len(rep.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(rep.Problems), len(want), firstProblems(rep.Problems))
	}
	checkProblems(t, rep.Problems, want)
	for _, p := range rep.Problems {
		if p.Pos.File != "broken_leveraging_ssp.json" {
			t.Errorf("problem names file %q", p.Pos.File)
		}
	}
}

// Without a leveraged SSP or a catalog, what could not be checked is
// noted, not passed over in silence.
func TestValidateNotesUncheckedReferences(t *testing.T) {
	data, err := os.ReadFile("testdata/leveraging_ssp.json")
	if err != nil {
		t.Fatal(err)
	}
	rep := Validate("leveraging_ssp.json", data, nil)
	if !rep.Valid() {
		t.Fatalf("problems:\n%s", firstProblems(rep.Problems))
	}
	for _, want := range []string{"2 inherited and satisfied references were not checked against the leveraged system: pass its SSP with --leveraged FILE",
		"the control and statement ids of 1 requirement were not checked: pass the catalog with --catalog FILE"} {
		if !containsText(rep.Notes, want) {
			t.Errorf("notes %q lack %q", rep.Notes, want)
		}
	}
}

// The prototype chain (CSP → MSP → application) checked against its
// leveraged SSPs: every inherited and satisfied uuid that points at the
// system beneath resolves; what remains are the chain's own defects, such
// as statement ids that are no parts of NIST's catalog.
func TestValidatePrototypeChain(t *testing.T) {
	catalog := realdata.Path(t, "oscal/nist/NIST_SP-800-53_rev5_catalog_2021.json")
	for _, link := range [][2]string{{"example.ssp.msp.json", "example.ssp.csp.json"}, {"example.ssp.app.json", "example.ssp.msp.json"}} {
		refs, err := LoadReferences([]string{realdata.Path(t, "oscal/prototype-srm/"+link[1])}, catalog)
		if err != nil {
			t.Fatal(err)
		}
		rep := Validate(link[0], readData(t, "prototype-srm/"+link[0]), refs)
		statements := 0
		for _, p := range rep.Problems {
			if strings.Contains(p.Message, "in the leveraged SSP") || strings.Contains(p.Message, "points at a") && !strings.Contains(p.Message, "this same document") {
				t.Errorf("%s: %s", link[0], p)
			}
			if strings.HasPrefix(p.Message, "statement-id") {
				statements++
			}
		}
		if statements != 32 {
			t.Errorf("%s: %d statement-id problems, want 32", link[0], statements)
		}
		checkProblems(t, rep.Problems, []wantProblem{{222, "system-security-plan.control-implementation.implemented-requirements[1].statements[0].statement-id",
			`statement-id "ac-17.1" is not a part of ac-17.1 in NIST_SP-800-53_rev5_catalog_2021.json (did you mean "ac-17.1_smt"?)`}})
		if !containsText(rep.Notes, "has 1115 problems of its own") && !containsText(rep.Notes, "has 623 problems of its own") {
			t.Errorf("notes %q do not say the leveraged SSP is itself defective", rep.Notes)
		}
	}
}

func TestLoadReferencesErrors(t *testing.T) {
	cases := []struct {
		leveraged []string
		catalog   string
		want      string
	}{
		{[]string{"testdata/none.json"}, "", "cannot read leveraged SSP testdata/none.json"},
		{nil, "testdata/none.json", "catalog: cannot read OSCAL document testdata/none.json"},
		{nil, "testdata/leveraged_ssp.json", "catalog: testdata/leveraged_ssp.json is an OSCAL system-security-plan; expected a catalog or a profile"},
		{[]string{"testdata/include_all_profile.yaml", "testdata/leveraged_ssp.json"}, "testdata/cycle_a_profile.json", "cyclic profile imports"},
	}
	for _, c := range cases {
		_, err := LoadReferences(c.leveraged, c.catalog)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %q: got %v, want %q", c.leveraged, c.catalog, err, c.want)
		}
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		name, data string
		want       bool
	}{
		{"a.json", `{"catalog": {"metadata": {"oscal-version": "1.1.2"}}}`, true},
		{"a.yaml", "profile:\n  metadata:\n    oscal-version: 1.1.2\n", true},
		{"a.json", `{"shared-responsibility": {"metadata": {"oscal-version": "1.1.1"}}}`, true},
		{"a.json", `{"catalog": {"metadata": {"oscal-version": `, true}, // broken, but meant as OSCAL
		{"a.yaml", "name: shop\ncomponents: []\n", false},
		{"a.yaml", "frameworks: []\n# oscal-version is mentioned in a comment\n", false},
		{"schema.json", `{"$id": "x", "definitions": {"metadata": {"properties": {"oscal-version": {}}}}}`, false},
	}
	for _, c := range cases {
		if got := Sniff(c.name, []byte(c.data)); got != c.want {
			t.Errorf("%s %q: got %v, want %v", c.name, c.data, got, c.want)
		}
	}
}
