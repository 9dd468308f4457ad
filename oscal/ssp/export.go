package ssp

import (
	"fmt"
	"sort"
	"strings"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
)

// Roles every plan defines: the RACI roles of the customer's teams, the
// provider of a leveraged service, and third parties.
const (
	roleResponsible = "responsible"
	roleAccountable = "accountable"
	roleConsulted   = "consulted"
	roleInformed    = "informed"
	roleProvider    = "provider"
	roleThirdParty  = "third-party"
	roleCustomer    = "customer"
)

// Export writes the security plan of a resolved system for one framework:
// one implemented requirement per control of fw that is not withdrawn,
// each with by-components that say what the system inherits from each
// provider service, what it does itself and which teams do it. The result
// is deterministic for a given Options.LastModified. Errors have code
// EInvalid (an unknown Options.Status).
func Export(res *resolve.Resolution, fw *demarc.Framework, opts Options) (*oscal.OscalCompleteSchema, error) {
	status, err := opts.status()
	if err != nil {
		return nil, err
	}
	p := newPlan(res, fw, opts)
	ssp := &oscal.SystemSecurityPlan{
		UUID:                  p.id("plan"),
		Metadata:              p.metadata(),
		ImportProfile:         oscal.ImportProfile{Href: opts.profile(fw)},
		SystemCharacteristics: p.characteristics(status),
		SystemImplementation:  p.implementation(),
		ControlImplementation: p.controls(),
	}
	return &oscal.OscalCompleteSchema{SystemSecurityPlan: ssp}, nil
}

// plan holds what writing one system's plan needs: the resolution, indexes
// of its cells by area, and the components and parties found in them.
type plan struct {
	res    *resolve.Resolution
	lib    *library.Library
	sys    *demarc.System
	fw     *demarc.Framework
	opts   Options
	tokens controlTokens
	// cells[ai] are the applicable assignments of area ai, one per
	// component, with the component whose rule decided each.
	cells [][]cell
	raci  []demarc.RACI // per area index
	// leveraged are the provider services the system uses, in order of
	// first use; thirdParties the third parties named in its parts.
	leveraged    []*leveragedComponent
	levIndex     map[levKey]*leveragedComponent
	thirdParties []string
	// statements caches what each service's own statement says, per area.
	statements map[demarc.ServiceID][]demarc.Assignment
	// providers lists the parties that play provider, in order of first use.
	providers []string
}

// cell is one component's assignment of one area. origin is the component
// whose rule decided it: the component itself, or the one beneath it that
// it inherits the area from.
type cell struct {
	ci, origin int
	asg        demarc.Assignment
}

// levKey names a leveraged component: a party playing provider, through a
// service.
type levKey struct {
	party   string
	service demarc.ServiceID
}

type leveragedComponent struct {
	key   levKey
	uuid  string
	svc   *demarc.Service
	order int // position in plan.leveraged
	// users counts the customer's components that lean on the service;
	// when several do, satisfied entries name the components.
	users int
}

func newPlan(res *resolve.Resolution, fw *demarc.Framework, opts Options) *plan {
	p := &plan{res: res, lib: res.Library(), sys: res.System, fw: fw, opts: opts,
		tokens: newControlTokens(fw), levIndex: map[levKey]*leveragedComponent{}, statements: map[demarc.ServiceID][]demarc.Assignment{}}
	areas := res.Areas()
	p.cells = make([][]cell, len(areas))
	p.raci = make([]demarc.RACI, len(areas))
	for ai, a := range areas {
		p.raci[ai] = res.RACI(a.ID)
	}
	seenThird := map[string]bool{}
	for ci := range p.sys.Components {
		for ai, asg := range res.Cells(ci) {
			if asg.Owner == demarc.OwnerNotApplicable {
				continue
			}
			c := cell{ci: ci, origin: p.origin(ci, asg), asg: asg}
			p.cells[ai] = append(p.cells[ai], c)
			for _, part := range asg.Parts {
				switch part.Party.Kind {
				case demarc.PartyProvider:
					p.leveragedFor(part.Party.Name, c.origin)
				case demarc.PartyThirdParty:
					if !seenThird[part.Party.Name] {
						seenThird[part.Party.Name] = true
						p.thirdParties = append(p.thirdParties, part.Party.Name)
					}
				}
			}
		}
	}
	for ci := range p.sys.Components {
		if party, svc, ok := p.providerOf(ci); ok {
			p.leveragedFor(party, ci)
			p.levIndex[levKey{party, svc.ID}].users++
		}
	}
	sort.Slice(p.leveraged, func(i, j int) bool {
		a, b := p.leveraged[i].key, p.leveraged[j].key
		return a.party < b.party || a.party == b.party && a.service < b.service
	})
	for i, l := range p.leveraged {
		l.order = i
	}
	sort.Strings(p.thirdParties)
	for _, l := range p.leveraged {
		if len(p.providers) == 0 || p.providers[len(p.providers)-1] != l.key.party {
			p.providers = append(p.providers, l.key.party)
		}
	}
	return p
}

