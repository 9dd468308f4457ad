package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/server"
)

// openSystem reads the system document the path's {id} names and puts it
// in the view's navigation.
func (v *view) openSystem() (*server.DocumentView, error) {
	doc := &server.DocumentView{}
	if _, err := v.get(v.API("systems", escape(v.r.PathValue("id"))), nil, doc); err != nil {
		return nil, err
	}
	v.System = &doc.Document
	v.Crumbs = []crumb{{Label: "Systems", Href: v.OrgBase()}, {Label: doc.Name, Href: v.SystemBase()}}
	return doc, nil
}

// SystemBase is the UI path of the view's system, ending in "/".
func (v *view) SystemBase() string {
	return v.OrgBase() + "systems/" + url.PathEscape(string(v.System.ID)) + "/"
}

// frameworks lists the library's frameworks for the framework picker.
func (v *view) frameworks() ([]server.LibraryItem, error) {
	var l server.List[server.LibraryItem]
	_, err := v.get(v.API("library", "frameworks"), nil, &l)
	return l.Items, err
}

// matrixData is the matrix page: the heat map and the control list.
type matrixData struct {
	Framework  string
	Frameworks []server.LibraryItem
	Matrix     *demarc.Matrix
	Summary    []ownerCount
	Total      int
	Filter     matrixFilter
	Families   []string
	Components []string
	Shown      int
	Heat       *heatMap
}

// matrixFilter is what the control list is narrowed to.
type matrixFilter struct{ Owner, Family, Component, Gap string }

// ownerCount is one owner's share of the controls.
type ownerCount struct {
	Owner demarc.Owner
	Count int
}

// ownerOrder is how owners are listed everywhere.
var ownerOrder = []demarc.Owner{demarc.OwnerProvider, demarc.OwnerShared, demarc.OwnerCustomer, demarc.OwnerThirdParty,
	demarc.OwnerNotApplicable, demarc.OwnerUnassigned, demarc.OwnerConflict}

// summarize lists the owners of a summary in ownerOrder.
func summarize(s demarc.Summary) ([]ownerCount, int) {
	var out []ownerCount
	total := 0
	for _, o := range ownerOrder {
		if n := s[o]; n > 0 {
			out = append(out, ownerCount{Owner: o, Count: n})
			total += n
		}
	}
	return out, total
}

func (u *UI) matrixPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	q := url.Values{}
	if fw := v.Query("framework"); fw != "" {
		q.Set("framework", fw)
	}
	m := &demarc.Matrix{}
	if _, err := v.get(v.API("systems", escape(string(v.System.ID)), "matrix"), q, m); err != nil {
		return err
	}
	d := &matrixData{Framework: string(m.Framework), Frameworks: fws, Matrix: m,
		Filter: matrixFilter{Owner: v.Query("owner"), Family: v.Query("family"), Component: v.Query("component"), Gap: v.Query("gap")}}
	d.Summary, d.Total = summarize(m.Summary)
	d.Families, d.Components = matrixFacets(m)
	heat, err := v.heatMap()
	if err != nil {
		return err
	}
	d.Heat = heat
	v.Title, v.Section, v.template = v.System.Name+" — matrix", "matrix", "matrix"
	v.Table = controlTable(v, d)
	d.Shown = len(v.Table.Rows)
	v.Data = d
	return nil
}

// matrixFacets lists the families and components the controls have.
func matrixFacets(m *demarc.Matrix) (families, components []string) {
	for _, c := range m.Controls {
		if c.Family != "" && !slices.Contains(families, c.Family) {
			families = append(families, c.Family)
		}
		for _, comp := range c.Components {
			if !slices.Contains(components, comp) {
				components = append(components, comp)
			}
		}
	}
	slices.Sort(components)
	return families, components
}

// keep says whether a control passes the filter.
func (f matrixFilter) keep(c *demarc.ControlResult) bool {
	switch {
	case f.Owner != "" && string(c.Owner) != f.Owner:
		return false
	case f.Family != "" && !strings.EqualFold(c.Family, f.Family):
		return false
	case f.Component != "" && !slices.Contains(c.Components, f.Component):
		return false
	case f.Gap == "yes" && len(c.Gaps) == 0:
		return false
	}
	return true
}

