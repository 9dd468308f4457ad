package ssp

import (
	"sort"
	"strings"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"

	"github.com/demarc-io/demarc"
)

// Kinds of by-component, in the order a requirement lists them.
const (
	bcLeveraged = iota
	bcInternal
	bcThirdParty
)

// work is one party's part of one area, as a plan states it.
type work struct {
	area    demarc.AreaID
	text    string
	sharing demarc.Sharing
	// inheritable marks a provider's part the customer inherits: the area
	// is the provider's, or shared dependently.
	inheritable bool
	// statement marks a part that the service's own published statement
	// decided, so that the provider's leveraged plan holds the matching
	// provided or responsibility entry.
	statement bool
	// components are the customer's components the customer's part is
	// done on.
	components []string
}

// byComp gathers, for one control, the work done on one component.
type byComp struct {
	kind     int
	order    int // position among components of its kind
	lev      *leveragedComponent
	ci       int
	third    string
	provider []work // a provider's or third party's part
	customer []work // the customer's part
}

// gap is an area on a component that nobody, or more than one rule, owns.
type gap struct {
	area      demarc.AreaID
	owner     demarc.Owner
	component string
	source    string
}

// collector gathers one control's work by component; it is reused across
// controls.
type collector struct {
	list  []*byComp
	index map[[2]int]*byComp
	third map[string]*byComp
	seen  map[seenKey]int // index of the work in its list
	gaps  []gap
}

// seenKey identifies one part of one area on one component.
type seenKey struct {
	bc       *byComp
	provider bool
	area     demarc.AreaID
	text     string
}

func newCollector() *collector {
	return &collector{index: map[[2]int]*byComp{}, third: map[string]*byComp{}, seen: map[seenKey]int{}}
}

func (c *collector) reset() {
	c.list = c.list[:0]
	clear(c.index)
	clear(c.third)
	clear(c.seen)
	c.gaps = c.gaps[:0]
}

func (c *collector) get(kind, order int, newBC func() *byComp) *byComp {
	k := [2]int{kind, order}
	if bc := c.index[k]; bc != nil {
		return bc
	}
	bc := newBC()
	bc.kind, bc.order = kind, order
	c.index[k] = bc
	c.list = append(c.list, bc)
	return bc
}

// add records w once per component, side and text.
func (c *collector) add(bc *byComp, provider bool, w work) {
	key := seenKey{bc: bc, provider: provider, area: w.area, text: w.text}
	if i, ok := c.seen[key]; ok {
		if !provider {
			for _, name := range w.components {
				bc.customer[i].components = appendOnce(bc.customer[i].components, name)
			}
		}
		return
	}
	if provider {
		c.seen[key] = len(bc.provider)
	} else {
		c.seen[key] = len(bc.customer)
	}
	if provider {
		bc.provider = append(bc.provider, w)
	} else {
		bc.customer = append(bc.customer, w)
	}
}

// collect gathers the work of control c from the cells of its areas.
func (p *plan) collect(c *demarc.Control, acc *collector) {
	acc.reset()
	for _, aid := range c.Areas {
		ai := p.lib.AreaIndex(aid)
		if ai < 0 {
			continue
		}
		for i := range p.cells[ai] {
			p.collectCell(ai, &p.cells[ai][i], acc)
		}
	}
	sort.SliceStable(acc.list, func(i, j int) bool {
		a, b := acc.list[i], acc.list[j]
		return a.kind < b.kind || a.kind == b.kind && (a.order < b.order || a.order == b.order && a.third < b.third)
	})
}

