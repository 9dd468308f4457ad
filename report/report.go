// Package report writes the one-file HTML report a CISO reads: the owner
// heat map of areas × components, the owner split per framework family,
// gaps by severity, incident and telemetry duties, and the risk split —
// self-contained, with inline styles and SVG charts and no external assets.
package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
)

//go:embed report.html.tmpl
var files embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"join":  strings.Join,
	"lower": strings.ToLower,
	"add":   func(a, b int) int { return a + b },
	// Family bars span x 300–960 of a 1000-wide chart.
	"barX":      func(pct float64) float64 { return 300 + pct*6.6 },
	"barW":      func(pct float64) float64 { return pct * 6.6 },
	"riskW":     func(pct float64) float64 { return max(pct*6, 2) },
	"riskLabel": func(pct float64) float64 { return 180 + max(pct*6, 2) },
	"class":     class,
	"partyName": partyName,
}).ParseFS(files, "report.html.tmpl"))

// Data is everything the report shows.
type Data struct {
	System     *demarc.System
	Framework  *demarc.Framework
	AsOf       demarc.Date
	Summary    []OwnerCount
	Controls   int
	Heat       HeatMap
	Families   []FamilyBar
	Gaps       []demarc.Gap
	GapCounts  map[string]int // per severity
	Risk       *analyze.RiskReport
	RiskBars   []RiskBar
	Incidents  []analyze.IncidentPlan
	Telemetry  *analyze.TelemetryReport
	Regulation []string
}

// OwnerCount is the number of controls one owner has.
type OwnerCount struct {
	Owner demarc.Owner
	Count int
	Class string
}

// HeatMap is areas (grouped by layer) × components, coloured by owner.
type HeatMap struct {
	Components []demarc.Component
	Layers     []HeatLayer
}

// HeatLayer is the rows of one layer.
type HeatLayer struct {
	Layer demarc.Layer
	Rows  []HeatRow
}

// HeatRow is one area across components.
type HeatRow struct {
	Area  demarc.Area
	Cells []HeatCell
}

// HeatCell is one area on one component.
type HeatCell struct {
	Owner demarc.Owner
	Class string // CSS class for colour and pattern
	Mark  string // a letter, so colour is never the only signal
	Tip   string
}

// FamilyBar is the owner split of one framework family, as bar segments.
type FamilyBar struct {
	ID, Title string
	Total     int
	Segments  []Segment
	Y         int
}

// Segment is a run of one owner in a bar, in percent of the bar.
type Segment struct {
	Owner demarc.Owner
	Class string
	Count int
	X, W  float64
}

// RiskBar is one side of the risk split.
type RiskBar struct {
	Side  string
	Score int
	Count int
	W     float64
	Y     int
}

// Build gathers the report's data from an analysis.
func Build(an *analyze.Analysis) (*Data, error) {
	m := an.Res.Matrix(an.FW)
	gaps := an.Gaps()
	incidents, err := an.Incidents("")
	if err != nil {
		return nil, err
	}
	d := &Data{
		System: an.Res.System, Framework: an.FW, AsOf: an.AsOf, Controls: len(m.Controls),
		Gaps: gaps, GapCounts: map[string]int{}, Risk: an.Risks(gaps),
		Incidents: incidents, Telemetry: an.Telemetry(),
	}
	for _, o := range ownerOrder {
		if n := m.Summary[o]; n > 0 {
			d.Summary = append(d.Summary, OwnerCount{o, n, class(o)})
		}
	}
	for _, g := range gaps {
		d.GapCounts[string(g.Severity)]++
	}
	for _, r := range an.RegulationsInScope() {
		d.Regulation = append(d.Regulation, r.Title)
	}
	d.Heat = heatMap(an)
	d.Families = families(an.FW, m)
	d.RiskBars = riskBars(d.Risk)
	return d, nil
}

// Coverage counts the telemetry duties with coverage c.
func (d *Data) Coverage(c string) int { return d.Telemetry.Summary[analyze.Coverage(c)] }

// FamiliesHeight is the height of the family chart.
func (d *Data) FamiliesHeight() int { return max(26*len(d.Families), 26) }

