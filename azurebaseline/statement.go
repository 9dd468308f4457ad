package azurebaseline

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// Options adjust NewStatement.
type Options struct {
	// Model overrides the service model the Security Profile suggests.
	Model demarc.Model
	// Service overrides the service id derived from the file name.
	Service demarc.ServiceID
}

// Statement is a workbook turned into a library service.
type Statement struct {
	Workbook *Workbook
	Service  demarc.Service
	// Unmapped are the rows no feature, control or domain maps to an area;
	// they shape no rule.
	Unmapped []Row
	// Defaulted are the areas whose rows are all Not Applicable: the
	// baseline says nothing about who does them, so the service model's
	// default stands.
	Defaulted []demarc.AreaID
}

// NewStatement combines a workbook's rows into one rule per area:
//
//   - every row Microsoft's → provider, with the features Microsoft runs;
//   - every row the customer's → customer, with the features it configures
//     and those the service lacks (which need another control);
//   - anything else (a Shared row, or rows of both) → shared, dependent
//     sharing: Microsoft supplies the features and the customer configures
//     them, each part listing its features;
//   - rows that are all Not Applicable → no rule (see Statement.Defaulted).
//
// The texts name features and benchmark controls, never Microsoft's prose.
//
// It fails with EInvalid when the service has no valid id under provider
// azure: none derived from the file name and none in opt.
func NewStatement(wb *Workbook, opt Options) (*Statement, error) {
	st := &Statement{Workbook: wb}
	id := wb.Service
	if opt.Service != "" {
		id = opt.Service
	}
	if !serviceID.MatchString(string(id)) {
		if id == "" {
			return nil, demarc.Errorf(demarc.EInvalid, "%s: the file name gives no service id; name the service (azure/…)", wb.File)
		}
		return nil, demarc.Errorf(demarc.EInvalid, "%s: service id %q should be azure/ and a lower-case name, such as azure/key-vault", wb.File, id)
	}
	title := wb.Title
	if title == "" {
		title = string(id)
	}
	model := opt.Model
	if model == "" {
		model = ModelOf(wb.Profile)
	}
	st.Service = demarc.Service{
		ID: id, Title: title, Model: model, Category: CategoryOf(wb.Profile.Category), Provider: "azure",
		Description: fmt.Sprintf("Imported from Microsoft's Azure security baseline (%s): %d feature rows.", baseName(wb.File), len(wb.Rows)),
	}
	st.addRules()
	st.Service.Features = features(wb.Rows)
	return st, nil
}

