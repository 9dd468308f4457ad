package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

func init() {
	addPage("/systems/{id}/diff", func(u *UI) pageFunc { return diffPage })
}

// diffData is the diff page: two versions of the system compared, or a
// component swapped to another service (what-if), and what moves between
// the parties.
type diffData struct {
	Framework  string
	Frameworks []server.LibraryItem
	Versions   []demarc.Revision
	From, To   string
	// Component and Service are the what-if's picks, as chosen.
	Component  string
	Service    string
	Components []server.GridComponent
	Services   []serviceGroup
	// ComponentKnown and ServiceKnown say the picks are among the
	// choices; an unknown pick is kept on the form, marked as such.
	ComponentKnown, ServiceKnown bool
	// Mode is "versions" or "whatif" once a comparison was made.
	Mode string
	// VersionError and WhatIfError are the API's refusal of a pick,
	// shown on the form that made it.
	VersionError, WhatIfError *apiError
	Result                    *server.VersionDiff
	Filters                   *filters
	Parties                   []partyMove
	Moves                     []move
	Rows                      []changeRow
}

// serviceGroup is one provider's services, for the service picker.
type serviceGroup struct {
	Provider string
	Title    string
	Services []server.LibraryItem
}

// partyMove is what one kind of owner gains and loses.
type partyMove struct {
	Owner      demarc.Owner
	Gains      int
	Loses      int
	Reassigned int // the owner stays, the parties doing the work change
}

// move is one direction of change and how many areas take it.
type move struct {
	Direction string
	Count     int
}

// changeRow is a control or an area whose owner or parties change.
type changeRow struct {
	Kind      string // control or area
	ID        string
	Href      string
	Title     string
	Component string
	From, To  demarc.Owner
	Summary   string
}

func diffPage(v *view) error {
	doc, err := v.openSystem()
	if err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	d := &diffData{Framework: v.Query("framework"), Frameworks: fws, From: v.Query("from"), To: v.Query("to"),
		Component: v.Query("component"), Service: v.Query("service"), Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — diff and what-if", "diff", "diff", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Diff & what-if"})
	if err := d.loadPickers(v); err != nil {
		return err
	}
	switch {
	case d.Component != "" || d.Service != "":
		err = d.whatIf(v)
	case d.From != "" || d.To != "" || doc.Version > 1:
		err = d.versions(v, doc.Version)
	}
	if err != nil {
		return err
	}
	if err := d.table(v); err != nil {
		return err
	}
	return d.Filters.settle(v)
}

// loadPickers reads the system's versions and components and the
// library's services, for the two forms.
func (d *diffData) loadPickers(v *view) error {
	sys := v.API("systems", escape(string(v.System.ID)))
	q := url.Values{"limit": {"500"}}
	for range 20 { // at most 10,000 versions
		var l server.List[demarc.Revision]
		if _, err := v.get(sys+"/versions", q, &l); err != nil {
			return err
		}
		d.Versions = append(d.Versions, l.Items...)
		if l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	slices.SortFunc(d.Versions, func(a, b demarc.Revision) int { return b.Version - a.Version })
	// The grid's columns are the system's components; asking for the
	// cells of one owner keeps the answer small.
	var g server.CellGrid
	if _, err := v.get(sys+"/cells", url.Values{"owner": {string(demarc.OwnerConflict)}}, &g); err != nil {
		return err
	}
	d.Components = g.Components
	groups, err := v.serviceGroups()
	if err != nil {
		return err
	}
	d.Services = groups
	d.ComponentKnown = slices.ContainsFunc(d.Components, func(c server.GridComponent) bool { return c.Name == d.Component })
	for _, g := range groups {
		d.ServiceKnown = d.ServiceKnown || slices.ContainsFunc(g.Services, func(s server.LibraryItem) bool { return s.ID == d.Service })
	}
	return nil
}

// serviceGroups lists the organisation's library services by provider.
func (v *view) serviceGroups() ([]serviceGroup, error) {
	var providers, services server.List[server.LibraryItem]
	if _, err := v.get(v.API("library", "providers"), nil, &providers); err != nil {
		return nil, err
	}
	if _, err := v.get(v.API("library", "services"), nil, &services); err != nil {
		return nil, err
	}
	var out []serviceGroup
	index := map[string]int{}
	for _, p := range providers.Items {
		index[p.ID] = len(out)
		out = append(out, serviceGroup{Provider: p.ID, Title: p.Title})
	}
	for _, s := range services.Items {
		i, ok := index[s.Provider]
		if !ok {
			i = len(out)
			index[s.Provider] = i
			out = append(out, serviceGroup{Provider: s.Provider, Title: s.Provider})
		}
		out[i].Services = append(out[i].Services, s)
	}
	return slices.DeleteFunc(out, func(g serviceGroup) bool { return len(g.Services) == 0 }), nil
}

// versions compares two versions: by default the one before the current
// with the current.
func (d *diffData) versions(v *view, current int) error {
	if d.To == "" {
		d.To = strconv.Itoa(current)
	}
	if d.From == "" {
		to, err := strconv.Atoi(d.To)
		if err == nil && to > 1 {
			d.From = strconv.Itoa(to - 1)
		}
	}
	q := url.Values{}
	for k, s := range map[string]string{"from": d.From, "to": d.To, "framework": d.Framework} {
		if s != "" {
			q.Set(k, s)
		}
	}
	d.Mode = "versions"
	var err error
	d.VersionError, err = d.compare(v, "diff", q)
	return err
}

// whatIf swaps one component to another service.
func (d *diffData) whatIf(v *view) error {
	d.Mode = "whatif"
	if d.Component == "" || d.Service == "" {
		return d.refuse(v, &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid, Message: "Choose both a component and the service it would use instead."})
	}
	q := url.Values{"swap": {d.Component + "=" + d.Service}}
	if d.Framework != "" {
		q.Set("framework", d.Framework)
	}
	var err error
	d.WhatIfError, err = d.compare(v, "whatif", q)
	return err
}

