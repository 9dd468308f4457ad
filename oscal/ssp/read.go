package ssp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	oscalread "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// Models a document can hold.
const (
	ModelSSP        = "system-security-plan"
	ModelPrototypeS = "shared-responsibility" // NIST's shared-responsibility prototype
)

// otherModels are OSCAL models import cannot read as a leveraged system.
var otherModels = []string{"catalog", "profile", "component-definition", "assessment-plan", "assessment-results", "plan-of-action-and-milestones", "mapping-collection"}

// Document is a leveraged system's plan, read for import: its identity,
// its components, its implemented requirements as go-oscal types (OSCAL
// 1.2.2, which reads every 1.0 and 1.1 plan too), and every defect found.
// Paths hold the JSON path of each requirement, so that later checks can
// name where they found something.
type Document struct {
	// Name is how defects name the document: its file name.
	Name string
	// Model is system-security-plan, or shared-responsibility for NIST's
	// prototype.
	Model string
	// Version is the oscal-version the document declares; Schema the
	// version whose official schema checked it (the nearest bundled patch
	// release when the declared one is not bundled).
	Version, Schema string
	Title           string
	// SystemName, ShortName and Description come from
	// system-characteristics (a prototype document has none).
	SystemName, ShortName, Description string
	// Props are the properties of system-characteristics and of the
	// this-system component, where demarc and FedRAMP name the service.
	Props        []oscalread.Property
	Parties      []oscalread.Party
	Components   []oscalread.SystemComponent
	Requirements []Requirement
	Defects      []Defect
	// Notes say how the document was read, where that is not obvious.
	Notes []string

	root any // the parsed document, for paths
}

// Requirement is one implemented requirement and where it is.
type Requirement struct {
	Path string
	oscalread.ImplementedRequirement
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

// Read parses a leveraged system's security plan — OSCAL JSON or YAML, a
// system-security-plan or NIST's shared-responsibility prototype — checks
// it against the official OSCAL schema of the version it declares and
// against the references no schema checks, and reads what is sound.
// Defects do not fail Read: they are listed in Document.Defects. Errors,
// with code EInvalid, are for input that cannot be read at all: not JSON or
// YAML, not an OSCAL security plan, or an unknown OSCAL version.
func Read(name string, data []byte) (*Document, error) {
	root, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	d := &Document{Name: name, root: root}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: $: found %s; expected an object holding one OSCAL model, system-security-plan", name, show(root))
	}
	if err := d.model(obj); err != nil {
		return nil, err
	}
	body, ok := obj[d.Model].(map[string]any)
	if !ok {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: $.%s: found %s; expected an object", name, d.Model, show(obj[d.Model]))
	}
	if err := d.version(body); err != nil {
		return nil, err
	}
	if d.Model == ModelSSP {
		err = d.readSSP(body)
	} else {
		err = d.readPrototype(body)
	}
	if err != nil {
		return nil, err
	}
	d.checkUUIDs()
	d.checkReferences()
	sortDefects(d.Defects)
	return d, nil
}

// parse reads JSON, or YAML when the file says so or does not start as
// JSON does.
func parse(name string, data []byte) (any, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: the file is empty; expected an OSCAL document", name)
	}
	lower := strings.ToLower(name)
	if trimmed[0] != '{' && trimmed[0] != '[' || strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") {
		return parseYAML(name, data)
	}
	return parseJSON(name, data)
}

func parseJSON(name string, data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(name, data, err)
	}
	if _, err := dec.Token(); err == nil {
		line, col := lineCol(data, int(dec.InputOffset()))
		return nil, demarc.Errorf(demarc.EInvalid, "%s:%d:%d: unexpected data after the document; expected one JSON object", name, line, col)
	}
	if depth(v, 0) > maxDepth {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: nesting deeper than %d levels; expected an OSCAL document", name, maxDepth)
	}
	return v, nil
}