// controlTable is the control list, filtered.
func controlTable(v *view, d *matrixData) *table {
	t := &table{Name: v.System.Name + "-" + d.Framework + "-matrix",
		Columns: []string{"Control", "Title", "Family", "Owner", "Provider does", "Customer does", "Components"}}
	for i := range d.Matrix.Controls {
		c := &d.Matrix.Controls[i]
		if !d.Filter.keep(c) {
			continue
		}
		href := v.SystemBase() + "explain/" + url.PathEscape(string(c.ID)) + "?framework=" + url.QueryEscape(d.Framework)
		class := ""
		if len(c.Gaps) > 0 {
			class = "has-gap"
		}
		t.add(class, cell{Text: string(c.ID), Href: href, Mono: true}, text(c.Title), text(c.Family), ownerCell(c.Owner),
			text(partsText(c.Provider, c.ThirdParty)), text(partsText(c.Customer)), text(strings.Join(c.Components, ", ")))
	}
	return t
}

// partsText joins the text of parts, one line each.
func partsText(groups ...[]demarc.Part) string {
	var lines []string
	for _, ps := range groups {
		for _, p := range ps {
			if p.Text != "" && !slices.Contains(lines, p.Text) {
				lines = append(lines, p.Text)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// explainData is the reasoning behind one control or area.
type explainData struct {
	Target      string
	Framework   string
	Explanation *resolve.Explanation
	Component   string
}

func (u *UI) explainPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	target := v.r.PathValue("target")
	q := url.Values{}
	if fw := v.Query("framework"); fw != "" {
		q.Set("framework", fw)
	}
	x := &resolve.Explanation{}
	if _, err := v.get(v.API("systems", escape(string(v.System.ID)), "explain", escape(target)), q, x); err != nil {
		return err
	}
	v.Title, v.Section, v.template = target+" — "+v.System.Name, "matrix", "explain"
	v.Crumbs = append(v.Crumbs, crumb{Label: "Explain " + target})
	v.Data = &explainData{Target: target, Framework: string(x.Framework), Explanation: x, Component: v.Query("component")}
	return nil
}

// downloads maps a download name to the API route below the system and
// the file extension, for the formats the CLI has.
var downloads = map[string]struct{ path, ext string }{
	"matrix":                     {"matrix", ""},
	"matrix-xlsx":                {"exports/matrix-xlsx", "xlsx"},
	"oscal-ssp":                  {"exports/oscal-ssp", "json"},
	"oscal-component-definition": {"exports/oscal-component-definition", "json"},
	"oscal-responsibility":       {"exports/oscal-responsibility", "json"},
	"fedramp-crm":                {"exports/fedramp-crm", "xlsx"},
	"report":                     {"exports/report", "html"},
}

// download passes an export of the API through to the browser as a file,
// so that the token sign-in (which the browser cannot send to the API
// itself) downloads too.
func (u *UI) download(w http.ResponseWriter, r *http.Request) {
	v := u.open(w, r)
	if v == nil {
		return
	}
	d, ok := downloads[r.PathValue("what")]
	if !ok {
		u.notFound(w, r)
		return
	}
	doc, err := v.openSystem()
	if err != nil {
		u.fail(w, r, err)
		return
	}
	a, err := v.call(http.MethodGet, v.API("systems", escape(string(doc.ID)), d.path), r.URL.Query(), nil, "", nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ext := d.ext
	if f := r.URL.Query().Get("format"); f != "" {
		ext = map[string]string{"markdown": "md", "table": "txt"}[f]
		if ext == "" {
			ext = f
		}
	}
	if ext == "" {
		ext = "json"
	}
	attach(w, a.header.Get("Content-Type"), fileName(doc.Name+"-"+r.PathValue("what"))+"."+ext, a.body)
}
