package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/server"
)

func init() {
	addPage("/compare", func(u *UI) pageFunc { return comparePage })
}

// serviceSlots is how many services the form offers to compare; the API
// takes more, given as a comma list.
const serviceSlots = 6

// compareData is the comparison page: services, or providers' statements
// for one service model, side by side, area by area.
type compareData struct {
	// Services are the services asked for, one per form slot.
	Services []string
	Model    string
	// Providers are the providers asked for, with the model.
	Providers []string
	// Mode is "services" or "model": which form the comparison came from.
	Mode       string
	Models     []server.LibraryItem
	AllProvs   []server.LibraryItem
	Catalogue  []server.LibraryItem
	Error      *apiError
	Filters    *filters
	Comparison *analyze.Comparison
	Layers     []compareLayer
	Shown      int
}

// Checked says whether a provider is among those asked for.
func (d *compareData) Checked(id string) bool { return slices.Contains(d.Providers, id) }

// compareLayer is the rows of one layer.
type compareLayer struct {
	Layer demarc.Layer
	Rows  []compareRow
}

// compareRow is one area across the columns.
type compareRow struct {
	analyze.ComparisonRow
	Cells []compareCell
}

// compareCell is one column's owner of the area, said for people.
type compareCell struct {
	analyze.CompareCell
	Label string
	Title string
}

func comparePage(v *view) error {
	d := &compareData{Model: v.Query("model"), Filters: &filters{}}
	v.Title, v.Section, v.template, v.Data = "Compare", "compare", "compare", d
	v.Crumbs = []crumb{{Label: "Compare"}}
	if err := d.readPicks(v); err != nil {
		return err
	}
	q := url.Values{}
	switch {
	case len(d.Services) > 0:
		d.Mode = "services"
		q.Set("services", strings.Join(d.Services, ","))
	case d.Model != "" || len(d.Providers) > 0:
		d.Mode = "model"
		q.Set("model", d.Model)
		if len(d.Providers) > 0 {
			q.Set("providers", strings.Join(d.Providers, ","))
		}
	default:
		// A first visit shows infrastructure across the big three.
		d.Mode, d.Model, d.Providers = "model", "iaas", []string{"aws", "azure", "gcp"}
		q.Set("model", d.Model)
	}
	cmp := &analyze.Comparison{}
	_, err := v.get(v.API("compare"), q, cmp)
	var ae *apiError
	switch {
	case err == nil:
		d.Comparison = cmp
		if d.Mode == "model" && len(d.Providers) == 0 {
			d.Providers = cmp.Columns // the API's default providers
		}
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && v.Query("export") == "":
		d.Error, v.status = ae, ae.Status
	default:
		return err
	}
	d.lay(v)
	return d.Filters.settle(v)
}

// readPicks reads the services (repeated service fields, or a services
// comma list) and providers asked for, and the library's lists for the
// pickers.
func (d *compareData) readPicks(v *view) error {
	q := v.r.URL.Query()
	for _, s := range append(q["service"], commaList(q.Get("services"))...) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(d.Services, s) {
			d.Services = append(d.Services, s)
		}
	}
	for _, p := range append(q["provider"], commaList(q.Get("providers"))...) {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(d.Providers, p) {
			d.Providers = append(d.Providers, p)
		}
	}
	lists := []struct {
		kind string
		out  *[]server.LibraryItem
	}{{"models", &d.Models}, {"providers", &d.AllProvs}, {"services", &d.Catalogue}}
	for _, l := range lists {
		var items server.List[server.LibraryItem]
		if _, err := v.get(v.API("library", l.kind), nil, &items); err != nil {
			return err
		}
		*l.out = items.Items
	}
	return nil
}

// Slots are the service fields of the form: those asked for, then empty
// ones up to serviceSlots.
func (d *compareData) Slots() []string {
	out := append([]string(nil), d.Services...)
	for len(out) < serviceSlots {
		out = append(out, "")
	}
	return out
}

// commaList splits a comma list, dropping empty entries.
func commaList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// lay groups the comparison's rows by layer, filtered, and fills the
// table that downloads.
func (d *compareData) lay(v *view) {
	layers, differs := tally{}, 0
	if d.Comparison != nil {
		for _, r := range d.Comparison.Rows {
			layers.add(string(r.Layer))
			if r.Differs {
				differs++
			}
		}
	}
	layer := d.Filters.add(v, "layer", "Layer", layerChoices(layers))
	only := d.Filters.add(v, "differs", "Show", []choice{{Value: "yes", Label: "only areas that differ", Count: differs}})
	only.Any = "every area"
	cols := []string{"Differs", "Area", "Title", "Layer"}
	if d.Comparison != nil {
		cols = append(cols, d.Comparison.Columns...)
	}
	v.Table = &table{Name: "compare", Columns: cols}
	if d.Comparison == nil {
		return
	}
	v.Table.Name = "compare-" + d.Comparison.Title
	for _, r := range d.Comparison.Rows {
		if layer.Value != "" && string(r.Layer) != layer.Value || only.Value == "yes" && !r.Differs {
			continue
		}
		d.addRow(v.Table, r)
	}
}

// layerChoices lists the layers present, bottom of the stack first.
func layerChoices(present tally) []choice {
	var out []choice
	for _, l := range demarc.Layers {
		if n := present[string(l)]; n > 0 {
			out = append(out, choice{Value: string(l), Label: string(l), Count: n})
		}
	}
	return out
}

// addRow shows one area and adds it to the download.
func (d *compareData) addRow(t *table, r analyze.ComparisonRow) {
	row := compareRow{ComparisonRow: r}
	mark := ""
	if r.Differs {
		mark = "≠"
	}
	cells := []cell{text(mark), cell{Text: string(r.Area), Mono: true}, text(r.Title), text(string(r.Layer))}
	for _, c := range r.Cells {
		cc := compareCell{CompareCell: c, Label: ownerName(c.Owner), Title: cellTitle(c)}
		if c.Sharing != "" {
			cc.Label += " (" + string(c.Sharing) + ")"
		}
		if c.Stated {
			cc.Label += " *"
		}
		row.Cells = append(row.Cells, cc)
		cells = append(cells, cell{Text: cc.Label, Owner: c.Owner})
	}
	t.add("", cells...)
	if n := len(d.Layers); n == 0 || d.Layers[n-1].Layer != r.Layer {
		d.Layers = append(d.Layers, compareLayer{Layer: r.Layer})
	}
	last := &d.Layers[len(d.Layers)-1]
	last.Rows = append(last.Rows, row)
	d.Shown++
}

// cellTitle says what each party does and which rule decided, for the
// cell's hover text.
func cellTitle(c analyze.CompareCell) string {
	var parts []string
	if c.Provider != "" {
		parts = append(parts, "Provider: "+c.Provider)
	}
	if c.Customer != "" {
		parts = append(parts, "Customer: "+c.Customer)
	}
	parts = append(parts, "Decided by "+c.Source)
	return strings.Join(parts, "\n")
}
