package render

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

func sampleMatrices() ([]*demarc.Matrix, *demarc.System) {
	sys := &demarc.System{Name: "shop", Description: "A web shop.", Components: []demarc.Component{
		{Name: "api", Service: "aws/lambda"}, {Name: "db", Service: "aws/rds"},
	}}
	aws := demarc.Party{Kind: demarc.PartyProvider, Name: "aws"}
	cust := demarc.Party{Kind: demarc.PartyCustomer}
	nist := &demarc.Matrix{System: "shop", Framework: "nist-800-53-r5", Summary: demarc.Summary{demarc.OwnerProvider: 1, demarc.OwnerShared: 1, demarc.OwnerUnassigned: 1}, Controls: []demarc.ControlResult{
		{ID: "pe-3", Title: "Physical Access Control", Family: "pe", Owner: demarc.OwnerProvider, Areas: []demarc.AreaID{"facility.physical-security"},
			Provider: []demarc.Part{{Party: aws, Area: "facility.physical-security", Components: []string{"api", "db"}, Text: "Guards the sites."}}, Components: []string{"api", "db"}},
		{ID: "si-2", Title: "Flaw Remediation", Family: "si", Owner: demarc.OwnerShared, Sharing: demarc.SharingDependent, Areas: []demarc.AreaID{"runtime.patching"},
			Provider:   []demarc.Part{{Party: aws, Area: "runtime.patching", Components: []string{"db"}, Text: "Patches the engine."}},
			Customer:   []demarc.Part{{Party: cust, Area: "runtime.patching", Components: []string{"api"}, Text: "=Updates the runtime.", Teams: []string{"dev"}}},
			Components: []string{"api", "db"}},
		{ID: "si-12", Title: "Information Management", Family: "si", Owner: demarc.OwnerUnassigned, Areas: []demarc.AreaID{"data.retention-deletion"},
			Gaps: []demarc.Part{{Party: demarc.Party{Kind: "unassigned"}, Area: "data.retention-deletion", Components: []string{"db"}, Text: "no rule"}}, Components: []string{"db"}},
	}}
	iso := &demarc.Matrix{System: "shop", Framework: "iso-27001-2022", Summary: demarc.Summary{demarc.OwnerCustomer: 1}, Controls: []demarc.ControlResult{
		{ID: "A.5.1", Title: "Policies", Family: "a.5", Owner: demarc.OwnerCustomer, Areas: []demarc.AreaID{"gov.policy"},
			Customer: []demarc.Part{{Party: cust, Area: "gov.policy", Components: []string{"api", "db"}, Text: "Writes policies."}}, Components: []string{"api", "db"}},
	}}
	return []*demarc.Matrix{nist, iso}, sys
}

