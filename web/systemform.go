package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc/systemfile"
)

// systemForm is what the composer edits: the parts of a system file a
// form can hold, each list as rows, and the rest of the file kept as
// YAML to be written back unchanged.
type systemForm struct {
	Name           string
	Description    string
	Classification string
	Frameworks     []string
	Regulations    string
	Requires       []string
	Components     []componentRow
	Teams          []teamRow
	Overrides      []overrideRow
	Assumptions    []assumptionRow
	// Extra is YAML of the top-level keys the form does not edit
	// (attestations, attestation_files, contracts …).
	Extra string
}

// componentRow is one component. Requires is a comma-separated list.
type componentRow struct {
	Name, Service, RunsOn, Provider, OperatedBy, Description, Requires string
}

// teamRow is one customer team; the RACI lists are comma-separated area
// ids or prefixes such as "os.*".
type teamRow struct {
	Name, Contact, Responsible, Accountable, Consulted, Informed, CUECs string
}

// overrideRow moves an area to another party. Duties is written
// "implement=customer, monitor=provider".
type overrideRow struct {
	Area, Component, Owner, Sharing, Provider, Customer, Party, Duties, Reason, Reference, Note string
}

// assumptionRow records what the customer believes a party does.
type assumptionRow struct {
	Area, Component, Owner, Note string
}

// maxRows bounds each list of a form, so that a crafted form cannot
// make the server build a huge document.
const maxRows = 500

// The fields of each kind of row, as the system file names them; the
// form's inputs use the same names.
var (
	componentFields  = []string{"name", "service", "runs_on", "provider", "operated_by", "description", "requires"}
	teamFields       = []string{"name", "contact", "responsible", "accountable", "consulted", "informed", "cuecs"}
	overrideFields   = []string{"area", "component", "owner", "sharing", "provider", "customer", "party", "duties", "reason", "reference", "note"}
	assumptionFields = []string{"area", "component", "owner", "note"}
	// listFields are the row fields that hold lists.
	listFields = []string{"requires", "responsible", "accountable", "consulted", "informed", "cuecs"}
	// formKeys are the top-level keys the form edits.
	formKeys = []string{"name", "description", "frameworks", "data_classification", "regulations", "requires", "components", "teams", "overrides", "assumptions"}
	// dutyOrder is the order duties are written in.
	dutyOrder = []string{"implement", "configure", "validate", "monitor"}
)

func (r *componentRow) fields() []*string {
	return []*string{&r.Name, &r.Service, &r.RunsOn, &r.Provider, &r.OperatedBy, &r.Description, &r.Requires}
}

func (r *teamRow) fields() []*string {
	return []*string{&r.Name, &r.Contact, &r.Responsible, &r.Accountable, &r.Consulted, &r.Informed, &r.CUECs}
}

func (r *overrideRow) fields() []*string {
	return []*string{&r.Area, &r.Component, &r.Owner, &r.Sharing, &r.Provider, &r.Customer, &r.Party, &r.Duties, &r.Reason, &r.Reference, &r.Note}
}

func (r *assumptionRow) fields() []*string {
	return []*string{&r.Area, &r.Component, &r.Owner, &r.Note}
}

// blank says whether every field is empty: such a row is left out.
func blank(fields []*string) bool {
	for _, f := range fields {
		if *f != "" {
			return false
		}
	}
	return true
}

