package ssp_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
)

func readReal(t testing.TB, rel string) *ssp.Document {
	t.Helper()
	data, err := os.ReadFile(realdata.Path(t, "oscal/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ssp.Read(filepath.Base(rel), data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// findDefect returns the defect of a kind at path; any kind when kind is
// empty.
func findDefect(ds []ssp.Defect, path, kind string) *ssp.Defect {
	for i := range ds {
		if ds[i].Path == path && (kind == "" || ds[i].Kind == kind) {
			return &ds[i]
		}
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)

// badUUIDs counts, independently of the schema, the uuid and *-uuid
// values of a JSON document that are not RFC 4122 version 4 or 5 UUIDs.
func badUUIDs(t testing.TB, rel string) int {
	data, err := os.ReadFile(realdata.Path(t, "oscal/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && (k == "uuid" || strings.HasSuffix(k, "-uuid")) && !uuidRE.MatchString(s) {
					n++
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return n
}

// The defects of NIST's shared-responsibility prototype, each with its
// place, its value and what was expected.
func TestPrototypeDefects(t *testing.T) {
	const by0 = "$.system-security-plan.control-implementation.implemented-requirements[0].statements[0].by-components[0]"
	cases := []struct {
		file  string
		model string
		want  []ssp.Defect // Document is filled in; Expected is a substring
	}{
		{"prototype-srm/example.ssp.csp.json", ssp.ModelSSP, []ssp.Defect{
			{Path: "$.system-security-plan.uuid", Value: `"CSP49ff16-0e12-4155-aae7-794d72bb34bd"`, Expected: "RFC 4122 version 4 or 5 UUID", Kind: ssp.DefectSchema},
			{Path: by0 + ".provided", Value: "an array of 1", Expected: "inside export", Kind: ssp.DefectSchema},
			{Path: by0 + ".responsibilities", Value: "an array of 1", Expected: "inside export", Kind: ssp.DefectSchema},
			{Path: by0 + ".component-uuid", Expected: "a leveraged component (implementation-point external)", Kind: ssp.DefectReference},
			{Path: by0 + ".satisfied[0].responsibility-uuid", Expected: "not one this document exports itself", Kind: ssp.DefectReference},
			{Path: "$.system-security-plan.system-implementation.leveraged-authorizations", Value: "nothing", Expected: "leveraged-authorizations", Kind: ssp.DefectReference},
		}},
		{"prototype-srm/example.ssp.msp.json", ssp.ModelSSP, []ssp.Defect{
			{Path: by0 + ".inherited[0].provided-uuid", Expected: "a provided statement of a leveraged system", Kind: ssp.DefectReference},
			{Path: "$.system-security-plan.metadata.parties[0].uuid", Value: `"MSPf46a09-014a-455b-96df-500d1a561d3b"`, Expected: "UUID", Kind: ssp.DefectSchema},
		}},
		{"prototype-srm/example.ssp.csp.sr.json", ssp.ModelPrototypeS, []ssp.Defect{
			{Path: "$.shared-responsibility", Expected: "an OSCAL model such as system-security-plan", Kind: ssp.DefectPrototype},
			{Path: "$.shared-responsibility.metadata.parties[0].uuid", Value: "null", Expected: "type string", Kind: ssp.DefectSchema},
			{Path: "$.shared-responsibility.components[0].name", Value: `"Statement of Shared Responsibility"`, Expected: `"title"`, Kind: ssp.DefectPrototype},
			{Path: "$.shared-responsibility.components[0].type", Expected: `required field "type"`, Kind: ssp.DefectSchema},
			{Path: "$.shared-responsibility.components[0].control_implementations", Expected: `"control-implementations"`, Kind: ssp.DefectPrototype},
			{Path: "$.shared-responsibility.components[0].control_implementations[0].implemented-requirements[0].statements[0].by-components[0].component-uuid", Value: `"CSPe140e1-fd88-4a94-92df-bca4759df597"`, Expected: "a component of this document", Kind: ssp.DefectReference},
			{Path: "$.shared-responsibility.components[0].control_implementations[0].implemented-requirements[0].statements[0].by-components[0].provided[0].exportable", Expected: `no field "exportable"`, Kind: ssp.DefectSchema},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc := readReal(t, c.file)
			if doc.Model != c.model || doc.Version != "1.1.1" || doc.Schema != "1.1.1" {
				t.Errorf("read as %s %s (schema %s); want %s 1.1.1", doc.Model, doc.Version, doc.Schema, c.model)
			}
			for _, w := range c.want {
				got := findDefect(doc.Defects, w.Path, w.Kind)
				switch {
				case got == nil:
					t.Errorf("no defect at %s", w.Path)
				case got.Document != filepath.Base(c.file) || got.Kind != w.Kind || !strings.Contains(got.Expected, w.Expected) || w.Value != "" && got.Value != w.Value:
					t.Errorf("defect at %s:\n got %s (%s)\nwant value %s, expected …%s… (%s)", w.Path, got, got.Kind, w.Value, w.Expected, w.Kind)
				}
			}
			uuids := 0
			for _, d := range doc.Defects {
				if strings.HasPrefix(d.Expected, "an RFC 4122") {
					uuids++
				}
			}
			if want := badUUIDs(t, c.file); uuids != want {
				t.Errorf("%d defects for bad UUIDs; the document has %d", uuids, want)
			}
		})
	}
}

// What is sound in the prototype is imported: every provided statement
// and responsibility on its 44 controls. The plan and its separate
// shared-responsibility document say the same, and import the same.
func TestImportPrototype(t *testing.T) {
	lib := builtin(t)
	var overrides [][]demarc.Rule
	for _, f := range []string{"prototype-srm/example.ssp.csp.json", "prototype-srm/example.ssp.csp.sr.json"} {
		st, err := ssp.Import(lib, readReal(t, f), ssp.ImportOptions{Provider: "csp", Service: "cloud", Model: demarc.ModelIaaS})
		if err != nil {
			t.Fatal(err)
		}
		if st.Controls != 44 || st.Provided != 82 || st.Responsibilities != 82 {
			t.Errorf("%s: imported %d controls, %d provided, %d responsibilities; want 44, 82, 82", f, st.Controls, st.Provided, st.Responsibilities)
		}
		svc := st.Provider.Services[0]
		for _, r := range svc.Overrides {
			if r.Owner != demarc.OwnerShared || r.Sharing != demarc.SharingDependent || r.Provider == "" || r.Customer == "" {
				t.Errorf("%s: %s is %s %s; every area the prototype speaks to has both provided and responsibility statements", f, r.Area, r.Owner, r.Sharing)
			}
		}
		overrides = append(overrides, svc.Overrides)
	}
	if len(overrides[0]) == 0 || !sameRules(overrides[0], overrides[1]) {
		t.Errorf("the plan and its shared-responsibility document import differently:\n%v\n%v", overrides[0], overrides[1])
	}
}

func sameRules(a, b []demarc.Rule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Area != y.Area || x.Owner != y.Owner || x.Sharing != y.Sharing || x.Provider != y.Provider || x.Customer != y.Customer {
			return false
		}
	}
	return true
}

// A chain — an application on a managed platform (MSP) on a cloud (CSP) —
// composes: each imported plan is a service, and runs_on takes the layers
// beneath each boundary from the plan beneath.
func TestChainCSPMSPApplication(t *testing.T) {
	base := builtin(t)
	csp := readReal(t, "prototype-srm/example.ssp.csp.json")
	msp := readReal(t, "prototype-srm/example.ssp.msp.json")
	cspSt, err := ssp.Import(base, csp, ssp.ImportOptions{Provider: "csp", Service: "cloud", Model: demarc.ModelIaaS})
	if err != nil {
		t.Fatal(err)
	}
	mspSt, err := ssp.Import(base, msp, ssp.ImportOptions{Provider: "msp", Service: "platform", Model: demarc.ModelPaaS, Leveraged: []*ssp.Document{csp}})
	if err != nil {
		t.Fatal(err)
	}
	if len(mspSt.Leverages) != 1 || !strings.Contains(mspSt.Leverages[0], "example.ssp.csp.json") {
		t.Errorf("the MSP's plan should leverage the CSP's; got %v", mspSt.Leverages)
	}
	var files []*library.File
	for _, st := range []*ssp.Statement{cspSt, mspSt} {
		var buf bytes.Buffer
		if err := st.WriteYAML(&buf); err != nil {
			t.Fatal(err)
		}
		f, err := library.ParseFile(string(st.Provider.ID)+".yaml", buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	lib, err := library.Extend(files...)
	if err != nil {
		t.Fatal(err)
	}
	sys := &demarc.System{Name: "app-on-msp", Components: []demarc.Component{
		{Name: "app", Service: "generic/paas", RunsOn: "platform"},
		{Name: "platform", Service: "msp/platform", RunsOn: "infra"},
		{Name: "infra", Service: "csp/cloud"},
	}}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		component string
		area      demarc.AreaID
		source    string   // the rule that decided it
		via       []string // the components it came through
		owner     demarc.Owner
		provider  string // the party named as provider in its parts
	}{
		// Network boundary protection (sc-7) is the CSP's statement, and
		// reaches the application through the platform.
		{"app", "network.segmentation", "service csp/cloud statement", []string{"platform", "infra"}, demarc.OwnerShared, "csp"},
		{"platform", "network.segmentation", "service csp/cloud statement", []string{"infra"}, demarc.OwnerShared, "csp"},
		// The facility is the CSP's by its IaaS model, all the way up.
		{"app", "facility.physical-security", "iaas model default", []string{"platform", "infra"}, demarc.OwnerProvider, "csp"},
		// Accounts (ac-2) sit above the platform's runtime boundary: the
		// MSP's own statement decides them for the platform …
		{"platform", "identity.account-lifecycle", "service msp/platform statement", nil, demarc.OwnerShared, "msp"},
		// … and the application, above its own boundary, keeps its own.
		{"app", "identity.account-lifecycle", "paas model default", nil, demarc.OwnerCustomer, ""},
	}
	for _, c := range cases {
		a := res.Assignment(c.component, c.area)
		if a == nil {
			t.Fatalf("%s/%s: no assignment", c.component, c.area)
		}
		if a.Provenance.Decided.Source != c.source || strings.Join(a.Provenance.Via, ",") != strings.Join(c.via, ",") || a.Owner != c.owner {
			t.Errorf("%s/%s: decided by %q via %v as %s; want %q via %v as %s", c.component, c.area, a.Provenance.Decided.Source, a.Provenance.Via, a.Owner, c.source, c.via, c.owner)
		}
		if got := partText(*a, demarc.PartyProvider); c.provider != "" && got == "" {
			t.Errorf("%s/%s: no provider part", c.component, c.area)
		}
		for _, p := range a.Parts {
			if p.Party.Kind == demarc.PartyProvider && p.Party.Name != c.provider {
				t.Errorf("%s/%s: provider part by %q; want %q", c.component, c.area, p.Party.Name, c.provider)
			}
		}
	}
	// Rolled up, SC-7 names the CSP as the provider on every component.
	m := res.Control(lib.Control("nist-800-53-r5", "sc-7"))
	if m.Owner != demarc.OwnerShared || len(m.Provider) == 0 {
		t.Fatalf("sc-7 is %s with %d provider parts", m.Owner, len(m.Provider))
	}
	for _, p := range m.Provider {
		if p.Party.Name != "csp" {
			t.Errorf("sc-7: provider part by %s on %v; the CSP holds the network beneath both", p.Party, p.Components)
		}
	}
}

// The trestle pair: the leveraged plan (OSCAL 1.0.0, checked against the
// nearest bundled schema) imports; the leveraging plan exports nothing, and
// says so.
func TestTrestlePlans(t *testing.T) {
	lib := builtin(t)
	leveraged := readReal(t, "trestle/leveraged_ssp.json")
	if leveraged.Version != "1.0.0" || leveraged.Schema != "1.0.6" || len(leveraged.Notes) == 0 {
		t.Errorf("read as %s against %s, notes %v", leveraged.Version, leveraged.Schema, leveraged.Notes)
	}
	if len(leveraged.Defects) != 0 {
		t.Errorf("defects in a valid plan: %v", leveraged.Defects)
	}
	st, err := ssp.Import(lib, leveraged, ssp.ImportOptions{Model: demarc.ModelIaaS})
	if err != nil {
		t.Fatal(err)
	}
	if st.Controls != 3 || st.Provided != 5 || st.Responsibilities != 2 {
		t.Errorf("imported %d controls, %d provided, %d responsibilities; want 3, 5, 2", st.Controls, st.Provided, st.Responsibilities)
	}
	owners := map[demarc.AreaID]demarc.Owner{}
	for _, r := range st.Provider.Services[0].Overrides {
		owners[r.Area] = r.Owner
	}
	// ac-1 is provided only; ac-2 is provided and handed on.
	for _, a := range lib.Control("nist-800-53-r5", "ac-1").Areas {
		if owners[a] != demarc.OwnerProvider {
			t.Errorf("%s (ac-1): %s; want provider", a, owners[a])
		}
	}
	for _, a := range lib.Control("nist-800-53-r5", "ac-2").Areas {
		if owners[a] != demarc.OwnerShared {
			t.Errorf("%s (ac-2): %s; want shared", a, owners[a])
		}
	}
	leveraging := readReal(t, "trestle/leveraging_ssp.json")
	_, err = ssp.Import(lib, leveraging, ssp.ImportOptions{Model: demarc.ModelSaaS, Leveraged: []*ssp.Document{leveraged}})
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), "exports nothing") {
		t.Errorf("importing a plan that exports nothing: %v", err)
	}
}

// The same plan in YAML reads as in JSON.
func TestReadYAML(t *testing.T) {
	data, err := os.ReadFile(realdata.Path(t, "oscal/trestle/leveraged_ssp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := ssp.Read("leveraged.json", data)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := ssp.Read("leveraged.yaml", y)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromYAML.Defects) != 0 || len(fromYAML.Requirements) != len(fromJSON.Requirements) || fromYAML.Title != fromJSON.Title {
		t.Errorf("YAML read %d requirements, %d defects (%v); JSON %d", len(fromYAML.Requirements), len(fromYAML.Defects), fromYAML.Defects, len(fromJSON.Requirements))
	}
}

// Input that cannot be read at all fails with the place and what was
// expected; it never panics.
func TestReadBadInput(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"empty.json", "", "empty"},
		{"truncated.json", `{"system-security-plan": {"uuid": "`, "truncated.json:1:"},
		{"syntax.json", "{\n  \"system-security-plan\": {,}\n}", "syntax.json:2:"},
		{"trailing.json", `{"system-security-plan": {"metadata": {"oscal-version": "1.1.3"}}} {}`, "after the document"},
		{"array.json", `[1, 2]`, "$: found an array of 2"},
		{"catalog.json", `{"catalog": {"uuid": "x"}}`, "$.catalog: this is an OSCAL catalog"},
		{"unknown.json", `{"plan": {}}`, "$.plan: not an OSCAL model"},
		{"two.json", `{"system-security-plan": {}, "profile": {}}`, "found 2 top-level fields"},
		{"noversion.json", `{"system-security-plan": {"metadata": {"title": "x"}}}`, "$.system-security-plan.metadata.oscal-version: found nothing"},
		{"future.json", `{"system-security-plan": {"metadata": {"oscal-version": "2.0.0"}}}`, `found "2.0.0", an OSCAL version demarc does not know`},
		{"banana.json", `{"system-security-plan": {"metadata": {"oscal-version": "banana"}}}`, `found "banana"; expected an OSCAL version`},
		{"bad.yaml", "system-security-plan: [\n", "not valid JSON or YAML"},
		{"deep.json", strings.Repeat("[", 300) + strings.Repeat("]", 300), "nesting deeper"},
		{"model-string.json", `{"system-security-plan": "x"}`, `$.system-security-plan: found "x"; expected an object`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ssp.Read(c.name, []byte(c.data))
			if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want code invalid mentioning %q", err, c.want)
			}
		})
	}
}

// A plan whose controls demarc cannot map, or whose statements are empty,
// imports what is left and reports the rest.
func TestImportReportsWhatItSkips(t *testing.T) {
	doc := `{"system-security-plan": {
  "uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b01",
  "metadata": {"title": "Tiny", "last-modified": "2024-01-01T00:00:00Z", "version": "1", "oscal-version": "1.1.2"},
  "import-profile": {"href": "#"},
  "system-characteristics": {"system-ids": [{"id": "tiny"}], "system-name": "Tiny", "description": "x",
    "props": [{"name": "cloud-service-model", "ns": "https://fedramp.gov/ns/oscal", "value": "paas"}],
    "system-information": {"information-types": [{"title": "t", "description": "d"}]},
    "status": {"state": "operational"}, "authorization-boundary": {"description": "b"}},
  "system-implementation": {"users": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b02"}],
    "components": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b03", "type": "this-system", "title": "Tiny", "description": "d", "status": {"state": "operational"}}]},
  "control-implementation": {"description": "d", "implemented-requirements": [
    {"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b04", "control-id": "zz-99", "by-components": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b05", "component-uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b03", "description": "d",
      "export": {"provided": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b06", "description": "Something"}]}}]},
    {"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b07", "control-id": "SC-28(1)", "by-components": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b08", "component-uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b03", "description": "d",
      "export": {"provided": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b09", "description": "Encrypts every volume."}, {"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b0a", "description": " "}],
        "responsibilities": [{"uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b0b", "provided-uuid": "8d0ae5c4-7f1b-4c7e-9a62-3e8a9d8f1b99", "description": "Chooses the keys."}]}}]}
  ]}}}`
	d, err := ssp.Read("tiny.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ssp.Import(builtin(t), d, ssp.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const req = "$.system-security-plan.control-implementation.implemented-requirements"
	for _, w := range []struct{ path, expected string }{
		{req + "[0].control-id", "a control of NIST SP 800-53 rev 5"},
		{req + "[1].by-components[0].export.provided[1].description", "a description of what leveraging systems inherit"},
		{req + "[1].by-components[0].export.responsibilities[0].provided-uuid", "a provided statement in this document"},
	} {
		if got := findDefect(st.Defects, w.path, ""); got == nil || !strings.Contains(got.Expected, w.expected) {
			t.Errorf("at %s: %v; want a defect expecting %q", w.path, got, w.expected)
		}
	}
	svc := st.Provider.Services[0]
	if svc.Model != demarc.ModelPaaS || svc.ID != "tiny/system" || st.Controls != 1 || st.Provided != 1 || st.Responsibilities != 1 {
		t.Errorf("imported %s (%s), %d controls, %d provided, %d responsibilities", svc.ID, svc.Model, st.Controls, st.Provided, st.Responsibilities)
	}
	for _, r := range svc.Overrides {
		if r.Owner != demarc.OwnerShared || r.Provider != "Encrypts every volume." || r.Customer != "Chooses the keys." {
			t.Errorf("%s: %+v", r.Area, r)
		}
	}
}

// Without a service model in the plan or the options, import says what
// to pass.
func TestImportNeedsModel(t *testing.T) {
	_, err := ssp.Import(builtin(t), readReal(t, "trestle/leveraged_ssp.json"), ssp.ImportOptions{})
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), "service model") || !strings.Contains(err.Error(), "iaas") {
		t.Errorf("error %v", err)
	}
	_, err = ssp.Import(builtin(t), readReal(t, "trestle/leveraged_ssp.json"), ssp.ImportOptions{Model: "mainframe"})
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), `"mainframe"`) {
		t.Errorf("error %v", err)
	}
	_, err = ssp.Import(builtin(t), readReal(t, "trestle/leveraged_ssp.json"), ssp.ImportOptions{Model: "iaas", Provider: "Bad Id"})
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), `"Bad Id"`) {
		t.Errorf("error %v", err)
	}
}
