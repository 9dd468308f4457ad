package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// Why an inherited control lacks support.
const (
	noAttestation      = "no-attestation"
	frameworkUncovered = "framework-not-covered"
	attestationExpired = "expired"
)

type inheritKey struct {
	provider, scope, problem string
}

type inheritGap struct {
	areas      []demarc.AreaID
	components []string
	detail     string
	att        string
}

// inheritanceGaps finds controls the customer inherits from a provider
// without an attestation that covers the service, speaks to the framework
// and is valid at the evaluation date. Independent sharing is not inherited
// and so needs no attestation.
func (a *Analysis) inheritanceGaps() []demarc.Gap {
	found := map[inheritKey]*inheritGap{}
	var order []inheritKey
	for ai, area := range a.Res.Areas() {
		if len(a.areaControls[area.ID]) == 0 {
			continue
		}
		for ci, comp := range a.components() {
			asg := a.cell(ci, ai)
			if !inherited(asg) {
				continue
			}
			origin := a.origin(ci, asg)
			for _, p := range providersOf(asg) {
				scope, problem, detail, att := a.support(p, origin)
				if problem == "" {
					continue
				}
				if att != "" {
					// One lapsed attestation is one gap, whatever it covers.
					scope = "attestation " + att
				}
				k := inheritKey{p, scope, problem}
				g := found[k]
				if g == nil {
					g = &inheritGap{detail: detail, att: att}
					found[k] = g
					order = append(order, k)
				}
				g.areas = appendArea(g.areas, area.ID)
				g.components = appendUnique(g.components, comp.Name)
			}
		}
	}
	gaps := make([]demarc.Gap, 0, len(order))
	for _, k := range order {
		gaps = append(gaps, a.inheritGapFor(k, found[k]))
	}
	return gaps
}

func appendArea(list []demarc.AreaID, id demarc.AreaID) []demarc.AreaID {
	for _, x := range list {
		if x == id {
			return list
		}
	}
	return append(list, id)
}

// inherited reports whether the customer relies on a provider for part of
// the area: provider-owned, or shared dependently.
func inherited(asg *demarc.Assignment) bool {
	switch asg.Owner {
	case demarc.OwnerProvider:
		return true
	case demarc.OwnerShared:
		return asg.Sharing == demarc.SharingDependent && hasParty(asg, demarc.PartyProvider)
	}
	return false
}

func providersOf(asg *demarc.Assignment) []string {
	var out []string
	for _, p := range asg.Parts {
		if p.Party.Kind == demarc.PartyProvider && p.Party.Name != "" {
			out = appendUnique(out, p.Party.Name)
		}
	}
	return out
}

// support judges provider p's attestations for the service of origin. It
// returns the scope it judged and, when support is missing, why.
func (a *Analysis) support(p string, origin *demarc.Component) (scope, problem, detail, att string) {
	scope = string(origin.Service)
	own := demarc.ServiceID(p + "/" + origin.Name)
	if !strings.HasPrefix(scope, p+"/") {
		scope = p + " for " + origin.Name
	}
	var mine, covering, speaking []*demarc.Attestation
	for i := range a.Res.System.Attestations {
		at := &a.Res.System.Attestations[i]
		if string(at.Provider) != p {
			continue
		}
		mine = append(mine, at)
		if at.CoversService(origin.Service) || at.CoversService(own) {
			covering = append(covering, at)
		}
	}
	if len(covering) == 0 {
		if len(mine) == 0 {
			return scope, noAttestation, fmt.Sprintf("The attestation register holds no attestation from %s.", p), ""
		}
		return scope, noAttestation, fmt.Sprintf("None of %s's attestations in the register (%s) lists %s in its scope.", p, ids(mine), origin.Service), ""
	}
	for _, at := range covering {
		if at.CoversFramework(a.FW.ID) {
			speaking = append(speaking, at)
		}
	}
	if len(speaking) == 0 {
		return scope, frameworkUncovered, fmt.Sprintf("%s's attestations covering %s (%s) do not speak to %s.", p, origin.Service, idsWithTypes(covering), a.FW.ID), ""
	}
	for _, at := range speaking {
		if at.ValidOn(a.AsOf) {
			return scope, "", "", ""
		}
	}
	latest := speaking[0]
	for _, at := range speaking[1:] {
		if at.ValidThrough().After(latest.ValidThrough().Time) {
			latest = at
		}
	}
	if a.AsOf.Before(latest.Period.From.Time) {
		return scope, attestationExpired, fmt.Sprintf("%s's attestation %s only starts on %s, after the evaluation date %s.", p, latest.ID, latest.Period.From, a.AsOf), latest.ID
	}
	return scope, attestationExpired, fmt.Sprintf("%s's attestation %s could be relied on through %s; at %s it has expired and no bridge letter extends it.", p, latest.ID, latest.ValidThrough(), a.AsOf), latest.ID
}

func ids(as []*demarc.Attestation) string {
	var out []string
	for _, at := range as {
		out = append(out, at.ID)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func idsWithTypes(as []*demarc.Attestation) string {
	var out []string
	for _, at := range as {
		out = append(out, fmt.Sprintf("%s, %s", at.ID, at.Type))
	}
	return strings.Join(out, "; ")
}

func (a *Analysis) inheritGapFor(k inheritKey, g *inheritGap) demarc.Gap {
	gap := demarc.Gap{
		ID:   fmt.Sprintf("unsupported-inheritance/%s/%s/%s", k.provider, strings.ReplaceAll(k.scope, " ", "-"), k.problem),
		Kind: demarc.GapInheritance, Areas: g.areas, Controls: a.controlsOf(g.areas...), Components: g.components,
		Party: k.provider, Attestation: g.att,
	}
	n := len(gap.Controls)
	switch k.problem {
	case noAttestation:
		gap.Severity = demarc.SeverityMedium
		gap.Title = fmt.Sprintf("No attestation backs what you inherit from %s (%s)", k.provider, k.scope)
		gap.Fix = fmt.Sprintf("Obtain %s's current report or certificate covering %s (for %s), add it to the attestation register, and review its CUECs.", k.provider, k.scope, a.FW.ID)
	case frameworkUncovered:
		gap.Severity = demarc.SeverityMedium
		gap.Title = fmt.Sprintf("%s's attestations for %s do not speak to %s", k.provider, k.scope, a.FW.ID)
		gap.Fix = fmt.Sprintf("Ask %s for an attestation that maps to %s, or map the report you have to it and record the mapping with the auditor.", k.provider, a.FW.ID)
	default:
		gap.Severity = demarc.SeverityHigh
		gap.Title = fmt.Sprintf("%s's %s is not valid at %s", k.provider, strings.TrimPrefix(k.scope, "attestation "), a.AsOf)
		gap.Fix = fmt.Sprintf("Obtain %s's newer report or a bridge letter that covers %s, and add it to the register.", k.provider, a.AsOf)
	}
	gap.Message = fmt.Sprintf("%d controls of %s rely on %s for %s. %s", n, a.FW.ID, k.provider, abbreviate(areaStrings(g.areas), 6), g.detail)
	return gap
}

func areaStrings(ids []demarc.AreaID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// abbreviate joins at most n items and says how many more there are.
func abbreviate(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
