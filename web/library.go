package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/server"
)

func init() {
	addPage("/library", func(u *UI) pageFunc { return libraryPage })
	addPage("/library/entry/{entry...}", func(u *UI) pageFunc { return libraryEntryPage })
}

// libraryTabs are the library's tabs: the kinds of entry, and the
// organisation's own provider statements.
var libraryTabs = []libraryTab{
	{ID: "providers", Label: "Providers"},
	{ID: "services", Label: "Services"},
	{ID: "areas", Label: "Areas"},
	{ID: "frameworks", Label: "Frameworks"},
	{ID: "models", Label: "Service models"},
	{ID: "statements", Label: "Your statements"},
	{ID: "import", Label: "Import"},
}

// libraryData is one tab of the library.
type libraryData struct {
	Tab     string
	Tabs    []libraryTab
	Filters *filters
	// Text is the services tab's search text.
	Text string
	// Statements is the statements tab: the organisation's provider
	// documents and the form that adds one.
	Statements []demarc.Document
	Form       *docForm
}

// libraryTab is one tab's link.
type libraryTab struct {
	ID, Label, Href string
	Current         bool
}

func libraryPage(v *view) error {
	tab := v.Query("tab")
	if tab == "" {
		tab = "providers"
	}
	d, err := openLibrary(v, tab)
	if err != nil {
		return err
	}
	if tab == "statements" {
		return d.statementsTab(v)
	}
	if tab == "import" {
		_, err := importTab(v, d, nil)
		return err
	}
	var l server.List[server.LibraryItem]
	if _, err := v.get(v.API("library", tab), nil, &l); err != nil {
		return err
	}
	switch tab {
	case "providers":
		v.Table = providerTable(v, l.Items)
	case "services":
		return d.servicesTab(v, l.Items)
	case "areas":
		return d.areasTab(v, l.Items)
	case "frameworks":
		v.Table = frameworkTable(v, l.Items)
	case "models":
		v.Table = &table{Name: "library-models", Columns: []string{"Model", "Title"}}
		for _, it := range l.Items {
			v.Table.add("", cell{Text: it.ID, Href: entryHref(v, it.ID), Mono: true}, text(it.Title))
		}
	}
	return nil
}