// id derives a UUID that is stable for this system.
func (p *plan) id(parts ...string) string {
	var stack [8]string
	return id(append(append(stack[:0], "ssp", p.sys.Name), parts...)...)
}

func (p *plan) componentIndex(name string) int {
	for i := range p.sys.Components {
		if p.sys.Components[i].Name == name {
			return i
		}
	}
	return -1
}

// origin returns the component whose rule decided asg on component ci: the
// last component the assignment was inherited through, else ci.
func (p *plan) origin(ci int, asg demarc.Assignment) int {
	if via := asg.Provenance.Via; len(via) > 0 {
		if j := p.componentIndex(via[len(via)-1]); j >= 0 {
			return j
		}
	}
	return ci
}

// providerOf returns the party that plays provider for component ci and
// the service through which it does: for a generic service running on
// another component, the provider of the component beneath — as the
// resolution names it. ok is false for on-premises components, which lean
// on no provider.
func (p *plan) providerOf(ci int) (party string, svc *demarc.Service, ok bool) {
	comp := &p.sys.Components[ci]
	svc = p.lib.Service(comp.Service)
	for steps := 0; svc != nil && svc.Provider == "generic" && comp.RunsOn != "" && comp.Provider == "" && steps < len(p.sys.Components); steps++ {
		j := p.componentIndex(comp.RunsOn)
		if j < 0 {
			break
		}
		comp = &p.sys.Components[j]
		svc = p.lib.Service(comp.Service)
	}
	if svc == nil || svc.Model == demarc.ModelOnPrem {
		return "", nil, false
	}
	party = string(comp.Provider)
	if party == "" {
		party = string(svc.Provider)
	}
	return party, svc, true
}

// levKeyFor names the leveraged component through which party provides
// for component origin; the zero key when origin leans on no provider.
func (p *plan) levKeyFor(party string, origin int) levKey {
	_, svc, ok := p.providerOf(origin)
	if !ok {
		return levKey{}
	}
	return levKey{party: party, service: svc.ID}
}

// leveragedFor adds the leveraged component through which party provides
// for component origin, unless it is known or origin leans on no provider.
func (p *plan) leveragedFor(party string, origin int) {
	k := p.levKeyFor(party, origin)
	if k.service == "" || p.levIndex[k] != nil {
		return
	}
	svc := p.lib.Service(k.service)
	l := &leveragedComponent{key: k, uuid: p.id("leveraged", party, string(svc.ID)), svc: svc}
	p.levIndex[k] = l
	p.leveraged = append(p.leveraged, l)
}

// ownStatement reports whether the leveraged component's party is the
// service's own provider, so that its published statement — and so the
// provider's leveraged plan — speaks for the parts.
func (l *leveragedComponent) ownStatement() bool {
	return l.svc != nil && string(l.svc.Provider) == l.key.party
}

func (p *plan) providerTitle(party string) string {
	if pr := p.lib.Provider(demarc.ProviderID(party)); pr != nil {
		return pr.Title
	}
	return party
}

func (p *plan) metadata() oscal.Metadata {
	stamp := p.opts.stamp()
	var parties []oscal.Party
	for _, t := range p.sys.Teams {
		parties = append(parties, teamParty(p.id("team", t.Name), t))
	}
	for _, pr := range p.providers {
		parties = append(parties, oscal.Party{UUID: p.partyUUID(pr), Type: "organization", Name: p.providerTitle(pr), ShortName: pr,
			Props: &[]oscal.Property{prop(propProvider, pr)}})
	}
	for _, tp := range p.thirdParties {
		parties = append(parties, oscal.Party{UUID: p.partyUUID(tp), Type: "organization", Name: tp,
			Remarks: "A third party the system file names: it does parts of the work under contract."})
	}
	return oscal.Metadata{
		Title:        "System security plan: " + p.sys.Name,
		LastModified: stamp,
		Version:      p.opts.version(stamp),
		OscalVersion: OSCALVersion,
		Roles: &[]oscal.Role{
			{ID: roleResponsible, Title: "Responsible", Description: "The customer team that does the work (RACI)."},
			{ID: roleAccountable, Title: "Accountable", Description: "The customer team that answers for the work (RACI)."},
			{ID: roleConsulted, Title: "Consulted", Description: "A customer team consulted on the work (RACI)."},
			{ID: roleInformed, Title: "Informed", Description: "A customer team kept informed of the work (RACI)."},
			{ID: roleProvider, Title: "Provider", Description: "The provider of a service the system leverages."},
			{ID: roleThirdParty, Title: "Third party", Description: "A party that does part of the work under contract."},
		},
		Parties: partyList(parties),
		Remarks: fmt.Sprintf("Derived by demarc from the system %s, the services it uses and its providers' statements, for %s.", p.sys.Name, p.fw.Title),
	}
}

