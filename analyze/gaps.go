package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// Gaps finds every gap in the system, most severe first.
func (a *Analysis) Gaps() []demarc.Gap {
	var gaps []demarc.Gap
	gaps = append(gaps, a.resolutionGaps()...)
	gaps = append(gaps, a.overDelegation()...)
	gaps = append(gaps, a.noCustomerOwner()...)
	gaps = append(gaps, a.inheritanceGaps()...)
	gaps = append(gaps, a.untakenCUECs()...)
	gaps = append(gaps, a.compensatingControls()...)
	sort.SliceStable(gaps, func(i, j int) bool {
		if r1, r2 := gaps[i].Severity.Rank(), gaps[j].Severity.Rank(); r1 != r2 {
			return r1 > r2
		}
		return kindOrder(gaps[i].Kind) < kindOrder(gaps[j].Kind)
	})
	return gaps
}

func kindOrder(k demarc.GapKind) int {
	for i, x := range demarc.GapKinds {
		if x == k {
			return i
		}
	}
	return len(demarc.GapKinds)
}

// resolutionGaps reports areas that resolved to unassigned or conflict.
func (a *Analysis) resolutionGaps() []demarc.Gap {
	var gaps []demarc.Gap
	for ai, area := range a.Res.Areas() {
		byKind := map[demarc.Owner][]string{}
		var sources []string
		for ci, comp := range a.components() {
			asg := a.cell(ci, ai)
			if asg.Owner.Gap() {
				byKind[asg.Owner] = append(byKind[asg.Owner], comp.Name)
				for _, s := range asg.Provenance.Shadowed {
					if s.Level == demarc.LevelOverride {
						sources = appendUnique(sources, fmt.Sprintf("%s says %s (%s)", s.Source, s.Owner, s.Pos))
					}
				}
			}
		}
		if comps := byKind[demarc.OwnerUnassigned]; len(comps) > 0 {
			gaps = append(gaps, demarc.Gap{
				ID: "unassigned/" + string(area.ID), Kind: demarc.GapUnassigned, Severity: demarc.SeverityHigh,
				Title:   fmt.Sprintf("Nobody owns %s", area.ID),
				Message: fmt.Sprintf("No system override, service statement, provider statement or model default says who does %q (%s) on %s.", area.Title, area.ID, a.phrase(comps)),
				Fix:     fmt.Sprintf("Add an override for %s to the system file naming the owner and the contract behind it, or add the area to the service's statement in a library file.", area.ID),
				Areas:   []demarc.AreaID{area.ID}, Controls: a.controlsOf(area.ID), Components: comps, Party: "customer",
			})
		}
		if comps := byKind[demarc.OwnerConflict]; len(comps) > 0 {
			gaps = append(gaps, demarc.Gap{
				ID: "conflict/" + string(area.ID), Kind: demarc.GapConflict, Severity: demarc.SeverityHigh,
				Title:   fmt.Sprintf("Sources disagree on who owns %s", area.ID),
				Message: fmt.Sprintf("For %s on %s, sources of equal precedence disagree: %s.", area.ID, strings.Join(comps, ", "), strings.Join(sources, "; ")),
				Fix:     "Settle which statement holds (usually the signed contract) and keep only that override.",
				Areas:   []demarc.AreaID{area.ID}, Controls: a.controlsOf(area.ID), Components: comps, Party: "customer",
			})
		}
	}
	return gaps
}

// overDelegation compares what the customer assumes with what resolution
// says: believing the provider does work that is the customer's own.
func (a *Analysis) overDelegation() []demarc.Gap {
	var gaps []demarc.Gap
	for _, as := range a.Res.System.Assumptions {
		ai := a.Lib.AreaIndex(as.Area)
		if ai < 0 {
			continue
		}
		for ci, comp := range a.components() {
			if as.Component != "" && as.Component != comp.Name {
				continue
			}
			if g, ok := a.overDelegated(as, ci, ai); ok {
				gaps = append(gaps, g)
			}
		}
	}
	return gaps
}

