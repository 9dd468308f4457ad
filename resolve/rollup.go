package resolve

import (
	"github.com/demarc-io/demarc"
)

// Bits describing the assignments of one area across components.
const (
	hasProvider uint16 = 1 << iota
	hasCustomer
	hasThirdParty
	hasUnassigned
	hasConflict
	hasApplicable    // some component has an applicable assignment
	notIndependent   // some applicable assignment is not independent sharing
	hasDependentPart // some assignment is shared-dependent
)

// areaSummary is one area rolled up across the system's components.
type areaSummary struct {
	mask       uint16
	parts      []demarc.Part    // grouped by party and text, components listed
	byKind     [3][]demarc.Part // parts split: provider, customer, third party
	gaps       []demarc.Part
	components []int // indexes of components where the area applies
}

const (
	kindProvider = iota
	kindCustomer
	kindThirdParty
)

// masks returns, per area, the owner bits across components — all that the
// owner of a control depends on — without building the parts.
func (r *Resolution) masks() []uint16 {
	r.maskOnce.Do(func() {
		r.mask = make([]uint16, len(r.engine.areas))
		for ci := range r.cells {
			row := r.cells[ci]
			for ai := range row {
				r.mask[ai] |= ownerBits(row[ai])
			}
		}
	})
	return r.mask
}

func (r *Resolution) summaries() []areaSummary {
	r.summaryOnce.Do(func() {
		r.summary = make([]areaSummary, len(r.engine.areas))
		for ai := range r.engine.areas {
			r.summary[ai] = r.summarize(ai)
		}
	})
	return r.summary
}

func (r *Resolution) summarize(ai int) areaSummary {
	var s areaSummary
	for ci := range r.cells {
		asg := r.cells[ci][ai]
		name := r.System.Components[ci].Name
		s.mask |= ownerBits(asg)
		if asg.Owner == demarc.OwnerNotApplicable {
			continue
		}
		s.components = append(s.components, ci)
		if asg.Owner.Gap() {
			s.gaps = addPart(s.gaps, demarc.Part{Party: demarc.Party{Kind: demarc.PartyKind(asg.Owner)}, Area: asg.Area, Text: asg.Provenance.Decided.Source}, name)
			continue
		}
		for _, p := range asg.Parts {
			s.parts = addPart(s.parts, p, name)
		}
	}
	var teams []string
	if len(r.System.Teams) > 0 {
		teams = r.RACI(r.engine.areas[ai].ID).Responsible
	}
	for i, p := range s.parts {
		if p.Party.Kind == demarc.PartyCustomer {
			s.parts[i].Teams = teams
			p.Teams = teams
		}
		k := kindThirdParty
		switch p.Party.Kind {
		case demarc.PartyProvider:
			k = kindProvider
		case demarc.PartyCustomer:
			k = kindCustomer
		}
		s.byKind[k] = append(s.byKind[k], p)
	}
	return s
}

func ownerBits(a *demarc.Assignment) uint16 {
	var m uint16
	switch a.Owner {
	case demarc.OwnerNotApplicable:
		return 0
	case demarc.OwnerUnassigned:
		return hasUnassigned | hasApplicable | notIndependent
	case demarc.OwnerConflict:
		return hasConflict | hasApplicable | notIndependent
	}
	m |= hasApplicable
	if a.Owner != demarc.OwnerShared || a.Sharing != demarc.SharingIndependent {
		m |= notIndependent
	}
	if a.Owner == demarc.OwnerShared && a.Sharing == demarc.SharingDependent {
		m |= hasDependentPart
	}
	for _, p := range a.Parts {
		switch p.Party.Kind {
		case demarc.PartyProvider:
			m |= hasProvider
		case demarc.PartyCustomer:
			m |= hasCustomer
		case demarc.PartyThirdParty:
			m |= hasThirdParty
		}
	}
	return m
}

// addPart adds component to the part with the same party, area and text,
// or appends a new part.
func addPart(parts []demarc.Part, p demarc.Part, component string) []demarc.Part {
	for i := range parts {
		q := &parts[i]
		if q.Party == p.Party && q.Area == p.Area && q.Text == p.Text {
			q.Components = append(q.Components, component)
			return parts
		}
	}
	p.Components = []string{component}
	return append(parts, p)
}