// openLibrary prepares the view for one tab of the library; a tab that
// does not exist is not found.
func openLibrary(v *view, tab string) (*libraryData, error) {
	d := &libraryData{Tab: tab, Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = "Library", "library", "library", d
	v.Crumbs = []crumb{{Label: "Library", Href: v.OrgBase() + "library"}}
	for _, t := range libraryTabs {
		t.Href, t.Current = v.OrgBase()+"library?tab="+t.ID, t.ID == tab
		d.Tabs = append(d.Tabs, t)
		if t.Current {
			v.Title = "Library — " + t.Label
			v.Crumbs = append(v.Crumbs, crumb{Label: t.Label})
		}
	}
	if !slices.ContainsFunc(d.Tabs, func(t libraryTab) bool { return t.Current }) {
		return nil, &apiError{Status: http.StatusNotFound, Code: demarc.ENotFound,
			Message: "the library has no tab " + strconv.Quote(tab) + "; expected providers, services, areas, frameworks, models, statements or import"}
	}
	return d, nil
}

// entryHref is the UI path of a library entry; service ids keep their
// slash, as the API's path does.
func entryHref(v *view, id string) string {
	return v.OrgBase() + "library/entry/" + escapePath(id)
}

// escapePath escapes each segment of a slash-separated id, so that the
// id reaches the API as one path and nothing of it as a query.
func escapePath(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// sourceCell says where a provider or service comes from: built in, the
// organisation's own statement (linked), or a publication it subscribes
// to.
func sourceCell(v *view, it server.LibraryItem) cell {
	switch {
	case it.Source == nil:
		return text("built in")
	case it.Source.Document != nil:
		return link("your statement "+it.Source.Name, v.OrgBase()+"library/statements/"+url.PathEscape(string(it.Source.Document.ID)))
	}
	return text("subscribed: " + it.Source.Name)
}

func providerTable(v *view, items []server.LibraryItem) *table {
	t := &table{Name: "library-providers", Columns: []string{"Provider", "Title", "Kind", "Services", "Source"}}
	for _, it := range items {
		t.add("", cell{Text: it.ID, Href: entryHref(v, it.ID), Mono: true}, text(it.Title), text(it.Kind),
			link(strconv.Itoa(it.Count), v.OrgBase()+"library?tab=services&provider="+url.QueryEscape(it.ID)), sourceCell(v, it))
	}
	return t
}

func frameworkTable(v *view, items []server.LibraryItem) *table {
	t := &table{Name: "library-frameworks", Columns: []string{"Framework", "Title", "Version", "Controls"}}
	for _, it := range items {
		t.add("", cell{Text: it.ID, Href: entryHref(v, it.ID), Mono: true}, text(it.Title), text(it.Version), text(strconv.Itoa(it.Count)))
	}
	return t
}

// servicesTab lists services, narrowed by provider, model and text.
func (d *libraryData) servicesTab(v *view, items []server.LibraryItem) error {
	providers, models := tally{}, tally{}
	for _, it := range items {
		providers.add(it.Provider)
		models.add(it.Model)
	}
	provider := d.Filters.add(v, "provider", "Provider", providers.choices())
	model := d.Filters.add(v, "model", "Model", models.choices())
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	d.Text = strings.TrimSpace(v.Query("q"))
	words := strings.Fields(strings.ToLower(d.Text))
	v.Table = &table{Name: "library-services", Columns: []string{"Service", "Title", "Provider", "Model", "Category", "Source"}}
	for _, it := range items {
		hay := strings.ToLower(it.ID + " " + it.Title + " " + it.Category)
		if provider.Value != "" && it.Provider != provider.Value || model.Value != "" && it.Model != model.Value ||
			!allWords(hay, words) {
			continue
		}
		v.Table.add("", cell{Text: it.ID, Href: entryHref(v, it.ID), Mono: true}, text(it.Title), link(it.Provider, entryHref(v, it.Provider)),
			link(it.Model, entryHref(v, it.Model)), text(it.Category), sourceCell(v, it))
	}
	return nil
}

// allWords says whether every word occurs in s.
func allWords(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// areasTab lists the catalog of areas, bottom of the stack first.
func (d *libraryData) areasTab(v *view, items []server.LibraryItem) error {
	layers := tally{}
	for _, it := range items {
		layers.add(it.Layer)
	}
	layer := d.Filters.add(v, "layer", "Layer", layerChoices(layers))
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	v.Table = &table{Name: "library-areas", Columns: []string{"Area", "Title", "Layer"}}
	for _, it := range items {
		if layer.Value != "" && it.Layer != layer.Value {
			continue
		}
		v.Table.add("", cell{Text: it.ID, Href: entryHref(v, it.ID), Mono: true}, text(it.Title), text(it.Layer))
	}
	return nil
}

// entryData is one library entry in full.
type entryData struct {
	ID    string
	Entry *server.LibraryEntry
	// Source is where a provider or service comes from.
	Source  cell
	Filters *filters
	// Rules is a provider's statement, shown beside its services.
	Rules *table
}

func libraryEntryPage(v *view) error {
	id := v.r.PathValue("entry")
	e := &server.LibraryEntry{}
	if _, err := v.get(v.API("library", "entries", escapePath(id)), nil, e); err != nil {
		return err
	}
	d := &entryData{ID: id, Entry: e, Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = id+" — library", "library", "libentry", d
	v.Crumbs = []crumb{{Label: "Library", Href: v.OrgBase() + "library"}}
	switch {
	case e.Service != nil:
		v.Crumbs = append(v.Crumbs, crumb{Label: "Services", Href: v.OrgBase() + "library?tab=services"})
		d.Source = sourceCell(v, server.LibraryItem{Source: e.Source})
		if err := d.serviceRules(v, e.Service); err != nil {
			return err
		}
	case e.Provider != nil:
		v.Crumbs = append(v.Crumbs, crumb{Label: "Providers", Href: v.OrgBase() + "library?tab=providers"})
		d.Source = sourceCell(v, server.LibraryItem{Source: e.Source})
		v.Table = &table{Name: "provider-" + id + "-services", Columns: []string{"Service", "Title", "Model", "Category"}}
		for _, s := range e.Provider.Services {
			v.Table.add("", cell{Text: string(s.ID), Href: entryHref(v, string(s.ID)), Mono: true}, text(s.Title), text(string(s.Model)), text(s.Category))
		}
		d.Rules = ruleTable(v, "provider-"+id+"-statement", e.Provider.Statement)
		if v.Query("table") == "rules" {
			v.Table = d.Rules
		}
	case e.Framework != nil:
		v.Crumbs = append(v.Crumbs, crumb{Label: "Frameworks", Href: v.OrgBase() + "library?tab=frameworks"})
		if err := d.controls(v, e.Framework); err != nil {
			return err
		}
	case e.Model != nil:
		v.Crumbs = append(v.Crumbs, crumb{Label: "Service models", Href: v.OrgBase() + "library?tab=models"})
		v.Table = ruleTable(v, "model-"+id+"-defaults", e.Model.Defaults)
	case e.Area != nil:
		v.Crumbs = append(v.Crumbs, crumb{Label: "Areas", Href: v.OrgBase() + "library?tab=areas"})
	}
	v.Crumbs = append(v.Crumbs, crumb{Label: id})
	return nil
}

// serviceRules lists who owns every area for a service: the service's
// own overrides, its provider's statement and its model's defaults, as
// the resolution engine combines them (the API's comparison of the one
// service).
func (d *entryData) serviceRules(v *view, s *demarc.Service) error {
	cmp := &analyze.Comparison{}
	if _, err := v.get(v.API("compare"), url.Values{"services": {string(s.ID)}}, cmp); err != nil {
		return err
	}
	layers, stated := tally{}, 0
	for _, r := range cmp.Rows {
		layers.add(string(r.Layer))
		if len(r.Cells) > 0 && r.Cells[0].Stated {
			stated++
		}
	}
	layer := d.Filters.add(v, "layer", "Layer", layerChoices(layers))
	only := d.Filters.add(v, "stated", "Show", []choice{{Value: "yes", Label: "only what the provider or service states", Count: stated}})
	only.Any = "every area"
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	v.Table = &table{Name: "service-" + string(s.ID) + "-areas", Columns: []string{"Area", "Title", "Layer", "Owner", "Provider does", "Customer does", "Decided by"}}
	for _, r := range cmp.Rows {
		if len(r.Cells) == 0 || layer.Value != "" && string(r.Layer) != layer.Value || only.Value == "yes" && !r.Cells[0].Stated {
			continue
		}
		c := r.Cells[0]
		class := ""
		if c.Stated {
			class = "stated"
		}
		v.Table.add(class, cell{Text: string(r.Area), Href: entryHref(v, string(r.Area)), Mono: true}, text(r.Title), text(string(r.Layer)),
			ownerCell(c.Owner), text(c.Provider), text(c.Customer), text(c.Source))
	}
	return nil
}

// controls lists a framework's controls, narrowed by family.
func (d *entryData) controls(v *view, fw *demarc.Framework) error {
	families := make([]choice, 0, len(fw.Families))
	for _, f := range fw.Families {
		families = append(families, choice{Value: f.ID, Label: f.ID + " " + f.Title})
	}
	family := d.Filters.add(v, "family", "Family", families)
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	v.Table = &table{Name: string(fw.ID) + "-controls", Columns: []string{"Control", "Title", "Family", "Areas", "Areas from"}}
	for _, c := range fw.Controls {
		if c.Withdrawn || family.Value != "" && !strings.EqualFold(c.Family, family.Value) {
			continue
		}
		v.Table.add("", cell{Text: string(c.ID), Mono: true}, text(c.Title), text(c.Family), text(joinIDs(c.Areas)), text(c.AreasFrom))
	}
	return nil
}

// ruleTable lists statement rules: the area, who owns it and each
// party's part.
func ruleTable(v *view, name string, rules []demarc.Rule) *table {
	t := &table{Name: name, Columns: []string{"Area", "Owner", "Sharing", "Provider does", "Customer does", "Party", "Models", "Note"}}
	for _, r := range rules {
		t.add("", cell{Text: string(r.Area), Href: entryHref(v, string(r.Area)), Mono: true}, ownerCell(r.Owner), text(string(r.Sharing)),
			text(r.Provider), text(r.Customer), text(r.Party), text(joinIDs(r.Models)), text(r.Note))
	}
	return t
}
