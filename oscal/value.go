package oscal

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "object", "array"}[k]
}

// value is one node of a parsed document: the JSON data model with the line
// each value starts on, so that every finding can name its place. Both JSON
// and YAML input become values; schema validation and the cross-reference
// checks read nothing else.
type value struct {
	kind kind
	// str holds a string, the text of a number, or "true"/"false".
	str string
	// keys and items hold an object's member names and values in order,
	// or an array's elements (keys nil).
	keys  []string
	items []*value
	line  int32
}

// get returns the member named key of an object, or nil.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kindObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.items[i]
		}
	}
	return nil
}

// text returns the string of a string value, or "".
func (v *value) text() string {
	if v == nil || v.kind != kindString {
		return ""
	}
	return v.str
}

// isString reports whether v is a string value.
func (v *value) isString() bool { return v != nil && v.kind == kindString }

// list returns the elements of an array value, or nil.
func (v *value) list() []*value {
	if v == nil || v.kind != kindArray {
		return nil
	}
	return v.items
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
// OSCAL documents nest about twenty levels deep.
const maxDepth = 200

// slab hands out values in blocks: a catalog has hundreds of thousands of
// them, and one allocation per value would dominate parsing.
type slab struct{ free []value }

func (s *slab) new() *value {
	if len(s.free) == 0 {
		s.free = make([]value, 1024)
	}
	v := &s.free[0]
	s.free = s.free[1:]
	return v
}

// lineCol returns the 1-based line and column of byte offset off in s.
func lineCol(s string, off int) (int, int) {
	off = min(max(off, 0), len(s))
	before := s[:off]
	return strings.Count(before, "\n") + 1, off - strings.LastIndexByte(before, '\n')
}

// parseYAML parses one YAML document into values. YAML that has no JSON
// equivalent (keys that are not strings, several documents) is an error;
// aliases are expanded within a budget.
func parseYAML(name string, data []byte) (*value, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, problemAt(name, 0, "", "the file is empty; expected an OSCAL document")
		}
		return nil, yamlSyntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		line := extra.Line
		if err != nil {
			return nil, yamlSyntaxError(name, err)
		}
		return nil, problemAt(name, line, "", "a second YAML document follows; expected exactly one OSCAL document per file")
	}
	if len(doc.Content) == 0 {
		return nil, problemAt(name, 0, "", "the file is empty; expected an OSCAL document")
	}
	c := yamlConverter{name: name, budget: maxYAMLValues}
	return c.convert(doc.Content[0], 0, nil)
}

// maxYAMLValues bounds the values reached through aliases, so that a small
// file of nested aliases cannot expand into billions of values. NIST's
// full SP 800-53 catalog has about 55,000.
const maxYAMLValues = 1 << 20

type yamlConverter struct {
	name   string
	budget int
	slab   slab
}

func (c *yamlConverter) convert(n *yaml.Node, depth int, path []string) (*value, error) {
	if depth > maxDepth {
		return nil, problemAt(c.name, n.Line, joinPath(path), fmt.Sprintf("nesting deeper than %d levels", maxDepth))
	}
	if c.budget--; c.budget < 0 {
		return nil, problemAt(c.name, n.Line, joinPath(path), fmt.Sprintf("more than %d values once aliases are expanded", maxYAMLValues))
	}
	if n.Kind == yaml.AliasNode {
		return c.convert(n.Alias, depth+1, path)
	}
	v := c.slab.new()
	v.line = int32(n.Line)
	switch n.Kind {
	case yaml.MappingNode:
		v.kind = kindObject
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, problemAt(c.name, k.Line, joinPath(path), "a mapping key must be a plain string")
			}
			if seen[k.Value] {
				return nil, problemAt(c.name, k.Line, joinPath(path), fmt.Sprintf("duplicate key %q", k.Value))
			}
			seen[k.Value] = true
			item, err := c.convert(n.Content[i+1], depth+1, append(path, k.Value))
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k.Value)
			v.items = append(v.items, item)
		}
	case yaml.SequenceNode:
		v.kind = kindArray
		for i, e := range n.Content {
			item, err := c.convert(e, depth+1, append(path, "["+strconv.Itoa(i)+"]"))
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
	default:
		v.kind, v.str = yamlScalar(n)
	}
	return v, nil
}

// yamlScalar types a scalar the way a JSON reader would: a YAML timestamp
// or an unquoted date stays a string, as OSCAL dates are strings.
func yamlScalar(n *yaml.Node) (kind, string) {
	switch n.ShortTag() {
	case "!!null":
		return kindNull, ""
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return kindBool, strconv.FormatBool(b)
		}
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) == nil {
			if t := strings.TrimPrefix(n.Value, "+"); isJSONNumber(t) {
				return kindNumber, t
			}
			return kindNumber, strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return kindString, n.Value
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	n, ok := scanNumber(s, 0)
	return ok && n == len(s)
}

var yamlLine = strings.NewReplacer("yaml: ", "")

func yamlSyntaxError(name string, err error) error {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return problemAt(name, line, "", "invalid YAML: "+yamlLine.Replace(msg))
}

func joinPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if !strings.HasPrefix(p, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// problemAt returns an EInvalid error holding one problem.
func problemAt(file string, line int, field, msg string) error {
	return demarc.Problems{{Pos: demarc.Position{File: file, Line: line}, Field: field, Message: msg}}.Err()
}
