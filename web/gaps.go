package web

import (
	"net/url"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/render"
)

func init() {
	addPage("/systems/{id}/gaps", func(u *UI) pageFunc { return gapsPage })
}

// gapsData is the gaps page: every place where nobody, or the wrong
// party, is responsible, with what to do about it.
type gapsData struct {
	Judged *judged
	// Error is the API's refusal of the framework or date asked for.
	Error   string
	Filters *filters
	// Counts are all gaps by severity, highest first; Total their sum.
	Counts []severityCount
	Total  int
	Rows   []gapRow
}

// severityCount is the number of gaps of one severity.
type severityCount struct {
	Severity demarc.Severity
	Count    int
}

// gapRow is one gap with the links behind it.
type gapRow struct {
	demarc.Gap
	ControlRefs []ref
	AreaRefs    []ref
	// Assign links to the composer's team form when naming a team is the
	// fix and the caller may edit the system.
	Assign string
}

// severities lists severities highest first, as the page shows them.
var severities = []demarc.Severity{demarc.SeverityHigh, demarc.SeverityMedium, demarc.SeverityLow}

// teamFixes are the kinds of gap a team taking the work resolves.
var teamFixes = []demarc.GapKind{demarc.GapNoOwner, demarc.GapCUEC, demarc.GapOverDelegation}

func gapsPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	j, err := v.judgedBy(true)
	if err != nil {
		return err
	}
	d := &gapsData{Judged: j, Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — gaps", "gaps", "gaps", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Gaps"})
	var r render.GapReport
	if d.Error, err = v.analysis("gaps", j.query(), &r); err != nil {
		return err
	}
	j.settle(string(r.Framework), r.AsOf)
	comps, parties := tally{}, tally{}
	for _, g := range r.Gaps {
		comps.add(g.Components...)
		parties.add(g.Party)
	}
	kind := d.Filters.add(v, "kind", "Kind", choicesOf(demarc.GapKinds...))
	least := d.Filters.add(v, "severity", "Severity at least", choicesOf(demarc.SeverityLow, demarc.SeverityMedium, demarc.SeverityHigh))
	comp := d.Filters.add(v, "component", "Component", comps.choices())
	party := d.Filters.add(v, "party", "Party", parties.choices())
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	d.Counts, d.Total = countSeverities(r.Gaps)
	v.Table = &table{Name: v.System.Name + "-gaps",
		Columns: []string{"Severity", "Kind", "Title", "Message", "Fix", "Components", "Controls", "Areas", "Party"}}
	for _, g := range r.Gaps {
		switch {
		case kind.Value != "" && string(g.Kind) != kind.Value,
			least.Value != "" && g.Severity.Rank() < demarc.Severity(least.Value).Rank(),
			comp.Value != "" && !slices.Contains(g.Components, comp.Value),
			party.Value != "" && g.Party != party.Value:
			continue
		}
		d.Rows = append(d.Rows, v.gapRow(g, j.Framework))
		v.Table.add("sev-row-"+string(g.Severity), text(string(g.Severity)), text(string(g.Kind)), text(g.Title), text(g.Message), text(g.Fix),
			text(strings.Join(g.Components, ", ")), text(joinIDs(g.Controls)), text(joinIDs(g.Areas)), text(g.Party))
	}
	return nil
}

// countSeverities counts gaps by severity, highest first.
func countSeverities(gaps []demarc.Gap) ([]severityCount, int) {
	out := make([]severityCount, len(severities))
	for i, s := range severities {
		out[i].Severity = s
	}
	for _, g := range gaps {
		if i := slices.Index(severities, g.Severity); i >= 0 {
			out[i].Count++
		}
	}
	return out, len(gaps)
}

// gapRow links a gap's controls and areas to their explanations (an
// area on the gap's one component focuses that component) and, where a
// team is the fix, to the composer.
func (v *view) gapRow(g demarc.Gap, framework string) gapRow {
	focus := ""
	if len(g.Components) == 1 {
		focus = g.Components[0]
	}
	row := gapRow{Gap: g, ControlRefs: v.controlRefs(g.Controls, framework), AreaRefs: v.areaRefs(g.Areas, framework, focus)}
	if v.CanEdit() && slices.Contains(teamFixes, g.Kind) && len(g.Areas) > 0 {
		q := url.Values{}
		for _, a := range g.Areas {
			q.Add("area", string(a))
		}
		row.Assign = v.SystemBase() + "edit?" + q.Encode() + "#teams"
	}
	return row
}