// readSystemForm reads the form's inputs: "name", "frameworks" …, and
// rows as "components.3.service".
func readSystemForm(form url.Values) *systemForm {
	f := &systemForm{
		Name:           strings.TrimSpace(form.Get("name")),
		Description:    strings.TrimSpace(form.Get("description")),
		Classification: strings.TrimSpace(form.Get("data_classification")),
		Frameworks:     nonEmpty(form["frameworks"]),
		Regulations:    strings.TrimSpace(form.Get("regulations")),
		Requires:       nonEmpty(form["requires"]),
		Extra:          form.Get("extra"),
	}
	for i := range rowCount(form, "components") {
		var r componentRow
		readRow(form, "components", i, componentFields, r.fields())
		f.Components = append(f.Components, r)
	}
	for i := range rowCount(form, "teams") {
		var r teamRow
		readRow(form, "teams", i, teamFields, r.fields())
		f.Teams = append(f.Teams, r)
	}
	for i := range rowCount(form, "overrides") {
		var r overrideRow
		readRow(form, "overrides", i, overrideFields, r.fields())
		f.Overrides = append(f.Overrides, r)
	}
	for i := range rowCount(form, "assumptions") {
		var r assumptionRow
		readRow(form, "assumptions", i, assumptionFields, r.fields())
		f.Assumptions = append(f.Assumptions, r)
	}
	return f
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// rowCount is one more than the highest row index the form has for a
// list, at most maxRows.
func rowCount(form url.Values, list string) int {
	n := 0
	for k := range form {
		rest, ok := strings.CutPrefix(k, list+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(num); err == nil && i >= 0 && i < maxRows && i+1 > n {
			n = i + 1
		}
	}
	return n
}

func readRow(form url.Values, list string, i int, names []string, into []*string) {
	for j, name := range names {
		*into[j] = strings.TrimSpace(form.Get(list + "." + strconv.Itoa(i) + "." + name))
	}
}

// splitList splits a list typed as "a, b c" into its items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// rowMap says, for each list, which form row each item of the document
// came from: problems name the document's item, the page shows the row.
type rowMap map[string][]int

// formProblem is a defect of the form itself, found before the document
// could be built.
type formProblem struct{ Key, Message string }

// document builds the system file the form describes, blank rows left
// out, with the keys the form does not edit appended as they were.
func (f *systemForm) document() (string, rowMap, []formProblem) {
	rows := rowMap{}
	var bad []formProblem
	m := &mapping{node: &yaml.Node{Kind: yaml.MappingNode}}
	m.str("name", f.Name)
	m.str("description", f.Description)
	m.list("frameworks", f.Frameworks)
	m.str("data_classification", f.Classification)
	m.list("regulations", splitList(f.Regulations))
	m.list("requires", f.Requires)
	comps := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range f.Components {
		c := &f.Components[i]
		if blank(c.fields()) {
			continue
		}
		rows["components"] = append(rows["components"], i)
		comps.Content = append(comps.Content, rowNode(componentFields, c.fields()))
	}
	m.add("components", comps) // always present: a system needs components, and the check says so
	if teams := f.teamNodes(rows); len(teams.Content) > 0 {
		m.add("teams", teams)
	}
	overrides, bad := f.overrideNodes(rows)
	if len(overrides.Content) > 0 {
		m.add("overrides", overrides)
	}
	if as := f.assumptionNodes(rows); len(as.Content) > 0 {
		m.add("assumptions", as)
	}
	if err := m.extra(f.Extra); err != nil {
		bad = append(bad, formProblem{Key: "extra", Message: err.Error()})
	}
	out, err := encodeYAML(m.node)
	if err != nil {
		bad = append(bad, formProblem{Key: "", Message: err.Error()})
	}
	return out, rows, bad
}

func (f *systemForm) teamNodes(rows rowMap) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range f.Teams {
		t := &f.Teams[i]
		if blank(t.fields()) {
			continue
		}
		rows["teams"] = append(rows["teams"], i)
		seq.Content = append(seq.Content, rowNode(teamFields, t.fields()))
	}
	return seq
}

func (f *systemForm) overrideNodes(rows rowMap) (*yaml.Node, []formProblem) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var bad []formProblem
	for i := range f.Overrides {
		o := &f.Overrides[i]
		if blank(o.fields()) {
			continue
		}
		rows["overrides"] = append(rows["overrides"], i)
		duties, err := dutiesNode(o.Duties)
		if err != nil {
			bad = append(bad, formProblem{Key: "overrides." + strconv.Itoa(i) + ".duties", Message: err.Error()})
		}
		fields := o.fields()
		n := &mapping{node: &yaml.Node{Kind: yaml.MappingNode}}
		for j, name := range overrideFields {
			if name == "duties" {
				if duties != nil {
					n.add("duties", duties)
				}
				continue
			}
			n.str(name, *fields[j])
		}
		seq.Content = append(seq.Content, n.node)
	}
	return seq, bad
}