func TestMatrixXLSX(t *testing.T) {
	ms, sys := sampleMatrices()
	var buf bytes.Buffer
	if err := MatrixXLSX(&buf, ms, sys); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Summary", "nist-800-53-r5", "iso-27001-2022"}) {
		t.Fatalf("sheets = %v", got)
	}
	rows, err := f.GetRows("nist-800-53-r5")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], MatrixColumns) {
		t.Errorf("header = %q", rows[0])
	}
	cases := []struct{ sheet, ref, want string }{
		{"Summary", "A1", "Responsibility matrix — shop"},
		{"Summary", "A2", "A web shop."},
		{"Summary", "A5", "nist-800-53-r5"},
		{"Summary", "C5", "3"},
		{"Summary", "D5", "1"}, // provider
		{"Summary", "F5", "1"}, // shared
		{"Summary", "I5", "1"}, // unassigned
		{"Summary", "E6", "1"}, // iso: customer
		{"Summary", "A8", "Component"},
		{"Summary", "B10", "aws/rds"},
		{"nist-800-53-r5", "A2", "pe-3"},
		{"nist-800-53-r5", "D2", "provider"},
		{"nist-800-53-r5", "D3", "shared (dependent)"},
		{"nist-800-53-r5", "F3", "aws runtime.patching: Patches the engine. [db]"},
		{"nist-800-53-r5", "G3", "runtime.patching: =Updates the runtime. [api] (team: dev)"},
		{"nist-800-53-r5", "I4", "data.retention-deletion: no rule"},
		{"iso-27001-2022", "D2", "customer"},
	}
	for _, c := range cases {
		got, err := f.GetCellValue(c.sheet, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.ref, got, c.want)
		}
	}
	// Text that looks like a formula stays text.
	if formula, err := f.GetCellFormula("nist-800-53-r5", "G3"); err != nil || formula != "" {
		t.Errorf("G3 formula = %q, %v", formula, err)
	}
	for _, sheet := range []string{"nist-800-53-r5", "iso-27001-2022"} {
		p, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 1 || p.XSplit != 1 || p.TopLeftCell != "B2" {
			t.Errorf("%s panes = %+v", sheet, p)
		}
	}
	filters := 0
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filters++
		}
	}
	if filters != 3 {
		t.Errorf("%d sheets with filters, want 3", filters)
	}
	// Owner cells are coloured by owner, and colours differ between owners.
	fill := func(ref string) string {
		id, err := f.GetCellStyle("nist-800-53-r5", ref)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(s.Fill.Color, "")
	}
	if got := fill("D2"); got != ownerFill[demarc.OwnerProvider] {
		t.Errorf("provider fill = %q", got)
	}
	if got := fill("D4"); got != ownerFill[demarc.OwnerUnassigned] {
		t.Errorf("unassigned fill = %q", got)
	}
	if fill("D2") == fill("D3") {
		t.Error("provider and shared share a colour")
	}
}

func TestSheetNames(t *testing.T) {
	ms := []*demarc.Matrix{{Framework: "summary"}, {Framework: "a/b:c"}, {Framework: "a-b-c"}, {Framework: "a-very-long-framework-identifier-beyond-31"}}
	got := sheetNames(ms)
	want := []string{"summary (2)", "a-b-c", "a-b-c (2)", "a-very-long-framework-identifie"}
	if !slices.Equal(got, want) {
		t.Errorf("sheetNames = %q, want %q", got, want)
	}
}

func TestMatrixXLSXWithoutSystem(t *testing.T) {
	ms, _ := sampleMatrices()
	var buf bytes.Buffer
	if err := MatrixXLSX(&buf, ms[:1], nil); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Summary", "A1"); v != "Responsibility matrix — shop" {
		t.Errorf("A1 = %q", v)
	}
}

func TestXLSXTextLimit(t *testing.T) {
	s := xlsxText(strings.Repeat("ü", xlsxCellLimit))
	if len(s) > xlsxCellLimit || !strings.HasSuffix(s, "the JSON output has the rest)") {
		t.Errorf("%d bytes", len(s))
	}
}

// BenchmarkMatrixXLSX writes the workbook of an example system's three
// frameworks (NIST 800-53 with 1,000-odd controls among them).
func BenchmarkMatrixXLSX(b *testing.B) {
	lib, err := library.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/serverless-webshop.yaml", lib)
	if err != nil {
		b.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		b.Fatal(err)
	}
	var ms []*demarc.Matrix
	for _, id := range sys.Frameworks {
		ms = append(ms, res.Matrix(lib.Framework(id)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := MatrixXLSX(io.Discard, ms, sys); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCellRef(t *testing.T) {
	for _, c := range []struct {
		col, row int
		want     string
	}{{1, 1, "A1"}, {26, 2, "Z2"}, {27, 3, "AA3"}, {52, 4, "AZ4"}, {703, 5, "AAA5"}} {
		if got := cellRef(c.col, c.row); got != c.want {
			t.Errorf("cellRef(%d, %d) = %s, want %s", c.col, c.row, got, c.want)
		}
	}
}
