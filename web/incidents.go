package web

import (
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/server"
)

func init() {
	addPage("/systems/{id}/incidents", func(u *UI) pageFunc { return incidentsPage })
}

// incidentsData is the incidents page: for each kind of incident, who
// investigates, remediates and communicates, how to reach them, and who
// must be told by when.
type incidentsData struct {
	Judged  *judged
	Error   string
	Filters *filters
	Groups  []incidentGroup
	// Types is the number of incident types in the library.
	Types int
	// Rows and Notices count what the groups show.
	Rows, Notices int
	// NoticeCSV and NoticeXLSX download the notification deadlines.
	NoticeCSV, NoticeXLSX string
}

// incidentGroup is one incident type's duties and deadlines.
type incidentGroup struct {
	Type     demarc.IncidentType
	Duties   []dutyRow
	Notices  []analyze.NotificationDuty
	Warnings []string
}

// dutyRow is one party's share of one incident duty.
type dutyRow struct {
	Duty       demarc.IncidentDuty
	Owner      demarc.Owner // of the duty as a whole
	Party      string
	PartyKind  demarc.PartyKind
	Teams      []string
	Contact    string
	AreaRefs   []ref
	Components []string
}

// incidentDuties are the duties of incident handling, in order.
var incidentDuties = []demarc.IncidentDuty{demarc.DutyInvestigate, demarc.DutyRemediate, demarc.DutyCommunicate}

func incidentsPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	j, err := v.judgedBy(false)
	if err != nil {
		return err
	}
	d := &incidentsData{Judged: j, Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — incidents", "incidents", "incidents", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Incidents"})
	var r server.IncidentReport
	if d.Error, err = v.analysis("incidents", j.query(), &r); err != nil {
		return err
	}
	d.Types = len(r.Incidents)
	types := make([]choice, len(r.Incidents))
	parties := tally{}
	for i, p := range r.Incidents {
		types[i] = choice{Value: p.Type.ID, Label: p.Type.Title}
		for _, duty := range p.Duties {
			for _, pr := range duty.Parties {
				parties.add(partyLabel(pr.Party))
			}
		}
	}
	typ := d.Filters.add(v, "type", "Incident type", types)
	duty := d.Filters.add(v, "duty", "Duty", choicesOf(incidentDuties...))
	party := d.Filters.add(v, "party", "Party", parties.choices())
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	duties := &table{Name: v.System.Name + "-incident-duties",
		Columns: []string{"Incident type", "Duty", "Duty owner", "Party", "Teams", "Contact", "Areas", "Components"}}
	notices := &table{Name: v.System.Name + "-incident-notifications",
		Columns: []string{"Incident type", "Who notifies", "Whom", "Within", "Hours", "When", "Condition", "Source"}}
	sel := incidentFilter{typ: typ.Value, duty: duty.Value, party: party.Value}
	for _, p := range r.Incidents {
		if sel.typ != "" && p.Type.ID != sel.typ {
			continue
		}
		g := v.incidentGroup(p, sel, j.Framework, duties, notices)
		if len(g.Duties) == 0 && len(g.Notices) == 0 {
			continue
		}
		d.Rows += len(g.Duties)
		d.Notices += len(g.Notices)
		d.Groups = append(d.Groups, g)
	}
	v.Table = duties
	if v.Query("table") == "notifications" {
		v.Table = notices
	}
	d.NoticeCSV, d.NoticeXLSX = exportHref(v, "notifications", "csv"), exportHref(v, "notifications", "xlsx")
	return nil
}

// incidentFilter is what the incident tables are narrowed to.
type incidentFilter struct{ typ, duty, party string }

// incidentGroup lays out one incident type's duties and notification
// deadlines that pass the filter, adding them to the export tables too.
func (v *view) incidentGroup(p analyze.IncidentPlan, sel incidentFilter, framework string, duties, notices *table) incidentGroup {
	g := incidentGroup{Type: p.Type, Warnings: p.Warnings}
	for _, dt := range p.Duties {
		if sel.duty != "" && string(dt.Duty) != sel.duty {
			continue
		}
		for _, pr := range dt.Parties {
			label := partyLabel(pr.Party)
			if sel.party != "" && label != sel.party {
				continue
			}
			g.Duties = append(g.Duties, dutyRow{Duty: dt.Duty, Owner: dt.Owner, Party: label, PartyKind: pr.Party.Kind, Teams: pr.Teams,
				Contact: pr.Contact, AreaRefs: v.areaRefs(pr.Areas, framework, ""), Components: pr.Components})
			duties.add("", text(p.Type.Title), text(string(dt.Duty)), ownerCell(dt.Owner), text(label), text(strings.Join(pr.Teams, ", ")),
				text(pr.Contact), text(joinIDs(pr.Areas)), text(strings.Join(pr.Components, ", ")))
		}
	}
	for _, n := range p.Notifications {
		if sel.party != "" && n.From != sel.party && n.To != sel.party {
			continue
		}
		g.Notices = append(g.Notices, n)
		notices.add("", text(p.Type.Title), text(n.From), text(n.To), text(n.Within), text(strconv.Itoa(n.Hours)), text(n.When), text(n.Condition), text(n.Source))
	}
	return g
}

// partyLabel names a party for people and for the party filter: the
// customer, or a provider's or third party's name.
func partyLabel(p demarc.Party) string {
	if p.Name == "" {
		return string(p.Kind)
	}
	return p.Name
}