// addRules groups the rows by area and makes each area's rule.
func (st *Statement) addRules() {
	byArea := map[demarc.AreaID][]Row{}
	var order []demarc.AreaID
	for _, r := range st.Workbook.Rows {
		if len(r.Areas) == 0 {
			st.Unmapped = append(st.Unmapped, r)
			continue
		}
		for _, a := range r.Areas {
			if _, ok := byArea[a]; !ok {
				order = append(order, a)
			}
			byArea[a] = append(byArea[a], r)
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, a := range order {
		rule, ok := combine(a, byArea[a], baseName(st.Workbook.File))
		if !ok {
			st.Defaulted = append(st.Defaulted, a)
			continue
		}
		st.Service.Overrides = append(st.Service.Overrides, rule)
	}
}

var serviceID = regexp.MustCompile(`^azure/[a-z0-9][a-z0-9.-]*$`)

// combine makes the rule for one area from its rows; ok is false when
// every row is Not Applicable.
func combine(area demarc.AreaID, rows []Row, file string) (demarc.Rule, bool) {
	var prov, cust, shared []Row
	for _, r := range rows {
		switch r.Owner {
		case demarc.OwnerProvider:
			prov = append(prov, r)
		case demarc.OwnerCustomer:
			cust = append(cust, r)
		case demarc.OwnerShared:
			shared = append(shared, r)
		}
	}
	rule := demarc.Rule{Area: area, Note: fmt.Sprintf("From %s, %s %s.", file, FeatureSheet, rowNumbers(rows))}
	switch {
	case len(prov)+len(cust)+len(shared) == 0:
		return rule, false
	case len(cust)+len(shared) == 0:
		rule.Owner = demarc.OwnerProvider
		rule.Provider = providerText(prov, nil)
	case len(prov)+len(shared) == 0:
		rule.Owner = demarc.OwnerCustomer
		rule.Customer = customerText(cust, nil)
	default:
		rule.Owner, rule.Sharing = demarc.OwnerShared, demarc.SharingDependent
		rule.Provider = providerText(prov, shared)
		rule.Customer = customerText(cust, shared)
	}
	return rule, true
}

func providerText(prov, shared []Row) string {
	var parts []string
	if len(prov) > 0 {
		parts = append(parts, "Microsoft runs, per its security baseline: "+featureList(prov)+".")
	}
	if len(shared) > 0 {
		parts = append(parts, "Microsoft supplies, for the customer to use: "+featureList(shared)+".")
	}
	return strings.Join(parts, " ")
}

func customerText(cust, shared []Row) string {
	var have, lack []Row
	for _, r := range cust {
		if r.Supported == FlagNo {
			lack = append(lack, r)
		} else {
			have = append(have, r)
		}
	}
	var parts []string
	if len(have) > 0 {
		parts = append(parts, "The customer configures, per Microsoft's security baseline: "+featureList(have)+".")
	}
	if len(shared) > 0 {
		parts = append(parts, "The customer configures its side of: "+featureList(shared)+".")
	}
	if len(lack) > 0 {
		parts = append(parts, "The service lacks, so another control must cover: "+featureList(lack)+".")
	}
	return strings.Join(parts, " ")
}

// featureList names rows' features with their control and state, once
// each: "Azure Private Link (NS-2; supported, off by default)".
func featureList(rows []Row) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		name := r.Feature
		if name == "" {
			name = "benchmark control " + r.Control
		}
		var detail []string
		if r.Control != "" && r.Feature != "" {
			detail = append(detail, r.Control)
		}
		if s := state(r); s != "" {
			detail = append(detail, s)
		}
		item := name
		if len(detail) > 0 {
			item += " (" + strings.Join(detail, "; ") + ")"
		}
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return strings.Join(out, "; ")
}

func state(r Row) string {
	switch r.Supported {
	case FlagYes:
		switch r.EnabledByDefault {
		case FlagYes:
			return "on by default"
		case FlagNo:
			return "supported, off by default"
		}
		return "supported"
	case FlagNo:
		return "not supported"
	}
	return ""
}

func rowNumbers(rows []Row) string {
	seen := map[int]bool{}
	var ns []int
	for _, r := range rows {
		if !seen[r.Row] {
			seen[r.Row] = true
			ns = append(ns, r.Row)
		}
	}
	sort.Ints(ns)
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) == 1 {
		return "row " + s[0]
	}
	return "rows " + strings.Join(s, ", ")
}

// libraryFeatures are the library's feature keys and the baseline features
// that show them.
var libraryFeatures = []struct {
	key   string
	names []string
}{
	{"customer-managed-keys", []string{"data at rest encryption using cmk"}},
	{"private-networking", []string{"azure private link", "virtual network integration"}},
	{"encryption-at-rest-default", []string{"data at rest encryption using platform keys"}},
	{"audit-logging", []string{"azure resource logs"}},
	{"automated-backup", []string{"azure backup", "service native backup capability"}},
	{"mfa", []string{"conditional access for data plane"}},
}

