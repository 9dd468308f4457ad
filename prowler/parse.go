// Package prowler reads Prowler's compliance mappings — the JSON files that
// list a framework's requirements and the Prowler checks that test each —
// in both of their shapes: the older {Framework, Version, Provider,
// Requirements: [{Id, Attributes: [...], Checks: [...]}]} and the newer
// {framework, attributes_metadata, requirements: [{id, attributes: {...},
// checks: {provider: [...]}}]}. A requirement with no check is manual.
//
// Map then gives every requirement demarc areas — through a built-in
// framework whose ids the requirements use, through the frameworks a
// requirement's section references, or through its checks' names — and
// Framework turns the result into a library framework. Requirement text is
// never copied: only ids, Prowler's short names and section headings.
package prowler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// Shapes of a mapping file.
const (
	ShapeLegacy  = "legacy"  // Framework, Requirements[].Id, Checks: [...]
	ShapeCurrent = "current" // framework, requirements[].id, checks: {provider: [...]}
)

// Mapping is one Prowler compliance file.
type Mapping struct {
	File      string `json:"file"`
	Shape     string `json:"shape"`
	Framework string `json:"framework"` // Prowler's key, e.g. "CIS"
	Name      string `json:"name,omitempty"`
	Version   string `json:"version,omitempty"`
	// Provider is the file's provider (older shape); the newer shape names
	// providers per check list.
	Provider     string        `json:"provider,omitempty"`
	Requirements []Requirement `json:"requirements"`
	// Problems are the requirements that could not be read; they are not
	// in Requirements.
	Problems demarc.Problems `json:"problems,omitempty"`
	// Repeats are requirements whose id an earlier one has; their checks
	// are merged into the earlier one, so nothing is lost.
	Repeats demarc.Problems `json:"repeats,omitempty"`
}

// Requirement is one requirement and the checks that test it.
type Requirement struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"` // Prowler's short name, when it has one
	Section string `json:"section,omitempty"`
	// Checks are the check ids per provider ("aws", "azure" …).
	Checks map[string][]string `json:"checks"`
	// Manual is true when no check tests the requirement.
	Manual bool `json:"manual"`
	// Path is the requirement's JSON path and Line its line in the file.
	Path string `json:"path"`
	Line int    `json:"line"`
	// References are the ids the requirement's section maps to in other
	// frameworks, by Prowler's reference id ("NIST_800_53": ["AC-2"]).
	References map[string][]string `json:"references,omitempty"`
	// Areas and AreasFrom are set by Map.
	Areas     []demarc.AreaID `json:"areas"`
	AreasFrom string          `json:"areas_from,omitempty"`
	// Unmatched are checks the check table maps to no area.
	Unmatched []string `json:"unmatched_checks,omitempty"`
}

// AllChecks returns the requirement's checks over every provider, sorted
// and without repeats.
func (r *Requirement) AllChecks() []string {
	var out []string
	for _, cs := range r.Checks {
		out = append(out, cs...)
	}
	sort.Strings(out)
	return compact(out)
}

// maxFile bounds the size of a mapping file.
const maxFile = 64 << 20

// Parse reads a mapping file of either shape. Errors are *demarc.Error
// values with code EInvalid naming the file and, for syntax errors, the
// line and column; requirements that cannot be read are left out and
// reported in Mapping.Problems, repeated ids in Mapping.Repeats, with their
// JSON path and line.
func Parse(name string, data []byte) (*Mapping, error) {
	if len(data) > maxFile {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: larger than %d MB", name, maxFile>>20)
	}
	p := &parser{name: name, data: data}
	top, reqs, err := p.document()
	if err != nil {
		return nil, err
	}
	m := &Mapping{File: name}
	legacy, current := reqs["Requirements"], reqs["requirements"]
	switch {
	case legacy != nil && current != nil:
		return nil, demarc.Errorf(demarc.EInvalid, "%s: has both Requirements and requirements; a Prowler mapping has one", name)
	case legacy != nil:
		m.Shape = ShapeLegacy
	case current != nil:
		m.Shape = ShapeCurrent
	default:
		return nil, demarc.Errorf(demarc.EInvalid, "%s: no Requirements (or requirements) array; is this a Prowler compliance mapping?", name)
	}
	if err := p.header(m, top); err != nil {
		return nil, err
	}
	items := legacy
	key := "Requirements"
	if m.Shape == ShapeCurrent {
		items, key = current, "requirements"
	}
	seen := map[string]int{}
	for i, it := range items {
		path := fmt.Sprintf("%s[%d]", key, i)
		r, err := p.requirement(m, it.raw, path)
		if err != nil {
			m.Problems = append(m.Problems, p.problem(it.offset, path, err.Error()))
			continue
		}
		r.Line = p.line(it.offset)
		if j, dup := seen[r.ID]; dup {
			first := &m.Requirements[j]
			m.Repeats = append(m.Repeats, p.problem(it.offset, path+idField(m.Shape), fmt.Sprintf("repeats id %q of %s (line %d); its checks are merged into the first", r.ID, first.Path, first.Line)))
			mergeChecks(first, r)
			continue
		}
		seen[r.ID] = len(m.Requirements)
		m.Requirements = append(m.Requirements, r)
	}
	if len(m.Requirements) == 0 {
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: name + ": no requirement could be read", Err: m.Problems}
	}
	return m, nil
}

