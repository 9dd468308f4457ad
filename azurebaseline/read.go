// Package azurebaseline reads Microsoft's per-service Azure security
// baseline workbooks (the "Feature Summary" and "Security Profile" sheets
// of the Azure security benchmark v3 baselines) and turns each into a
// demarc service statement: every Feature Summary row, with its benchmark
// control, feature, whether the service supports it and turns it on by
// default, and who is responsible, mapped to demarc's areas; then one rule
// per area for the service.
//
// The reader never panics on a malformed workbook: a file that is not a
// workbook, lacks the Feature Summary sheet or its columns is an error; a
// row that cannot be read is a Problem naming the file, sheet and row.
package azurebaseline

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/demarc-io/demarc"
)

// Sheet names of a baseline workbook.
const (
	FeatureSheet = "Feature Summary"
	ProfileSheet = "Security Profile"
)

// Flag is a yes/no cell of the Feature Summary, which may also say the
// feature does not apply or that the row has no related feature.
type Flag string

// Flag values.
const (
	FlagYes           Flag = "yes"
	FlagNo            Flag = "no"
	FlagNotApplicable Flag = "not-applicable"
	FlagNoFeature     Flag = "no-related-feature"
	FlagUnknown       Flag = "" // the cell is empty or its column is missing
)

// Row is one Feature Summary row.
type Row struct {
	File    string           `json:"file"`
	Sheet   string           `json:"sheet"`
	Row     int              `json:"row"`
	Service demarc.ServiceID `json:"service"`
	Domain  string           `json:"domain,omitempty"`
	// Control is the benchmark control id ("NS-1"), empty when the row
	// names none.
	Control      string `json:"control,omitempty"`
	ControlTitle string `json:"control_title,omitempty"`
	// Feature is the feature name, empty when the row has no related
	// feature.
	Feature string `json:"feature,omitempty"`
	// Responsibility is the cell as written; Owner its demarc owner.
	Responsibility   string          `json:"responsibility"`
	Owner            demarc.Owner    `json:"owner"`
	Supported        Flag            `json:"supported"`
	EnabledByDefault Flag            `json:"enabled_by_default"`
	Areas            []demarc.AreaID `json:"areas"`
	// AreasFrom says what mapped the row to its areas: "feature",
	// "control" or "domain"; empty when nothing did.
	AreasFrom string `json:"areas_from,omitempty"`
}

// Profile is the Security Profile sheet: what the service lets the
// customer reach.
type Profile struct {
	Category string `json:"category,omitempty"`
	// HostAccess is "No Access", "Read Only" or "Full Access".
	HostAccess    string `json:"host_access,omitempty"`
	CustomerVNet  Flag   `json:"customer_vnet,omitempty"`
	StoresContent Flag   `json:"stores_content_at_rest,omitempty"`
}

// Workbook is one baseline workbook: one Azure service.
type Workbook struct {
	File    string           `json:"file"`
	Service demarc.ServiceID `json:"service"`
	Title   string           `json:"title"`
	Profile Profile          `json:"profile"`
	Rows    []Row            `json:"rows"`
	// Problems are the rows that could not be read; they are not in Rows.
	Problems demarc.Problems `json:"problems,omitempty"`
}

// maxWorkbook bounds how much a workbook may unpack to, against zip bombs.
const maxWorkbook = 256 << 20

// Read reads a baseline workbook. name is the file's path, used in
// messages and to derive the service id and title (left empty when the
// name gives none). Errors are
// *demarc.Error values with code EInvalid that name the file; row defects
// are returned in Workbook.Problems instead.
func Read(name string, r io.Reader) (wb *Workbook, err error) {
	defer func() {
		// The spreadsheet library is outside code that may fail on input it
		// was not written for; a defect there must not crash demarc.
		if p := recover(); p != nil {
			wb, err = nil, invalid(name, fmt.Errorf("the workbook is malformed (%v)", p))
		}
	}()
	if _, err := mapping(); err != nil {
		return nil, &demarc.Error{Code: demarc.EInternal, Message: "the built-in area table is defective", Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxWorkbook+1))
	if err != nil {
		return nil, invalid(name, err)
	}
	if len(data) > maxWorkbook {
		return nil, invalid(name, fmt.Errorf("larger than %d MB", maxWorkbook>>20))
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxWorkbook, UnzipXMLSizeLimit: maxWorkbook / 4})
	if err != nil {
		return nil, invalid(name, fmt.Errorf("not an XLSX workbook: %w", err))
	}
	defer f.Close() // a read-only workbook holds nothing to flush
	wb = &Workbook{File: name}
	// A file name that gives no service id is no defect of the workbook:
	// NewStatement asks for one then.
	if id, title, err := ServiceFromFile(name); err == nil {
		wb.Service, wb.Title = id, title
	}
	sheet, ok := findSheet(f, FeatureSheet)
	if !ok {
		return nil, invalid(name, fmt.Errorf("no %q sheet (sheets: %s); is this a Microsoft Azure security baseline workbook?", FeatureSheet, strings.Join(f.GetSheetList(), ", ")))
	}
	if err := wb.readFeatures(f, sheet); err != nil {
		return nil, err
	}
	if sheet, ok := findSheet(f, ProfileSheet); ok {
		wb.Profile, err = readProfile(f, sheet)
		if err != nil {
			return nil, invalid(name, fmt.Errorf("sheet %q: %w", sheet, err))
		}
	}
	return wb, nil
}

