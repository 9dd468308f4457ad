package resolve

import (
	"fmt"
	"sync"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// Resolution is a resolved system: the owner of every area on every
// component, with provenance. Build it with Engine.Resolve, then roll it up
// to any number of frameworks.
type Resolution struct {
	System *demarc.System
	engine *Engine
	// cells[c][a] is the assignment of area a on component c, where c
	// indexes System.Components and a indexes the library's areas. Cells
	// point at the engine's shared templates wherever a statement decided
	// them unchanged, and carry no component name: Cells and Assignment
	// return named copies.
	cells       [][]*demarc.Assignment
	summaryOnce sync.Once
	summary     []areaSummary // per area, built on first roll-up
	maskOnce    sync.Once
	mask        []uint16 // per area, owner bits across components
}

// Resolve decides who owns every area on every component of sys. sys must
// have passed systemfile.Check; an unknown service or a runs_on cycle still
// yields an error rather than a panic.
func (e *Engine) Resolve(sys *demarc.System) (*Resolution, error) {
	order, err := runsOnOrder(sys)
	if err != nil {
		return nil, err
	}
	r := &Resolution{System: sys, engine: e, cells: make([][]*demarc.Assignment, len(sys.Components))}
	ovr := indexOverrides(sys)
	for _, ci := range order {
		cells, err := e.resolveComponent(r, ci, ovr)
		if err != nil {
			return nil, err
		}
		r.cells[ci] = cells
	}
	return r, nil
}

// runsOnOrder returns component indexes so that every component comes
// after the one it runs on.
func runsOnOrder(sys *demarc.System) ([]int, error) {
	index := make(map[string]int, len(sys.Components))
	for i, c := range sys.Components {
		index[c.Name] = i
	}
	state := make([]byte, len(sys.Components)) // 0 new, 1 visiting, 2 done
	order := make([]int, 0, len(sys.Components))
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return demarc.Errorf(demarc.EInvalid, "runs_on cycle through component %q", sys.Components[i].Name)
		case 2:
			return nil
		}
		state[i] = 1
		if on := sys.Components[i].RunsOn; on != "" {
			j, ok := index[on]
			if !ok {
				return demarc.Errorf(demarc.EInvalid, "component %q runs on unknown component %q", sys.Components[i].Name, on)
			}
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		order = append(order, i)
		return nil
	}
	for i := range sys.Components {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}

type overrideKey struct {
	component string // "" for system-wide
	area      demarc.AreaID
}

func indexOverrides(sys *demarc.System) map[overrideKey][]*demarc.Override {
	if len(sys.Overrides) == 0 {
		return nil
	}
	m := map[overrideKey][]*demarc.Override{}
	for i := range sys.Overrides {
		o := &sys.Overrides[i]
		k := overrideKey{o.Component, o.Area}
		m[k] = append(m[k], o)
	}
	return m
}

func (e *Engine) resolveComponent(r *Resolution, ci int, ovr map[overrideKey][]*demarc.Override) ([]*demarc.Assignment, error) {
	comp := &r.System.Components[ci]
	svc := e.lib.Service(comp.Service)
	if svc == nil {
		return nil, demarc.Errorf(demarc.EInvalid, "component %q uses unknown service %q", comp.Name, comp.Service)
	}
	model := e.lib.Model(svc.Model)
	base := e.base[svc.ID]
	beneath := -1
	if comp.RunsOn != "" {
		beneath = r.componentIndex(comp.RunsOn)
	}
	provider := r.providerName(ci)
	cells := make([]*demarc.Assignment, len(e.areas))
	for ai, area := range e.areas {
		ch := &base[ai]
		switch {
		case len(ovr) > 0 && overridden(ovr, comp.Name, area.ID):
			asg := e.fromOverrides(r.System, overridesFor(ovr, comp.Name, area.ID), area, provider, ch.cands)
			cells[ai] = &asg
		case beneath >= 0 && model != nil && model.Below(area.Layer):
			asg := inherit(*r.cells[beneath][ai], r.System.Components[beneath].Name, ch.cands)
			cells[ai] = &asg
		case provider != string(svc.Provider) || comp.OperatedBy != "":
			asg := ch.tmpl
			if provider != string(svc.Provider) {
				asg.Parts = renameProvider(asg.Parts, provider)
			}
			if comp.OperatedBy != "" {
				asg = e.operatedBy(asg, comp.OperatedBy, r.isProvider(comp.OperatedBy))
			}
			cells[ai] = &asg
		default:
			cells[ai] = &ch.tmpl
		}
	}
	return cells, nil
}

func (r *Resolution) componentIndex(name string) int {
	for i := range r.System.Components {
		if r.System.Components[i].Name == name {
			return i
		}
	}
	return -1
}

// providerName is the party that plays the provider for component ci: its
// service's provider, except that a generic service running on another
// component takes the provider of the component beneath.
func (r *Resolution) providerName(ci int) string {
	comp := &r.System.Components[ci]
	svc := r.engine.lib.Service(comp.Service)
	for svc != nil && svc.Provider == "generic" && comp.RunsOn != "" && comp.Provider == "" {
		j := r.componentIndex(comp.RunsOn)
		if j < 0 || j == ci {
			break
		}
		ci, comp = j, &r.System.Components[j]
		svc = r.engine.lib.Service(comp.Service)
	}
	if comp.Provider != "" {
		return string(comp.Provider)
	}
	if svc == nil {
		return ""
	}
	return string(svc.Provider)
}

func overridden(ovr map[overrideKey][]*demarc.Override, comp string, area demarc.AreaID) bool {
	return len(overridesFor(ovr, comp, area)) > 0
}

// overridesFor returns the component's own overrides of area, or failing
// those the system-wide ones: the more specific statement wins.
func overridesFor(ovr map[overrideKey][]*demarc.Override, comp string, area demarc.AreaID) []*demarc.Override {
	if os := ovr[overrideKey{comp, area}]; len(os) > 0 {
		return os
	}
	return ovr[overrideKey{"", area}]
}

func (e *Engine) fromOverrides(sys *demarc.System, os []*demarc.Override, area demarc.Area, provider string, below []demarc.Candidate) demarc.Assignment {
	cands := make([]demarc.Candidate, len(os))
	for i, o := range os {
		cands[i] = demarc.Candidate{Level: demarc.LevelOverride, Source: overrideSource(sys, o), Owner: o.Owner, Pos: o.Pos, Note: o.Reason}
	}
	if disagree(os) {
		return demarc.Assignment{
			Area:       area.ID,
			Owner:      demarc.OwnerConflict,
			Provenance: demarc.Provenance{Decided: demarc.Candidate{Level: demarc.LevelOverride, Source: fmt.Sprintf("%d overrides of equal precedence disagree", len(os)), Owner: demarc.OwnerConflict}, Shadowed: append(cands, below...)},
		}
	}
	asg := e.fromRule(&os[0].Rule, area, provider)
	asg.Provenance = demarc.Provenance{Decided: cands[0], Shadowed: append(cands[1:], below...)}
	return asg
}

func overrideSource(sys *demarc.System, o *demarc.Override) string {
	s := "system " + sys.Name + " override"
	if o.Reference != "" {
		s += " (" + o.Reference + ")"
	}
	return s
}

func disagree(os []*demarc.Override) bool {
	for _, o := range os[1:] {
		if o.Owner != os[0].Owner || o.Party != os[0].Party || o.Sharing != os[0].Sharing {
			return true
		}
	}
	return false
}

// inherit takes the assignment of the component beneath, noting the
// component it came through and the component's own rules it displaced.
func inherit(from demarc.Assignment, via string, own []demarc.Candidate) demarc.Assignment {
	asg := from
	asg.Provenance = demarc.Provenance{
		Decided:  from.Provenance.Decided,
		Via:      append([]string{via}, from.Provenance.Via...),
		Shadowed: own,
	}
	return asg
}

func renameProvider(parts []demarc.Part, name string) []demarc.Part {
	out := make([]demarc.Part, len(parts))
	copy(out, parts)
	for i := range out {
		if out[i].Party.Kind == demarc.PartyProvider {
			out[i].Party.Name = name
		}
	}
	return out
}

// isProvider reports whether party plays provider in this system: the
// library knows it as a provider, or a component names it as its provider.
func (r *Resolution) isProvider(party string) bool {
	if r.engine.lib.Provider(demarc.ProviderID(party)) != nil {
		return true
	}
	for _, c := range r.System.Components {
		if string(c.Provider) == party {
			return true
		}
	}
	return false
}

// operatedBy hands the customer's side of a component run by someone else
// to that party — as a provider when it plays one in the system, else as a
// third party. The system owner keeps validating.
func (e *Engine) operatedBy(asg demarc.Assignment, operator string, provider bool) demarc.Assignment {
	kind, owner := demarc.PartyThirdParty, demarc.OwnerThirdParty
	if provider {
		kind, owner = demarc.PartyProvider, demarc.OwnerProvider
	}
	parts := make([]demarc.Part, len(asg.Parts))
	for i, p := range asg.Parts {
		parts[i] = p
		if p.Party.Kind == demarc.PartyCustomer {
			parts[i].Party = demarc.Party{Kind: kind, Name: operator}
		}
	}
	asg.Parts = parts
	switch {
	case asg.Owner == demarc.OwnerCustomer:
		asg.Owner = owner
	case asg.Owner == demarc.OwnerShared && kind == demarc.PartyProvider:
		// Both parts now fall to providers: nothing is left to the customer.
		asg.Owner, asg.Sharing = demarc.OwnerProvider, ""
	}
	if asg.Duties != nil {
		d := make(demarc.Duties, len(asg.Duties))
		for k, v := range asg.Duties {
			if v == demarc.OwnerCustomer && k != demarc.DutyValidate {
				v = owner
			}
			d[k] = v
		}
		asg.Duties = d
	}
	return asg
}

// Cells returns the assignments of component index ci, one per library
// area in catalog order.
func (r *Resolution) Cells(ci int) []demarc.Assignment {
	out := make([]demarc.Assignment, len(r.cells[ci]))
	for ai, asg := range r.cells[ci] {
		out[ai] = r.named(ci, asg)
	}
	return out
}

// named returns a copy of asg carrying the name of component ci.
func (r *Resolution) named(ci int, asg *demarc.Assignment) demarc.Assignment {
	a := *asg
	a.Component = r.System.Components[ci].Name
	return a
}

// Assignment returns the assignment of area on the named component, or nil
// when either is unknown.
func (r *Resolution) Assignment(component string, area demarc.AreaID) *demarc.Assignment {
	ci, ai := r.componentIndex(component), r.engine.lib.AreaIndex(area)
	if ci < 0 || ai < 0 {
		return nil
	}
	a := r.named(ci, r.cells[ci][ai])
	return &a
}

// Areas returns the library areas, in the order Cells uses.
func (r *Resolution) Areas() []demarc.Area { return r.engine.areas }

// Library returns the library the resolution was made against.
func (r *Resolution) Library() *library.Library { return r.engine.lib }

// Engine returns the engine that made the resolution.
func (r *Resolution) Engine() *Engine { return r.engine }