func (p *plan) collectCell(ai int, cl *cell, acc *collector) {
	asg := &cl.asg
	if asg.Owner.Gap() {
		acc.gaps = append(acc.gaps, gap{area: asg.Area, owner: asg.Owner, component: p.sys.Components[cl.ci].Name, source: asg.Provenance.Decided.Source})
		return
	}
	inheritable := asg.Owner == demarc.OwnerProvider || asg.Owner == demarc.OwnerShared && asg.Sharing == demarc.SharingDependent
	decidedByStatement := asg.Provenance.Decided.Level != demarc.LevelOverride
	originService := p.sys.Components[cl.origin].Service
	// What the origin service's own statement says of the area: a party
	// that operates the component can change the owner, not what the
	// provider's statement offers.
	var stated *demarc.Assignment
	if decidedByStatement {
		stated = p.statement(originService, ai)
	}
	for _, part := range asg.Parts {
		w := work{area: asg.Area, text: text(part.Text, areaTitle(p.lib, asg.Area)), sharing: asg.Sharing}
		switch part.Party.Kind {
		case demarc.PartyProvider:
			w.inheritable = inheritable && !(stated != nil && stated.Owner == demarc.OwnerShared && stated.Sharing == demarc.SharingIndependent)
			if l := p.levIndex[p.levKeyFor(part.Party.Name, cl.origin)]; l != nil {
				w.statement = w.inheritable && stated != nil && l.ownStatement() && originService == l.svc.ID && offers(stated)
				acc.add(acc.get(bcLeveraged, l.order, func() *byComp { return &byComp{lev: l} }), true, w)
			} else {
				// A provider part on a component that leans on no provider
				// service: the work is still the provider's, done inside.
				w.text = part.Party.Name + ": " + w.text
				acc.add(acc.get(bcInternal, cl.origin, func() *byComp { return &byComp{ci: cl.origin} }), true, w)
			}
		case demarc.PartyCustomer:
			// The customer's part answers the statement of the service it
			// leans on: it is "satisfied" there. Only work that leans on no
			// provider is described on the customer's own component.
			w.components = []string{p.sys.Components[cl.origin].Name}
			if party, svc, ok := p.providerOf(cl.origin); ok && p.levIndex[levKey{party, svc.ID}] != nil {
				l := p.levIndex[levKey{party, svc.ID}]
				w.statement = stated != nil && l.ownStatement() && originService == svc.ID && leaves(stated)
				acc.add(acc.get(bcLeveraged, l.order, func() *byComp { return &byComp{lev: l} }), false, w)
			} else {
				acc.add(acc.get(bcInternal, cl.origin, func() *byComp { return &byComp{ci: cl.origin} }), false, w)
			}
		case demarc.PartyThirdParty:
			name := part.Party.Name
			bc := acc.third[name]
			if bc == nil {
				bc = &byComp{kind: bcThirdParty, third: name}
				acc.third[name] = bc
				acc.list = append(acc.list, bc)
			}
			acc.add(bc, true, w)
		}
	}
}

// statement returns what service svc's own statement says of area index
// ai, or nil for a service the library lacks.
func (p *plan) statement(svc demarc.ServiceID, ai int) *demarc.Assignment {
	list, ok := p.statements[svc]
	if !ok {
		if s := p.lib.Service(svc); s != nil {
			list = p.res.Engine().ServiceAssignments(s)
		}
		p.statements[svc] = list
	}
	if ai >= len(list) {
		return nil
	}
	return &list[ai]
}

// offers reports whether a statement exports the provider's part of its
// area as provided: the area is the provider's, or dependently shared.
func offers(a *demarc.Assignment) bool {
	return a.Owner == demarc.OwnerProvider || a.Owner == demarc.OwnerShared && a.Sharing == demarc.SharingDependent
}

// leaves reports whether a statement exports a responsibility for its
// area: the customer owns it or shares it.
func leaves(a *demarc.Assignment) bool {
	return a.Owner == demarc.OwnerCustomer || a.Owner == demarc.OwnerShared
}

func (p *plan) controls() oscal.ControlImplementation {
	m := p.res.Matrix(p.fw)
	reqs := make([]oscal.ImplementedRequirement, 0, len(m.Controls))
	acc := newCollector()
	j := 0
	for i := range p.fw.Controls {
		c := &p.fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		p.collect(c, acc)
		reqs = append(reqs, p.requirement(c, &m.Controls[j], acc))
		j++
	}
	return oscal.ControlImplementation{
		Description:             "How " + p.sys.Name + " meets " + p.fw.Title + ": what it inherits from the services it leverages, what its own teams do, and where nobody is responsible yet.",
		ImplementedRequirements: reqs,
	}
}

