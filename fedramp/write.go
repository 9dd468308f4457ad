package fedramp

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the workbook.
const (
	SheetCIS   = "CIS"
	SheetCRM   = "CRM"
	SheetNotes = "Notes"
)

// CRMHeader is the CRM's column headings, in FedRAMP's words; the CSV
// output uses them too.
var CRMHeader = []string{"Control ID", "Can Be Inherited from CSP", "Specific Inheritance and Customer Agency/CSP Responsibilities"}

// maxCellText is the most characters a spreadsheet cell holds.
const maxCellText = 32767

// WriteCSV writes the CRM rows as CSV under CRMHeader.
func (w *Workbook) WriteCSV(out io.Writer) error {
	cw := csv.NewWriter(out)
	if err := cw.Write(CRMHeader); err != nil {
		return err
	}
	for _, r := range w.CRM {
		if err := cw.Write([]string{r.Label, string(r.Inherit), defuse(r.Responsibility)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuse keeps a spreadsheet from running a cell as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteXLSX writes the workbook: a CIS sheet, a CRM sheet and a notes
// sheet, each with FedRAMP's title block, a frozen header, filters and
// wrapped text.
func (w *Workbook) WriteXLSX(out io.Writer) error {
	f := excelize.NewFile()
	defer f.Close() // releases temporary files; the workbook is already written
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetCIS); err != nil {
		return err
	}
	for _, step := range []func(*excelize.File, *styles) error{w.writeCIS, w.writeCRM, w.writeNotes} {
		if err := step(f, st); err != nil {
			return fmt.Errorf("write workbook: %w", err)
		}
	}
	created := w.Date.Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: "FedRAMP CIS/CRM — " + w.System, Subject: w.Title, Creator: "demarc", Created: created, Modified: created,
	}); err != nil {
		return err
	}
	_, err = f.WriteTo(out)
	return err
}

type styles struct {
	title, label, group, header, cell, mark int
	inherit                                 map[Inheritance]int
}

func newStyles(f *excelize.File) (*styles, error) {
	var errs []error
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		errs = append(errs, err)
		return id
	}
	border := []excelize.Border{{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1}, {Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1}}
	headFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3864"}}
	st := &styles{inherit: map[Inheritance]int{}}
	st.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "1F3864"}})
	st.label = style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	st.group = style(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: headFill, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	st.header = style(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: headFill, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	st.cell = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	st.mark = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"}})
	for in, color := range map[Inheritance]string{InheritYes: "C6EFCE", InheritPartial: "FFEB9C", InheritNo: "F8CBAD"} {
		st.inherit[in] = style(&excelize.Style{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}, Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"}})
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// titleBlock writes FedRAMP's heading rows — the worksheet's name, the
// system, the baseline and the date — across width columns.
func (w *Workbook) titleBlock(f *excelize.File, st *styles, sheet, title string, width int) error {
	last := column(width)
	rows := [][2]string{
		{"System Name", w.System},
		{"Baseline", fmt.Sprintf("%s (%s)", w.Title, w.Version)},
		{"Date", w.Date.String()},
	}
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	if err := f.MergeCell(sheet, "A1", last+"1"); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", st.title); err != nil {
		return err
	}
	for i, r := range rows {
		row := i + 2
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{r[0], r[1]}); err != nil {
			return err
		}
		if err := f.MergeCell(sheet, fmt.Sprintf("B%d", row), fmt.Sprintf("%s%d", last, row)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("A%d", row), st.label); err != nil {
			return err
		}
	}
	return nil
}

// cisFirstRow is the first data row of the CIS sheet: title block, blank
// row, group headings, column headings.
const cisFirstRow = 8

func (w *Workbook) writeCIS(f *excelize.File, st *styles) error {
	const sheet = SheetCIS
	width := 1 + len(Statuses) + len(Originations)
	if err := w.titleBlock(f, st, sheet, "Control Implementation Summary (CIS) Worksheet", width); err != nil {
		return err
	}
	last := column(width)
	statusEnd := column(1 + len(Statuses))
	origStart := column(2 + len(Statuses))
	groups := []struct{ from, to, text string }{
		{"A6", "A7", "Control ID"},
		{"B6", statusEnd + "6", "Implementation Status"},
		{origStart + "6", last + "6", "Control Origination"},
	}
	for _, g := range groups {
		if err := f.SetCellStr(sheet, g.from, g.text); err != nil {
			return err
		}
		if err := f.MergeCell(sheet, g.from, g.to); err != nil {
			return err
		}
	}
	header := make([]any, 0, width-1)
	for _, s := range Statuses {
		header = append(header, s.Heading())
	}
	for _, o := range Originations {
		header = append(header, o.Heading())
	}
	if err := f.SetSheetRow(sheet, "B7", &header); err != nil {
		return err
	}
	for i, r := range w.CIS {
		row := make([]any, width)
		row[0] = r.Label
		for j, s := range Statuses {
			row[1+j] = mark(r.Status == s)
		}
		for j, o := range Originations {
			row[1+len(Statuses)+j] = mark(contains(r.Origination, o))
		}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", cisFirstRow+i), &row); err != nil {
			return err
		}
	}
	lastRow := cisFirstRow + max(len(w.CIS), 1) - 1
	return styleTable(f, sheet, tableLayout{
		groupRow: 6, headerRow: 7, firstRow: cisFirstRow, lastRow: lastRow, lastCol: last,
		widths: append([]float64{14}, repeat(14, width-1)...), headerHeight: 75,
		styles: []rangeStyle{
			{"A6", last + "6", st.group}, {"A7", last + "7", st.header},
			{fmt.Sprintf("A%d", cisFirstRow), fmt.Sprintf("A%d", lastRow), st.cell},
			{fmt.Sprintf("B%d", cisFirstRow), fmt.Sprintf("%s%d", last, lastRow), st.mark},
		},
	})
}

const crmFirstRow = 7

func (w *Workbook) writeCRM(f *excelize.File, st *styles) error {
	const sheet = SheetCRM
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	if err := w.titleBlock(f, st, sheet, "Customer Responsibility Matrix (CRM) Worksheet", len(CRMHeader)); err != nil {
		return err
	}
	header := []any{CRMHeader[0], CRMHeader[1], CRMHeader[2]}
	if err := f.SetSheetRow(sheet, "A6", &header); err != nil {
		return err
	}
	for i, r := range w.CRM {
		row := crmFirstRow + i
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &[]any{r.Label, string(r.Inherit), cellText(r.Responsibility)}); err != nil {
			return err
		}
	}
	lastRow := crmFirstRow + max(len(w.CRM), 1) - 1
	if err := styleTable(f, sheet, tableLayout{
		headerRow: 6, firstRow: crmFirstRow, lastRow: lastRow, lastCol: "C",
		widths: []float64{14, 14, 110}, headerHeight: 32,
		styles: []rangeStyle{{"A6", "C6", st.header}, {fmt.Sprintf("A%d", crmFirstRow), fmt.Sprintf("C%d", lastRow), st.cell}},
	}); err != nil {
		return err
	}
	for i, r := range w.CRM {
		if id, ok := st.inherit[r.Inherit]; ok {
			cell := fmt.Sprintf("B%d", crmFirstRow+i)
			if err := f.SetCellStyle(sheet, cell, cell, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Workbook) writeNotes(f *excelize.File, st *styles) error {
	const sheet = SheetNotes
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	if err := w.titleBlock(f, st, sheet, "How this workbook was made", 4); err != nil {
		return err
	}
	notes := []string{
		"The CSP is the provider of each service the system uses; the customer is the system's owner. Each control's answer is composed over every component of the system, from the providers' statements and the system's own overrides.",
		"Can Be Inherited: Yes when providers do the whole control; Partial when a provider does part of the customer's own obligation (dependent sharing), with both parts described; No when the customer does it, or when each party does the same duty for its own scope (independent sharing: own policies, own staff training and screening), with what the customer must do.",
		"Control origination: a provider's governance part is Service Provider Corporate, its other parts System Specific (both: Hybrid); a provider part that reaches the system through a component run by another provider is Inherited. A customer part is Configured by Customer when the provider supplies the mechanism the customer configures, Provided by Customer otherwise. Shared marks dependent sharing.",
		"Implementation status says who is assigned, not what was tested: verify the customer's part and read the providers' attestations before relying on it.",
	}
	row := 6
	for _, n := range append(notes, w.Warnings...) {
		if err := f.SetCellStr(sheet, fmt.Sprintf("A%d", row), n); err != nil {
			return err
		}
		if err := f.MergeCell(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("D%d", row)); err != nil {
			return err
		}
		if err := f.SetRowHeight(sheet, row, 15*float64(1+len(n)/120)); err != nil {
			return err
		}
		row++
	}
	row++
	head := fmt.Sprintf("A%d", row)
	if err := f.SetSheetRow(sheet, head, &[]any{"Component", "Service", "Service ID", "Provider (CSP)"}); err != nil {
		return err
	}
	for i, s := range w.Services {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row+1+i), &[]any{s.Component, s.Title, string(s.Service), s.Provider}); err != nil {
			return err
		}
	}
	last := row + max(len(w.Services), 1)
	return styleTable(f, sheet, tableLayout{
		headerRow: row, firstRow: row + 1, lastRow: last, lastCol: "D", noFreeze: true,
		widths: []float64{28, 36, 28, 20},
		styles: []rangeStyle{
			{"A6", fmt.Sprintf("D%d", row-2), st.cell},
			{head, fmt.Sprintf("D%d", row), st.header}, {fmt.Sprintf("A%d", row+1), fmt.Sprintf("D%d", last), st.cell},
		},
	})
}

type rangeStyle struct {
	from, to string
	id       int
}

// tableLayout describes a sheet's table for styleTable.
type tableLayout struct {
	groupRow, headerRow, firstRow, lastRow int
	lastCol                                string
	widths                                 []float64
	headerHeight                           float64
	styles                                 []rangeStyle
	noFreeze                               bool
}

// styleTable sets column widths and styles, freezes the rows above the
// data and the first column, and puts filters on the header row.
func styleTable(f *excelize.File, sheet string, t tableLayout) error {
	for i, wd := range t.widths {
		col := column(i + 1)
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	for _, s := range t.styles {
		if err := f.SetCellStyle(sheet, s.from, s.to, s.id); err != nil {
			return err
		}
	}
	if t.headerHeight > 0 {
		if err := f.SetRowHeight(sheet, t.headerRow, t.headerHeight); err != nil {
			return err
		}
	}
	if err := f.AutoFilter(sheet, fmt.Sprintf("A%d:%s%d", t.headerRow, t.lastCol, t.lastRow), nil); err != nil {
		return err
	}
	if t.noFreeze {
		return nil
	}
	top := fmt.Sprintf("B%d", t.firstRow)
	return f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, XSplit: 1, YSplit: t.firstRow - 1, TopLeftCell: top, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomRight"}},
	})
}

// cellText keeps text within a cell's limit, saying so when it cuts. A
// workbook stores text as text, so unlike CSV it needs no defusing.
func cellText(s string) string {
	if len(s) <= maxCellText {
		return s
	}
	const note = "\n… (cut at the spreadsheet's cell limit; see the CSV output or demarc matrix for the rest)"
	cut := maxCellText - len(note)
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + note
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// column names the 1-based column n: 1 is A, 27 is AA.
func column(n int) string {
	var s []byte
	for ; n > 0; n = (n - 1) / 26 {
		s = append([]byte{byte('A' + (n-1)%26)}, s...)
	}
	return string(s)
}

func mark(b bool) string {
	if b {
		return "X"
	}
	return ""
}

func contains(os []Origination, o Origination) bool {
	for _, x := range os {
		if x == o {
			return true
		}
	}
	return false
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
