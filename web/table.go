package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// table is what a page lists: shown as HTML and downloadable as CSV or
// XLSX with the same columns and rows, so that what a person exports is
// what they saw, filters applied.
type table struct {
	// Name names the download, e.g. "webshop-gaps".
	Name    string
	Columns []string
	Rows    []row
}

// row is one line of a table.
type row struct {
	Cells []cell
	// Class marks the row, e.g. "sev-high".
	Class string
}

// cell is one value, with an optional link and owner colouring.
type cell struct {
	Text  string
	Href  string
	Owner demarc.Owner // colours the cell with a letter when set
	Mono  bool         // ids and codes
}

// add appends a row of cells.
func (t *table) add(class string, cells ...cell) {
	t.Rows = append(t.Rows, row{Cells: cells, Class: class})
}

// text makes a plain cell.
func text(s string) cell { return cell{Text: s} }

// link makes a cell that links.
func link(s, href string) cell { return cell{Text: s, Href: href} }

// ownerCell makes a cell coloured by owner.
func ownerCell(o demarc.Owner) cell { return cell{Text: string(o), Owner: o} }

// strings returns the table's rows as text.
func (t *table) records() [][]string {
	out := make([][]string, 0, len(t.Rows)+1)
	out = append(out, t.Columns)
	for _, r := range t.Rows {
		rec := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			rec[i] = c.Text
		}
		out = append(out, rec)
	}
	return out
}

// export downloads the view's table as CSV or XLSX.
func (u *UI) export(v *view, format string) {
	var b bytes.Buffer
	var ctype, ext string
	switch format {
	case "csv":
		w := csv.NewWriter(&b)
		for _, rec := range v.Table.records() {
			w.Write(csvSafe(rec))
		}
		w.Flush()
		ctype, ext = "text/csv; charset=utf-8", "csv"
	case "xlsx":
		if err := tableXLSX(&b, v.Table); err != nil {
			u.fail(v.w, v.r, err)
			return
		}
		ctype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
	default:
		u.fail(v.w, v.r, &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest, Message: fmt.Sprintf("export %q: expected csv or xlsx", format)})
		return
	}
	attach(v.w, ctype, fileName(v.Table.Name)+"."+ext, b.Bytes())
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a value
// starting with = + - @ gets a leading apostrophe.
func csvSafe(rec []string) []string {
	out := make([]string, len(rec))
	for i, s := range rec {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			s = "'" + s
		}
		out[i] = s
	}
	return out
}

// tableXLSX writes the table as a workbook with a bold, frozen, filtered
// header row.
func tableXLSX(b *bytes.Buffer, t *table) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8ECF2"}}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, rec := range t.records() {
		vals := make([]any, len(rec))
		for j, s := range rec {
			if i == 0 {
				vals[j] = excelize.Cell{StyleID: bold, Value: s}
			} else {
				vals[j] = s
			}
		}
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(ref, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(t.Columns) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(t.Columns), len(t.Rows)+1)
		if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	return f.Write(b)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes a download name safe for every operating system.
func fileName(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-.")
	if s == "" {
		return "demarc"
	}
	return s
}

// attach sends body as a download.
func attach(w http.ResponseWriter, ctype, name string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// ownerClass is the CSS class that colours an owner.
func ownerClass(o demarc.Owner) string { return "o-" + string(o) }

// ownerLetter is the letter shown with an owner's colour, so that the
// owner reads without colour too.
func ownerLetter(o demarc.Owner) string {
	switch o {
	case demarc.OwnerProvider:
		return "P"
	case demarc.OwnerCustomer:
		return "C"
	case demarc.OwnerShared:
		return "S"
	case demarc.OwnerThirdParty:
		return "T"
	case demarc.OwnerNotApplicable:
		return "–"
	case demarc.OwnerConflict:
		return "!"
	}
	return "?"
}

// ownerName is an owner for people.
func ownerName(o demarc.Owner) string {
	switch o {
	case demarc.OwnerThirdParty:
		return "third party"
	case demarc.OwnerNotApplicable:
		return "not applicable"
	}
	return string(o)
}