func (f *systemForm) assumptionNodes(rows rowMap) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range f.Assumptions {
		a := &f.Assumptions[i]
		if blank(a.fields()) {
			continue
		}
		rows["assumptions"] = append(rows["assumptions"], i)
		seq.Content = append(seq.Content, rowNode(assumptionFields, a.fields()))
	}
	return seq
}

// rowNode is one row as a mapping, empty fields left out and list
// fields written as lists.
func rowNode(names []string, values []*string) *yaml.Node {
	m := &mapping{node: &yaml.Node{Kind: yaml.MappingNode}}
	for i, name := range names {
		if slices.Contains(listFields, name) {
			m.list(name, splitList(*values[i]))
		} else {
			m.str(name, *values[i])
		}
	}
	return m.node
}

// dutiesNode reads "implement=customer, monitor=provider" as a mapping;
// nil when the text is empty.
func dutiesNode(text string) (*yaml.Node, error) {
	items := splitList(text)
	if len(items) == 0 {
		return nil, nil
	}
	got := map[string]string{}
	var order []string
	for _, it := range items {
		duty, owner, ok := strings.Cut(it, "=")
		if !ok || duty == "" || owner == "" {
			return nil, fmt.Errorf("%q is not duty=owner; write e.g. implement=provider, configure=customer", it)
		}
		if _, seen := got[duty]; seen {
			return nil, fmt.Errorf("duty %q is given twice", duty)
		}
		got[duty] = owner
		order = append(order, duty)
	}
	slices.SortStableFunc(order, func(a, b string) int { return dutyRank(a) - dutyRank(b) })
	m := &mapping{node: &yaml.Node{Kind: yaml.MappingNode}}
	for _, d := range order {
		m.str(d, got[d])
	}
	return m.node, nil
}

func dutyRank(d string) int {
	if i := slices.Index(dutyOrder, d); i >= 0 {
		return i
	}
	return len(dutyOrder)
}

// mapping builds a YAML mapping in the order keys are added.
type mapping struct{ node *yaml.Node }

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func (m *mapping) add(key string, value *yaml.Node) {
	m.node.Content = append(m.node.Content, scalar(key), value)
}

// str adds a string unless it is empty.
func (m *mapping) str(key, value string) {
	if value != "" {
		m.add(key, scalar(value))
	}
}

// list adds a short list on one line, unless it is empty.
func (m *mapping) list(key string, items []string) {
	if len(items) == 0 {
		return
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, it := range items {
		seq.Content = append(seq.Content, scalar(it))
	}
	m.add(key, seq)
}

// extra appends the keys of a YAML mapping kept from the stored file.
func (m *mapping) extra(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("the rest of the file does not parse: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("the rest of the file is not a mapping of keys")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if slices.Contains(formKeys, root.Content[i].Value) {
			return fmt.Errorf("the rest of the file repeats %q, which the form edits", root.Content[i].Value)
		}
	}
	m.node.Content = append(m.node.Content, root.Content...)
	return nil
}

func encodeYAML(n *yaml.Node) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}); err != nil {
		return "", fmt.Errorf("cannot write the system file: %v", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("cannot write the system file: %v", err)
	}
	return b.String(), nil
}