func idField(shape string) string {
	if shape == ShapeLegacy {
		return ".Id"
	}
	return ".id"
}

// item is one array element with its offset in the file.
type item struct {
	raw    json.RawMessage
	offset int64
}

type parser struct {
	name string
	data []byte
	// newlines are the offsets of the file's line breaks, found on first
	// use, so that placing many requirements stays linear.
	newlines []int64
}

// document reads the top-level object, keeping each requirements array's
// elements with their offsets so that problems can name their lines.
func (p *parser) document() (map[string]json.RawMessage, map[string][]item, error) {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, p.syntax(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, demarc.Errorf(demarc.EInvalid, "%s: line 1: expected a JSON object, found %s", p.name, describe(tok))
	}
	top := map[string]json.RawMessage{}
	reqs := map[string][]item{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, p.syntax(dec, err)
		}
		key, _ := tok.(string) // object keys are always strings
		if key == "Requirements" || key == "requirements" {
			items, err := p.array(dec, key)
			if err != nil {
				return nil, nil, err
			}
			if items == nil {
				items = []item{}
			}
			reqs[key] = items
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, p.syntax(dec, err)
		}
		top[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, p.syntax(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, demarc.Errorf(demarc.EInvalid, "%s: line %d: unexpected data after the top-level object", p.name, p.line(dec.InputOffset()))
	}
	return top, reqs, nil
}

func (p *parser) array(dec *json.Decoder, key string) ([]item, error) {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return nil, p.syntax(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, demarc.Errorf(demarc.EInvalid, "%s: line %d: %s: expected an array, found %s", p.name, p.line(start), key, describe(tok))
	}
	var items []item
	for dec.More() {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, p.syntax(dec, err)
		}
		items = append(items, item{raw: raw, offset: skipSpace(p.data, off)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, p.syntax(dec, err)
	}
	return items, nil
}

// skipSpace moves off past separators to the start of the next value.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// syntax turns a decoding error into one naming the line and column. A
// streaming decoder's offsets are not the file's, so the file is scanned
// whole to place the error.
func (p *parser) syntax(dec *json.Decoder, err error) error {
	off, msg := dec.InputOffset(), err.Error()
	var v any
	var se *json.SyntaxError
	if uerr := json.Unmarshal(p.data, &v); errors.As(uerr, &se) {
		// Offset counts the bytes read, the offending one included.
		off, msg = se.Offset-1, se.Error()
		if se.Offset >= int64(len(p.data)) {
			off, msg = int64(len(p.data)), "the file ends early (truncated?)"
		}
	} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off, msg = int64(len(p.data)), "the file ends early (truncated?)"
	}
	line, col := p.position(off)
	return demarc.Errorf(demarc.EInvalid, "%s: line %d, column %d: %s", p.name, line, col, msg)
}

func (p *parser) line(off int64) int {
	l, _ := p.position(off)
	return l
}

// position is the 1-based line and column of byte offset off.
func (p *parser) position(off int64) (int, int) {
	off = min(max(off, 0), int64(len(p.data)))
	if p.newlines == nil {
		p.newlines = []int64{}
		for i, b := range p.data {
			if b == '\n' {
				p.newlines = append(p.newlines, int64(i))
			}
		}
	}
	// Lines before off: the line breaks at offsets below it.
	n := sort.Search(len(p.newlines), func(i int) bool { return p.newlines[i] >= off })
	start := int64(0)
	if n > 0 {
		start = p.newlines[n-1] + 1
	}
	return n + 1, int(off-start) + 1
}

func (p *parser) problem(off int64, field, msg string) demarc.Problem {
	return demarc.Problem{Pos: demarc.Position{File: p.name, Line: p.line(off)}, Field: field, Message: msg}
}

// header reads the file's framework, name, version and provider.
func (p *parser) header(m *Mapping, top map[string]json.RawMessage) error {
	fields := []struct {
		legacy, current string
		dst             *string
		required        bool
	}{
		{"Framework", "framework", &m.Framework, true},
		{"Name", "name", &m.Name, false},
		{"Version", "version", &m.Version, false},
		{"Provider", "provider", &m.Provider, false},
	}
	for _, f := range fields {
		key := f.legacy
		if m.Shape == ShapeCurrent {
			key = f.current
		}
		raw, ok := top[key]
		if !ok {
			if f.required {
				return demarc.Errorf(demarc.EInvalid, "%s: %s is missing; a Prowler mapping names its framework", p.name, key)
			}
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return demarc.Errorf(demarc.EInvalid, "%s: %s: expected a string", p.name, key)
		}
	}
	if strings.TrimSpace(m.Framework) == "" {
		return demarc.Errorf(demarc.EInvalid, "%s: the framework name is empty", p.name)
	}
	return nil
}

// legacyRequirement is a requirement of the older shape.
type legacyRequirement struct {
	ID         string          `json:"Id"`
	Name       string          `json:"Name"`
	Checks     []string        `json:"Checks"`
	Attributes json.RawMessage `json:"Attributes"`
}

// currentRequirement is a requirement of the newer shape.
type currentRequirement struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Checks     map[string][]string `json:"checks"`
	Attributes json.RawMessage     `json:"attributes"`
}

