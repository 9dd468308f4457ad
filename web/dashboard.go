package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// dashboardData is the organisation's overview: every system with its
// owner split, open gaps, attestations and sign-offs that need someone,
// and the totals across them.
type dashboardData struct {
	Overview   *server.Overview
	Rows       []dashboardRow
	Owners     []ownerCount
	Controls   int
	Frameworks []server.LibraryItem
	// Framework and Days are the filter as the user gave it.
	Framework string
	Days      string
	TableID   string
}

// dashboardRow is one system of the overview, laid out for the page.
type dashboardRow struct {
	server.SystemOverview
	Owners       []ownerCount
	Href         string
	EditHref     string
	Attestations []dashboardAttestation
	Signoffs     []dashboardSignoff
}

// dashboardAttestation is an attestation due, with when in words and
// the page of the register that holds it (empty when the system file
// itself lists it).
type dashboardAttestation struct {
	server.AttestationDue
	Due  string
	Href string
}

// dashboardSignoff is a sign-off that needs attention, with the parties
// it waits for named and why in words.
type dashboardSignoff struct {
	server.SignoffDue
	Href     string
	Awaiting []string
	Why      string
}

func (u *UI) dashboard(v *view) error {
	q := url.Values{}
	d := &dashboardData{Framework: v.Query("framework"), Days: v.Query("days")}
	if d.Framework != "" {
		q.Set("framework", d.Framework)
	}
	if d.Days != "" {
		q.Set("days", d.Days)
	}
	if n, err := strconv.Atoi(v.Query("examples")); err == nil && n >= 0 {
		v.Flash = fmt.Sprintf("Added %d example systems.", n)
	}
	o := &server.Overview{}
	if _, err := v.get(v.API("overview"), q, o); err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	parties, err := v.partyNames()
	if err != nil {
		return err
	}
	d.Overview, d.Frameworks = o, fws
	d.Owners, d.Controls = summarize(o.Totals.Owners)
	for _, so := range o.Systems {
		d.Rows = append(d.Rows, v.dashboardRow(so, parties))
	}
	if err := v.linkAttestations(d.Rows); err != nil {
		return err
	}
	v.Title, v.Section, v.template = v.Org.Name, "dashboard", "dashboard"
	v.Table = dashboardTable(v.Org.Slug, d.Rows)
	d.TableID = "table-" + v.Table.Name
	v.Data = d
	return nil
}

// dashboardRow lays one system out: its split, links, and the names of
// the parties its sign-offs wait for.
func (v *view) dashboardRow(so server.SystemOverview, parties map[demarc.OrgID]string) dashboardRow {
	base := v.OrgBase() + "systems/" + url.PathEscape(string(so.ID)) + "/"
	r := dashboardRow{SystemOverview: so, Href: base, EditHref: base + "edit"}
	r.Owners, _ = summarize(so.Owners)
	for _, a := range so.Attestations {
		r.Attestations = append(r.Attestations, dashboardAttestation{AttestationDue: a, Due: dueText(a)})
	}
	for _, sd := range so.Signoffs {
		ds := dashboardSignoff{SignoffDue: sd, Href: v.OrgBase() + "signoffs/" + url.PathEscape(string(sd.ID))}
		for _, p := range sd.Awaiting {
			ds.Awaiting = append(ds.Awaiting, partyName(parties, p))
		}
		ds.Why = signoffWhy(ds)
		r.Signoffs = append(r.Signoffs, ds)
	}
	return r
}

// partyNames names the organisations a sign-off can wait for: this one,
// and the publishers of the statements it can see.
func (v *view) partyNames() (map[demarc.OrgID]string, error) {
	names := map[demarc.OrgID]string{v.Org.ID: v.Org.Name}
	var pubs server.List[demarc.Publication]
	if _, err := v.get(v.API("publications"), url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}, &pubs); err != nil {
		return nil, err
	}
	for _, p := range pubs.Items {
		if _, ok := names[p.Org]; !ok && p.OrgSlug != "" {
			names[p.Org] = p.OrgSlug
		}
	}
	return names, nil
}