// formFromYAML reads a system file into the form. When the file holds
// what the form cannot show without losing it — a syntax error, a value
// of an unexpected shape, a key the form has no input for inside a row —
// it says why instead, and the file is best edited as YAML. Comments
// reports whether the file has comments, which the form would drop.
func formFromYAML(content string) (f *systemForm, comments bool, why string) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(content), &doc); err != nil {
		return nil, false, "the YAML does not parse: " + strings.TrimPrefix(err.Error(), "yaml: ")
	}
	if len(doc.Content) == 0 {
		return &systemForm{}, false, ""
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, false, "the document is not a mapping of keys such as name: and components:"
	}
	f = &systemForm{}
	extra := &mapping{node: &yaml.Node{Kind: yaml.MappingNode}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i].Value, root.Content[i+1]
		if !slices.Contains(formKeys, key) {
			extra.add(key, value)
			continue
		}
		if err := f.set(key, value); err != "" {
			return nil, false, err
		}
	}
	if len(extra.node.Content) > 0 {
		text, err := encodeYAML(extra.node)
		if err != nil {
			return nil, false, err.Error()
		}
		f.Extra = text
	}
	return f, hasComments(&doc), ""
}

// set reads one top-level key the form edits.
func (f *systemForm) set(key string, n *yaml.Node) string {
	var err string
	switch key {
	case "name":
		f.Name, err = scalarOf(key, n)
	case "description":
		f.Description, err = scalarOf(key, n)
	case "data_classification":
		f.Classification, err = scalarOf(key, n)
	case "frameworks":
		f.Frameworks, err = listOf(key, n)
	case "requires":
		f.Requires, err = listOf(key, n)
	case "regulations":
		var l []string
		l, err = listOf(key, n)
		f.Regulations = strings.Join(l, ", ")
	default:
		err = f.setRows(key, n)
	}
	return err
}

// setRows reads one list of rows.
func (f *systemForm) setRows(key string, n *yaml.Node) string {
	if n.ShortTag() == "!!null" {
		return ""
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Sprintf("%s (line %d) is not a list", key, n.Line)
	}
	for i, item := range n.Content {
		where := fmt.Sprintf("%s[%d]", key, i)
		var err string
		switch key {
		case "components":
			var r componentRow
			err = rowOf(where, item, componentFields, r.fields())
			f.Components = append(f.Components, r)
		case "teams":
			var r teamRow
			err = rowOf(where, item, teamFields, r.fields())
			f.Teams = append(f.Teams, r)
		case "overrides":
			var r overrideRow
			err = rowOf(where, item, overrideFields, r.fields())
			f.Overrides = append(f.Overrides, r)
		case "assumptions":
			var r assumptionRow
			err = rowOf(where, item, assumptionFields, r.fields())
			f.Assumptions = append(f.Assumptions, r)
		}
		if err != "" {
			return err
		}
	}
	return ""
}

// rowOf reads a mapping into a row's fields.
func rowOf(where string, n *yaml.Node, names []string, into []*string) string {
	if n.Kind != yaml.MappingNode {
		return fmt.Sprintf("%s (line %d) is not a mapping of fields", where, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		j := slices.Index(names, key)
		if j < 0 {
			return fmt.Sprintf("%s has %q (line %d), which the form has no field for", where, key, n.Content[i].Line)
		}
		var err string
		switch {
		case key == "duties":
			*into[j], err = dutiesText(where, value)
		case slices.Contains(listFields, key):
			var l []string
			l, err = listOf(where+"."+key, value)
			*into[j] = strings.Join(l, ", ")
		default:
			*into[j], err = scalarOf(where+"."+key, value)
		}
		if err != "" {
			return err
		}
	}
	return ""
}

func scalarOf(where string, n *yaml.Node) (string, string) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Sprintf("%s (line %d) is not a single value", where, n.Line)
	}
	if n.ShortTag() == "!!null" {
		return "", ""
	}
	return n.Value, ""
}

func listOf(where string, n *yaml.Node) ([]string, string) {
	if n.ShortTag() == "!!null" {
		return nil, ""
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Sprintf("%s (line %d) is not a list", where, n.Line)
	}
	var out []string
	for _, it := range n.Content {
		s, err := scalarOf(where, it)
		if err != "" {
			return nil, err
		}
		if strings.ContainsAny(s, ", \t\n") {
			return nil, fmt.Sprintf("%s (line %d): %q holds a comma or a space, which the form's lists separate items with", where, it.Line, s)
		}
		out = append(out, s)
	}
	return out, ""
}

