package ssp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

var pinned = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func builtin(t testing.TB) *library.Library {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func resolveExample(t testing.TB, name string) *resolve.Resolution {
	t.Helper()
	lib := builtin(t)
	sys, err := systemfile.Load(filepath.Join("..", "..", "examples", name), lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Every example system, each with another framework — among them ids
// that are not OSCAL tokens — exports a plan NIST's schema accepts.
func TestExportIsSchemaValid(t *testing.T) {
	cases := []struct {
		example string
		fw      demarc.FrameworkID
	}{
		{"gcp-kubernetes-platform.yaml", "nist-800-53-r5"},
		{"serverless-webshop.yaml", "cis-v8"},
		{"azure-enterprise-app.yaml", "hipaa-security"},
		{"lift-and-shift.yaml", "csa-ccm-v4"},
		{"saas-vendor-chain.yaml", "pci-dss-4"},
		{"saas-vendor-chain.yaml", "iso-27017"},
	}
	for _, c := range cases {
		t.Run(c.example+"/"+string(c.fw), func(t *testing.T) {
			exportJSON(t, c.example, c.fw, ssp.Options{})
		})
	}
}

// exportJSON exports a system for a framework, checks it against NIST's
// schema and decodes it strictly.
// The schema check of a full plan takes seconds: each plan is checked once.
var exported sync.Map // key → []byte

func exportJSON(t *testing.T, example string, fw demarc.FrameworkID, opts ssp.Options) (*resolve.Resolution, []byte, *oscal.SystemSecurityPlan) {
	t.Helper()
	res := resolveExample(t, example)
	if opts.LastModified.IsZero() {
		opts.LastModified = pinned
	}
	key := fmt.Sprint(example, fw, opts)
	if data, ok := exported.Load(key); ok {
		return res, data.([]byte), decode(t, data.([]byte)).SystemSecurityPlan
	}
	doc, err := ssp.Export(res, res.Library().Framework(fw), opts)
	if err != nil {
		t.Fatal(err)
	}
	data := mustValidate(t, doc)
	exported.Store(key, data)
	return res, data, decode(t, data).SystemSecurityPlan
}

// write exports a plan without the schema check.
func write(t *testing.T, example string, fw demarc.FrameworkID, opts ssp.Options) []byte {
	t.Helper()
	res := resolveExample(t, example)
	doc, err := ssp.Export(res, res.Library().Framework(fw), opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ssp.Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The same input gives the same bytes; every UUID is a version 5 UUID and
// names one thing only.
func TestExportIsDeterministic(t *testing.T) {
	first := write(t, "serverless-webshop.yaml", "nist-800-53-r5", ssp.Options{LastModified: pinned})
	second := write(t, "serverless-webshop.yaml", "nist-800-53-r5", ssp.Options{LastModified: pinned})
	if !bytes.Equal(first, second) {
		t.Fatal("two exports of the same system differ")
	}
	var v any
	if err := json.Unmarshal(first, &v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if u, ok := x["uuid"].(string); ok {
				if seen[u] {
					t.Errorf("uuid %s names two objects", u)
				}
				seen[u] = true
				if u[14] != '5' {
					t.Errorf("uuid %s is not a version 5 UUID", u)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	if len(seen) < 1000 {
		t.Errorf("only %d uuids", len(seen))
	}
	later := write(t, "serverless-webshop.yaml", "nist-800-53-r5", ssp.Options{LastModified: pinned.Add(48 * time.Hour)})
	if bytes.Equal(first, later) || !bytes.Contains(later, []byte(`"last-modified": "2026-11-27T09:30:00Z"`)) {
		t.Error("--as-of does not stamp last-modified")
	}
}

type areaText struct {
	area demarc.AreaID
	text string
}

func props(ps *[]oscal.Property, ns, name string) []string {
	var out []string
	if ps != nil {
		for _, p := range *ps {
			if p.Ns == ns && p.Name == name {
				out = append(out, p.Value)
			}
		}
	}
	return out
}

// Every control has by-components; inherited entries are exactly the
// matrix's inheritable provider parts and satisfied entries exactly its
// customer parts, on leveraged components with a leveraged authorization;
// the teams of the system's RACI are the responsible roles.
func TestExportMatchesMatrix(t *testing.T) {
	res, _, plan := exportJSON(t, "gcp-kubernetes-platform.yaml", "nist-800-53-r5", ssp.Options{})
	lib := res.Library()
	fw := lib.Framework("nist-800-53-r5")
	m := res.Matrix(fw)
	reqs := plan.ControlImplementation.ImplementedRequirements
	if len(reqs) != len(m.Controls) {
		t.Fatalf("%d requirements for %d controls", len(reqs), len(m.Controls))
	}
	auths := map[string]bool{}
	for _, la := range *plan.SystemImplementation.LeveragedAuthorizations {
		auths[la.UUID] = true
	}
	external := map[string]bool{}
	for _, c := range plan.SystemImplementation.Components {
		ext := len(props(c.Props, "", "implementation-point")) == 1 && props(c.Props, "", "implementation-point")[0] == "external"
		las := props(c.Props, "", "leveraged-authorization-uuid")
		if c.Type == "service" && ext && len(props(c.Props, ssp.NS, "party")) == 0 {
			if len(las) != 1 || !auths[las[0]] {
				t.Errorf("leveraged component %s names leveraged authorization %v, not one of the plan's", c.Title, las)
			}
			external[c.UUID] = true
		}
	}
	if len(external) != 9 {
		t.Errorf("%d leveraged components; the system uses 9 Google Cloud services", len(external))
	}
	teams := map[string]string{}
	for _, p := range *plan.Metadata.Parties {
		teams[p.UUID] = p.Name
	}
	for i, r := range reqs {
		c := m.Controls[i]
		if r.ControlId != string(c.ID) {
			t.Fatalf("requirement %d is %s; control %s", i, r.ControlId, c.ID)
		}
		if r.ByComponents == nil || len(*r.ByComponents) == 0 {
			t.Errorf("%s has no by-components", c.ID)
			continue
		}
		if got := props(r.Props, ssp.NS, "owner"); len(got) != 1 || got[0] != string(c.Owner) {
			t.Errorf("%s: owner %v; matrix %s", c.ID, got, c.Owner)
		}
		inherited, satisfied := map[areaText]bool{}, map[areaText]bool{}
		for _, bc := range *r.ByComponents {
			if (bc.Inherited != nil || bc.Satisfied != nil) && !external[bc.ComponentUuid] {
				t.Errorf("%s: inherited or satisfied on component %s, which is not a leveraged component", c.ID, bc.ComponentUuid)
			}
			if bc.Inherited != nil {
				for _, in := range *bc.Inherited {
					inherited[areaText{demarc.AreaID(props(in.Props, ssp.NS, "area")[0]), in.Description}] = true
				}
			}
			if bc.Satisfied != nil {
				for _, s := range *bc.Satisfied {
					area := demarc.AreaID(props(s.Props, ssp.NS, "area")[0])
					satisfied[areaText{area, s.Description}] = true
					checkRoles(t, string(c.ID), s.ResponsibleRoles, res.RACI(area).Responsible, teams)
				}
			}
		}
		wantInherited, wantSatisfied := map[areaText]bool{}, map[areaText]bool{}
		for _, p := range c.Provider {
			for _, comp := range p.Components {
				a := res.Assignment(comp, p.Area)
				if a.Owner == demarc.OwnerProvider || a.Owner == demarc.OwnerShared && a.Sharing == demarc.SharingDependent {
					wantInherited[areaText{p.Area, p.Text}] = true
				}
			}
		}
		for _, p := range c.Customer {
			wantSatisfied[areaText{p.Area, p.Text}] = true
		}
		if !sameSet(inherited, wantInherited) {
			t.Errorf("%s: inherited %v; matrix's inheritable provider parts %v", c.ID, inherited, wantInherited)
		}
		if !sameSet(satisfied, wantSatisfied) {
			t.Errorf("%s: satisfied %v; matrix's customer parts %v", c.ID, satisfied, wantSatisfied)
		}
	}
}

func checkRoles(t *testing.T, control string, roles *[]oscal.ResponsibleRole, want []string, teams map[string]string) {
	t.Helper()
	var got []string
	if roles != nil {
		for _, r := range *roles {
			if r.RoleId != "responsible" {
				continue
			}
			for _, u := range *r.PartyUuids {
				got = append(got, teams[u])
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: responsible teams %v; the system's RACI says %v", control, got, want)
	}
}

func sameSet(a, b map[areaText]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// Control origination and implementation status follow the owner, and
// independent sharing is never inherited.
func TestExportOrigination(t *testing.T) {
	_, _, plan := exportJSON(t, "gcp-kubernetes-platform.yaml", "nist-800-53-r5", ssp.Options{})
	cases := []struct {
		control, owner, sharing string
		origins                 []string
		state                   string
	}{
		{"pe-3", "provider", "", []string{"inherited"}, "implemented"},
		{"si-2", "shared", "dependent", []string{"sp-system", "inherited"}, "partial"},
		{"ac-1", "shared", "independent", []string{"sp-corporate"}, "planned"},
		{"at-2", "shared", "independent", []string{"sp-corporate"}, "planned"},
	}
	for _, c := range cases {
		r := requirement(t, plan, c.control)
		got := props(r.Props, ssp.NSFedRAMP, "control-origination")
		if strings.Join(got, ",") != strings.Join(c.origins, ",") {
			t.Errorf("%s: control-origination %v; want %v", c.control, got, c.origins)
		}
		if s := props(r.Props, ssp.NSFedRAMP, "implementation-status"); len(s) != 1 || s[0] != c.state {
			t.Errorf("%s: implementation-status %v; want %s", c.control, s, c.state)
		}
		if o := props(r.Props, ssp.NS, "owner"); len(o) != 1 || o[0] != c.owner {
			t.Errorf("%s: owner %v; want %s", c.control, o, c.owner)
		}
		if s := props(r.Props, ssp.NS, "sharing"); strings.Join(s, "") != c.sharing {
			t.Errorf("%s: sharing %v; want %s", c.control, s, c.sharing)
		}
		if c.sharing == "independent" {
			for _, bc := range *r.ByComponents {
				if bc.Inherited != nil {
					t.Errorf("%s: independent sharing inherited on %s", c.control, bc.ComponentUuid)
				}
			}
		}
	}
	// The managed detection service, a third party, has its own component
	// and its part of security monitoring.
	var mssp string
	for _, c := range plan.SystemImplementation.Components {
		if c.Title == "watchtower-mssp" {
			mssp = c.UUID
		}
	}
	found := false
	for _, bc := range *requirement(t, plan, "si-4").ByComponents {
		found = found || bc.ComponentUuid == mssp
	}
	if mssp == "" || !found {
		t.Error("si-4 has no by-component for the third party watchtower-mssp")
	}
	implemented := decode(t, write(t, "gcp-kubernetes-platform.yaml", "nist-800-53-r5", ssp.Options{LastModified: pinned, CustomerImplemented: true})).SystemSecurityPlan
	if props(requirement(t, implemented, "si-2").Props, ssp.NSFedRAMP, "implementation-status")[0] != "implemented" {
		t.Error("CustomerImplemented does not mark shared controls implemented")
	}
}

func requirement(t *testing.T, plan *oscal.SystemSecurityPlan, id string) *oscal.ImplementedRequirement {
	t.Helper()
	for i := range plan.ControlImplementation.ImplementedRequirements {
		if r := &plan.ControlImplementation.ImplementedRequirements[i]; r.ControlId == id {
			return r
		}
	}
	t.Fatalf("no requirement %s", id)
	return nil
}

// A customer's plan points at the provider's leveraged plan: every
// provided-uuid and responsibility-uuid is a statement of the leveraged
// plan demarc exports for that service; a part a contract moved names
// none.
func TestExportReferencesLeveragedPlans(t *testing.T) {
	for _, ex := range []string{"gcp-kubernetes-platform.yaml", "azure-enterprise-app.yaml", "saas-vendor-chain.yaml"} {
		t.Run(ex, func(t *testing.T) {
			res, _, plan := exportJSON(t, ex, "nist-800-53-r5", ssp.Options{})
			lib := res.Library()
			fw := lib.Framework("nist-800-53-r5")
			service := map[string]demarc.ServiceID{}
			for _, c := range plan.SystemImplementation.Components {
				if s := props(c.Props, ssp.NS, "service"); len(s) == 1 && c.Type == "service" {
					service[c.UUID] = demarc.ServiceID(s[0])
				}
			}
			statements := map[demarc.ServiceID]map[string]string{} // uuid → provided/responsibility
			refs := 0
			for _, r := range plan.ControlImplementation.ImplementedRequirements {
				for _, bc := range *r.ByComponents {
					svc, ok := service[bc.ComponentUuid]
					if !ok {
						continue
					}
					if statements[svc] == nil {
						statements[svc] = leveragedStatements(t, lib, svc, fw)
					}
					if bc.Inherited != nil {
						for _, in := range *bc.Inherited {
							if in.ProvidedUuid != "" {
								refs++
								if statements[svc][in.ProvidedUuid] != "provided" {
									t.Errorf("%s: provided-uuid %s is no provided statement of %s's leveraged plan", r.ControlId, in.ProvidedUuid, svc)
								}
							}
						}
					}
					if bc.Satisfied != nil {
						for _, s := range *bc.Satisfied {
							if s.ResponsibilityUuid != "" {
								refs++
								if statements[svc][s.ResponsibilityUuid] != "responsibility" {
									t.Errorf("%s: responsibility-uuid %s is no responsibility of %s's leveraged plan", r.ControlId, s.ResponsibilityUuid, svc)
								}
							}
						}
					}
				}
			}
			if refs < 500 {
				t.Errorf("only %d references to leveraged plans", refs)
			}
		})
	}
	// The Azure system's contract moves retention on the documents
	// container: its parts there name no statement of the provider.
	_, _, plan := exportJSON(t, "azure-enterprise-app.yaml", "nist-800-53-r5", ssp.Options{})
	for _, bc := range *requirement(t, plan, "si-12").ByComponents {
		if bc.Satisfied == nil {
			continue
		}
		for _, s := range *bc.Satisfied {
			if s.Description == "Sets a seven-year retention policy and legal holds for claim documents." && s.ResponsibilityUuid != "" {
				t.Error("a part a contract decided points at the provider's statement")
			}
		}
	}
}

func leveragedStatements(t *testing.T, lib *library.Library, svc demarc.ServiceID, fw *demarc.Framework) map[string]string {
	t.Helper()
	doc, err := ssp.Leveraged(resolve.New(lib), lib.Service(svc), fw, ssp.Options{LastModified: pinned})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range doc.SystemSecurityPlan.ControlImplementation.ImplementedRequirements {
		for _, bc := range *r.ByComponents {
			if bc.Export == nil {
				continue
			}
			if bc.Export.Provided != nil {
				for _, p := range *bc.Export.Provided {
					out[p.UUID] = "provided"
				}
			}
			if bc.Export.Responsibilities != nil {
				for _, p := range *bc.Export.Responsibilities {
					out[p.UUID] = "responsibility"
				}
			}
		}
	}
	return out
}
