package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
)

// MatrixSummarySheet is the name of the workbook's first sheet, which
// counts owners per framework.
const MatrixSummarySheet = "Summary"

// MatrixColumns are the headings of each framework sheet.
var MatrixColumns = []string{"Control", "Title", "Family", "Owner", "Areas", "Provider does", "Customer does", "Third party does", "Gaps", "Components"}

// matrixOwners are the owners the summary counts, in column order.
var matrixOwners = []demarc.Owner{
	demarc.OwnerProvider, demarc.OwnerCustomer, demarc.OwnerShared, demarc.OwnerThirdParty,
	demarc.OwnerNotApplicable, demarc.OwnerUnassigned, demarc.OwnerConflict,
}

// ownerFill is each owner's cell colour. The cell always holds the owner's
// name too, so colour is never the only signal.
var ownerFill = map[demarc.Owner]string{
	demarc.OwnerProvider:      "DDEBF7", // blue
	demarc.OwnerCustomer:      "FFF2CC", // yellow
	demarc.OwnerShared:        "E4DFEC", // violet
	demarc.OwnerThirdParty:    "D9F2F2", // cyan
	demarc.OwnerNotApplicable: "EDEDED", // grey
	demarc.OwnerUnassigned:    "F8CBAD", // red
	demarc.OwnerConflict:      "F8CBAD",
}

// xlsxCellLimit is the most characters a spreadsheet cell holds.
const xlsxCellLimit = 32767

// MatrixXLSX writes responsibility matrices as one workbook: a summary
// sheet with the owner counts per framework and the system's components,
// then one sheet per framework with a frozen, filterable header and the
// owner of each control coloured and named. sys may be nil; it adds the
// components to the summary.
func MatrixXLSX(w io.Writer, ms []*demarc.Matrix, sys *demarc.System) error {
	f := excelize.NewFile()
	defer f.Close() // releases temporary files; the workbook is already written
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", MatrixSummarySheet); err != nil {
		return err
	}
	names := sheetNames(ms)
	if err := matrixSummary(f, st, ms, names, sys); err != nil {
		return fmt.Errorf("write summary sheet: %w", err)
	}
	for i, m := range ms {
		if err := matrixSheet(f, st, names[i], m); err != nil {
			return fmt.Errorf("write sheet %s: %w", names[i], err)
		}
	}
	title := "Responsibility matrix"
	if len(ms) > 0 {
		title += " — " + ms[0].System
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "demarc"}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