func invalid(name string, err error) error {
	return &demarc.Error{Code: demarc.EInvalid, Message: name, Err: err}
}

// findSheet finds a sheet by name, ignoring case and surrounding space.
func findSheet(f *excelize.File, want string) (string, bool) {
	for _, s := range f.GetSheetList() {
		if strings.EqualFold(strings.TrimSpace(s), want) {
			return s, true
		}
	}
	return "", false
}

// Feature Summary columns, by normalised heading.
const (
	colDomain       = "control domain"
	colControl      = "asb control id"
	colControlTitle = "asb control title"
	colResponsible  = "responsibility"
	colFeature      = "feature name"
	colSupported    = "feature supported"
	colEnabled      = "feature enabled by default"
)

// headerScan is how many rows the reader searches for the heading row.
const headerScan = 10

func (wb *Workbook) readFeatures(f *excelize.File, sheet string) error {
	rows, err := f.GetRows(sheet)
	if err != nil {
		return invalid(wb.File, fmt.Errorf("sheet %q: %w", sheet, err))
	}
	head, cols := findHeader(rows)
	if head < 0 {
		return invalid(wb.File, fmt.Errorf("sheet %q: no heading row with %q, %q and %q in its first %d rows", sheet, "ASB Control ID", "Responsibility", "Feature Name", headerScan))
	}
	for i := head + 1; i < len(rows); i++ {
		cells := rows[i]
		if blank(cells) {
			continue
		}
		row, problems := wb.readRow(sheet, i+1, cells, cols)
		if len(problems) > 0 {
			wb.Problems = append(wb.Problems, problems...)
			continue
		}
		wb.Rows = append(wb.Rows, row)
	}
	return nil
}

// findHeader returns the index of the heading row and the column of each
// known heading, or -1 when no row among the first few has the headings
// the reader needs.
func findHeader(rows [][]string) (int, map[string]int) {
	for i := 0; i < len(rows) && i < headerScan; i++ {
		cols := map[string]int{}
		for j, c := range rows[i] {
			cols[normalise(c)] = j
		}
		_, control := cols[colControl]
		_, resp := cols[colResponsible]
		_, feature := cols[colFeature]
		if control && resp && feature {
			return i, cols
		}
	}
	return -1, nil
}

func (wb *Workbook) readRow(sheet string, n int, cells []string, cols map[string]int) (Row, demarc.Problems) {
	get := func(col string) string {
		if j, ok := cols[col]; ok && j < len(cells) {
			return strings.TrimSpace(cells[j])
		}
		return ""
	}
	row := Row{
		File: wb.File, Sheet: sheet, Row: n, Service: wb.Service,
		Domain: none(get(colDomain)), ControlTitle: none(get(colControlTitle)),
		Responsibility: get(colResponsible),
	}
	var ps demarc.Problems
	problem := func(field, format string, args ...any) {
		ps = append(ps, demarc.Problem{Pos: demarc.Position{File: wb.File}, Field: fmt.Sprintf("sheet %q row %d: %s", sheet, n, field), Message: fmt.Sprintf(format, args...)})
	}
	var ok bool
	if row.Owner, ok = ownerOf(row.Responsibility); !ok {
		problem("Responsibility", "%q is not one of Customer, Microsoft, Shared or Not Applicable", row.Responsibility)
	}
	control := none(get(colControl))
	if control != "" {
		if row.Control, ok = controlID(control); !ok {
			problem("ASB Control ID", "%q is not a benchmark control id such as NS-1", control)
		}
	}
	row.Feature = none(get(colFeature))
	if strings.EqualFold(row.Feature, "No Related Feature") {
		row.Feature = ""
	}
	if row.Supported, ok = flagOf(get(colSupported)); !ok {
		problem("Feature Supported", "%q is not True, False, Not Applicable or No Related Feature", get(colSupported))
	}
	if row.EnabledByDefault, ok = flagOf(get(colEnabled)); !ok {
		problem("Feature Enabled by Default", "%q is not True, False, Not Applicable or No Related Feature", get(colEnabled))
	}
	if row.Control == "" && row.Feature == "" && control == "" {
		problem("ASB Control ID", "the row names neither a benchmark control nor a feature")
	}
	if len(ps) > 0 {
		return Row{}, ps
	}
	row.Areas, row.AreasFrom = areasFor(row.Feature, row.Control)
	if row.Areas == nil {
		row.Areas = []demarc.AreaID{}
	}
	return row, nil
}

