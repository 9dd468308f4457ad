package analyze

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// Comparison puts services, or providers' statements for one service
// model, side by side on the common areas.
type Comparison struct {
	Title   string          `json:"title"`
	Columns []string        `json:"columns"`
	Rows    []ComparisonRow `json:"rows"`
	Differ  int             `json:"differing_areas"`
}

// ComparisonRow is one area across the compared columns.
type ComparisonRow struct {
	Area  demarc.AreaID `json:"area"`
	Layer demarc.Layer  `json:"layer"`
	Title string        `json:"title"`
	// Differs is true when the owners, or what each party does, differ.
	Differs bool          `json:"differs"`
	Cells   []CompareCell `json:"cells"`
}

// CompareCell is one column's statement about an area.
type CompareCell struct {
	Owner    demarc.Owner   `json:"owner"`
	Sharing  demarc.Sharing `json:"sharing,omitempty"`
	Provider string         `json:"provider,omitempty"`
	Customer string         `json:"customer,omitempty"`
	Source   string         `json:"source"`
	// Stated is true when the provider's or service's own statement, not
	// the model default, decided the cell.
	Stated bool `json:"stated"`
}

// CompareServices compares library services.
func CompareServices(e *resolve.Engine, ids []demarc.ServiceID) (*Comparison, error) {
	var cols [][]demarc.Assignment
	var names []string
	for _, id := range ids {
		s := e.Library().Service(id)
		if s == nil {
			return nil, unknownService(e, id)
		}
		cols = append(cols, e.ServiceAssignments(s))
		names = append(names, string(id))
	}
	return comparison(e, "services "+strings.Join(names, ", "), names, cols), nil
}

func unknownService(e *resolve.Engine, id demarc.ServiceID) error {
	var known []string
	for _, s := range e.Library().Services() {
		known = append(known, string(s.ID))
	}
	return demarc.Errorf(demarc.ENotFound, "unknown service %q%s", id, suggest(string(id), known))
}

// CompareProviders compares what each provider's statement makes of one
// service model: the model's defaults with the provider-wide rules applied.
func CompareProviders(e *resolve.Engine, model demarc.Model, providers []demarc.ProviderID) (*Comparison, error) {
	if e.Library().Model(model) == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "unknown service model %q; expected on-prem, iaas, caas, paas, faas or saas", model)
	}
	var cols [][]demarc.Assignment
	var names []string
	for _, p := range providers {
		if e.Library().Provider(p) == nil {
			var known []string
			for _, x := range e.Library().Providers() {
				known = append(known, string(x.ID))
			}
			return nil, demarc.Errorf(demarc.ENotFound, "unknown provider %q%s", p, suggest(string(p), known))
		}
		virtual := &demarc.Service{ID: demarc.ServiceID(fmt.Sprintf("%s/(%s)", p, model)), Provider: p, Model: model}
		cols = append(cols, e.ServiceAssignments(virtual))
		names = append(names, string(p))
	}
	return comparison(e, fmt.Sprintf("%s as stated by %s", model, strings.Join(names, ", ")), names, cols), nil
}

func comparison(e *resolve.Engine, title string, names []string, cols [][]demarc.Assignment) *Comparison {
	c := &Comparison{Title: title, Columns: names, Rows: []ComparisonRow{}}
	for ai, area := range e.Library().Areas() {
		row := ComparisonRow{Area: area.ID, Layer: area.Layer, Title: area.Title}
		for _, col := range cols {
			asg := &col[ai]
			lvl := asg.Provenance.Decided.Level
			cell := CompareCell{Owner: asg.Owner, Sharing: asg.Sharing, Source: asg.Provenance.Decided.Source, Stated: lvl == demarc.LevelService || lvl == demarc.LevelProvider}
			for _, p := range asg.Parts {
				switch p.Party.Kind {
				case demarc.PartyProvider:
					cell.Provider = p.Text
				case demarc.PartyCustomer:
					cell.Customer = p.Text
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		for _, cell := range row.Cells[1:] {
			first := row.Cells[0]
			if cell.Owner != first.Owner || cell.Sharing != first.Sharing || cell.Provider != first.Provider || cell.Customer != first.Customer {
				row.Differs = true
			}
		}
		if row.Differs {
			c.Differ++
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}
