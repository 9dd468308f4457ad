package fedramp

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

var day, _ = demarc.ParseDate("2026-11-25")

func resolveExample(t testing.TB, name string) *resolve.Resolution {
	t.Helper()
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load(filepath.Join("..", "examples", name), lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func build(t testing.TB, example, baseline string, opt Options) *Workbook {
	t.Helper()
	b, err := LookupBaseline(baseline)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Date.IsZero() {
		opt.Date = day
	}
	w, err := Build(resolveExample(t, example), b, opt)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func cisRow(t *testing.T, w *Workbook, id demarc.ControlID) CISRow {
	t.Helper()
	for _, r := range w.CIS {
		if r.Control == id {
			return r
		}
	}
	t.Fatalf("no CIS row for %s", id)
	return CISRow{}
}

func crmRows(w *Workbook, id demarc.ControlID) []CRMRow {
	var out []CRMRow
	for _, r := range w.CRM {
		if r.Control == id {
			out = append(out, r)
		}
	}
	return out
}

// What a FedRAMP reviewer checks for controls whose answer is known from
// the example systems.
func TestBuildAnswers(t *testing.T) {
	cases := []struct {
		example, baseline string
		control           demarc.ControlID
		status            Status
		origination       []Origination
		inherit           Inheritance
		text              []string // the CRM text contains each
		absent            []string // and none of these
	}{
		{"serverless-webshop.yaml", "moderate", "pe-3", Implemented, []Origination{SPSystem}, InheritYes,
			[]string{"Inherited from the CSP (aws):", "Physical security: "}, []string{"Customer responsibility"}},
		{"serverless-webshop.yaml", "moderate", "sc-28", Implemented, []Origination{SPSystem, CustomerConfigured, Shared}, InheritPartial,
			[]string{"Inherited from the CSP (aws):", "Customer responsibility:", "Amazon DynamoDB (orders-db) — Encryption at rest: ", "[team: security]"}, nil},
		{"serverless-webshop.yaml", "moderate", "ac-1", Implemented, []Origination{SPCorporate, CustomerProvided}, InheritNo,
			[]string{"each party does this for its own scope; nothing is inherited", "Security policy: "}, []string{"Inherited from the CSP"}},
		{"serverless-webshop.yaml", "moderate", "ac-2", Implemented, []Origination{CustomerProvided}, InheritNo,
			[]string{"Customer responsibility:", "Account lifecycle: "}, []string{"Inherited"}},
		{"serverless-webshop.yaml", "moderate", "ca-8", Implemented, []Origination{CustomerProvided}, InheritNo,
			[]string{"Done by a third party the customer engages:", "Penetration testing, by redteam-ltd: "}, nil},
		// A SaaS vendor's product on AWS: the facility reaches the tenant
		// through the vendor's cluster, so the vendor inherits it.
		{"saas-vendor-chain.yaml", "low", "pe-3", Implemented, []Origination{SPSystem, Inherited}, InheritYes,
			[]string{"Inherited from the CSP (aws, okta):", "by aws", "by okta"}, nil},
		// The MSA and the DPA disagree on deletion: nobody implements it.
		{"saas-vendor-chain.yaml", "low", "si-12", "", nil, InheritNo,
			[]string{"No party is responsible yet", "(conflict)"}, nil},
	}
	built := map[string]*Workbook{}
	for _, c := range cases {
		t.Run(c.example+"/"+string(c.control), func(t *testing.T) {
			key := c.example + c.baseline
			if built[key] == nil {
				built[key] = build(t, c.example, c.baseline, Options{})
			}
			w := built[key]
			row := cisRow(t, w, c.control)
			if row.Status != c.status {
				t.Errorf("status = %q, want %q", row.Status, c.status)
			}
			if !slices.Equal(row.Origination, c.origination) && !(len(c.origination) == 0 && len(row.Origination) == 0) {
				t.Errorf("origination = %v, want %v", row.Origination, c.origination)
			}
			rows := crmRows(w, c.control)
			if want := max(len(Parts(c.control)), 1); len(rows) != want {
				t.Fatalf("%d CRM rows, want %d (one per statement part)", len(rows), want)
			}
			for _, r := range rows {
				if r.Inherit != c.inherit {
					t.Errorf("%s: inheritable = %s, want %s", r.Label, r.Inherit, c.inherit)
				}
				for _, s := range c.text {
					if !strings.Contains(r.Responsibility, s) {
						t.Errorf("%s: text lacks %q:\n%s", r.Label, s, r.Responsibility)
					}
				}
				for _, s := range c.absent {
					if strings.Contains(r.Responsibility, s) {
						t.Errorf("%s: text has %q:\n%s", r.Label, s, r.Responsibility)
					}
				}
			}
		})
	}
}

// FedRAMP's rules hold for every control of every baseline on every
// example: the answer follows the owner and the kind of sharing.
func TestInheritanceFollowsOwnership(t *testing.T) {
	examples, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Baselines()
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		for _, b := range bs {
			w := build(t, filepath.Base(ex), b.ID, Options{WholeControls: true})
			if len(w.CIS) != len(b.Controls) || len(w.CRM) != len(b.Controls) {
				t.Fatalf("%s %s: %d CIS and %d CRM rows for %d controls", ex, b.ID, len(w.CIS), len(w.CRM), len(b.Controls))
			}
			for i, cis := range w.CIS {
				crm := w.CRM[i]
				want := InheritNo
				switch {
				case cis.Owner == demarc.OwnerProvider:
					want = InheritYes
				case cis.Owner == demarc.OwnerShared && cis.Sharing == demarc.SharingDependent:
					want = InheritPartial
				}
				if crm.Inherit != want {
					t.Errorf("%s %s %s: owner %s %s gives %s, want %s", filepath.Base(ex), b.ID, cis.Label, cis.Owner, cis.Sharing, crm.Inherit, want)
				}
				if crm.Inherit == InheritPartial && !(strings.Contains(crm.Responsibility, "Inherited from the CSP") && strings.Contains(crm.Responsibility, "Customer responsibility")) {
					t.Errorf("%s %s: Partial without both parts:\n%s", b.ID, cis.Label, crm.Responsibility)
				}
				if cis.Status == Implemented && len(cis.Origination) == 0 {
					t.Errorf("%s %s: implemented without an origination", b.ID, cis.Label)
				}
				if (cis.Status == "") != cis.Owner.Gap() {
					t.Errorf("%s %s: status %q for owner %s", b.ID, cis.Label, cis.Status, cis.Owner)
				}
			}
		}
	}
}

func TestGapsAreWarned(t *testing.T) {
	w := build(t, "saas-vendor-chain.yaml", "low", Options{})
	if len(w.Warnings) != 1 || !strings.Contains(w.Warnings[0], "SI-12") {
		t.Fatalf("warnings = %q", w.Warnings)
	}
	if len(build(t, "serverless-webshop.yaml", "moderate", Options{}).Warnings) != 0 {
		t.Error("a system without gaps has warnings")
	}
}

func TestWriteCSV(t *testing.T) {
	w := build(t, "serverless-webshop.yaml", "moderate", Options{})
	var buf bytes.Buffer
	if err := w.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], CRMHeader) {
		t.Errorf("header = %q", recs[0])
	}
	if len(recs)-1 != len(w.CRM) {
		t.Fatalf("%d rows, want %d", len(recs)-1, len(w.CRM))
	}
	if recs[1][0] != "AC-1(a)" || recs[1][1] != "No" {
		t.Errorf("first row = %q", recs[1][:2])
	}
}

