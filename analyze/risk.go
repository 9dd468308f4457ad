package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// RiskReport is every gap of a system seen as risk, with the residual risk
// split between what the provider manages and what the customer manages.
type RiskReport struct {
	System         string                `json:"system"`
	Framework      demarc.FrameworkID    `json:"framework"`
	Classification demarc.Classification `json:"data_classification"`
	Risks          []demarc.Risk         `json:"risks"`
	Split          map[string]RiskTotals `json:"split"` // provider-managed, customer-managed
}

// RiskTotals sums risks on one side.
type RiskTotals struct {
	Count   int            `json:"count"`
	Score   int            `json:"score"`
	ByLevel map[string]int `json:"by_level"`
}

// Sides of residual risk.
const (
	ProviderManaged = "provider-managed"
	CustomerManaged = "customer-managed"
)

// likelihood per kind of gap: how often such gaps turn into incidents.
var likelihood = map[demarc.GapKind]int{
	demarc.GapOverDelegation: 4, // nobody does the work, and nobody knows
	demarc.GapUnassigned:     4,
	demarc.GapConflict:       3,
	demarc.GapNoOwner:        3,
	demarc.GapCUEC:           3,
	demarc.GapCompensating:   3,
	demarc.GapInheritance:    2, // the provider may well do the work; it is unproven
}

// classificationWeight scales impact by how sensitive the data is.
var classificationWeight = map[demarc.Classification]float64{
	demarc.ClassPublic:       0.6,
	demarc.ClassInternal:     0.8,
	demarc.ClassConfidential: 1.0,
	demarc.ClassRestricted:   1.25,
	"":                       0.8,
}

// Risks scores every gap.
func (a *Analysis) Risks(gaps []demarc.Gap) *RiskReport {
	r := &RiskReport{
		System: a.Res.System.Name, Framework: a.FW.ID, Classification: a.Res.System.DataClassification,
		Risks: []demarc.Risk{},
		Split: map[string]RiskTotals{ProviderManaged: newTotals(), CustomerManaged: newTotals()},
	}
	for _, g := range gaps {
		risk := a.risk(g)
		r.Risks = append(r.Risks, risk)
		t := r.Split[risk.ManagedBy]
		t.Count++
		t.Score += risk.Score
		t.ByLevel[risk.Level]++
		r.Split[risk.ManagedBy] = t
	}
	sort.SliceStable(r.Risks, func(i, j int) bool { return r.Risks[i].Score > r.Risks[j].Score })
	return r
}

func newTotals() RiskTotals {
	return RiskTotals{ByLevel: map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0}}
}

func (a *Analysis) risk(g demarc.Gap) demarc.Risk {
	l := likelihood[g.Kind]
	if g.Severity == demarc.SeverityHigh && l < 5 {
		l++
	}
	if g.Severity == demarc.SeverityLow && l > 1 {
		l--
	}
	base, why := areaImpact(g.Areas)
	weight := classificationWeight[a.Res.System.DataClassification]
	impact := clamp(int(float64(base)*weight+0.5), 1, 5)
	managed, party := CustomerManaged, "customer"
	if g.Kind == demarc.GapInheritance {
		managed, party = ProviderManaged, g.Party
	}
	score := l * impact
	return demarc.Risk{
		Gap: g.ID, Title: g.Title, Kind: g.Kind, Likelihood: l, Impact: impact, Score: score, Level: level(score),
		ManagedBy: managed, Party: party, Areas: g.Areas, Components: g.Components,
		Rationale: fmt.Sprintf("likelihood %d for a %s %s gap; impact %d from %s, weighted for %s data", l, g.Severity, g.Kind, impact, why, classificationName(a.Res.System.DataClassification)),
	}
}

func classificationName(c demarc.Classification) string {
	if c == "" {
		return "unclassified"
	}
	return string(c)
}

// areaImpact is the harm of losing the most sensitive area involved.
func areaImpact(areas []demarc.AreaID) (int, string) {
	best, why := 1, "no area"
	for _, id := range areas {
		if v := impactOf(id); v > best || why == "no area" {
			best, why = v, string(id)
		}
	}
	return best, why
}

func impactOf(id demarc.AreaID) int {
	s := string(id)
	switch {
	case strings.HasPrefix(s, "data."), s == "identity.privileged-access", s == "identity.credentials", s == "identity.mfa":
		return 5
	case strings.HasPrefix(s, "identity."), s == "network.traffic-filtering", s == "network.segmentation", s == "app.secrets-management", s == "ops.incident-response":
		return 4
	case strings.HasPrefix(s, "os."), strings.HasPrefix(s, "container."), strings.HasPrefix(s, "app."), strings.HasPrefix(s, "runtime."), strings.HasPrefix(s, "ops."), strings.HasPrefix(s, "virt."):
		return 3
	case strings.HasPrefix(s, "gov."), strings.HasPrefix(s, "endpoint."), strings.HasPrefix(s, "network."):
		return 2
	}
	return 2
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

func level(score int) string {
	switch {
	case score >= 20:
		return "critical"
	case score >= 12:
		return "high"
	case score >= 6:
		return "medium"
	}
	return "low"
}