// partyName is an organisation's name, or its id when it is not known.
func partyName(names map[demarc.OrgID]string, id demarc.OrgID) string {
	if n, ok := names[id]; ok {
		return n
	}
	return string(id)
}

// dashboardTable is the overview as rows for CSV and XLSX, one system a
// row.
func dashboardTable(org string, rows []dashboardRow) *table {
	t := &table{Name: org + "-systems", Columns: []string{"System", "Version", "Framework", "Controls", "Provider", "Shared", "Customer",
		"Other owners", "Gaps high", "Gaps medium", "Gaps low", "Attestations due", "Sign-offs due", "Error", "Updated"}}
	for _, r := range rows {
		cells := []cell{link(r.Name, r.Href), text("v" + strconv.Itoa(r.Version))}
		errText := ""
		if r.Error != nil {
			errText = r.Error.Message
			cells = append(cells, text(""), text(""), text(""), text(""), text(""), text(""), text(""), text(""), text(""))
		} else {
			o, g := r.SystemOverview.Owners, server.GapCounts{}
			if r.Gaps != nil {
				g = *r.Gaps
			}
			cells = append(cells, text(string(r.Framework)), text(strconv.Itoa(r.Controls)), text(strconv.Itoa(o[demarc.OwnerProvider])),
				text(strconv.Itoa(o[demarc.OwnerShared])), text(strconv.Itoa(o[demarc.OwnerCustomer])), text(otherOwners(o)),
				text(strconv.Itoa(g.High)), text(strconv.Itoa(g.Medium)), text(strconv.Itoa(g.Low)))
		}
		cells = append(cells, text(attestationsText(r.Attestations)), text(signoffsText(r.Signoffs)), text(errText), text(r.UpdatedAt.UTC().Format("2006-01-02 15:04")))
		t.add("", cells...)
	}
	return t
}

// otherOwners lists the owners besides provider, shared and customer,
// e.g. "unassigned 3; conflict 1".
func otherOwners(s demarc.Summary) string {
	var parts []string
	for _, o := range ownerOrder {
		if o == demarc.OwnerProvider || o == demarc.OwnerShared || o == demarc.OwnerCustomer || s[o] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", ownerName(o), s[o]))
	}
	return strings.Join(parts, "; ")
}

// attestationsText is the attestations due, one a line.
func attestationsText(list []dashboardAttestation) string {
	var lines []string
	for _, a := range list {
		lines = append(lines, a.ID+" ("+string(a.Provider)+" "+string(a.Type)+"): "+a.Due)
	}
	return strings.Join(lines, "\n")
}

// dueText says when an attestation ran out or runs out.
func dueText(a server.AttestationDue) string {
	switch {
	case a.Expired:
		return fmt.Sprintf("expired %s (%d days ago)", a.ValidThrough, -a.DaysLeft)
	case a.DaysLeft == 0:
		return fmt.Sprintf("expires today (%s)", a.ValidThrough)
	}
	return fmt.Sprintf("expires %s (in %d days)", a.ValidThrough, a.DaysLeft)
}

// signoffsText is the sign-offs due, one a line, with why.
func signoffsText(list []dashboardSignoff) string {
	var lines []string
	for _, s := range list {
		lines = append(lines, string(s.Framework)+" v"+strconv.Itoa(s.Version)+": "+string(s.State)+" — "+s.Why)
	}
	return strings.Join(lines, "\n")
}

// signoffWhy says why a sign-off needs attention: what made it stale,
// or whom it waits for.
func signoffWhy(s dashboardSignoff) string {
	if s.State == demarc.SignoffStale {
		return s.StaleReason
	}
	return "awaiting " + strings.Join(s.Awaiting, ", ")
}