func (p *plan) partyUUID(name string) string { return p.id("party", name) }

func teamParty(uuid string, t demarc.Team) oscal.Party {
	party := oscal.Party{UUID: uuid, Type: "organization", Name: t.Name, Props: &[]oscal.Property{prop(propTeam, t.Name)}}
	switch c := strings.TrimSpace(t.Contact); {
	case c == "":
	case strings.Contains(c, "@") && !strings.ContainsAny(c, " \t\n"):
		party.EmailAddresses = &[]string{c}
	default:
		party.Remarks = "Contact: " + c
	}
	return party
}

func partyList(ps []oscal.Party) *[]oscal.Party {
	if len(ps) == 0 {
		return nil
	}
	return &ps
}

func (p *plan) characteristics(status string) oscal.SystemCharacteristics {
	var props []oscal.Property
	if p.sys.DataClassification != "" {
		props = append(props, prop("data-classification", string(p.sys.DataClassification)))
	}
	info := "The data the system stores, processes and transmits."
	if p.sys.DataClassification != "" {
		info += " The system file classifies it as " + string(p.sys.DataClassification) + "."
	}
	return oscal.SystemCharacteristics{
		SystemIds:   []oscal.SystemId{{IdentifierType: "https://ietf.org/rfc/rfc4122", ID: p.id("system")}},
		SystemName:  p.sys.Name,
		Description: text(p.sys.Description, "The system "+p.sys.Name+"."),
		Props:       propList(props),
		SystemInformation: oscal.SystemInformation{InformationTypes: []oscal.InformationType{{
			UUID: p.id("information-type"), Title: "Data of " + p.sys.Name, Description: info,
		}}},
		Status:                oscal.Status{State: status},
		AuthorizationBoundary: oscal.AuthorizationBoundary{Description: p.boundary()},
	}
}

// boundary describes what is inside the system and what it leverages.
func (p *plan) boundary() string {
	var own []string
	for _, c := range p.sys.Components {
		s := c.Name + " (" + string(c.Service)
		if c.RunsOn != "" {
			s += ", on " + c.RunsOn
		}
		own = append(own, s+")")
	}
	b := "Inside the boundary: " + strings.Join(own, ", ") + "."
	if len(p.leveraged) > 0 {
		var lev []string
		for _, l := range p.leveraged {
			lev = append(lev, string(l.key.service)+" of "+p.providerTitle(l.key.party))
		}
		b += " Leveraged from outside it: " + strings.Join(lev, ", ") + "."
	}
	return b
}

func (p *plan) implementation() oscal.SystemImplementation {
	return oscal.SystemImplementation{
		Users:                   p.users(),
		Components:              p.components(),
		LeveragedAuthorizations: p.authorizations(),
	}
}

func (p *plan) users() []oscal.SystemUser {
	var users []oscal.SystemUser
	for _, t := range p.sys.Teams {
		var roles []string
		for _, r := range []struct {
			id    string
			areas []string
		}{{roleResponsible, t.Responsible}, {roleAccountable, t.Accountable}, {roleConsulted, t.Consulted}, {roleInformed, t.Informed}} {
			if len(r.areas) > 0 {
				roles = append(roles, r.id)
			}
		}
		u := oscal.SystemUser{UUID: p.id("user", t.Name), Title: t.Name, Props: &[]oscal.Property{prop(propTeam, t.Name)}}
		if len(roles) > 0 {
			u.RoleIds = &roles
		}
		users = append(users, u)
	}
	if len(users) == 0 {
		users = append(users, oscal.SystemUser{UUID: p.id("user", "owner"), Title: "Owner of " + p.sys.Name,
			Description: "The system file names no teams, so every customer part falls to the system's owner."})
	}
	return users
}

func (p *plan) components() []oscal.SystemComponent {
	out := []oscal.SystemComponent{{
		UUID: p.id("this-system"), Type: "this-system", Title: p.sys.Name,
		Description: text(p.sys.Description, "The system "+p.sys.Name+" as a whole."),
		Status:      oscal.SystemComponentStatus{State: "operational"},
	}}
	for ci, c := range p.sys.Components {
		out = append(out, p.internalComponent(ci, c))
	}
	for _, l := range p.leveraged {
		out = append(out, p.leveragedComponent(l))
	}
	for _, tp := range p.thirdParties {
		out = append(out, oscal.SystemComponent{
			UUID: p.id("third-party", tp), Type: "service", Title: tp,
			Description:      tp + " does parts of the work for the system under contract; nothing is inherited from it.",
			Props:            &[]oscal.Property{coreProp("implementation-point", "external"), prop("party", tp)},
			Status:           oscal.SystemComponentStatus{State: "operational"},
			ResponsibleRoles: &[]oscal.ResponsibleRole{{RoleId: roleThirdParty, PartyUuids: &[]string{p.partyUUID(tp)}}},
		})
	}
	return out
}

