package ssp

import (
	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// fedrampModels are the service models FedRAMP's cloud-service-model
// property names.
var fedrampModels = map[demarc.Model]string{demarc.ModelIaaS: "iaas", demarc.ModelPaaS: "paas", demarc.ModelSaaS: "saas"}

// Leveraged writes one service as its provider's leveraged system: a
// minimal security plan with one component, whose by-components export,
// per control of fw, what the provider provides (provided) and what it
// leaves to the customers who leverage it (responsibilities). Every entry
// names its area in a property, so that Import reads the document back to
// the same owner for every area. Independent sharing exports only the
// customer's responsibility — the provider's own-scope part is not
// inheritable — marked with a sharing property and the provider's part in
// its remarks. Errors have code EInvalid when svc is not in e's library.
func Leveraged(e *resolve.Engine, svc *demarc.Service, fw *demarc.Framework, opts Options) (*oscal.OscalCompleteSchema, error) {
	v, err := newServiceView(e, svc)
	if err != nil {
		return nil, err
	}
	stamp := opts.stamp()
	partyUUID := id("party", string(svc.Provider))
	sysProps := serviceProps(svc)
	if m, ok := fedrampModels[svc.Model]; ok {
		sysProps = append(sysProps, fedrampProp("cloud-service-model", m))
	}
	ssp := &oscal.SystemSecurityPlan{
		UUID: id("leveraged-plan", string(svc.ID), string(fw.ID)),
		Metadata: oscal.Metadata{
			Title:        svc.Title + ": what " + v.provider + " provides and what it leaves to customers",
			LastModified: stamp,
			Version:      opts.version(stamp),
			OscalVersion: OSCALVersion,
			Roles: &[]oscal.Role{
				{ID: roleProvider, Title: "Provider", Description: "The provider of the service."},
				{ID: roleCustomer, Title: "Customer", Description: "A customer whose system leverages the service."},
			},
			Parties: &[]oscal.Party{{UUID: partyUUID, Type: "organization", Name: v.provider, ShortName: string(svc.Provider)}},
			Remarks: "Derived by demarc from its library's statement of " + string(svc.ID) + ", for " + fw.Title + ".",
		},
		ImportProfile: oscal.ImportProfile{Href: opts.profile(fw)},
		SystemCharacteristics: oscal.SystemCharacteristics{
			SystemIds:   []oscal.SystemId{{IdentifierType: "https://ietf.org/rfc/rfc4122", ID: id("service-system", string(svc.ID))}},
			SystemName:  svc.Title,
			Description: text(svc.Description, svc.Title+", a service of "+v.provider+"."),
			Props:       &sysProps,
			SystemInformation: oscal.SystemInformation{InformationTypes: []oscal.InformationType{{
				UUID: id("service-information", string(svc.ID)), Title: "Customer data",
				Description: "Data customers store in, or process with, " + svc.Title + ".",
			}}},
			Status:                oscal.Status{State: "operational"},
			AuthorizationBoundary: oscal.AuthorizationBoundary{Description: svc.Title + " as " + v.provider + " offers it to every customer. Each customer's own configuration, code and data lie outside the boundary."},
		},
		SystemImplementation: oscal.SystemImplementation{
			Users: []oscal.SystemUser{
				{UUID: id("service-user", string(svc.ID), roleProvider), Title: "Operations staff of " + v.provider, RoleIds: &[]string{roleProvider}},
				{UUID: id("service-user", string(svc.ID), roleCustomer), Title: "Customer administrators", RoleIds: &[]string{roleCustomer}},
			},
			Components: []oscal.SystemComponent{{
				UUID: serviceUUID(svc.ID), Type: "this-system", Title: svc.Title,
				Description:      text(svc.Description, svc.Title+", a service of "+v.provider+"."),
				Purpose:          svc.Category,
				Props:            &[]oscal.Property{coreProp("implementation-point", "internal")},
				Status:           oscal.SystemComponentStatus{State: "operational"},
				ResponsibleRoles: &[]oscal.ResponsibleRole{{RoleId: roleProvider, PartyUuids: &[]string{partyUUID}}},
			}},
		},
		ControlImplementation: v.leveragedControls(fw, partyUUID),
	}
	return &oscal.OscalCompleteSchema{SystemSecurityPlan: ssp}, nil
}

func (v *serviceView) leveragedControls(fw *demarc.Framework, partyUUID string) oscal.ControlImplementation {
	tokens := newControlTokens(fw)
	m := v.res.Matrix(fw)
	reqs := make([]oscal.ImplementedRequirement, 0, len(m.Controls))
	j := 0
	for i := range fw.Controls {
		c := &fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		r := &m.Controls[j]
		j++
		applicable, na := v.assignments(c)
		props := []oscal.Property{prop(propOwner, string(r.Owner))}
		if r.Sharing != "" {
			props = append(props, prop(propSharing, string(r.Sharing)))
		}
		if tokens.rewritten(c.ID) {
			props = append(props, prop(propControlID, string(c.ID)))
		}
		for _, o := range providerOrigins(v.lib, applicable) {
			props = append(props, fedrampProp("control-origination", o))
		}
		bc := v.exportByComponent(fw, c, applicable, na, partyUUID)
		reqs = append(reqs, oscal.ImplementedRequirement{
			UUID:         id("leveraged-requirement", string(v.svc.ID), string(fw.ID), string(c.ID)),
			ControlId:    tokens[c.ID],
			Props:        &props,
			ByComponents: &[]oscal.ByComponent{bc},
		})
	}
	return oscal.ControlImplementation{
		Description:             "What " + v.svc.Title + " provides for each control of " + fw.Title + ", and what it leaves to the customers who leverage it.",
		ImplementedRequirements: reqs,
	}
}

// exportByComponent states one control for the service's component.
func (v *serviceView) exportByComponent(fw *demarc.Framework, c *demarc.Control, applicable []*demarc.Assignment, na []demarc.AreaID, partyUUID string) oscal.ByComponent {
	svc, fwID, cid := string(v.svc.ID), string(fw.ID), string(c.ID)
	providerRole := &[]oscal.ResponsibleRole{{RoleId: roleProvider, PartyUuids: &[]string{partyUUID}}}
	customerRole := &[]oscal.ResponsibleRole{{RoleId: roleCustomer}}
	var provided []oscal.ProvidedControlImplementation
	var resps []oscal.ControlImplementationResponsibility
	var lines []string
	for _, asg := range applicable {
		area := string(asg.Area)
		title := areaTitle(v.lib, asg.Area)
		prov, cust := partText(asg, demarc.PartyProvider), partText(asg, demarc.PartyCustomer)
		providedUUID := id("provided", svc, fwID, cid, area)
		switch {
		case asg.Owner == demarc.OwnerProvider || asg.Owner == demarc.OwnerShared && asg.Sharing == demarc.SharingDependent:
			provided = append(provided, oscal.ProvidedControlImplementation{
				UUID: providedUUID, Description: text(prov, title),
				Props: &[]oscal.Property{prop(propArea, area)}, ResponsibleRoles: providerRole,
			})
			lines = append(lines, title+" — "+v.provider+": "+text(prov, title))
		case asg.Owner == demarc.OwnerThirdParty:
			lines = append(lines, title+" — "+partText(asg, demarc.PartyThirdParty)+" (a third party; not exported)")
		case asg.Owner.Gap():
			lines = append(lines, title+" — nobody: "+asg.Provenance.Decided.Source)
		}
		switch {
		case asg.Owner == demarc.OwnerCustomer:
			resps = append(resps, oscal.ControlImplementationResponsibility{
				UUID: id("responsibility", svc, fwID, cid, area), Description: text(cust, title),
				Props: &[]oscal.Property{prop(propArea, area)}, ResponsibleRoles: customerRole,
			})
			lines = append(lines, title+" — the customer: "+text(cust, title))
		case asg.Owner == demarc.OwnerShared && asg.Sharing == demarc.SharingDependent:
			resps = append(resps, oscal.ControlImplementationResponsibility{
				UUID: id("responsibility", svc, fwID, cid, area), ProvidedUuid: providedUUID, Description: text(cust, title),
				Props: &[]oscal.Property{prop(propArea, area)}, ResponsibleRoles: customerRole,
			})
			lines = append(lines, title+" — the customer: "+text(cust, title))
		case asg.Owner == demarc.OwnerShared:
			resps = append(resps, oscal.ControlImplementationResponsibility{
				UUID: id("responsibility", svc, fwID, cid, area), Description: text(cust, title),
				Props:   &[]oscal.Property{prop(propArea, area), prop(propSharing, string(demarc.SharingIndependent))},
				Remarks: text(prov, title), ResponsibleRoles: customerRole,
			})
			lines = append(lines, title+" — each for its own scope: "+v.provider+": "+text(prov, title)+" The customer: "+text(cust, title))
		}
	}
	var props []oscal.Property
	for _, a := range na {
		props = append(props, prop(propNotApplicable, string(a)))
	}
	bc := oscal.ByComponent{
		UUID:          id("leveraged-by-component", svc, fwID, cid),
		ComponentUuid: serviceUUID(v.svc.ID),
		Props:         propList(props),
	}
	switch {
	case len(applicable) == 0:
		bc.Description = "None of this control's areas exists for " + v.svc.Title + "."
		bc.ImplementationStatus = &oscal.ImplementationStatus{State: stateNotApplicable}
	default:
		bc.Description = joinLines(v.svc.Title+":", lines)
		if len(provided) > 0 {
			bc.ImplementationStatus = &oscal.ImplementationStatus{State: stateImplemented}
		}
	}
	if len(provided) > 0 || len(resps) > 0 {
		bc.Export = &oscal.Export{Description: "What customers of " + v.svc.Title + " inherit for this control, and what they must do themselves."}
		if len(provided) > 0 {
			bc.Export.Provided = &provided
		}
		if len(resps) > 0 {
			bc.Export.Responsibilities = &resps
		}
	}
	return bc
}
