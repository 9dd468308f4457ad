package render

import (
	"fmt"

	"github.com/demarc-io/demarc/analyze"
)

// ComparisonTable lays a comparison of services or providers out as rows:
// a mark where the columns differ, the area, and each column's owner,
// starred where the provider's or service's own statement decided it.
// With differOnly, rows where every column agrees are left out.
func ComparisonTable(c *analyze.Comparison, differOnly bool) *Tabular {
	t := &Tabular{
		Title:   "Compare — " + c.Title,
		Summary: fmt.Sprintf("%d of %d areas differ in owner or in what each party does (marked ≠); * marks the provider's or service's own statement, the rest are model defaults", c.Differ, len(c.Rows)),
		Header:  append([]string{"", "area"}, c.Columns...),
		Notes:   []string{"Run with --format json or markdown for each party's part in words."},
	}
	for _, r := range c.Rows {
		if differOnly && !r.Differs {
			continue
		}
		mark := ""
		if r.Differs {
			mark = "≠"
		}
		row := []string{mark, string(r.Area)}
		for _, cell := range r.Cells {
			label := OwnerLabel(cell.Owner, cell.Sharing)
			if cell.Stated {
				label += " *"
			}
			row = append(row, label)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
