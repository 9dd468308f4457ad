package analyze

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
)

// untakenCUECs finds complementary user-entity controls — what a provider's
// report assumes the customer does — that no customer team has taken. A
// team takes a CUEC by listing its id, or by being responsible for every
// area the CUEC concerns.
func (a *Analysis) untakenCUECs() []demarc.Gap {
	taken := map[string]bool{}
	for _, t := range a.Res.System.Teams {
		for _, id := range t.CUECs {
			taken[id] = true
		}
	}
	var gaps []demarc.Gap
	for _, at := range a.Res.System.Attestations {
		for _, q := range at.CUECs {
			if taken[q.ID] || a.coveredByTeams(q.Areas) {
				continue
			}
			gaps = append(gaps, demarc.Gap{
				ID: fmt.Sprintf("untaken-cuec/%s/%s", at.ID, q.ID), Kind: demarc.GapCUEC, Severity: demarc.SeverityMedium,
				Title:   fmt.Sprintf("Nobody has taken %s from %s", q.ID, at.ID),
				Message: fmt.Sprintf("%s's %s (%s) assumes the customer does this: %s. No team lists it, and no team is responsible for all of %s, so the provider's controls that rely on it do not hold.", at.Provider, at.ID, at.Type, q.Text, strings.Join(areaStrings(q.Areas), ", ")),
				Fix:     fmt.Sprintf("Give %s to a team (teams[].cuecs) and make sure it is done and evidenced.", q.ID),
				Areas:   q.Areas, Controls: a.controlsOf(q.Areas...), Components: a.componentsUsing(at), Party: "customer",
				Attestation: at.ID, CUEC: q.ID, Pos: at.Pos,
			})
		}
	}
	return gaps
}

func (a *Analysis) coveredByTeams(areas []demarc.AreaID) bool {
	for _, ar := range areas {
		if len(a.Res.RACI(ar).Responsible) == 0 {
			return false
		}
	}
	return len(areas) > 0
}

// componentsUsing lists the components whose service an attestation covers.
func (a *Analysis) componentsUsing(at demarc.Attestation) []string {
	var out []string
	for _, c := range a.components() {
		if at.CoversService(c.Service) || at.CoversService(demarc.ServiceID(string(at.Provider)+"/"+c.Name)) || string(c.Provider) == string(at.Provider) {
			out = append(out, c.Name)
		}
	}
	return out
}

// compensatingControls finds security features the system requires that a
// component's service does not offer, and names what to do instead.
func (a *Analysis) compensatingControls() []demarc.Gap {
	var gaps []demarc.Gap
	for _, comp := range a.components() {
		svc := a.Lib.Service(comp.Service)
		if svc == nil {
			continue
		}
		for _, key := range requiredFeatures(a.Res.System, comp) {
			info := a.Lib.Feature(key)
			if info == nil {
				continue
			}
			f, declared := svc.Features[key]
			switch {
			case declared && f.Supported:
				continue
			case !declared && !requiredByComponent(comp, key):
				// A system-wide requirement concerns only the services
				// for which the library knows the feature at all.
				continue
			case declared:
				gaps = append(gaps, demarc.Gap{
					ID: fmt.Sprintf("compensating-control/%s/%s", comp.Name, key), Kind: demarc.GapCompensating, Severity: demarc.SeverityHigh,
					Title:   fmt.Sprintf("%s cannot provide %s for %s", svc.ID, strings.ToLower(info.Title), comp.Name),
					Message: fmt.Sprintf("The system requires %s, and %s does not offer it%s. Compensating controls are needed.", strings.ToLower(info.Title), svc.Title, noteSuffix(f.Note)),
					Fix:     "Put compensating controls in place and record them: " + strings.Join(info.Compensating, " ") + " Or move the component to a service that offers it.",
					Areas:   info.Areas, Controls: a.controlsOf(info.Areas...), Components: []string{comp.Name}, Party: "customer",
					Feature: key, Compensating: info.Compensating,
				})
			default:
				gaps = append(gaps, demarc.Gap{
					ID: fmt.Sprintf("compensating-control/%s/%s", comp.Name, key), Kind: demarc.GapCompensating, Severity: demarc.SeverityLow,
					Title:   fmt.Sprintf("Unknown whether %s offers %s", svc.ID, strings.ToLower(info.Title)),
					Message: fmt.Sprintf("The system requires %s for %s, and the library does not say whether %s offers it.", strings.ToLower(info.Title), comp.Name, svc.Title),
					Fix:     "Confirm with the provider's documentation; if it is not offered: " + strings.Join(info.Compensating, " "),
					Areas:   info.Areas, Controls: a.controlsOf(info.Areas...), Components: []string{comp.Name}, Party: "customer",
					Feature: key, Compensating: info.Compensating,
				})
			}
		}
	}
	return gaps
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + strings.TrimSuffix(note, ".") + ")"
}

func requiredFeatures(sys *demarc.System, comp demarc.Component) []string {
	var out []string
	for _, k := range sys.Requires {
		out = appendUnique(out, k)
	}
	for _, k := range comp.Requires {
		out = appendUnique(out, k)
	}
	return out
}

func requiredByComponent(comp demarc.Component, key string) bool {
	for _, k := range comp.Requires {
		if k == key {
			return true
		}
	}
	return false
}