func ownerOf(s string) (demarc.Owner, bool) {
	switch normalise(s) {
	case "customer":
		return demarc.OwnerCustomer, true
	case "microsoft":
		return demarc.OwnerProvider, true
	case "shared":
		return demarc.OwnerShared, true
	case "not applicable", "n/a":
		return demarc.OwnerNotApplicable, true
	}
	return "", false
}

func flagOf(s string) (Flag, bool) {
	switch normalise(s) {
	case "true", "yes":
		return FlagYes, true
	case "false", "no":
		return FlagNo, true
	case "not applicable", "n/a":
		return FlagNotApplicable, true
	case "no related feature":
		return FlagNoFeature, true
	case "":
		return FlagUnknown, true
	}
	return "", false
}

var controlPattern = regexp.MustCompile(`^([A-Z]{2})-?\s*0*([0-9]{1,2})$`)

// controlID normalises a benchmark control id: "ns-01" and "NS 1" are NS-1.
func controlID(s string) (string, bool) {
	m := controlPattern.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return "", false
	}
	return m[1] + "-" + m[2], true
}

// none treats the workbooks' "None" placeholder as empty.
func none(s string) string {
	if strings.EqualFold(s, "none") {
		return ""
	}
	return s
}

func normalise(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// readProfile reads the Security Profile sheet's attribute rows. Unknown
// attributes are ignored: they describe the service, not responsibility.
func readProfile(f *excelize.File, sheet string) (Profile, error) {
	rows, err := f.GetRows(sheet)
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	for _, r := range rows {
		if len(r) < 3 {
			continue
		}
		value := strings.TrimSpace(r[2])
		switch attr := normalise(r[0]); {
		case attr == "product category":
			p.Category = value
		case strings.HasPrefix(attr, "customer can access host"):
			p.HostAccess = value
		case strings.HasPrefix(attr, "service can be deployed into customer"):
			p.CustomerVNet = profileFlag(value)
		case strings.HasPrefix(attr, "stores customer content at rest"):
			p.StoresContent = profileFlag(value)
		}
	}
	return p, nil
}

// profileFlag reads a Security Profile yes/no value; a value it does not
// know is left unknown, since the profile only describes the service.
func profileFlag(s string) Flag {
	if f, ok := flagOf(s); ok {
		return f
	}
	return FlagUnknown
}

var (
	baselineSuffix = regexp.MustCompile(`-azure-security-benchmark(-v[0-9]+)?(-latest)?-security-baseline$|-security-baseline$`)
	nonSlug        = regexp.MustCompile(`[^a-z0-9]+`)
)

// ServiceFromFile derives a service id and title from a baseline file's
// name as Microsoft publishes it:
// "azure-cosmos-db-azure-security-benchmark-v3-latest-security-baseline.xlsx"
// is azure/cosmos-db, "Azure Cosmos DB". A name with nothing to derive
// from is an EInvalid error.
func ServiceFromFile(path string) (demarc.ServiceID, string, error) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	base = baselineSuffix.ReplaceAllString(strings.ToLower(base), "")
	words := strings.Fields(nonSlug.ReplaceAllString(base, " "))
	if len(words) == 0 {
		return "", "", demarc.Errorf(demarc.EInvalid, "%s: cannot derive a service id from the file name; name the service yourself", path)
	}
	slug := words
	if len(slug) > 1 && slug[0] == "azure" {
		slug = slug[1:]
	}
	return demarc.ServiceID("azure/" + strings.Join(slug, "-")), titleOf(words), nil
}

// spelled are words a service title writes in a fixed way.
var spelled = map[string]string{
	"ad": "AD", "aks": "AKS", "aro": "ARO", "cdn": "CDN", "db": "DB", "dns": "DNS", "hci": "HCI", "hpc": "HPC",
	"hsm": "HSM", "iot": "IoT", "ip": "IP", "mariadb": "MariaDB", "mysql": "MySQL", "nat": "NAT", "netapp": "NetApp",
	"postgresql": "PostgreSQL", "sap": "SAP", "signalr": "SignalR", "sql": "SQL", "vpn": "VPN", "wan": "WAN",
	"and": "and", "for": "for", "of": "of", "on": "on", "in": "in",
}

func titleOf(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		switch s, ok := spelled[w]; {
		case ok && (i > 0 || s != strings.ToLower(s)):
			out[i] = s
		default:
			out[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(out, " ")
}
