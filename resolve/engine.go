// Package resolve is demarc's resolution engine. For a system it decides,
// once, who owns every area on every component — system override, then the
// component beneath (for areas below the component's boundary), then the
// service statement, the provider statement and the service-model default —
// and records why. It then rolls areas up to the controls of any framework.
package resolve

import (
	"fmt"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// Engine resolves systems against one library. It precomputes, for every
// service, the winning statement for every area, so that resolving a
// system costs little more than copying. An Engine is safe for concurrent
// use.
type Engine struct {
	lib   *library.Library
	areas []demarc.Area
	base  map[demarc.ServiceID][]choice
}

// choice is the statement-level decision for one area of one service: the
// template assignment and every candidate rule, highest precedence first.
type choice struct {
	tmpl  demarc.Assignment
	cands []demarc.Candidate
}

// New returns an engine over lib.
func New(lib *library.Library) *Engine {
	e := &Engine{lib: lib, areas: lib.Areas(), base: map[demarc.ServiceID][]choice{}}
	for _, s := range lib.Services() {
		e.base[s.ID] = e.serviceChoices(s)
	}
	return e
}

// Library returns the library the engine resolves against.
func (e *Engine) Library() *library.Library { return e.lib }

func (e *Engine) serviceChoices(s *demarc.Service) []choice {
	p := e.lib.Provider(s.Provider)
	m := e.lib.Model(s.Model)
	out := make([]choice, len(e.areas))
	for i, a := range e.areas {
		var cands []demarc.Candidate
		var win *demarc.Rule
		consider := func(level demarc.Level, source string, rules []demarc.Rule, model demarc.Model) {
			for k := range rules {
				r := &rules[k]
				if r.Area != a.ID || (level == demarc.LevelProvider && !r.AppliesTo(model)) {
					continue
				}
				cands = append(cands, demarc.Candidate{Level: level, Source: source, Owner: r.Owner, Pos: r.Pos, Note: r.Note})
				if win == nil {
					win = r
				}
			}
		}
		consider(demarc.LevelService, "service "+string(s.ID)+" statement", s.Overrides, s.Model)
		if p != nil {
			consider(demarc.LevelProvider, "provider "+string(p.ID)+" statement", p.Statement, s.Model)
		}
		if m != nil {
			consider(demarc.LevelModel, string(m.ID)+" model default", m.Defaults, s.Model)
		}
		out[i] = choice{cands: cands, tmpl: e.fromRule(win, a, string(s.Provider))}
		if win == nil {
			out[i].tmpl.Provenance.Decided = demarc.Candidate{Level: demarc.LevelUnassigned, Source: fmt.Sprintf("no rule for %s in service %s, provider %s or model %s", a.ID, s.ID, s.Provider, s.Model), Owner: demarc.OwnerUnassigned}
		} else {
			out[i].tmpl.Provenance.Decided = cands[0]
			out[i].tmpl.Provenance.Shadowed = cands[1:]
		}
	}
	return out
}

// fromRule builds the assignment a rule states; provider names the party
// that plays the provider. A nil rule yields an unassigned assignment.
func (e *Engine) fromRule(r *demarc.Rule, a demarc.Area, provider string) demarc.Assignment {
	asg := demarc.Assignment{Area: a.ID, Owner: demarc.OwnerUnassigned}
	if r == nil {
		return asg
	}
	asg.Owner, asg.Sharing = r.Owner, r.Sharing
	prov := demarc.Party{Kind: demarc.PartyProvider, Name: provider}
	cust := demarc.Party{Kind: demarc.PartyCustomer}
	switch r.Owner {
	case demarc.OwnerProvider:
		asg.Parts = []demarc.Part{{Party: prov, Area: a.ID, Text: or(r.Provider, a.Description)}}
	case demarc.OwnerCustomer:
		asg.Parts = []demarc.Part{{Party: cust, Area: a.ID, Text: or(r.Customer, a.Description)}}
	case demarc.OwnerShared:
		asg.Parts = []demarc.Part{
			{Party: prov, Area: a.ID, Text: or(r.Provider, a.Description)},
			{Party: cust, Area: a.ID, Text: or(r.Customer, a.Description)},
		}
	case demarc.OwnerThirdParty:
		asg.Parts = []demarc.Part{{Party: demarc.Party{Kind: demarc.PartyThirdParty, Name: r.Party}, Area: a.ID, Text: or(r.Note, a.Description)}}
	}
	asg.Duties = duties(r)
	return asg
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// duties gives each duty its owner: the rule's explicit duties, else the
// owner's defaults. The customer always validates what others do for it.
func duties(r *demarc.Rule) demarc.Duties {
	if r.Owner == demarc.OwnerNotApplicable {
		return nil
	}
	d := demarc.Duties{
		demarc.DutyImplement: r.Owner,
		demarc.DutyConfigure: r.Owner,
		demarc.DutyValidate:  demarc.OwnerCustomer,
		demarc.DutyMonitor:   r.Owner,
	}
	for k, v := range r.Duties {
		d[k] = v
	}
	return d
}

// ServiceAssignments returns what the statements alone say about every
// area of service s — its overrides, its provider's statement, its model's
// defaults — one assignment per library area, in catalog order. s need not
// be in the library: pass a made-up service to see a provider's statement
// applied to a model.
func (e *Engine) ServiceAssignments(s *demarc.Service) []demarc.Assignment {
	choices, ok := e.base[s.ID]
	if !ok || e.lib.Service(s.ID) != s {
		choices = e.serviceChoices(s)
	}
	out := make([]demarc.Assignment, len(choices))
	for i := range choices {
		out[i] = choices[i].tmpl
	}
	return out
}
