package ssp

import (
	"strings"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// ComponentDefinition writes the statements of services as an OSCAL
// component definition: one component per service, with one control
// implementation per framework whose implemented requirements say, in
// words, what the provider does and what the customer does. Component
// definitions have no export assembly, so the responsibility travels as
// properties: demarc's owner and sharing, the areas, and FedRAMP's control
// origination from the provider's side. Errors have code EInvalid when
// services or frameworks is empty or a service is not in e's library.
func ComponentDefinition(e *resolve.Engine, services []*demarc.Service, frameworks []*demarc.Framework, opts Options) (*oscal.OscalCompleteSchema, error) {
	if len(services) == 0 || len(frameworks) == 0 {
		return nil, demarc.Errorf(demarc.EInvalid, "a component definition needs at least one service and one framework")
	}
	stamp := opts.stamp()
	var ids, fwIDs []string
	for _, s := range services {
		ids = append(ids, string(s.ID))
	}
	for _, f := range frameworks {
		fwIDs = append(fwIDs, string(f.ID))
	}
	var parties []oscal.Party
	var seen []string
	components := make([]oscal.DefinedComponent, 0, len(services))
	for _, svc := range services {
		v, err := newServiceView(e, svc)
		if err != nil {
			return nil, err
		}
		if p := string(svc.Provider); !contains(seen, p) {
			seen = append(seen, p)
			parties = append(parties, oscal.Party{UUID: id("party", p), Type: "organization", Name: v.provider, ShortName: p})
		}
		components = append(components, v.definedComponent(frameworks))
	}
	cd := &oscal.ComponentDefinition{
		UUID: id("component-definition", strings.Join(ids, ","), strings.Join(fwIDs, ",")),
		Metadata: oscal.Metadata{
			Title:        "Shared responsibility statements: " + strings.Join(ids, ", "),
			LastModified: stamp,
			Version:      opts.version(stamp),
			OscalVersion: OSCALVersion,
			Roles: &[]oscal.Role{
				{ID: roleProvider, Title: "Provider", Description: "The provider of a service."},
				{ID: roleCustomer, Title: "Customer", Description: "A customer who uses the service."},
			},
			Parties: &parties,
			Remarks: "Derived by demarc from its library's statements. Each requirement's owner property is provider, customer, shared (with sharing dependent or independent), third-party or not-applicable.",
		},
		Components: &components,
	}
	return &oscal.OscalCompleteSchema{ComponentDefinition: cd}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *serviceView) definedComponent(frameworks []*demarc.Framework) oscal.DefinedComponent {
	sets := make([]oscal.ControlImplementationSet, 0, len(frameworks))
	for _, fw := range frameworks {
		sets = append(sets, v.implementationSet(fw))
	}
	props := append([]oscal.Property{coreProp("implementation-point", "external")}, serviceProps(v.svc)...)
	return oscal.DefinedComponent{
		UUID:                   serviceUUID(v.svc.ID),
		Type:                   "service",
		Title:                  v.svc.Title,
		Description:            text(v.svc.Description, v.svc.Title+", a service of "+v.provider+"."),
		Purpose:                v.svc.Category,
		Props:                  &props,
		ResponsibleRoles:       &[]oscal.ResponsibleRole{{RoleId: roleProvider, PartyUuids: &[]string{id("party", string(v.svc.Provider))}}},
		ControlImplementations: &sets,
	}
}

func (v *serviceView) implementationSet(fw *demarc.Framework) oscal.ControlImplementationSet {
	tokens := newControlTokens(fw)
	m := v.res.Matrix(fw)
	svc, fwID := string(v.svc.ID), string(fw.ID)
	reqs := make([]oscal.ImplementedRequirementControlImplementation, 0, len(m.Controls))
	j := 0
	for i := range fw.Controls {
		c := &fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		r := &m.Controls[j]
		j++
		applicable, _ := v.assignments(c)
		props := []oscal.Property{prop(propOwner, string(r.Owner))}
		if r.Sharing != "" {
			props = append(props, prop(propSharing, string(r.Sharing)))
		}
		if tokens.rewritten(c.ID) {
			props = append(props, prop(propControlID, string(c.ID)))
		}
		for _, a := range r.Areas {
			props = append(props, prop(propArea, string(a)))
		}
		for _, o := range providerOrigins(v.lib, applicable) {
			props = append(props, fedrampProp("control-origination", o))
		}
		reqs = append(reqs, oscal.ImplementedRequirementControlImplementation{
			UUID:             id("defined-requirement", svc, fwID, string(c.ID)),
			ControlId:        tokens[c.ID],
			Description:      v.describe(c, r),
			Props:            &props,
			ResponsibleRoles: v.roles(r),
		})
	}
	return oscal.ControlImplementationSet{
		UUID:                    id("control-implementation", svc, fwID),
		Source:                  frameworkHref(fw),
		Description:             "Who does what for the controls of " + fw.Title + " when a system uses " + v.svc.Title + ".",
		Props:                   &[]oscal.Property{prop("framework", fwID)},
		ImplementedRequirements: reqs,
	}
}

// describe says in words what each party does for control c.
func (v *serviceView) describe(c *demarc.Control, r *demarc.ControlResult) string {
	if r.Owner == demarc.OwnerNotApplicable {
		var titles []string
		for _, a := range c.Areas {
			titles = append(titles, areaTitle(v.lib, a))
		}
		return "Not applicable to " + v.svc.Title + ": none of the control's areas (" + strings.Join(titles, ", ") + ") exists for it."
	}
	var paras []string
	add := func(who string, parts []demarc.Part) {
		var lines []string
		for _, p := range parts {
			lines = append(lines, areaTitle(v.lib, p.Area)+": "+text(p.Text, areaTitle(v.lib, p.Area)))
		}
		if len(lines) > 0 {
			paras = append(paras, joinLines(who+" does:", lines))
		}
	}
	add(v.provider, r.Provider)
	add("The customer", r.Customer)
	for _, p := range r.ThirdParty {
		add(p.Party.Name, []demarc.Part{p})
	}
	if len(r.Gaps) > 0 {
		var lines []string
		for _, g := range r.Gaps {
			lines = append(lines, areaTitle(v.lib, g.Area)+": "+g.Text)
		}
		paras = append(paras, joinLines("Nobody is assigned:", lines))
	}
	if r.Owner == demarc.OwnerShared && r.Sharing == demarc.SharingIndependent {
		paras = append(paras, "Each party does this for its own scope: nothing is inherited.")
	}
	return strings.Join(paras, "\n\n")
}

func (v *serviceView) roles(r *demarc.ControlResult) *[]oscal.ResponsibleRole {
	var roles []oscal.ResponsibleRole
	if len(r.Provider) > 0 {
		roles = append(roles, oscal.ResponsibleRole{RoleId: roleProvider, PartyUuids: &[]string{id("party", string(v.svc.Provider))}})
	}
	if len(r.Customer) > 0 {
		roles = append(roles, oscal.ResponsibleRole{RoleId: roleCustomer})
	}
	if len(roles) == 0 {
		return nil
	}
	return &roles
}