func (a *Analysis) overDelegated(as demarc.Assumption, ci, ai int) (demarc.Gap, bool) {
	asg := a.cell(ci, ai)
	comp := a.components()[ci]
	believesOthers := as.Owner == demarc.OwnerProvider || as.Owner == demarc.OwnerThirdParty
	customerPart := customerText(asg)
	var sev demarc.Severity
	switch {
	case believesOthers && asg.Owner == demarc.OwnerCustomer:
		sev = demarc.SeverityHigh
	case believesOthers && asg.Owner == demarc.OwnerShared && customerPart != "":
		sev = demarc.SeverityHigh
	case as.Owner == demarc.OwnerShared && asg.Owner == demarc.OwnerCustomer:
		sev = demarc.SeverityMedium
	default:
		return demarc.Gap{}, false
	}
	area := a.Lib.Area(as.Area)
	msg := fmt.Sprintf("You assume the %s does %s for %s, but %s leaves %s to you: %s",
		as.Owner, area.Title, comp.Name, a.decidedBy(asg), map[bool]string{true: "all of it", false: "a part"}[asg.Owner == demarc.OwnerCustomer], customerPart)
	msg += " Believing the provider does work that is in fact yours is the most common root cause of cloud breaches."
	if as.Note != "" {
		msg += " (Assumption: " + as.Note + ")"
	}
	return demarc.Gap{
		ID: fmt.Sprintf("over-delegation/%s/%s", comp.Name, as.Area), Kind: demarc.GapOverDelegation, Severity: sev,
		Title:   fmt.Sprintf("%s on %s is yours, not the %s's", as.Area, comp.Name, as.Owner),
		Message: msg,
		Fix:     fmt.Sprintf("Give a team the customer's part of %s on %s (teams[].responsible), correct the assumption, or contract a party that does it (an override with its reason).", as.Area, comp.Name),
		Areas:   []demarc.AreaID{as.Area}, Controls: a.controlsOf(as.Area), Components: []string{comp.Name}, Party: "customer", Pos: as.Pos,
	}, true
}

func customerText(asg *demarc.Assignment) string {
	for _, p := range asg.Parts {
		if p.Party.Kind == demarc.PartyCustomer {
			return p.Text
		}
	}
	return ""
}

// decidedBy names the rule behind an assignment for a message.
func (a *Analysis) decidedBy(asg *demarc.Assignment) string {
	d := asg.Provenance.Decided
	if d.Pos.File != "" {
		return fmt.Sprintf("the %s (%s)", d.Source, d.Pos)
	}
	return "the " + d.Source
}

// noCustomerOwner finds customer work that no team is responsible for.
func (a *Analysis) noCustomerOwner() []demarc.Gap {
	type need struct {
		comps []string
	}
	needs := map[demarc.AreaID]*need{}
	var order []demarc.AreaID
	for ai, area := range a.Res.Areas() {
		for ci, comp := range a.components() {
			if hasParty(a.cell(ci, ai), demarc.PartyCustomer) {
				if needs[area.ID] == nil {
					needs[area.ID] = &need{}
					order = append(order, area.ID)
				}
				needs[area.ID].comps = append(needs[area.ID].comps, comp.Name)
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	if len(a.Res.System.Teams) == 0 {
		return []demarc.Gap{{
			ID: "no-customer-owner/all", Kind: demarc.GapNoOwner, Severity: demarc.SeverityMedium,
			Title:   "The system names no teams",
			Message: fmt.Sprintf("%d areas carry customer work, and the system file names no team to do any of it.", len(order)),
			Fix:     "Add teams with the areas they are responsible for (teams[].responsible; \"os.*\" takes a whole prefix).",
			Areas:   order, Controls: a.controlsOf(order...), Components: a.componentNames(), Party: "customer",
		}}
	}
	var gaps []demarc.Gap
	for _, id := range order {
		raci := a.Res.RACI(id)
		if len(raci.Responsible) > 0 {
			continue
		}
		area := a.Lib.Area(id)
		sev := demarc.SeverityLow
		if critical(id) {
			sev = demarc.SeverityMedium
		}
		msg := fmt.Sprintf("The customer's part of %s (%s) on %s has no responsible team.", area.Title, id, a.phrase(needs[id].comps))
		if len(raci.Accountable) > 0 {
			msg += " " + strings.Join(raci.Accountable, ", ") + " is accountable but nobody is responsible."
		}
		gaps = append(gaps, demarc.Gap{
			ID: "no-customer-owner/" + string(id), Kind: demarc.GapNoOwner, Severity: sev,
			Title:   fmt.Sprintf("No team does the customer's part of %s", id),
			Message: msg,
			Fix:     fmt.Sprintf("Add %s to a team's responsible list.", id),
			Areas:   []demarc.AreaID{id}, Controls: a.controlsOf(id), Components: needs[id].comps, Party: "customer",
		})
	}
	return gaps
}

// phrase names components for a sentence: "every component" when all are
// involved.
func (a *Analysis) phrase(comps []string) string {
	if n := len(a.components()); len(comps) == n && n > 2 {
		return fmt.Sprintf("every component (%d)", n)
	}
	return strings.Join(comps, ", ")
}

func (a *Analysis) componentNames() []string {
	var out []string
	for _, c := range a.components() {
		out = append(out, c.Name)
	}
	return out
}

// critical marks areas whose neglect most often leads to a breach.
func critical(id demarc.AreaID) bool {
	s := string(id)
	switch {
	case strings.HasPrefix(s, "identity."), strings.HasPrefix(s, "data."):
		return true
	}
	switch id {
	case "os.patching", "ops.vulnerability-management", "ops.incident-response", "ops.security-monitoring",
		"network.traffic-filtering", "ops.control-plane-logging", "app.secrets-management":
		return true
	}
	return false
}