func (p *plan) internalComponent(ci int, c demarc.Component) oscal.SystemComponent {
	title := string(c.Service)
	if svc := p.lib.Service(c.Service); svc != nil {
		title = svc.Title
	}
	desc := c.Name + ", built on " + title
	if c.RunsOn != "" {
		desc += ", running on " + c.RunsOn
	}
	if c.OperatedBy != "" {
		desc += ", operated by " + c.OperatedBy
	}
	desc += "."
	if c.Description != "" {
		desc = strings.TrimSpace(c.Description) + " (" + strings.TrimSuffix(desc, ".") + ".)"
	}
	return oscal.SystemComponent{
		UUID: p.componentUUID(ci), Type: "software", Title: c.Name, Description: desc,
		Props:  &[]oscal.Property{coreProp("implementation-point", "internal"), prop(propService, string(c.Service))},
		Status: oscal.SystemComponentStatus{State: "operational"},
	}
}

func (p *plan) componentUUID(ci int) string { return p.id("component", p.sys.Components[ci].Name) }

func (p *plan) leveragedComponent(l *leveragedComponent) oscal.SystemComponent {
	title := l.svc.Title
	if !l.ownStatement() {
		title += " (" + p.providerTitle(l.key.party) + ")"
	}
	props := []oscal.Property{
		coreProp("implementation-point", "external"),
		coreProp("leveraged-authorization-uuid", p.id("leveraged-authorization", l.key.party)),
	}
	if l.ownStatement() {
		props = append(props, coreProp("inherited-uuid", serviceUUID(l.svc.ID)))
	}
	props = append(props, prop(propProvider, l.key.party), prop(propService, string(l.svc.ID)), prop(propModel, string(l.svc.Model)))
	return oscal.SystemComponent{
		UUID: l.uuid, Type: "service", Title: title,
		Description:      text(l.svc.Description, l.svc.Title+", a service of "+p.providerTitle(l.key.party)+"."),
		Purpose:          l.svc.Category,
		Props:            &props,
		Status:           oscal.SystemComponentStatus{State: "operational"},
		ResponsibleRoles: &[]oscal.ResponsibleRole{{RoleId: roleProvider, PartyUuids: &[]string{p.partyUUID(l.key.party)}}},
	}
}

// serviceUUID is the UUID of a service's component in its provider's
// leveraged plan: customers name it as the inherited-uuid.
func serviceUUID(s demarc.ServiceID) string { return id("service", string(s)) }

func (p *plan) authorizations() *[]oscal.LeveragedAuthorization {
	var out []oscal.LeveragedAuthorization
	for _, party := range p.providers {
		out = append(out, p.authorization(party))
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

// authorization describes the leveraged authorization of one provider. Its
// date is that of the newest FedRAMP attestation the system records for
// the provider; without one, the document's own date, and the remarks say
// so.
func (p *plan) authorization(party string) oscal.LeveragedAuthorization {
	var services []string
	for _, l := range p.leveraged {
		if l.key.party == party {
			services = append(services, string(l.key.service))
		}
	}
	la := oscal.LeveragedAuthorization{
		UUID:      p.id("leveraged-authorization", party),
		Title:     p.providerTitle(party) + " (" + strings.Join(services, ", ") + ")",
		PartyUuid: p.partyUUID(party),
	}
	var props []oscal.Property
	var newest *demarc.Attestation
	for i := range p.sys.Attestations {
		a := &p.sys.Attestations[i]
		if string(a.Provider) != party {
			continue
		}
		props = append(props, prop("attestation", a.ID))
		if strings.HasPrefix(string(a.Type), "fedramp-") && (newest == nil || a.Period.To.After(newest.Period.To.Time)) {
			newest = a
		}
	}
	la.Props = propList(props)
	if newest != nil && !newest.Period.From.IsZero() {
		la.DateAuthorized = newest.Period.From.String()
		la.Remarks = fmt.Sprintf("Dated from the %s attestation %s.", newest.Type, newest.ID)
	} else {
		la.DateAuthorized = p.opts.stamp().Format(demarc.DateLayout)
		la.Remarks = "The system file records no FedRAMP authorization for " + p.providerTitle(party) + ": the date is this document's own."
	}
	return la
}