func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, int(syn.Offset))
		return demarc.Errorf(demarc.EInvalid, "%s:%d:%d: not valid JSON: %v", name, line, col, syn)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, len(data))
		return demarc.Errorf(demarc.EInvalid, "%s:%d:%d: the JSON ends early (truncated file?); expected the rest of the document", name, line, col)
	}
	return demarc.Errorf(demarc.EInvalid, "%s: not valid JSON: %v", name, err)
}

func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func depth(v any, d int) int {
	if d > maxDepth {
		return d
	}
	max := d
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			if n := depth(c, d+1); n > max {
				max = n
			}
		}
	case []any:
		for _, c := range x {
			if n := depth(c, d+1); n > max {
				max = n
			}
		}
	}
	return max
}

// parseYAML reads YAML into the values JSON would give: dates and times
// stay text, as OSCAL's JSON form has them.
func parseYAML(name string, data []byte) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: not valid JSON or YAML: %v", name, err)
	}
	budget := 1 << 20 // nodes, counting expanded aliases
	v, err := fromYAML(&n, 0, &budget)
	if err != nil {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: %v", name, err)
	}
	return v, nil
}

func fromYAML(n *yaml.Node, d int, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("the YAML expands to too many values; expected an OSCAL document")
	}
	if d > maxDepth {
		return nil, fmt.Errorf("line %d: nesting deeper than %d levels; expected an OSCAL document", n.Line, maxDepth)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("the document is empty; expected an OSCAL document")
		}
		return fromYAML(n.Content[0], d+1, budget)
	case yaml.AliasNode:
		return fromYAML(n.Alias, d+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key that is not text; expected field names", k.Line)
			}
			v, err := fromYAML(n.Content[i+1], d+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromYAML(c, d+1, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value, nil
		}
		return b, nil
	case "!!int", "!!float":
		if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return json.Number(n.Value), nil
		}
	}
	return n.Value, nil
}

