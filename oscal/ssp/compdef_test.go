package ssp_test

import (
	"strings"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
)

// A component definition has one component per service and one control
// implementation per framework; each requirement's owner property is the
// service's own roll-up, and its description says each party's part in
// words.
func TestComponentDefinition(t *testing.T) {
	lib := builtin(t)
	engine := resolve.New(lib)
	services := []*demarc.Service{lib.Service("aws/rds"), lib.Service("gcp/gke")}
	frameworks := lib.Frameworks()
	doc, err := ssp.ComponentDefinition(engine, services, frameworks, ssp.Options{LastModified: pinned})
	if err != nil {
		t.Fatal(err)
	}
	cd := decode(t, mustValidate(t, doc)).ComponentDefinition
	if len(*cd.Components) != len(services) {
		t.Fatalf("%d components for %d services", len(*cd.Components), len(services))
	}
	for i, comp := range *cd.Components {
		svc := services[i]
		if comp.Title != svc.Title || comp.Type != "service" {
			t.Errorf("component %d is %q (%s); want %q", i, comp.Title, comp.Type, svc.Title)
		}
		if len(*comp.ControlImplementations) != len(frameworks) {
			t.Fatalf("%s: %d control implementations for %d frameworks", svc.ID, len(*comp.ControlImplementations), len(frameworks))
		}
		res, err := engine.Resolve(&demarc.System{Name: "one", Components: []demarc.Component{{Name: "c", Service: svc.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		for j, set := range *comp.ControlImplementations {
			fw := frameworks[j]
			m := res.Matrix(fw)
			if len(set.ImplementedRequirements) != len(m.Controls) {
				t.Fatalf("%s %s: %d requirements for %d controls", svc.ID, fw.ID, len(set.ImplementedRequirements), len(m.Controls))
			}
			for k, r := range set.ImplementedRequirements {
				c := m.Controls[k]
				if id := props(r.Props, ssp.NS, "control-id"); r.ControlId != string(c.ID) && (len(id) != 1 || id[0] != string(c.ID)) {
					t.Errorf("%s: control-id %s carries no control-id property for %s", fw.ID, r.ControlId, c.ID)
				}
				if o := props(r.Props, ssp.NS, "owner"); len(o) != 1 || o[0] != string(c.Owner) {
					t.Errorf("%s %s: owner %v; matrix %s", fw.ID, c.ID, o, c.Owner)
				}
				for _, p := range append(append([]demarc.Part(nil), c.Provider...), c.Customer...) {
					if !strings.Contains(r.Description, p.Text) {
						t.Errorf("%s %s: description lacks the %s's part %q", fw.ID, c.ID, p.Party.Kind, p.Text)
					}
				}
			}
		}
	}
}

// Control ids that are not OSCAL tokens ("1.1", "164.308(a)(1)") are
// rewritten, and the framework's own id travels in a property.
func TestComponentDefinitionControlIDs(t *testing.T) {
	lib := builtin(t)
	doc, err := ssp.ComponentDefinition(resolve.New(lib), []*demarc.Service{lib.Service("aws/s3")}, []*demarc.Framework{lib.Framework("hipaa-security"), lib.Framework("cis-v8")}, ssp.Options{LastModified: pinned})
	if err != nil {
		t.Fatal(err)
	}
	cd := decode(t, mustValidate(t, doc)).ComponentDefinition
	want := map[string]string{"_164.308_a_1": "164.308(a)(1)", "_1.1": "1.1"}
	for _, set := range *(*cd.Components)[0].ControlImplementations {
		for _, r := range set.ImplementedRequirements {
			if orig, ok := want[r.ControlId]; ok {
				if got := props(r.Props, ssp.NS, "control-id"); len(got) != 1 || got[0] != orig {
					t.Errorf("%s: control-id property %v; want %s", r.ControlId, got, orig)
				}
				delete(want, r.ControlId)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no requirements for %v", want)
	}
}