type xlsxStyles struct {
	title, header, cell int
	owner               map[demarc.Owner]int
	ownerHeader         map[demarc.Owner]int
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	var firstErr error
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		if firstErr == nil {
			firstErr = err
		}
		return id
	}
	border := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1}, {Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	solid := func(color string) excelize.Fill {
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
	}
	st := &xlsxStyles{owner: map[demarc.Owner]int{}, ownerHeader: map[demarc.Owner]int{}}
	st.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	st.header = style(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: solid("305496"), Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	st.cell = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	for o, color := range ownerFill {
		font := &excelize.Font{Bold: o.Gap()}
		st.owner[o] = style(&excelize.Style{Border: border, Fill: solid(color), Font: font, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
		st.ownerHeader[o] = style(&excelize.Style{Border: border, Fill: solid(color), Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	}
	return st, firstErr
}

// sheetNames gives each matrix a valid, unique sheet name from its
// framework id.
func sheetNames(ms []*demarc.Matrix) []string {
	used := map[string]bool{strings.ToLower(MatrixSummarySheet): true}
	out := make([]string, len(ms))
	for i, m := range ms {
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`[]:*?/\'`, r) {
				return '-'
			}
			return r
		}, string(m.Framework))
		if base == "" {
			base = "matrix"
		}
		name := truncateRunes(base, 31)
		for n := 2; used[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf(" (%d)", n)
			name = truncateRunes(base, 31-len(suffix)) + suffix
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func matrixSummary(f *excelize.File, st *xlsxStyles, ms []*demarc.Matrix, names []string, sys *demarc.System) error {
	const sheet = MatrixSummarySheet
	name := ""
	if sys != nil {
		name = sys.Name
	} else if len(ms) > 0 {
		name = ms[0].System
	}
	if err := f.SetCellStr(sheet, "A1", "Responsibility matrix — "+name); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", st.title); err != nil {
		return err
	}
	if sys != nil && sys.Description != "" {
		if err := f.SetCellStr(sheet, "A2", sys.Description); err != nil {
			return err
		}
	}
	const headRow = 4
	header := []any{"Framework", "Sheet", "Controls"}
	for _, o := range matrixOwners {
		header = append(header, string(o))
	}
	if err := f.SetSheetRow(sheet, cellRef(1, headRow), &header); err != nil {
		return err
	}
	for i, m := range ms {
		row := []any{string(m.Framework), names[i], len(m.Controls)}
		for _, o := range matrixOwners {
			row = append(row, m.Summary[o])
		}
		if err := f.SetSheetRow(sheet, cellRef(1, headRow+1+i), &row); err != nil {
			return err
		}
	}
	last := headRow + max(len(ms), 1)
	lastCol := 3 + len(matrixOwners)
	styles := []rangeStyle{{cellRef(1, headRow), cellRef(3, headRow), st.header}, {cellRef(1, headRow+1), cellRef(lastCol, last), st.cell}}
	for i, o := range matrixOwners {
		styles = append(styles, rangeStyle{cellRef(4+i, headRow), cellRef(4+i, headRow), st.ownerHeader[o]})
	}
	widths := append([]float64{24, 24, 10}, repeatWidth(13, len(matrixOwners))...)
	if err := applyLayout(f, sheet, widths, styles); err != nil {
		return err
	}
	if err := f.AutoFilter(sheet, cellRef(1, headRow)+":"+cellRef(lastCol, last), nil); err != nil {
		return err
	}
	if sys == nil || len(sys.Components) == 0 {
		return nil
	}
	return componentTable(f, st, sheet, last+2, sys)
}

func componentTable(f *excelize.File, st *xlsxStyles, sheet string, row int, sys *demarc.System) error {
	if err := f.SetSheetRow(sheet, cellRef(1, row), &[]any{"Component", "Service", "Runs on", "Operated by", "Provider"}); err != nil {
		return err
	}
	for i, c := range sys.Components {
		if err := f.SetSheetRow(sheet, cellRef(1, row+1+i), &[]any{c.Name, string(c.Service), c.RunsOn, c.OperatedBy, string(c.Provider)}); err != nil {
			return err
		}
	}
	return applyLayout(f, sheet, nil, []rangeStyle{
		{cellRef(1, row), cellRef(5, row), st.header},
		{cellRef(1, row+1), cellRef(5, row+len(sys.Components)), st.cell},
	})
}

func matrixSheet(f *excelize.File, st *xlsxStyles, sheet string, m *demarc.Matrix) error {
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	header := make([]any, len(MatrixColumns))
	for i, h := range MatrixColumns {
		header[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	for i, c := range m.Controls {
		prov := partLines(c.Provider, c.Components)
		row := []any{
			string(c.ID), c.Title, c.Family, OwnerLabel(c.Owner, c.Sharing), areaList(c.Areas),
			xlsxText(prov), xlsxText(partLines(c.Customer, c.Components)), xlsxText(partLines(c.ThirdParty, c.Components)),
			xlsxText(partLines(c.Gaps, c.Components)), strings.Join(c.Components, ", "),
		}
		if err := f.SetSheetRow(sheet, cellRef(1, 2+i), &row); err != nil {
			return err
		}
	}
	last := 1 + max(len(m.Controls), 1)
	lastCol := len(MatrixColumns)
	styles := []rangeStyle{{"A1", cellRef(lastCol, 1), st.header}, {"A2", cellRef(lastCol, last), st.cell}}
	for i, c := range m.Controls {
		if id, ok := st.owner[c.Owner]; ok {
			styles = append(styles, rangeStyle{cellRef(4, 2+i), cellRef(4, 2+i), id})
		}
	}
	if err := applyLayout(f, sheet, []float64{11, 32, 8, 18, 28, 60, 60, 36, 30, 28}, styles); err != nil {
		return err
	}
	if err := f.AutoFilter(sheet, "A1:"+cellRef(lastCol, last), nil); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: "B2", ActiveCell: "B2", Pane: "bottomRight"}},
	})
}

// partLines writes one line per part: "aws os.patching: text
// [components]", the components named only when not all of the control's.
func partLines(parts []demarc.Part, all []string) string {
	lines := make([]string, 0, len(parts))
	for _, p := range parts {
		s := string(p.Area) + ": " + p.Text
		if p.Party.Kind != demarc.PartyCustomer && p.Party.Name != "" {
			s = p.Party.Name + " " + s
		}
		if len(p.Components) < len(all) {
			s += " [" + strings.Join(p.Components, ", ") + "]"
		}
		if len(p.Teams) > 0 {
			s += " (team: " + strings.Join(p.Teams, ", ") + ")"
		}
		lines = append(lines, s)
	}
	return strings.Join(dedupeStrings(lines), "\n")
}

type rangeStyle struct {
	from, to string
	id       int
}

func applyLayout(f *excelize.File, sheet string, widths []float64, styles []rangeStyle) error {
	for i, wd := range widths {
		col := columnName(i + 1)
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	for _, s := range styles {
		if err := f.SetCellStyle(sheet, s.from, s.to, s.id); err != nil {
			return err
		}
	}
	return nil
}

// cellRef names the cell at 1-based column col and row: cellRef(2, 5) is "B5".
func cellRef(col, row int) string { return columnName(col) + strconv.Itoa(row) }

// columnName names the 1-based column n: 1 is A, 27 is AA.
func columnName(n int) string {
	var s []byte
	for ; n > 0; n = (n - 1) / 26 {
		s = append([]byte{byte('A' + (n-1)%26)}, s...)
	}
	return string(s)
}

func repeatWidth(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// xlsxText keeps text within a cell's limit, saying so when it cuts.
func xlsxText(s string) string {
	if len(s) <= xlsxCellLimit {
		return s
	}
	const note = "\n… (cut at the spreadsheet's cell limit; the JSON output has the rest)"
	cut := xlsxCellLimit - len(note)
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + note
}