// model finds the document's one model.
func (d *Document) model(obj map[string]any) error {
	var keys []string
	for k := range obj {
		if k != "$schema" {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		return demarc.Errorf(demarc.EInvalid, "%s: $: found %d top-level fields (%s); expected exactly one OSCAL model, system-security-plan", d.Name, len(keys), strings.Join(sortedStrings(keys), ", "))
	}
	switch k := keys[0]; {
	case k == ModelSSP:
		d.Model = k
	case k == ModelPrototypeS:
		d.Model = k
		d.defect(DefectPrototype, []string{k}, "", "an OSCAL model such as system-security-plan: shared-responsibility is a model of NIST's prototype, not of any OSCAL release (read as the prototype)", false)
	case contains(otherModels, k):
		return demarc.Errorf(demarc.EInvalid, "%s: $.%s: this is an OSCAL %s, not a system security plan; import oscal-ssp reads a leveraged system's system-security-plan", d.Name, k, k)
	default:
		return demarc.Errorf(demarc.EInvalid, "%s: $.%s: not an OSCAL model; expected system-security-plan", d.Name, pathKey(k)[1:])
	}
	return nil
}

var versionPattern = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)$`)

// bundled lists the OSCAL versions whose schemas go-oscal embeds, newest
// patch release last within each minor version.
var bundled = map[string][]string{
	"1.0": {"1.0.4", "1.0.5", "1.0.6"},
	"1.1": {"1.1.0", "1.1.1", "1.1.2", "1.1.3"},
	"1.2": {"1.2.1", "1.2.2"},
}

// version reads the declared OSCAL version and picks the schema to check
// the document against.
func (d *Document) version(body map[string]any) error {
	path := "$." + d.Model + ".metadata.oscal-version"
	meta, _ := body["metadata"].(map[string]any)
	raw, present := meta["oscal-version"]
	v, _ := raw.(string)
	if !present || v == "" {
		return demarc.Errorf(demarc.EInvalid, "%s: %s: found %s; expected the OSCAL version the document follows, such as 1.1.3", d.Name, path, showMissing(raw, present))
	}
	m := versionPattern.FindStringSubmatch(v)
	if m == nil {
		return demarc.Errorf(demarc.EInvalid, "%s: %s: found %q; expected an OSCAL version such as 1.1.3", d.Name, path, v)
	}
	d.Version = m[1] + "." + m[2] + "." + m[3]
	patches, ok := bundled[m[1]+"."+m[2]]
	if !ok {
		return demarc.Errorf(demarc.EInvalid, "%s: %s: found %q, an OSCAL version demarc does not know; expected 1.0.x, 1.1.x or 1.2.x", d.Name, path, v)
	}
	d.Schema = patches[len(patches)-1]
	for _, p := range patches {
		if p == d.Version {
			d.Schema = p
		}
	}
	if d.Schema != d.Version {
		d.note("OSCAL %s has no bundled schema: checked against %s, the nearest release of %s.%s", d.Version, d.Schema, m[1], m[2])
	}
	return nil
}

func showMissing(v any, present bool) string {
	if !present {
		return "nothing"
	}
	return show(v)
}

func (d *Document) defect(kind string, loc []string, value, expected string, skipped bool) {
	d.Defects = append(d.Defects, Defect{Document: d.Name, Path: jsonPath(loc, d.root), Value: value, Expected: expected, Kind: kind, Skipped: skipped})
}

func (d *Document) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// schemaCheckOrNote is schemaCheck where a schema failure only costs the
// check, which it notes.
func (d *Document) schemaCheckOrNote(def string, loc []string) {
	if err := d.schemaCheck(def, loc); err != nil {
		d.note("%s was not checked against the schema: %v", jsonPath(loc, d.root), err)
	}
}

func (d *Document) schemaCheck(def string, loc []string) error {
	ds, err := checkSchema(d.Name, d.Schema, def, d.root, loc)
	if err != nil {
		return err
	}
	d.Defects = append(d.Defects, ds...)
	return nil
}

// readSSP reads a system-security-plan.
func (d *Document) readSSP(body map[string]any) error {
	if err := d.schemaCheck(defSSP, []string{ModelSSP}); err != nil {
		return err
	}
	d.readMetadata(body)
	if sc, ok := body["system-characteristics"].(map[string]any); ok {
		d.SystemName, _ = sc["system-name"].(string)
		d.ShortName, _ = sc["system-name-short"].(string)
		d.Description, _ = sc["description"].(string)
		var props []oscalread.Property
		decodeInto(sc["props"], &props)
		d.Props = append(d.Props, props...)
	}
	if si, ok := body["system-implementation"].(map[string]any); ok {
		list, _ := si["components"].([]any)
		for _, c := range list {
			var comp oscalread.SystemComponent
			decodeInto(c, &comp)
			d.Components = append(d.Components, comp)
			if comp.Type == "this-system" && comp.Props != nil {
				d.Props = append(d.Props, *comp.Props...)
			}
		}
	}
	ci, _ := body["control-implementation"].(map[string]any)
	d.readRequirements(ci, []string{ModelSSP, "control-implementation"})
	return nil
}

func (d *Document) readMetadata(body map[string]any) {
	meta, _ := body["metadata"].(map[string]any)
	d.Title, _ = meta["title"].(string)
	list, _ := meta["parties"].([]any)
	for _, p := range list {
		var party oscalread.Party
		decodeInto(p, &party)
		d.Parties = append(d.Parties, party)
	}
}

// decodeInto fills a go-oscal value from a parsed subtree. The schema
// check has already reported anything of the wrong type, which
// encoding/json skips while it fills in the rest.
func decodeInto(v any, out any) {
	if v == nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = json.Unmarshal(data, out) // type mismatches are schema defects, reported already
}

// readRequirements reads the implemented requirements of one
// control-implementation, after moving prototype-shaped statements where
// OSCAL puts them.
func (d *Document) readRequirements(ci map[string]any, loc []string) {
	list, _ := ci["implemented-requirements"].([]any)
	reshaped := 0
	for i, r := range list {
		rloc := append(append([]string(nil), loc...), "implemented-requirements", strconv.Itoa(i))
		rm, ok := r.(map[string]any)
		if !ok {
			continue
		}
		reshaped += d.reshapeAll(rm, rloc)
		var req oscalread.ImplementedRequirement
		decodeInto(rm, &req)
		d.Requirements = append(d.Requirements, Requirement{Path: jsonPath(rloc, d.root), ImplementedRequirement: req})
	}
	if reshaped > 0 {
		d.note("%d by-components have provided and responsibilities directly on them, as NIST's shared-responsibility prototype has: read as their export", reshaped)
	}
}

// reshapeAll reshapes the by-components of a requirement and of its
// statements; it returns how many it reshaped.
func (d *Document) reshapeAll(req map[string]any, loc []string) int {
	n := d.reshapeList(req["by-components"], append(append([]string(nil), loc...), "by-components"))
	stmts, _ := req["statements"].([]any)
	for i, s := range stmts {
		if sm, ok := s.(map[string]any); ok {
			n += d.reshapeList(sm["by-components"], append(append([]string(nil), loc...), "statements", strconv.Itoa(i), "by-components"))
		}
	}
	return n
}

func (d *Document) reshapeList(v any, loc []string) int {
	list, _ := v.([]any)
	n := 0
	for i, bc := range list {
		if m, ok := bc.(map[string]any); ok && d.reshape(m, append(append([]string(nil), loc...), strconv.Itoa(i))) {
			n++
		}
	}
	return n
}

// reshape moves a by-component's prototype-shaped provided and
// responsibilities into its export, and drops entries the prototype marks
// "exportable": false.
func (d *Document) reshape(bc map[string]any, loc []string) bool {
	moved := false
	for _, key := range []string{"provided", "responsibilities"} {
		if list, ok := bc[key].([]any); ok {
			// The schema stopped at the unknown field: check each statement
			// as the one OSCAL would have it inside export.
			for i := range list {
				d.schemaCheckOrNote(defByComponent+"/properties/export/properties/"+key+"/items", append(append([]string(nil), loc...), key, strconv.Itoa(i)))
			}
			exp, _ := bc["export"].(map[string]any)
			if exp == nil {
				exp = map[string]any{}
				bc["export"] = exp
			}
			prev, _ := exp[key].([]any)
			exp[key] = append(prev, list...)
			delete(bc, key)
			moved = true
		}
	}
	exp, _ := bc["export"].(map[string]any)
	for _, key := range []string{"provided", "responsibilities"} {
		list, _ := exp[key].([]any)
		kept := list[:0]
		for i, e := range list {
			m, _ := e.(map[string]any)
			if flag, ok := m["exportable"]; ok {
				delete(m, "exportable")
				if b, isBool := flag.(bool); isBool && !b {
					where := append(append([]string(nil), loc...), key, strconv.Itoa(i), "exportable")
					d.defect(DefectPrototype, where, "false", "only statements meant for leveraging systems in export: this one is marked not exportable", true)
					continue
				}
			}
			kept = append(kept, e)
		}
		if exp != nil && list != nil {
			exp[key] = kept
		}
	}
	return moved
}

// readPrototype reads NIST's shared-responsibility prototype: metadata,
// then components whose control_implementations hold implemented
// requirements in the shape of a security plan.
func (d *Document) readPrototype(body map[string]any) error {
	root := []string{ModelPrototypeS}
	for k := range body {
		if k != "uuid" && k != "metadata" && k != "components" {
			d.defect(DefectPrototype, append(root, k), show(body[k]), "only uuid, metadata and components in the prototype's shared-responsibility (not read)", true)
		}
	}
	if u, ok := body["uuid"].(string); !ok || !uuidPattern.MatchString(u) {
		d.defect(DefectSchema, append(root, "uuid"), show(body["uuid"]), "an RFC 4122 version 4 or 5 UUID, such as 3f2b6a1c-8d4e-4f0a-9b1c-2d3e4f5a6b7c", false)
	}
	if err := d.schemaCheck(defMetadata, append(root, "metadata")); err != nil {
		return err
	}
	d.readMetadata(body)
	comps, _ := body["components"].([]any)
	if len(comps) == 0 {
		d.defect(DefectPrototype, append(root, "components"), show(body["components"]), "components holding the shared responsibilities", false)
	}
	for i, c := range comps {
		cloc := append(append([]string(nil), root...), "components", strconv.Itoa(i))
		cm, ok := c.(map[string]any)
		if !ok {
			d.defect(DefectSchema, cloc, show(c), "an object", true)
			continue
		}
		if err := d.readPrototypeComponent(cm, cloc); err != nil {
			return err
		}
	}
	return nil
}

func (d *Document) readPrototypeComponent(cm map[string]any, loc []string) error {
	if u, ok := cm["uuid"].(string); !ok || !uuidPattern.MatchString(u) {
		d.defect(DefectSchema, append(loc, "uuid"), show(cm["uuid"]), "an RFC 4122 version 4 or 5 UUID, such as 3f2b6a1c-8d4e-4f0a-9b1c-2d3e4f5a6b7c", false)
	}
	if _, ok := cm["title"]; !ok {
		d.defect(DefectPrototype, append(loc, "name"), show(cm["name"]), `the component's name in "title", as OSCAL names components`, false)
	}
	if _, ok := cm["type"]; !ok {
		d.defect(DefectSchema, append(loc, "type"), "", `the required field "type" (such as service or this-system)`, false)
	}
	key := "control-implementations"
	if _, ok := cm[key]; !ok {
		if _, proto := cm["control_implementations"]; proto {
			key = "control_implementations"
			d.defect(DefectPrototype, append(loc, key), show(cm[key]), `the field "control-implementations", with a hyphen as every OSCAL field name has (read anyway)`, false)
		}
	}
	for k := range cm {
		if k != "uuid" && k != "title" && k != "name" && k != "type" && k != "description" && k != key && k != "props" && k != "links" && k != "remarks" {
			d.defect(DefectPrototype, append(loc, k), show(cm[k]), "only uuid, type, title, description, props, links, remarks and control-implementations on a component (not read)", true)
		}
	}
	var comp oscalread.SystemComponent
	decodeInto(cm, &comp)
	if comp.Title == "" {
		comp.Title, _ = cm["name"].(string)
	}
	d.Components = append(d.Components, comp)
	sets, _ := cm[key].([]any)
	for j, s := range sets {
		sloc := append(append([]string(nil), loc...), key, strconv.Itoa(j))
		if err := d.schemaCheck(defControlImplementation, sloc); err != nil {
			return err
		}
		sm, _ := s.(map[string]any)
		d.readRequirements(sm, sloc)
	}
	return nil
}

var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)

// checkUUIDs reports a uuid used for two things in one document.
func (d *Document) checkUUIDs() {
	seen := map[string]string{}
	var walk func(v any, loc []string)
	walk = func(v any, loc []string) {
		switch x := v.(type) {
		case map[string]any:
			if u, ok := x["uuid"].(string); ok && u != "" {
				here := jsonPath(append(append([]string(nil), loc...), "uuid"), d.root)
				if first, dup := seen[u]; dup {
					d.Defects = append(d.Defects, Defect{Document: d.Name, Path: here, Value: show(u) + ", as " + first + " has", Expected: "a uuid no other object in the document uses", Kind: DefectReference})
				} else {
					seen[u] = here
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k], append(append([]string(nil), loc...), k))
			}
		case []any:
			for i, c := range x {
				walk(c, append(append([]string(nil), loc...), strconv.Itoa(i)))
			}
		}
	}
	walk(d.root, nil)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}