// ownerOf turns the combined bits of a control's areas into its owner:
// any conflict or unassigned area marks the control so; otherwise one party
// alone owns it, or it is shared.
func ownerOf(mask uint16) (demarc.Owner, demarc.Sharing) {
	switch {
	case mask&hasConflict != 0:
		return demarc.OwnerConflict, ""
	case mask&hasUnassigned != 0:
		return demarc.OwnerUnassigned, ""
	case mask&hasApplicable == 0:
		return demarc.OwnerNotApplicable, ""
	}
	switch mask & (hasProvider | hasCustomer | hasThirdParty) {
	case hasProvider:
		return demarc.OwnerProvider, ""
	case hasCustomer:
		return demarc.OwnerCustomer, ""
	case hasThirdParty:
		return demarc.OwnerThirdParty, ""
	case 0:
		return demarc.OwnerNotApplicable, ""
	}
	if mask&notIndependent == 0 {
		return demarc.OwnerShared, demarc.SharingIndependent
	}
	return demarc.OwnerShared, demarc.SharingDependent
}

// Matrix rolls the resolution up to every control of fw. Withdrawn
// controls are left out.
func (r *Resolution) Matrix(fw *demarc.Framework) *demarc.Matrix {
	sums := r.summaries()
	m := &demarc.Matrix{System: r.System.Name, Framework: fw.ID, Summary: demarc.Summary{}}
	m.Controls = make([]demarc.ControlResult, 0, len(fw.Controls))
	seen := make([]int, len(r.System.Components))
	for i := range fw.Controls {
		c := &fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		res := r.control(c, sums, seen, i+1)
		m.Summary[res.Owner]++
		m.Controls = append(m.Controls, res)
	}
	return m
}

// Control rolls the resolution up to one control.
func (r *Resolution) Control(c *demarc.Control) demarc.ControlResult {
	return r.control(c, r.summaries(), make([]int, len(r.System.Components)), 1)
}

// control rolls up one control. seen[ci] == stamp marks components already
// listed, so one scratch slice serves a whole matrix.
func (r *Resolution) control(c *demarc.Control, sums []areaSummary, seen []int, stamp int) demarc.ControlResult {
	res := demarc.ControlResult{ID: c.ID, Title: c.Title, Family: c.Family, Areas: c.Areas}
	lib := r.engine.lib
	var mask uint16
	var n [3]int
	for _, id := range c.Areas {
		if ai := lib.AreaIndex(id); ai >= 0 {
			for k := range n {
				n[k] += len(sums[ai].byKind[k])
			}
		}
	}
	res.Provider = make([]demarc.Part, 0, n[kindProvider])
	res.Customer = make([]demarc.Part, 0, n[kindCustomer])
	if n[kindThirdParty] > 0 {
		res.ThirdParty = make([]demarc.Part, 0, n[kindThirdParty])
	}
	res.Components = make([]string, 0, len(r.System.Components))
	for _, id := range c.Areas {
		ai := lib.AreaIndex(id)
		if ai < 0 {
			continue
		}
		s := &sums[ai]
		mask |= s.mask
		res.Provider = append(res.Provider, s.byKind[kindProvider]...)
		res.Customer = append(res.Customer, s.byKind[kindCustomer]...)
		res.ThirdParty = append(res.ThirdParty, s.byKind[kindThirdParty]...)
		res.Gaps = append(res.Gaps, s.gaps...)
		for _, ci := range s.components {
			if seen[ci] != stamp {
				seen[ci] = stamp
				res.Components = append(res.Components, r.System.Components[ci].Name)
			}
		}
	}
	res.Owner, res.Sharing = ownerOf(mask)
	return res
}

// Owners returns only the owner of each non-withdrawn control of fw, in
// order: the cheap roll-up for estates of many systems.
func (r *Resolution) Owners(fw *demarc.Framework) []demarc.Owner {
	masks := r.masks()
	lib := r.engine.lib
	out := make([]demarc.Owner, 0, len(fw.Controls))
	for i := range fw.Controls {
		c := &fw.Controls[i]
		if c.Withdrawn {
			continue
		}
		var mask uint16
		for _, id := range c.Areas {
			if ai := lib.AreaIndex(id); ai >= 0 {
				mask |= masks[ai]
			}
		}
		o, _ := ownerOf(mask)
		out = append(out, o)
	}
	return out
}