// attributes reads a requirement's attribute objects: a list of them in
// the older shape, one object in the newer; either is accepted in both.
// field names the attribute key for the error.
func attributes(raw json.RawMessage, field string) ([]map[string]json.RawMessage, error) {
	bad := fmt.Errorf("%s: expected an attribute object or a list of them", field)
	switch t := bytes.TrimLeft(raw, " \t\r\n"); {
	case len(t) == 0 || bytes.HasPrefix(t, []byte("null")):
		return nil, nil
	case t[0] == '{':
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, bad
		}
		return []map[string]json.RawMessage{one}, nil
	case t[0] == '[':
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, bad
		}
		return list, nil
	}
	return nil, bad
}

func (p *parser) requirement(m *Mapping, raw json.RawMessage, path string) (Requirement, error) {
	var r Requirement
	var attrs []map[string]json.RawMessage
	var err error
	switch m.Shape {
	case ShapeLegacy:
		var lr legacyRequirement
		if err := decodeRequirement(raw, &lr); err != nil {
			return r, err
		}
		r = Requirement{ID: lr.ID, Name: lr.Name, Checks: map[string][]string{}}
		if len(lr.Checks) > 0 {
			r.Checks[legacyProvider(m.Provider)] = lr.Checks
		}
		if attrs, err = attributes(lr.Attributes, "Attributes"); err != nil {
			return r, err
		}
	default:
		var cr currentRequirement
		if err := decodeRequirement(raw, &cr); err != nil {
			return r, err
		}
		r = Requirement{ID: cr.ID, Name: cr.Name, Checks: map[string][]string{}}
		for prov, cs := range cr.Checks {
			if len(cs) > 0 {
				r.Checks[prov] = cs
			}
		}
		if attrs, err = attributes(cr.Attributes, "attributes"); err != nil {
			return r, err
		}
	}
	r.ID = strings.TrimSpace(r.ID)
	if r.ID == "" {
		return r, fmt.Errorf("the requirement has no id")
	}
	r.Name = strings.TrimSpace(r.Name)
	for prov, cs := range r.Checks {
		for _, c := range cs {
			if strings.TrimSpace(c) == "" {
				return r, fmt.Errorf("requirement %s lists an empty check name", r.ID)
			}
		}
		sorted := append([]string(nil), cs...)
		sort.Strings(sorted)
		r.Checks[prov] = compact(sorted)
	}
	r.Manual = len(r.Checks) == 0
	r.Section, r.References = fromAttributes(attrs)
	r.Path = path
	return r, nil
}

// decodeRequirement decodes one requirement, saying which field had the
// wrong type. Fields demarc does not use are ignored: Prowler adds
// attributes freely.
func decodeRequirement(raw json.RawMessage, v any) error {
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("%s: expected %s, found a JSON %s", te.Field, expected(te.Type.String()), te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("expected an object, found a JSON %s", te.Value)
	}
	return err
}

func expected(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "[]string":
		return "a list of check names"
	case "map[string][]string":
		return "an object of check lists by provider"
	}
	return goType
}

// fromAttributes takes a requirement's section heading and the ids its
// section maps to in other frameworks. Only those attributes are decoded;
// the others, often long licensed text, are never read.
func fromAttributes(attrs []map[string]json.RawMessage) (string, map[string][]string) {
	var section string
	var refs map[string][]string
	for _, a := range attrs {
		for _, key := range []string{"Section", "Category"} {
			var s string
			if raw, ok := a[key]; ok && section == "" && json.Unmarshal(raw, &s) == nil {
				section = strings.TrimSpace(s)
			}
		}
		for key, raw := range a {
			if !strings.HasSuffix(key, "GuidelineMappings") {
				continue
			}
			var list []struct {
				ReferenceID string   `json:"ReferenceId"`
				Identifiers []string `json:"Identifiers"`
			}
			if json.Unmarshal(raw, &list) != nil {
				continue // a mapping of another shape adds no reference
			}
			for _, m := range list {
				if m.ReferenceID == "" {
					continue
				}
				if refs == nil {
					refs = map[string][]string{}
				}
				refs[m.ReferenceID] = append(refs[m.ReferenceID], m.Identifiers...)
			}
		}
	}
	return section, refs
}

// legacyProvider keys the checks of an older-shape file, which names one
// provider for the whole file.
func legacyProvider(p string) string {
	if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
		return p
	}
	return "any"
}

func mergeChecks(into *Requirement, from Requirement) {
	for prov, cs := range from.Checks {
		all := append(append([]string(nil), into.Checks[prov]...), cs...)
		sort.Strings(all)
		into.Checks[prov] = compact(all)
	}
	into.Manual = len(into.Checks) == 0
}

func compact(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