func (p *plan) requirement(c *demarc.Control, r *demarc.ControlResult, acc *collector) oscal.ImplementedRequirement {
	fw := string(p.fw.ID)
	cid := string(c.ID)
	var bcs []oscal.ByComponent
	switch {
	case r.Owner == demarc.OwnerNotApplicable:
		bcs = append(bcs, p.notApplicable(c))
	case len(acc.gaps) > 0:
		bcs = append(bcs, p.gapComponent(c, acc.gaps))
	}
	inherited, customerWork := false, false
	var origins []string
	var customerAreas []demarc.AreaID
	var parties []string
	for _, bc := range acc.list {
		b := p.byComponent(cid, bc)
		bcs = append(bcs, b)
		if b.Inherited != nil {
			inherited = true
			parties = appendOnce(parties, bc.lev.key.party)
		}
		for _, w := range bc.customer {
			customerWork = true
			customerAreas = append(customerAreas, w.area)
			origins = appendOnce(origins, p.ownOrigin(w.area))
		}
		if bc.kind == bcThirdParty || bc.kind == bcInternal && len(bc.provider) > 0 {
			customerWork = true
			origins = appendOnce(origins, originSystem)
		}
	}
	if inherited {
		origins = appendOnce(origins, originInherited)
	}
	props := []oscal.Property{prop(propOwner, string(r.Owner))}
	if r.Sharing != "" {
		props = append(props, prop(propSharing, string(r.Sharing)))
	}
	if p.tokens.rewritten(c.ID) {
		props = append(props, prop(propControlID, cid))
	}
	for _, o := range sortOrigins(origins) {
		props = append(props, fedrampProp("control-origination", o))
	}
	props = append(props, fedrampProp("implementation-status", p.overallState(r.Owner, len(acc.gaps) > 0, inherited, customerWork)))
	for _, party := range parties {
		props = append(props, coreProp("leveraged-authorization-uuid", p.id("leveraged-authorization", party)))
	}
	req := oscal.ImplementedRequirement{
		UUID:             p.id(fw, "requirement", cid),
		ControlId:        p.tokens[c.ID],
		Props:            &props,
		ResponsibleRoles: p.raciRoles(customerAreas),
	}
	if len(bcs) > 0 {
		req.ByComponents = &bcs
	}
	return req
}

// ownOrigin is the customer's origination for its own work in area: the
// organisation's (corporate) for governance, the system's otherwise.
func (p *plan) ownOrigin(area demarc.AreaID) string {
	if governance(p.lib, area) {
		return originCorporate
	}
	return originSystem
}

// overallState is the control's implementation state: what is inherited
// is implemented; the customer's work is planned unless the options say
// otherwise.
func (p *plan) overallState(owner demarc.Owner, gaps, inherited, customerWork bool) string {
	switch {
	case owner == demarc.OwnerNotApplicable:
		return stateNotApplicable
	case gaps:
		return statePlanned
	case inherited && customerWork && !p.opts.CustomerImplemented:
		return statePartial
	case inherited && !customerWork:
		return stateImplemented
	}
	return p.opts.customerState()
}

func (p *plan) byComponent(cid string, bc *byComp) oscal.ByComponent {
	switch bc.kind {
	case bcLeveraged:
		return p.leveragedByComponent(cid, bc)
	case bcThirdParty:
		return p.thirdPartyByComponent(cid, bc)
	}
	return p.internalByComponent(cid, bc)
}

