package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
)

func init() {
	addPage("/systems/{id}/telemetry", func(u *UI) pageFunc { return telemetryPage })
}

// telemetryData is the telemetry page: every area the customer must
// monitor, on every component, and the logs that can show it.
type telemetryData struct {
	Error    string
	Filters  *filters
	Coverage []coverageCount
	Total    int
	Rows     []monitorRow
	// Sources are the log sources behind the rows shown, each once.
	Sources []sourceRow
	// SourceCSV and SourceXLSX download the sources.
	SourceCSV, SourceXLSX string
}

// coverageCount is the number of duties of one coverage.
type coverageCount struct {
	Coverage analyze.Coverage
	Label    string
	Count    int
}

// monitorRow is one monitoring duty with its links.
type monitorRow struct {
	analyze.MonitoringDuty
	AreaHref string
	Label    string // the coverage for people
}

// sourceRow is one log source and the duties it serves.
type sourceRow struct {
	demarc.LogSource
	State      string
	Components []string
	Evidences  []demarc.AreaID
}

// coverages are the coverage states, best first, with what they mean.
var coverages = []struct {
	c     analyze.Coverage
	label string
}{
	{analyze.CoveredByDefault, "covered by default"},
	{analyze.NeedsEnabling, "needs enabling"},
	{analyze.CustomerCollection, "customer collects"},
	{analyze.NotObservable, "not observable"},
}

func telemetryPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	d := &telemetryData{Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — telemetry", "telemetry", "telemetry", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Telemetry"})
	var r analyze.TelemetryReport
	var err error
	if d.Error, err = v.analysis("telemetry", nil, &r); err != nil {
		return err
	}
	var covChoices []choice
	for _, c := range coverages {
		n := r.Summary[c.c]
		d.Coverage = append(d.Coverage, coverageCount{Coverage: c.c, Label: c.label, Count: n})
		covChoices = append(covChoices, choice{Value: string(c.c), Label: c.label, Count: n})
		d.Total += n
	}
	comps, layers := tally{}, tally{}
	for _, m := range r.Duties {
		comps.add(m.Component)
		layers.add(areaPrefix(m.Area))
	}
	cov := d.Filters.add(v, "coverage", "Coverage", covChoices)
	comp := d.Filters.add(v, "component", "Component", comps.choices())
	group := d.Filters.add(v, "group", "Area group", layers.choices())
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	duties := &table{Name: v.System.Name + "-telemetry",
		Columns: []string{"Component", "Service", "Area", "Owner", "Coverage", "Log sources", "Advice", "Teams"}}
	sources := map[string]int{}
	for _, m := range r.Duties {
		if cov.Value != "" && string(m.Coverage) != cov.Value || comp.Value != "" && m.Component != comp.Value || group.Value != "" && areaPrefix(m.Area) != group.Value {
			continue
		}
		d.Rows = append(d.Rows, monitorRow{MonitoringDuty: m, AreaHref: v.explainHref(string(m.Area), "", m.Component), Label: coverageLabel(m.Coverage)})
		duties.add("cov-row-"+string(m.Coverage), text(m.Component), text(string(m.Service)), text(string(m.Area)), ownerCell(m.Owner),
			text(coverageLabel(m.Coverage)), text(sourcesText(m.Sources)), text(m.Advice), text(strings.Join(m.Teams, ", ")))
		for _, s := range m.Sources {
			d.addSource(sources, s, m)
		}
	}
	d.sortSources()
	v.Table = duties
	if v.Query("table") == "sources" {
		v.Table = d.sourceTable(v.System.Name + "-log-sources")
	}
	d.SourceCSV, d.SourceXLSX = exportHref(v, "sources", "csv"), exportHref(v, "sources", "xlsx")
	return nil
}

// areaPrefix is the group of an area id: "os" of "os.patching".
func areaPrefix(a demarc.AreaID) string {
	p, _, _ := strings.Cut(string(a), ".")
	return p
}

// coverageLabel says a coverage for people.
func coverageLabel(c analyze.Coverage) string {
	for _, x := range coverages {
		if x.c == c {
			return x.label
		}
	}
	return string(c)
}

// sourceState says whether a log source is on or must be turned on, and
// how long the provider keeps it.
func sourceState(s demarc.LogSource) string {
	state := "must be enabled"
	if s.Default {
		state = "on by default"
	}
	if s.RetentionDays > 0 {
		state += ", kept " + strconv.Itoa(s.RetentionDays) + " days"
	}
	return state
}

// sourcesText lists log sources in one cell.
func sourcesText(ss []demarc.LogSource) string {
	lines := make([]string, len(ss))
	for i, s := range ss {
		lines[i] = s.Title + " (" + sourceState(s) + ")"
	}
	return strings.Join(lines, "\n")
}

// addSource records that a log source serves a duty.
func (d *telemetryData) addSource(seen map[string]int, s demarc.LogSource, m analyze.MonitoringDuty) {
	i, ok := seen[s.ID]
	if !ok {
		i = len(d.Sources)
		d.Sources = append(d.Sources, sourceRow{LogSource: s, State: sourceState(s)})
		seen[s.ID] = i
	}
	row := &d.Sources[i]
	if !slices.Contains(row.Components, m.Component) {
		row.Components = append(row.Components, m.Component)
	}
	if !slices.Contains(row.Evidences, m.Area) {
		row.Evidences = append(row.Evidences, m.Area)
	}
}

// sortSources puts the sources to turn on first, then by title.
func (d *telemetryData) sortSources() {
	slices.SortStableFunc(d.Sources, func(a, b sourceRow) int {
		if a.Default != b.Default {
			if b.Default {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Title, b.Title)
	})
}

// sourceTable lists the log sources as the page shows them.
func (d *telemetryData) sourceTable(name string) *table {
	t := &table{Name: name, Columns: []string{"Log source", "Kind", "State", "Retention (days)", "Components", "Areas it shows", "Note"}}
	for _, s := range d.Sources {
		t.add("", text(s.Title), text(string(s.Kind)), text(s.State), text(strconv.Itoa(s.RetentionDays)), text(strings.Join(s.Components, ", ")),
			text(joinIDs(s.Evidences)), text(s.Note))
	}
	return t
}
