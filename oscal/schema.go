package oscal

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A schemaNode is one compiled JSON Schema (draft-07) of the subset the
// OSCAL schemas use: type, properties, additionalProperties false,
// required, items, minItems, enum, pattern, format, minimum, allOf, anyOf,
// oneOf and $ref. Compiling the official schema into these nodes once, and
// checking values with plain code, makes validating a 4 MB catalog several
// times faster than a general-purpose JSON Schema engine; the tests check
// that both agree on every reference file.
type schemaNode struct {
	// name is the definition this node was compiled from ("" inside one).
	name string
	// datatype, for the OSCAL datatypes, says in words what a value must
	// look like; a failure inside a datatype is reported with it.
	datatype string

	ref *schemaNode

	types    typeSet
	props    map[string]*schemaNode
	fields   []string // the names in props, sorted, for messages
	closed   bool     // additionalProperties: false
	required []string
	items    *schemaNode
	minItems int
	enum     []string
	hasEnum  bool
	pattern  *stringCheck
	format   *stringCheck
	minimum  float64
	hasMin   bool
	multiple float64 // multipleOf, 0 for none
	maxProps int     // maxProperties, -1 for none
	allOf    []*schemaNode
	anyOf    []*schemaNode
	oneOf    []*schemaNode
}

// typeSet is a set of JSON types; typeInteger narrows number.
type typeSet uint8

const (
	typeNull typeSet = 1 << iota
	typeBool
	typeNumber
	typeInteger
	typeString
	typeObject
	typeArray
)

var typeNames = map[string]typeSet{
	"null": typeNull, "boolean": typeBool, "number": typeNumber, "integer": typeInteger,
	"string": typeString, "object": typeObject, "array": typeArray,
}

func (t typeSet) String() string {
	var names []string
	for _, n := range []string{"null", "boolean", "number", "integer", "string", "object", "array"} {
		if t&typeNames[n] != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, " or ")
}

// stringCheck is a pattern or format: a test on string values.
type stringCheck struct {
	source string // the pattern or the format name
	match  func(string) bool
}

// annotations are keywords that do not constrain values.
var annotations = map[string]bool{
	"title": true, "description": true, "$comment": true, "$schema": true, "$id": true,
	"contentEncoding": true, "definitions": true,
}

// schemaCompiler turns a schema document into nodes. Every keyword it does
// not know is an error: a schema that uses one must not silently pass
// values it would reject.
type schemaCompiler struct {
	root    map[string]any
	anchors map[string]string // "#assembly_…" → "/definitions/…"
	byPtr   map[string]*schemaNode
}

// compileSchema compiles every definition of an OSCAL JSON schema document
// and its root, and returns the compiler, which holds them by pointer.
func compileSchema(doc map[string]any) (*schemaCompiler, error) {
	c := &schemaCompiler{root: doc, anchors: map[string]string{}, byPtr: map[string]*schemaNode{}}
	defs, _ := doc["definitions"].(map[string]any)
	for name, d := range defs {
		if m, ok := d.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok && strings.HasPrefix(id, "#") && !strings.HasPrefix(id, "#/") {
				c.anchors[id] = "/definitions/" + escapePointer(name)
			}
		}
	}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := c.at("/definitions/" + escapePointer(name)); err != nil {
			return nil, err
		}
	}
	if _, err := c.at(""); err != nil {
		return nil, err
	}
	c.labelInlineDatatypes()
	return c, nil
}