func (p *plan) leveragedByComponent(cid string, bc *byComp) oscal.ByComponent {
	fw := string(p.fw.ID)
	l := bc.lev
	svc := string(l.svc.ID)
	var lines []string
	var inherited []oscal.InheritedControlImplementation
	for _, w := range bc.provider {
		if !w.inheritable {
			lines = append(lines, areaTitle(p.lib, w.area)+" — each party for its own scope, so nothing is inherited: "+w.text)
			continue
		}
		in := oscal.InheritedControlImplementation{
			UUID:        p.id(fw, cid, "inherited", l.uuid, string(w.area), w.text),
			Description: w.text,
			Props:       &[]oscal.Property{prop(propArea, string(w.area))},
		}
		if w.statement {
			in.ProvidedUuid = id("provided", svc, fw, cid, string(w.area))
		}
		inherited = append(inherited, in)
	}
	var satisfied []oscal.SatisfiedControlImplementationResponsibility
	for _, w := range bc.customer {
		props := []oscal.Property{prop(propArea, string(w.area))}
		if w.sharing == demarc.SharingIndependent {
			props = append(props, prop(propSharing, string(w.sharing)))
		}
		if l.users > 1 {
			for _, name := range w.components {
				props = append(props, prop(propComponent, name))
			}
		}
		s := oscal.SatisfiedControlImplementationResponsibility{
			UUID:             p.id(fw, cid, "satisfied", l.uuid, string(w.area), w.text),
			Description:      w.text,
			Props:            &props,
			ResponsibleRoles: p.raciRoles([]demarc.AreaID{w.area}),
		}
		if w.statement {
			s.ResponsibilityUuid = id("responsibility", svc, fw, cid, string(w.area))
		}
		satisfied = append(satisfied, s)
	}
	who := p.providerTitle(l.key.party) + ", through " + l.svc.Title + ","
	var desc string
	switch {
	case len(inherited) > 0 && len(satisfied) > 0:
		desc = who + " provides what is listed as inherited; " + p.sys.Name + " does what is listed as satisfied."
	case len(inherited) > 0:
		desc = who + " provides what is listed as inherited."
	case len(satisfied) > 0:
		desc = who + " provides nothing " + p.sys.Name + " inherits for this control; " + p.sys.Name + " does what is listed as satisfied."
	default:
		desc = who + " provides nothing " + p.sys.Name + " inherits for this control."
	}
	desc = joinLines(desc, lines)
	out := oscal.ByComponent{
		UUID:          p.id(fw, cid, "by-component", l.uuid),
		ComponentUuid: l.uuid,
		Description:   desc,
	}
	state := p.opts.customerState()
	if len(inherited) > 0 {
		out.Inherited = &inherited
		state = stateImplemented
	}
	if len(satisfied) > 0 {
		out.Satisfied = &satisfied
	}
	out.ImplementationStatus = &oscal.ImplementationStatus{State: state}
	return out
}

func (p *plan) internalByComponent(cid string, bc *byComp) oscal.ByComponent {
	uuid := p.componentUUID(bc.ci)
	var lines []string
	var areas []demarc.AreaID
	var props []oscal.Property
	for _, w := range append(append([]work(nil), bc.customer...), bc.provider...) {
		lines = append(lines, areaTitle(p.lib, w.area)+": "+w.text)
		if !containsArea(areas, w.area) {
			areas = append(areas, w.area)
			props = append(props, prop(propArea, string(w.area)))
		}
	}
	return oscal.ByComponent{
		UUID:                 p.id(string(p.fw.ID), cid, "by-component", uuid),
		ComponentUuid:        uuid,
		Description:          p.sys.Name + " does, on " + p.sys.Components[bc.ci].Name + ":\n\n- " + strings.Join(lines, "\n- "),
		Props:                propList(props),
		ImplementationStatus: &oscal.ImplementationStatus{State: p.opts.customerState()},
		ResponsibleRoles:     p.raciRoles(areasOf(bc.customer)),
	}
}