func partyName(p analyze.PartyRole) string {
	if p.Party.Kind != demarc.PartyCustomer {
		return p.Party.Name
	}
	if len(p.Teams) > 0 {
		return "customer (" + strings.Join(p.Teams, ", ") + ")"
	}
	return "customer"
}

// Write renders the report as one HTML document.
func Write(w io.Writer, d *Data) error {
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

var ownerOrder = []demarc.Owner{demarc.OwnerProvider, demarc.OwnerShared, demarc.OwnerCustomer, demarc.OwnerThirdParty, demarc.OwnerNotApplicable, demarc.OwnerUnassigned, demarc.OwnerConflict}

func class(o demarc.Owner) string { return "o-" + string(o) }

var marks = map[demarc.Owner]string{
	demarc.OwnerProvider: "P", demarc.OwnerCustomer: "C", demarc.OwnerShared: "S", demarc.OwnerThirdParty: "T",
	demarc.OwnerNotApplicable: "–", demarc.OwnerUnassigned: "?", demarc.OwnerConflict: "!",
}

func heatMap(an *analyze.Analysis) HeatMap {
	h := HeatMap{Components: an.Res.System.Components}
	cells := make([][]demarc.Assignment, len(h.Components))
	for ci := range h.Components {
		cells[ci] = an.Res.Cells(ci)
	}
	for ai, area := range an.Res.Areas() {
		row := HeatRow{Area: area}
		for ci := range h.Components {
			asg := cells[ci][ai]
			mark := marks[asg.Owner]
			if asg.Sharing == demarc.SharingIndependent {
				mark = "S·"
			}
			row.Cells = append(row.Cells, HeatCell{Owner: asg.Owner, Class: class(asg.Owner), Mark: mark, Tip: tip(asg)})
		}
		if n := len(h.Layers); n == 0 || h.Layers[n-1].Layer != area.Layer {
			h.Layers = append(h.Layers, HeatLayer{Layer: area.Layer})
		}
		h.Layers[len(h.Layers)-1].Rows = append(h.Layers[len(h.Layers)-1].Rows, row)
	}
	return h
}

func tip(asg demarc.Assignment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %s", asg.Area, asg.Component, asg.Owner)
	if asg.Sharing != "" {
		fmt.Fprintf(&b, " (%s)", asg.Sharing)
	}
	for _, p := range asg.Parts {
		fmt.Fprintf(&b, "\n%s: %s", p.Party, p.Text)
	}
	fmt.Fprintf(&b, "\ndecided by %s", asg.Provenance.Decided.Source)
	return b.String()
}

func families(fw *demarc.Framework, m *demarc.Matrix) []FamilyBar {
	titles := map[string]string{}
	var order []string
	for _, f := range fw.Families {
		titles[f.ID] = f.Title
		order = append(order, f.ID)
	}
	counts := map[string]map[demarc.Owner]int{}
	for _, c := range m.Controls {
		if counts[c.Family] == nil {
			counts[c.Family] = map[demarc.Owner]int{}
			if _, ok := titles[c.Family]; !ok {
				order = append(order, c.Family)
			}
		}
		counts[c.Family][c.Owner]++
	}
	var bars []FamilyBar
	for _, id := range order {
		cs := counts[id]
		if cs == nil {
			continue
		}
		bar := FamilyBar{ID: id, Title: titles[id], Y: len(bars) * 26}
		for _, n := range cs {
			bar.Total += n
		}
		x := 0.0
		for _, o := range ownerOrder {
			if n := cs[o]; n > 0 {
				w := 100 * float64(n) / float64(bar.Total)
				bar.Segments = append(bar.Segments, Segment{Owner: o, Class: class(o), Count: n, X: x, W: w})
				x += w
			}
		}
		bars = append(bars, bar)
	}
	return bars
}

func riskBars(r *analyze.RiskReport) []RiskBar {
	sides := []string{analyze.CustomerManaged, analyze.ProviderManaged}
	most := 1
	for _, s := range sides {
		most = max(most, r.Split[s].Score)
	}
	var bars []RiskBar
	for i, s := range sides {
		t := r.Split[s]
		bars = append(bars, RiskBar{Side: s, Score: t.Score, Count: t.Count, W: 100 * float64(t.Score) / float64(most), Y: i * 34})
	}
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Y < bars[j].Y })
	return bars
}