// The workbook opens, and carries what FedRAMP's template has where a
// reviewer looks for it.
func TestWriteXLSX(t *testing.T) {
	w := build(t, "serverless-webshop.yaml", "moderate", Options{})
	var buf bytes.Buffer
	if err := w.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetCIS, SheetCRM, SheetNotes}) {
		t.Fatalf("sheets = %v", got)
	}
	cell := func(sheet, ref string) string {
		v, err := f.GetCellValue(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := []struct{ sheet, ref, want string }{
		{SheetCIS, "A1", "Control Implementation Summary (CIS) Worksheet"},
		{SheetCIS, "B2", "serverless-webshop"},
		{SheetCIS, "B3", "FedRAMP Rev 5 Moderate Baseline (fedramp2.1.0-oscal1.0.4)"},
		{SheetCIS, "B4", "2026-11-25"},
		{SheetCIS, "A6", "Control ID"},
		{SheetCIS, "B6", "Implementation Status"},
		{SheetCIS, "G6", "Control Origination"},
		{SheetCIS, "B7", "Implemented"},
		{SheetCIS, "M7", "Inherited from pre-existing FedRAMP Authorization"},
		{SheetCIS, "A8", "AC-1"},
		{SheetCRM, "A1", "Customer Responsibility Matrix (CRM) Worksheet"},
		{SheetCRM, "B6", "Can Be Inherited from CSP"},
		{SheetCRM, "A7", "AC-1(a)"},
		{SheetCRM, "B7", "No"},
	}
	for _, c := range checks {
		if got := cell(c.sheet, c.ref); got != c.want {
			t.Errorf("%s!%s = %q, want %q", c.sheet, c.ref, got, c.want)
		}
	}
	// PE-3: implemented, system specific, and nothing else.
	rows, err := f.GetRows(SheetCIS)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[cisFirstRow-1:] {
		if r[0] == "PE-3" {
			found = true
			// Columns: A id, B–F statuses, G–M originations; H is system specific.
			if strings.Count(strings.Join(r, ""), "X") != 2 || r[1] != "X" || len(r) < 8 || r[7] != "X" {
				t.Errorf("PE-3 row = %q, want X under Implemented and Service Provider System Specific", r)
			}
		}
	}
	if !found {
		t.Error("no PE-3 row")
	}
	for sheet, want := range map[string]excelize.Panes{
		SheetCIS: {Freeze: true, XSplit: 1, YSplit: cisFirstRow - 1, TopLeftCell: "B8"},
		SheetCRM: {Freeze: true, XSplit: 1, YSplit: crmFirstRow - 1, TopLeftCell: "B7"},
	} {
		p, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if p.Freeze != want.Freeze || p.XSplit != want.XSplit || p.YSplit != want.YSplit || p.TopLeftCell != want.TopLeftCell {
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
	if got := len(rows) - cisFirstRow + 1; got != len(w.CIS) {
		t.Errorf("%d CIS rows in the sheet, want %d", got, len(w.CIS))
	}
}

func TestCellText(t *testing.T) {
	long := strings.Repeat("é", maxCellText)
	got := cellText(long)
	if len(got) > maxCellText || !strings.HasSuffix(got, "cell limit; see the CSV output or demarc matrix for the rest)") {
		t.Errorf("cut text: %d bytes, ends %q", len(got), got[len(got)-40:])
	}
	if defuse("=SUM(A1)") != "'=SUM(A1)" || defuse("-1") != "'-1" {
		t.Error("a CSV formula is not defused")
	}
	if cellText("plain") != "plain" {
		t.Error("plain text changed")
	}
}

// A user library may replace the 800-53 framework: baseline controls it
// lacks get blank rows and a warning, never a silent omission.
func TestBuildAgainstReplacedFramework(t *testing.T) {
	lib, err := library.Extend(&library.File{Frameworks: []demarc.Framework{{
		ID: Framework, Title: "A cut-down 800-53",
		Controls: []demarc.Control{{ID: "ac-1", Title: "Policy and Procedures", Areas: []demarc.AreaID{"gov.policy"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	sys, err := systemfile.Load("../examples/lift-and-shift.yaml", lib)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LookupBaseline("low")
	w, err := Build(res, b, Options{Date: day, WholeControls: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.CIS) != len(b.Controls) {
		t.Fatalf("%d rows, want %d", len(w.CIS), len(b.Controls))
	}
	if w.CIS[0].Status != Implemented || w.CIS[1].Status != "" || w.CRM[1].Inherit != "" {
		t.Errorf("rows = %+v, %+v, %+v", w.CIS[0], w.CIS[1], w.CRM[1])
	}
	if len(w.Warnings) != 1 || !strings.Contains(w.Warnings[0], "155 baseline control(s) are not active controls") {
		t.Errorf("warnings = %q", w.Warnings)
	}
}

func TestColumn(t *testing.T) {
	for n, want := range map[int]string{1: "A", 13: "M", 26: "Z", 27: "AA", 703: "AAA"} {
		if got := column(n); got != want {
			t.Errorf("column(%d) = %s, want %s", n, got, want)
		}
	}
}