func dutiesText(where string, n *yaml.Node) (string, string) {
	if n.ShortTag() == "!!null" {
		return "", ""
	}
	if n.Kind != yaml.MappingNode {
		return "", fmt.Sprintf("%s.duties (line %d) is not a mapping of duty: owner", where, n.Line)
	}
	var parts []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		owner, err := scalarOf(where+".duties", n.Content[i+1])
		if err != "" {
			return "", err
		}
		parts = append(parts, n.Content[i].Value+"="+owner)
	}
	return strings.Join(parts, ", "), ""
}

// hasComments reports whether any node carries a comment.
func hasComments(n *yaml.Node) bool {
	if n.HeadComment != "" || n.LineComment != "" || n.FootComment != "" {
		return true
	}
	for _, c := range n.Content {
		if hasComments(c) {
			return true
		}
	}
	return false
}

// systemNameOf is the name a system file gives itself, or "" when it
// does not parse or names none.
func systemNameOf(content string) string {
	var top struct {
		Name any `yaml:"name"`
	}
	if yaml.Unmarshal([]byte(content), &top) != nil {
		return ""
	}
	if s, ok := top.Name.(string); ok {
		return strings.TrimSpace(s)
	}
	return ""
}

// fieldKey turns a problem's field, as the API names it
// ("components[2].service", "teams[0].responsible[1]", "name"), into the
// key of the form input it belongs to ("components.5.service"), using
// rows to find the form row of the document's item. It returns "" for a
// field the form has no input for.
func fieldKey(field string, rows rowMap) string {
	m := fieldPattern.FindStringSubmatch(field)
	if m == nil {
		return ""
	}
	list, index, sub := m[1], m[2], m[3]
	if index == "" {
		if slices.Contains(formKeys, list) {
			return list
		}
		return ""
	}
	i, err := strconv.Atoi(index)
	if err != nil {
		return ""
	}
	switch list {
	case "frameworks", "regulations", "requires":
		return list
	case "components", "teams", "overrides", "assumptions":
	default:
		return ""
	}
	if r, ok := rows[list]; ok {
		if i >= len(r) {
			return list
		}
		i = r[i]
	}
	key := list + "." + strconv.Itoa(i)
	if sub != "" {
		key += "." + sub
	}
	return key
}

// fieldPattern reads "list[3].field…" or "key".
var fieldPattern = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?`)

// schemaEnums are the values the system file's schema allows for the
// form's selects, read from the schema itself so that they never drift.
type schemaEnums struct {
	Classifications, Features, Owners, Sharings []string
}

var (
	enumsOnce sync.Once
	enums     schemaEnums
)

// systemEnums reads the enumerations of the system file schema.
func systemEnums() schemaEnums {
	enumsOnce.Do(func() {
		var s struct {
			Properties struct {
				Classification struct {
					Enum []string `json:"enum"`
				} `json:"data_classification"`
			} `json:"properties"`
			Defs struct {
				Owner struct {
					Enum []string `json:"enum"`
				} `json:"owner"`
				Feature struct {
					Enum []string `json:"enum"`
				} `json:"feature_key"`
				Override struct {
					Properties struct {
						Sharing struct {
							Enum []string `json:"enum"`
						} `json:"sharing"`
					} `json:"properties"`
				} `json:"override"`
			} `json:"$defs"`
		}
		if err := json.Unmarshal([]byte(systemfile.SchemaJSON()), &s); err != nil {
			panic("web: the system file schema does not parse: " + err.Error())
		}
		enums = schemaEnums{Classifications: s.Properties.Classification.Enum, Features: s.Defs.Feature.Enum,
			Owners: s.Defs.Owner.Enum, Sharings: s.Defs.Override.Properties.Sharing.Enum}
	})
	return enums
}