// labelInlineDatatypes gives a field that repeats a datatype's pattern
// inline, instead of referring to the datatype (OSCAL 1.0 and 1.1 schemas
// do this), the datatype's description.
func (c *schemaCompiler) labelInlineDatatypes() {
	byPattern := map[string]string{}
	for name, desc := range datatypes {
		def := c.definition(name)
		if def == nil {
			continue
		}
		for _, n := range append([]*schemaNode{def}, def.allOf...) {
			if n.pattern != nil {
				byPattern[n.pattern.source] = desc
			}
		}
	}
	for _, n := range c.byPtr {
		if n.datatype == "" && n.pattern != nil && !n.hasEnum && n.props == nil && n.items == nil {
			n.datatype = byPattern[n.pattern.source]
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// definition returns the compiled definition with the given name, or nil.
func (c *schemaCompiler) definition(name string) *schemaNode {
	return c.byPtr["/definitions/"+escapePointer(name)]
}

// at compiles the schema at a JSON pointer into the document, once.
func (c *schemaCompiler) at(ptr string) (*schemaNode, error) {
	if n, ok := c.byPtr[ptr]; ok {
		return n, nil
	}
	raw, err := c.lookup(ptr)
	if err != nil {
		return nil, err
	}
	n := &schemaNode{maxProps: -1}
	c.byPtr[ptr] = n // before compiling, so that recursive references end here
	if name, ok := strings.CutPrefix(ptr, "/definitions/"); ok && !strings.Contains(name, "/") {
		n.name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	}
	if err := c.compile(n, raw, ptr); err != nil {
		return nil, err
	}
	n.datatype = datatypes[n.name]
	return n, nil
}

func (c *schemaCompiler) lookup(ptr string) (map[string]any, error) {
	var cur any = c.root
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch m := cur.(type) {
			case map[string]any:
				cur = m[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(m) {
					return nil, fmt.Errorf("schema pointer %q: no element %q", ptr, tok)
				}
				cur = m[i]
			default:
				return nil, fmt.Errorf("schema pointer %q does not exist", ptr)
			}
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema pointer %q: expected a schema object", ptr)
	}
	return m, nil
}

func (c *schemaCompiler) compile(n *schemaNode, raw map[string]any, ptr string) error {
	if ref, ok := raw["$ref"].(string); ok {
		// Draft-07: the siblings of $ref are ignored.
		target, err := c.resolveRef(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", ptr, err)
		}
		n.ref, err = c.at(target)
		return err
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := c.keyword(n, k, raw[k], ptr+"/"+escapePointer(k)); err != nil {
			return fmt.Errorf("%s: %w", ptr+"/"+k, err)
		}
	}
	return nil
}

func (c *schemaCompiler) resolveRef(ref string) (string, error) {
	switch {
	case ref == "#":
		return "", nil
	case strings.HasPrefix(ref, "#/"):
		return ref[1:], nil
	case strings.HasPrefix(ref, "#"):
		if p, ok := c.anchors[ref]; ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("unresolvable $ref %q", ref)
}

func (c *schemaCompiler) keyword(n *schemaNode, k string, v any, ptr string) error {
	var err error
	switch k {
	case "type":
		n.types, err = compileTypes(v)
	case "properties":
		err = c.properties(n, v, ptr)
	case "additionalProperties":
		if b, ok := v.(bool); ok {
			n.closed = !b
			return nil
		}
		return fmt.Errorf("only a boolean additionalProperties is supported")
	case "required":
		n.required, err = stringList(v)
	case "items":
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("only a single schema for items is supported")
		}
		n.items, err = c.at(ptr)
	case "minItems":
		var f float64
		f, err = number(v)
		n.minItems = int(f)
	case "enum":
		n.enum, err = stringList(v)
		n.hasEnum = true
	case "pattern":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("pattern must be a string")
		}
		n.pattern, err = compilePattern(s)
	case "format":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("format must be a string")
		}
		n.format = formats[s]
		if n.format == nil {
			return fmt.Errorf("unknown format %q", s)
		}
	case "minimum":
		n.minimum, err = number(v)
		n.hasMin = true
	case "multipleOf":
		n.multiple, err = number(v)
		if err == nil && n.multiple <= 0 {
			err = fmt.Errorf("multipleOf must be positive")
		}
	case "maxProperties":
		var f float64
		f, err = number(v)
		n.maxProps = int(f)
	case "allOf":
		n.allOf, err = c.list(v, ptr)
	case "anyOf":
		n.anyOf, err = c.list(v, ptr)
	case "oneOf":
		n.oneOf, err = c.list(v, ptr)
	default:
		if !annotations[k] {
			return fmt.Errorf("unsupported schema keyword %q", k)
		}
	}
	return err
}

func compileTypes(v any) (typeSet, error) {
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return 0, fmt.Errorf("type must name JSON types")
			}
			names = append(names, s)
		}
	default:
		return 0, fmt.Errorf("type must be a string or a list")
	}
	var ts typeSet
	for _, name := range names {
		t, ok := typeNames[name]
		if !ok {
			return 0, fmt.Errorf("unknown type %q", name)
		}
		ts |= t
	}
	return ts, nil
}

func (c *schemaCompiler) properties(n *schemaNode, v any, ptr string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("properties must be an object")
	}
	n.props = make(map[string]*schemaNode, len(m))
	for name := range m {
		p, err := c.at(ptr + "/" + escapePointer(name))
		if err != nil {
			return err
		}
		n.props[name] = p
		n.fields = append(n.fields, name)
	}
	sort.Strings(n.fields)
	return nil
}

func (c *schemaCompiler) list(v any, ptr string) ([]*schemaNode, error) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, fmt.Errorf("expected a non-empty list of schemas")
	}
	out := make([]*schemaNode, len(l))
	for i := range l {
		s, err := c.at(ptr + "/" + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of strings")
	}
	out := make([]string, len(l))
	for i, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("expected a list of strings, got %v", e)
		}
		out[i] = s
	}
	return out, nil
}

func number(v any) (float64, error) {
	switch n := v.(type) {
	case json.Number:
		return n.Float64()
	case float64:
		return n, nil
	case int:
		return float64(n), nil
	}
	return math.NaN(), fmt.Errorf("expected a number, got %v", v)
}

// compilePattern returns the check for a pattern: hand-written for the
// patterns every OSCAL string passes through, regexp for the rest. Go's
// regexp syntax is the reference for both (\s is ASCII whitespace, '.'
// stops at a newline).
func compilePattern(p string) (*stringCheck, error) {
	if f, ok := fastPatterns[p]; ok {
		return &stringCheck{source: p, match: f}, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	return &stringCheck{source: p, match: re.MatchString}, nil
}