// features reads the library's security features off the rows. A feature
// whose rows all say Not Applicable is left out: the baseline does not
// say.
func features(rows []Row) map[string]demarc.Feature {
	out := map[string]demarc.Feature{}
	for _, lf := range libraryFeatures {
		var f demarc.Feature
		var notes []string
		known := false
		for _, r := range rows {
			if !contains(lf.names, normalise(r.Feature)) || (r.Supported != FlagYes && r.Supported != FlagNo) {
				continue
			}
			known = true
			if r.Supported == FlagYes {
				f.Supported = true
				f.Default = f.Default || r.EnabledByDefault == FlagYes
			}
			notes = append(notes, fmt.Sprintf("%s: %s", r.Feature, state(r)))
		}
		if known {
			f.Note = "From the baseline — " + strings.Join(notes, "; ") + "."
			out[lf.key] = f
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ModelOf suggests a service model from the Security Profile: full access
// to the host makes IaaS (CaaS for a container service), anything less
// PaaS.
func ModelOf(p Profile) demarc.Model {
	if normalise(p.HostAccess) != "full access" {
		return demarc.ModelPaaS
	}
	if strings.EqualFold(firstCategory(p.Category), "containers") {
		return demarc.ModelCaaS
	}
	return demarc.ModelIaaS
}

// categories maps Microsoft's product categories to the library's.
var categories = map[string]string{
	"compute": "compute", "containers": "containers", "databases": "database", "storage": "storage",
	"networking": "network", "identity": "identity", "security": "security", "analytics": "analytics",
	"ai+ml": "ai", "recommendations": "ai", "integration": "integration", "web": "compute",
	"virtual desktop": "compute", "mgmt/governance": "other", "iot": "other", "media": "other",
}

// CategoryOf maps the Security Profile's product category (its first, when
// it lists several) to a library category; "other" when none fits.
func CategoryOf(category string) string {
	if c, ok := categories[normalise(firstCategory(category))]; ok {
		return c
	}
	return "other"
}

func firstCategory(s string) string {
	first, _, _ := strings.Cut(s, ",")
	return strings.TrimSpace(first)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// libraryFile is the part of the library format an import writes.
type libraryFile struct {
	Providers []demarc.Provider `yaml:"providers"`
}

// WriteLibrary writes statements as one library file: the services under
// provider azure, headed by comments that say where each came from, which
// rows mapped to no area and which areas were left to the model. Load it
// with --library. Two statements with the same service id are an EInvalid
// error.
func WriteLibrary(w io.Writer, sts []*Statement) error {
	seen := map[demarc.ServiceID]string{}
	p := demarc.Provider{ID: "azure", Title: "Microsoft Azure", Kind: "cloud"}
	var b strings.Builder
	b.WriteString("# Azure services imported by demarc from Microsoft's per-service Azure security\n")
	b.WriteString("# baselines (Feature Summary sheets). Load with: demarc --library FILE …\n")
	for _, st := range sts {
		if first, dup := seen[st.Service.ID]; dup {
			return demarc.Errorf(demarc.EInvalid, "%s and %s both give service %s; name one with another id", first, st.Workbook.File, st.Service.ID)
		}
		seen[st.Service.ID] = st.Workbook.File
		p.Services = append(p.Services, st.Service)
		st.writeComment(&b)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(libraryFile{Providers: []demarc.Provider{p}}); err != nil {
		return fmt.Errorf("encode library file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode library file: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (st *Statement) writeComment(b *strings.Builder) {
	fmt.Fprintf(b, "#\n# %s → %s (%s, %s): %d rows, %d area rules.\n", baseName(st.Workbook.File), st.Service.ID, st.Service.Model, st.Service.Category, len(st.Workbook.Rows), len(st.Service.Overrides))
	for _, r := range st.Unmapped {
		fmt.Fprintf(b, "#   row %d maps to no area: control %q, feature %q.\n", r.Row, r.Control, r.Feature)
	}
	if len(st.Defaulted) > 0 {
		ids := make([]string, len(st.Defaulted))
		for i, a := range st.Defaulted {
			ids[i] = string(a)
		}
		fmt.Fprintf(b, "#   every row is Not Applicable for %s: left to the %s model's default.\n", strings.Join(ids, ", "), st.Service.Model)
	}
}

// ValidModel reports whether m is a service model an Azure service can
// have: iaas, caas, paas, faas or saas.
func ValidModel(m demarc.Model) bool {
	switch m {
	case demarc.ModelIaaS, demarc.ModelCaaS, demarc.ModelPaaS, demarc.ModelFaaS, demarc.ModelSaaS:
		return true
	}
	return false
}

// Summary says in one line what became of the workbook: its service,
// model, rows and rules.
func (st *Statement) Summary() string {
	return fmt.Sprintf("%s → %s (%s): %d rows, %d area rules", baseName(st.Workbook.File), st.Service.ID, st.Service.Model, len(st.Workbook.Rows), len(st.Service.Overrides))
}

// Warnings lists, one line each, the rows that map to no area and so
// shape no rule.
func (st *Statement) Warnings() []string {
	var out []string
	for _, r := range st.Unmapped {
		out = append(out, fmt.Sprintf("%s row %d maps to no area (control %q, feature %q): it shapes no rule", r.Sheet, r.Row, r.Control, r.Feature))
	}
	return out
}
