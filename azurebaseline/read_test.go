package azurebaseline

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/library"
)

const dataDir = "azure-security-baselines-v3"

func realWorkbooks(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(realdata.Path(t, dataDir), "*.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 80 {
		t.Fatalf("found %d workbooks, expected the folder's 89", len(files))
	}
	return files
}

func readFile(t testing.TB, path string) *Workbook {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wb, err := Read(path, f)
	if err != nil {
		t.Fatal(err)
	}
	return wb
}

// Every workbook Microsoft published in the folder reads without a
// defect, every row maps to an area, and the statements load as a library.
func TestEveryRealWorkbook(t *testing.T) {
	var sts []*Statement
	ids := map[demarc.ServiceID]string{}
	for _, path := range realWorkbooks(t) {
		wb := readFile(t, path)
		name := filepath.Base(path)
		if len(wb.Problems) > 0 {
			t.Errorf("%s: %v", name, wb.Problems)
		}
		if len(wb.Rows) < 30 {
			t.Errorf("%s: %d rows; the baselines have about 35", name, len(wb.Rows))
		}
		if prev, dup := ids[wb.Service]; dup {
			t.Errorf("%s and %s both give %s", prev, name, wb.Service)
		}
		ids[wb.Service] = name
		for _, r := range wb.Rows {
			if !r.Owner.Valid() || len(r.Areas) == 0 || r.Sheet != FeatureSheet || r.Row < 2 {
				t.Errorf("%s row %d: %+v", name, r.Row, r)
			}
		}
		if wb.Profile.HostAccess == "" {
			t.Errorf("%s: no host access in the security profile", name)
		}
		st, err := NewStatement(wb, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Unmapped) > 0 {
			t.Errorf("%s: rows map to no area: %+v", name, st.Unmapped)
		}
		sts = append(sts, st)
	}
	var buf bytes.Buffer
	if err := WriteLibrary(&buf, sts); err != nil {
		t.Fatal(err)
	}
	f, err := library.ParseFile("azure-baselines.yaml", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.Extend(f)
	if err != nil {
		t.Fatal(err)
	}
	if lib.Service("azure/cognitive-search") == nil {
		t.Error("an imported service is missing from the library")
	}
}

// Facts a reader of the workbooks can check by eye.
func TestRows(t *testing.T) {
	cases := []struct {
		file             string
		row              int
		control, feature string
		owner            demarc.Owner
		supported, on    Flag
		areas            []demarc.AreaID
		from             string
	}{
		{"key-vault", 2, "IM-1", "Azure AD Authentication Required for Data Plane Access", demarc.OwnerProvider, FlagYes, FlagYes, []demarc.AreaID{"identity.authentication"}, "feature"},
		{"key-vault", 3, "AM-5", "Microsoft Defender for Cloud - Adaptive Application Controls", demarc.OwnerNotApplicable, FlagNotApplicable, FlagNotApplicable, []demarc.AreaID{"os.hardening"}, "feature"},
		{"app-service", 2, "IM-1", "Azure AD Authentication Required for Data Plane Access", demarc.OwnerCustomer, FlagYes, FlagNo, []demarc.AreaID{"identity.authentication"}, "feature"},
		// A row that names no control maps by its feature.
		{"api-management", 29, "", "Service Native Backup Capability", demarc.OwnerShared, FlagYes, FlagNo, []demarc.AreaID{"data.backup"}, "feature"},
		// A row with no related feature maps by its control.
		{"app-service", 43, "PV-2", "", demarc.OwnerShared, FlagNoFeature, FlagNoFeature, []demarc.AreaID{"ops.configuration-baseline"}, "control"},
	}
	dir := realdata.Path(t, dataDir)
	for _, c := range cases {
		wb := readFile(t, filepath.Join(dir, c.file+"-azure-security-benchmark-v3-latest-security-baseline.xlsx"))
		var got *Row
		for i := range wb.Rows {
			if wb.Rows[i].Row == c.row {
				got = &wb.Rows[i]
			}
		}
		if got == nil {
			t.Errorf("%s: no row %d", c.file, c.row)
			continue
		}
		want := Row{File: got.File, Sheet: FeatureSheet, Row: c.row, Service: demarc.ServiceID("azure/" + c.file), Domain: got.Domain, Control: c.control, ControlTitle: got.ControlTitle,
			Feature: c.feature, Responsibility: got.Responsibility, Owner: c.owner, Supported: c.supported, EnabledByDefault: c.on, Areas: c.areas, AreasFrom: c.from}
		if got.Service != want.Service || got.Control != want.Control || got.Feature != want.Feature || got.Owner != want.Owner ||
			got.Supported != want.Supported || got.EnabledByDefault != want.EnabledByDefault || !slices.Equal(got.Areas, want.Areas) || got.AreasFrom != want.AreasFrom {
			t.Errorf("%s row %d:\n got %+v\nwant %+v", c.file, c.row, *got, want)
		}
	}
}

func TestStatement(t *testing.T) {
	wb := readFile(t, filepath.Join(realdata.Path(t, dataDir), "key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx"))
	st, err := NewStatement(wb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Service.ID != "azure/key-vault" || st.Service.Model != demarc.ModelPaaS || st.Service.Category != "security" {
		t.Errorf("service = %s %s %s", st.Service.ID, st.Service.Model, st.Service.Category)
	}
	rules := map[demarc.AreaID]demarc.Rule{}
	for _, r := range st.Service.Overrides {
		rules[r.Area] = r
	}
	// Microsoft encrypts with platform keys; the customer may add its own.
	enc := rules["data.encryption-at-rest"]
	if enc.Owner != demarc.OwnerShared || enc.Sharing != demarc.SharingDependent ||
		!strings.Contains(enc.Provider, "Data at Rest Encryption Using Platform Keys (DP-4; on by default)") ||
		!strings.Contains(enc.Customer, "Data at Rest Encryption Using CMK (DP-5; supported, off by default)") {
		t.Errorf("data.encryption-at-rest = %+v", enc)
	}
	if r := rules["identity.authentication"]; r.Owner != demarc.OwnerProvider {
		t.Errorf("identity.authentication = %+v", r)
	}
	if r := rules["network.segmentation"]; r.Owner != demarc.OwnerCustomer || !strings.Contains(r.Customer, "Azure Private Link (NS-2; supported, off by default)") {
		t.Errorf("network.segmentation = %+v", r)
	}
	if _, ok := rules["os.patching"]; ok || !slices.Contains(st.Defaulted, "os.patching") {
		t.Error("os.patching, whose rows are all Not Applicable, should be left to the model")
	}
	if f := st.Service.Features["customer-managed-keys"]; !f.Supported || f.Default {
		t.Errorf("customer-managed-keys = %+v", f)
	}
	if f := st.Service.Features["encryption-at-rest-default"]; !f.Supported || !f.Default {
		t.Errorf("encryption-at-rest-default = %+v", f)
	}
	over, err := NewStatement(wb, Options{Model: demarc.ModelSaaS, Service: "azure/kv"})
	if err != nil {
		t.Fatal(err)
	}
	if over.Service.ID != "azure/kv" || over.Service.Model != demarc.ModelSaaS {
		t.Errorf("options ignored: %s %s", over.Service.ID, over.Service.Model)
	}
}

func TestMappedAreasExist(t *testing.T) {
	lib, err := library.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	areas, err := MappedAreas()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if lib.Area(a) == nil {
			t.Errorf("the table maps to unknown area %s", a)
		}
	}
}

func TestServiceFromFile(t *testing.T) {
	cases := []struct{ file, id, title string }{
		{"azure-cosmos-db-azure-security-benchmark-v3-latest-security-baseline.xlsx", "azure/cosmos-db", "Azure Cosmos DB"},
		{"dir/key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx", "azure/key-vault", "Key Vault"},
		{"azure-red-hat-openshift-(aro)-azure-security-benchmark-v3-latest-security-baseline.xlsx", "azure/red-hat-openshift-aro", "Azure Red Hat Openshift ARO"},
		{"virtual-machines-linux virtual machines-azure-security-benchmark-v3-latest-security-baseline.xlsx", "azure/virtual-machines-linux-virtual-machines", "Virtual Machines Linux Virtual Machines"},
		{"azure-database-for-mysql--flexible-server-azure-security-benchmark-v3-latest-security-baseline.xlsx", "azure/database-for-mysql-flexible-server", "Azure Database for MySQL Flexible Server"},
		{"SQL IaaS.xlsx", "azure/sql-iaas", "SQL Iaas"},
		{"azure.xlsx", "azure/azure", "Azure"},
	}
	for _, c := range cases {
		id, title, err := ServiceFromFile(c.file)
		if err != nil || string(id) != c.id || title != c.title {
			t.Errorf("ServiceFromFile(%q) = %s, %q, %v; want %s, %q", c.file, id, title, err, c.id, c.title)
		}
	}
	if _, _, err := ServiceFromFile("---.xlsx"); demarc.ErrorCode(err) != demarc.EInvalid {
		t.Errorf("a name without words: %v", err)
	}
}

var header = []string{"Control Domain", "ASB Control ID", "ASB Control Title", "Guidance", "Responsibility", "Feature Name", "Feature Description", "Feature Supported", "Feature Enabled by Default", "Feature Reference", "Feature Notes", "Guidance Notes"}

// workbook builds an XLSX in memory: sheet name → rows.
func workbook(t testing.TB, sheets map[string][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	first := true
	for name, rows := range sheets {
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			cells := make([]any, len(r))
			for j, c := range r {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func row(control, responsibility, feature, supported, enabled string) []string {
	return []string{"Network Security", control, "A title", "Some guidance.", responsibility, feature, "A description.", supported, enabled, "None", "None", "None"}
}

// Defects are reported with the file, sheet and row, and never panic.
func TestReadDefects(t *testing.T) {
	good := workbook(t, map[string][][]string{FeatureSheet: {header, row("NS-2", "Customer", "Azure Private Link", "True", "False")}})
	cases := []struct {
		name     string
		data     []byte
		err      string   // a whole-file error containing this
		problems []string // or row problems containing these
		rows     int
	}{
		{name: "empty file", data: nil, err: "not an XLSX workbook"},
		{name: "not a zip", data: []byte("Control Domain,ASB Control ID\n"), err: "not an XLSX workbook"},
		{name: "truncated", data: good[:len(good)/2], err: "not an XLSX workbook"},
		{name: "wrong sheet", data: workbook(t, map[string][][]string{"Features": {header}}), err: `no "Feature Summary" sheet (sheets: Features)`},
		{name: "wrong columns", data: workbook(t, map[string][][]string{FeatureSheet: {{"Control", "Owner"}, {"NS-1", "Customer"}}}), err: "no heading row"},
		{name: "good", data: good, rows: 1},
		{name: "bad values", data: workbook(t, map[string][][]string{FeatureSheet: {
			header,
			row("NS-2", "Partner", "Azure Private Link", "True", "False"),
			{},
			row("Network 1", "Customer", "Azure Private Link", "Maybe", "False"),
			row("None", "Customer", "None", "True", "False"),
			row("ns-01", "microsoft", "Azure Private Link", "TRUE", "true"),
		}}), rows: 1, problems: []string{
			`sheet "Feature Summary" row 2: Responsibility: "Partner" is not one of Customer, Microsoft, Shared or Not Applicable`,
			`sheet "Feature Summary" row 4: ASB Control ID: "Network 1" is not a benchmark control id such as NS-1`,
			`sheet "Feature Summary" row 4: Feature Supported: "Maybe" is not True, False`,
			`sheet "Feature Summary" row 5: ASB Control ID: the row names neither a benchmark control nor a feature`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wb, err := Read("test.xlsx", bytes.NewReader(c.data))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "test.xlsx: ") || demarc.ErrorCode(err) != demarc.EInvalid {
					t.Fatalf("err = %v, want one naming test.xlsx with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(wb.Rows) != c.rows {
				t.Errorf("%d rows, want %d", len(wb.Rows), c.rows)
			}
			if len(wb.Problems) != len(c.problems) {
				t.Fatalf("problems = %v, want %d", wb.Problems, len(c.problems))
			}
			for i, p := range c.problems {
				if got := wb.Problems[i].String(); !strings.Contains(got, p) || !strings.HasPrefix(got, "test.xlsx: ") {
					t.Errorf("problem %d = %q, want %q", i, got, p)
				}
			}
		})
	}
}

func TestWriteLibraryRejectsDuplicateServices(t *testing.T) {
	wb := &Workbook{File: "a.xlsx", Service: "azure/a", Title: "A"}
	st, err := NewStatement(wb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = WriteLibrary(&bytes.Buffer{}, []*Statement{st, st})
	if demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), "both give service azure/a") {
		t.Errorf("err = %v", err)
	}
}

func TestStatementNeedsAServiceID(t *testing.T) {
	cases := []struct {
		file    string
		service demarc.ServiceID
		err     string
	}{
		{"---.xlsx", "", "---.xlsx: the file name gives no service id; name the service (azure/…)"},
		{"a.xlsx", "aws/a", `a.xlsx: service id "aws/a" should be azure/ and a lower-case name`},
		{"a.xlsx", "azure/Key Vault", `service id "azure/Key Vault" should be`},
	}
	for _, c := range cases {
		data := workbook(t, map[string][][]string{FeatureSheet: {header, row("NS-2", "Customer", "Azure Private Link", "True", "False")}})
		wb, err := Read(c.file, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewStatement(wb, Options{Service: c.service}); demarc.ErrorCode(err) != demarc.EInvalid || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s %s: err = %v, want %q", c.file, c.service, err, c.err)
		}
	}
	data := workbook(t, map[string][][]string{FeatureSheet: {header, row("NS-2", "Customer", "Azure Private Link", "True", "False")}})
	wb, err := Read("---.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStatement(wb, Options{Service: "azure/named"})
	if err != nil || st.Service.ID != "azure/named" || st.Service.Title != "azure/named" {
		t.Errorf("named service: %v %+v", err, st)
	}
}
