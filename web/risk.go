package web

import (
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
)

func init() {
	addPage("/systems/{id}/risk", func(u *UI) pageFunc { return riskPage })
}

// riskData is the risk page: every gap scored as a risk, and the split
// between risk the provider manages and risk the customer manages.
type riskData struct {
	Judged  *judged
	Error   string
	Filters *filters
	// MinScore is the lowest score shown, as typed.
	MinScore string
	Sides    []riskSide
	Rows     []riskRow
	Total    int
	Report   *analyze.RiskReport
}

// riskSide is one side's residual risk.
type riskSide struct {
	Name   string
	Label  string
	Totals analyze.RiskTotals
	Levels []levelCount
}

// levelCount is the number of risks at one level.
type levelCount struct {
	Level string
	Count int
}

// riskRow is one risk with its links.
type riskRow struct {
	demarc.Risk
	GapHref  string
	AreaRefs []ref
}

// riskLevels are the levels of risk, highest first.
var riskLevels = []string{"critical", "high", "medium", "low"}

// riskSides are the sides of residual risk.
var riskSides = []struct{ name, label string }{
	{analyze.ProviderManaged, "Provider-managed"},
	{analyze.CustomerManaged, "Customer-managed"},
}

func riskPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	j, err := v.judgedBy(true)
	if err != nil {
		return err
	}
	d := &riskData{Judged: j, Filters: &filters{}, Report: &analyze.RiskReport{}}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — risk", "risk", "risk", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Risk"})
	if d.Error, err = v.analysis("risk", j.query(), d.Report); err != nil {
		return err
	}
	j.settle(string(d.Report.Framework), demarc.Date{})
	r := d.Report
	for _, s := range riskSides {
		side := riskSide{Name: s.name, Label: s.label, Totals: r.Split[s.name]}
		for _, l := range riskLevels {
			side.Levels = append(side.Levels, levelCount{Level: l, Count: side.Totals.ByLevel[l]})
		}
		d.Sides = append(d.Sides, side)
	}
	d.Total = len(r.Risks)
	var sideChoices []choice
	for _, s := range riskSides {
		sideChoices = append(sideChoices, choice{Value: s.name, Label: strings.ToLower(s.label)})
	}
	level := d.Filters.add(v, "level", "Level", choicesOf(riskLevels...))
	side := d.Filters.add(v, "managed_by", "Managed by", sideChoices)
	min := d.minScore(v)
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	v.Table = &table{Name: v.System.Name + "-risk",
		Columns: []string{"Level", "Score", "Likelihood", "Impact", "Risk", "Kind", "Managed by", "Party", "Areas", "Components", "Rationale"}}
	for _, rk := range r.Risks {
		if level.Value != "" && rk.Level != level.Value || side.Value != "" && rk.ManagedBy != side.Value || rk.Score < min {
			continue
		}
		d.Rows = append(d.Rows, riskRow{Risk: rk, GapHref: v.gapHref(rk.Gap, j), AreaRefs: v.areaRefs(rk.Areas, j.Framework, "")})
		v.Table.add("risk-row-"+rk.Level, text(rk.Level), text(strconv.Itoa(rk.Score)), text(strconv.Itoa(rk.Likelihood)), text(strconv.Itoa(rk.Impact)),
			text(rk.Title), text(string(rk.Kind)), text(rk.ManagedBy), text(rk.Party), text(joinIDs(rk.Areas)), text(strings.Join(rk.Components, ", ")), text(rk.Rationale))
	}
	return nil
}

// minScore reads the lowest score to show: a whole number from 1 to 25.
// Anything else is reported and ignored, as an unknown filter value is.
func (d *riskData) minScore(v *view) int {
	d.MinScore = strings.TrimSpace(v.Query("min_score"))
	if d.MinScore == "" {
		return 0
	}
	n, err := strconv.Atoi(d.MinScore)
	if err != nil || n < 1 || n > 25 {
		d.Filters.note("Filter lowest score: %q is not a whole number from 1 to 25; it was ignored.", d.MinScore)
		return 0
	}
	return n
}

// gapHref links a risk to its gap's row on the gaps page.
func (v *view) gapHref(gap string, j *judged) string {
	h := v.SystemBase() + "gaps"
	if q := j.query(); len(q) > 0 {
		h += "?" + q.Encode()
	}
	return h + "#gap-" + gap
}