// refuse shows a what-if pick's problem on its form, or fails a
// download, which cannot show it.
func (d *diffData) refuse(v *view, ae *apiError) error {
	if v.Query("export") != "" {
		return ae
	}
	d.WhatIfError, v.status = ae, ae.Status
	return nil
}

// compare calls the diff or what-if route. The API's refusal of the
// picks (4xx) is returned for the form to show, with the page's status
// set to the API's; other errors, and any error of a download, fail the
// page.
func (d *diffData) compare(v *view, route string, q url.Values) (*apiError, error) {
	out := &server.VersionDiff{}
	_, err := v.get(v.API("systems", escape(string(v.System.ID)), route), q, out)
	var ae *apiError
	switch {
	case err == nil:
		d.Result = out
		if d.Framework == "" && out.Diff != nil {
			d.Framework = string(out.Diff.Framework)
		}
		return nil, nil
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && v.Query("export") == "":
		v.status = ae.Status
		return ae, nil
	}
	return nil, err
}

// table lays out what moves: each party's gains and losses, and the
// controls and areas that change owner or parties.
func (d *diffData) table(v *view) error {
	kind := d.Filters.add(v, "change", "Changes", []choice{{Value: "control", Label: "controls"}, {Value: "area", Label: "areas"}})
	name := v.System.Name + "-diff"
	if d.Mode == "whatif" {
		name = v.System.Name + "-whatif"
	}
	v.Table = &table{Name: name, Columns: []string{"Change", "Control or area", "Title", "Component", "From", "To", "What moves"}}
	if d.Result == nil || d.Result.Diff == nil {
		return nil
	}
	diff := d.Result.Diff
	titles, err := v.areaTitles()
	if err != nil {
		return err
	}
	d.Parties, d.Moves = partyMoves(diff.Moves)
	if kind.Value == "" || kind.Value == "control" {
		for _, c := range diff.Controls {
			d.addRow(v, changeRow{Kind: "control", ID: string(c.ID), Href: v.explainHref(string(c.ID), string(diff.Framework), ""), Title: c.Title, From: c.From, To: c.To})
		}
	}
	if kind.Value == "" || kind.Value == "area" {
		for _, a := range diff.Areas {
			d.addRow(v, changeRow{Kind: "area", ID: string(a.Area), Href: v.explainHref(string(a.Area), string(diff.Framework), a.Component), Component: a.Component,
				Title: titles[string(a.Area)], From: a.From, To: a.To, Summary: movesText(a.FromParts, a.ToParts)})
		}
	}
	return nil
}

// areaTitles maps the library's area ids to their titles.
func (v *view) areaTitles() (map[string]string, error) {
	var areas server.List[server.LibraryItem]
	if _, err := v.get(v.API("library", "areas"), nil, &areas); err != nil {
		return nil, err
	}
	titles := make(map[string]string, len(areas.Items))
	for _, a := range areas.Items {
		titles[a.ID] = a.Title
	}
	return titles, nil
}

func (d *diffData) addRow(v *view, r changeRow) {
	d.Rows = append(d.Rows, r)
	v.Table.add("", text(r.Kind), cell{Text: r.ID, Href: r.Href, Mono: true}, text(r.Title), text(r.Component), ownerCell(r.From), ownerCell(r.To), text(r.Summary))
}

// movesText says which parties did the work before and after.
func movesText(from, to []string) string {
	return "from " + partiesText(from) + " to " + partiesText(to)
}

func partiesText(ps []string) string {
	if len(ps) == 0 {
		return "nobody"
	}
	return strings.Join(ps, ", ")
}

// partyMoves sums the moves ("customer → provider": 3) per owner, in
// the order owners are listed everywhere, and lists the directions, the
// largest first.
func partyMoves(moves map[string]int) ([]partyMove, []move) {
	by := map[demarc.Owner]*partyMove{}
	get := func(o demarc.Owner) *partyMove {
		if by[o] == nil {
			by[o] = &partyMove{Owner: o}
		}
		return by[o]
	}
	var list []move
	for dir, n := range moves {
		list = append(list, move{Direction: dir, Count: n})
		from, to, ok := strings.Cut(dir, " → ")
		if !ok {
			continue
		}
		if from == to {
			get(demarc.Owner(from)).Reassigned += n
			continue
		}
		get(demarc.Owner(from)).Loses += n
		get(demarc.Owner(to)).Gains += n
	}
	slices.SortFunc(list, func(a, b move) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Direction, b.Direction)
	})
	var out []partyMove
	for _, o := range ownerOrder {
		if p := by[o]; p != nil {
			out = append(out, *p)
		}
	}
	return out, list
}