func (p *plan) thirdPartyByComponent(cid string, bc *byComp) oscal.ByComponent {
	uuid := p.id("third-party", bc.third)
	var lines []string
	for _, w := range bc.provider {
		lines = append(lines, areaTitle(p.lib, w.area)+": "+w.text)
	}
	return oscal.ByComponent{
		UUID:                 p.id(string(p.fw.ID), cid, "by-component", uuid),
		ComponentUuid:        uuid,
		Description:          bc.third + " does, under contract:\n\n- " + strings.Join(lines, "\n- "),
		ImplementationStatus: &oscal.ImplementationStatus{State: p.opts.customerState()},
		ResponsibleRoles:     &[]oscal.ResponsibleRole{{RoleId: roleThirdParty, PartyUuids: &[]string{p.partyUUID(bc.third)}}},
	}
}

func (p *plan) notApplicable(c *demarc.Control) oscal.ByComponent {
	var titles []string
	for _, a := range c.Areas {
		titles = append(titles, areaTitle(p.lib, a))
	}
	uuid := p.id("this-system")
	return oscal.ByComponent{
		UUID:                 p.id(string(p.fw.ID), string(c.ID), "by-component", uuid),
		ComponentUuid:        uuid,
		Description:          "None of this control's areas (" + strings.Join(titles, ", ") + ") exists on any component of " + p.sys.Name + ".",
		ImplementationStatus: &oscal.ImplementationStatus{State: stateNotApplicable},
	}
}

func (p *plan) gapComponent(c *demarc.Control, gaps []gap) oscal.ByComponent {
	var lines []string
	for _, g := range gaps {
		what := "no rule assigns it"
		if g.owner == demarc.OwnerConflict {
			what = "rules of equal precedence disagree"
		}
		lines = append(lines, areaTitle(p.lib, g.area)+" on "+g.component+": "+what+" ("+g.source+")")
	}
	uuid := p.id("this-system")
	return oscal.ByComponent{
		UUID:                 p.id(string(p.fw.ID), string(c.ID), "by-component", uuid),
		ComponentUuid:        uuid,
		Description:          "Nobody is responsible yet for part of this control:\n\n- " + strings.Join(lines, "\n- "),
		ImplementationStatus: &oscal.ImplementationStatus{State: statePlanned, Remarks: "Assign an owner in the system file (an override or a team), then export again."},
	}
}

// raciRoles names the customer teams that take areas, one responsible
// role per RACI letter; nil when no team takes any of them.
func (p *plan) raciRoles(areas []demarc.AreaID) *[]oscal.ResponsibleRole {
	if len(p.sys.Teams) == 0 || len(areas) == 0 {
		return nil
	}
	var r, a, c, i []string
	for _, area := range areas {
		ai := p.lib.AreaIndex(area)
		if ai < 0 {
			continue
		}
		x := p.raci[ai]
		r, a, c, i = appendAll(r, x.Responsible), appendAll(a, x.Accountable), appendAll(c, x.Consulted), appendAll(i, x.Informed)
	}
	var roles []oscal.ResponsibleRole
	for _, x := range []struct {
		role  string
		teams []string
	}{{roleResponsible, r}, {roleAccountable, a}, {roleConsulted, c}, {roleInformed, i}} {
		if len(x.teams) == 0 {
			continue
		}
		uuids := make([]string, len(x.teams))
		for k, t := range x.teams {
			uuids[k] = p.id("team", t)
		}
		roles = append(roles, oscal.ResponsibleRole{RoleId: x.role, PartyUuids: &uuids})
	}
	if len(roles) == 0 {
		return nil
	}
	return &roles
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func appendAll(list, add []string) []string {
	for _, s := range add {
		list = appendOnce(list, s)
	}
	return list
}

func containsArea(list []demarc.AreaID, a demarc.AreaID) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func areasOf(ws []work) []demarc.AreaID {
	var out []demarc.AreaID
	for _, w := range ws {
		if !containsArea(out, w.area) {
			out = append(out, w.area)
		}
	}
	return out
}

// originOrder is FedRAMP's order of control origination.
var originOrder = []string{originCorporate, originSystem, originCustomerConfigured, originCustomerProvided, originInherited}

func sortOrigins(os []string) []string {
	var out []string
	for _, o := range originOrder {
		for _, x := range os {
			if x == o {
				out = append(out, o)
				break
			}
		}
	}
	return out
}
