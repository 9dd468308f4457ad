package rego

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// YAML is read as conftest reads it, so that policies written for
// conftest see the same input: the YAML 1.1 rules of its YAML library
// (yes/no/on/off and y/n are booleans, 017 is octal, timestamps stay
// strings, a custom tag such as CloudFormation's !Ref keeps only its
// scalar), map keys turned into strings, and every number a float64, as a
// round trip through JSON leaves it. A file is split into documents only
// where a line holds "---" alone.

// yamlDocument is one document of a YAML file and the line it starts on.
type yamlDocument struct {
	value any
	line  int
}

// splitYAML cuts a YAML file into the documents conftest evaluates
// separately, with the line each starts on.
func splitYAML(data []byte) [][]byte {
	newline := []byte("\n")
	if bytes.Contains(data, []byte("\r\n")) {
		newline = []byte("\r\n")
	}
	sep := append(append(append([]byte(nil), newline...), "---"...), newline...)
	parts := bytes.Split(data, sep)
	if bytes.HasPrefix(data, []byte("%")) {
		// A directive belongs to the first document.
		if len(parts) <= 2 {
			return [][]byte{data}
		}
		first := append(append(append([]byte(nil), parts[0]...), sep...), parts[1]...)
		return append([][]byte{first}, parts[2:]...)
	}
	return parts
}

// decodeYAML reads a YAML file into its documents.
func decodeYAML(data []byte) ([]yamlDocument, error) {
	parts := splitYAML(data)
	docs := make([]yamlDocument, 0, len(parts))
	line := 1
	for i, part := range parts {
		v, err := decodeYAMLDocument(part)
		if err != nil {
			if len(parts) > 1 {
				return nil, fmt.Errorf("document %d (line %d): %w", i+1, line, err)
			}
			return nil, err
		}
		docs = append(docs, yamlDocument{value: v, line: line})
		line += bytes.Count(part, []byte("\n")) + 2
	}
	return docs, nil
}

// decodeYAMLDocument reads the first YAML document in data.
func decodeYAMLDocument(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	d := yamlDecoder{limit: maxYAMLNodes(len(data))}
	v, err := d.value(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	return finishYAML(v), nil
}

// maxYAMLDepth bounds nesting, which aliases could otherwise make endless.
const maxYAMLDepth = 200

// yamlDecoder turns YAML nodes into JSON-like values.
type yamlDecoder struct {
	// nodes counts the nodes visited, so that aliases cannot make a
	// small file expand without bound; limit is where it stops.
	nodes, limit int
}

// maxYAMLNodes bounds the values a document of size bytes may expand to
// through aliases: far more than any real document holds.
func maxYAMLNodes(size int) int { return 100_000 + 50*size }

func (d *yamlDecoder) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, lineError(n, "nested more than %d levels deep", maxYAMLDepth)
	}
	d.nodes++
	if d.nodes > d.limit {
		return nil, lineError(n, "aliases expand the document to more than %d values", d.limit)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return d.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		if err := d.mapping(n, out, depth); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0], depth+1)
	}
	return nil, lineError(n, "unexpected YAML node")
}

// mapping fills out with the entries of n in order, so that a later key
// replaces an earlier one and a merge key ("<<") sets the merged entries
// where it stands.
func (d *yamlDecoder) mapping(n *yaml.Node, out map[string]any, depth int) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			if err := d.merge(v, out, depth); err != nil {
				return err
			}
			continue
		}
		key, err := d.key(k, depth)
		if err != nil {
			return err
		}
		val, err := d.value(v, depth+1)
		if err != nil {
			return err
		}
		out[key] = val
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 &&
		(k.Style&yaml.TaggedStyle == 0 || k.Tag == "!!merge")
}

// merge sets the entries of a merged mapping, or of a list of them with
// the earlier ones taking precedence.
func (d *yamlDecoder) merge(v *yaml.Node, out map[string]any, depth int) error {
	target := v
	if target.Kind == yaml.AliasNode {
		target = target.Alias
	}
	switch target.Kind {
	case yaml.MappingNode:
		return d.mapping(target, out, depth+1)
	case yaml.SequenceNode:
		for i := len(target.Content) - 1; i >= 0; i-- {
			m := target.Content[i]
			if m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			if m.Kind != yaml.MappingNode {
				return lineError(v, "a merge (<<) takes a mapping or a list of mappings")
			}
			if err := d.mapping(m, out, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return lineError(v, "a merge (<<) takes a mapping or a list of mappings")
}

// key turns a mapping key into the string JSON needs, as conftest's YAML
// library does: numbers and booleans are written out, other keys are
// errors.
func (d *yamlDecoder) key(k *yaml.Node, depth int) (string, error) {
	if k.Kind != yaml.ScalarNode && k.Kind != yaml.AliasNode {
		return "", lineError(k, "a mapping key must be a string, number or boolean")
	}
	v, err := d.value(k, depth+1)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case jsonNumber:
		if x.integer {
			return strconv.FormatInt(x.int, 10), nil
		}
		return formatKeyFloat(x.float), nil
	}
	return "", lineError(k, "a mapping key must be a string, number or boolean")
}

func formatKeyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	return strconv.FormatFloat(f, 'g', -1, 32)
}

// number is a YAML number before it becomes a float64: keys write
// integers and floats differently.
type number struct {
	integer bool
	int     int64
	float   float64
}

// scalar resolves one scalar node under YAML 1.1 rules and returns a
// string, bool, nil or float64 (a number within a key: see key).
func scalar(n *yaml.Node) (any, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 && n.Style&yaml.TaggedStyle == 0 {
		return n.Value, nil
	}
	tag := ""
	if n.Style&yaml.TaggedStyle != 0 {
		tag = n.Tag
	}
	switch tag {
	case "", "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
	case "!!str", "!":
		return n.Value, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, lineError(n, "!!binary value is not base64")
		}
		return string(b), nil
	default:
		// A tag of another schema, such as CloudFormation's !Ref or
		// !GetAtt, leaves the scalar as written.
		return n.Value, nil
	}
	v, resolved := resolveYAML11(n.Value)
	if tag != "" && tag != resolved && (tag != "!!float" || resolved != "!!int") && tag != "!!timestamp" {
		return nil, lineError(n, "cannot read %q as %s", n.Value, tag)
	}
	x, ok := v.(number)
	if !ok {
		return v, nil
	}
	if tag == "!!float" && x.integer {
		x = number{float: float64(x.int)}
	}
	if !x.integer && (math.IsInf(x.float, 0) || math.IsNaN(x.float)) {
		return nil, lineError(n, "%s is not a number JSON can hold", n.Value)
	}
	return jsonNumber{x}, nil
}

// jsonNumber marks a resolved number; finish turns it into a float64 and
// key reads it as written.
type jsonNumber struct{ number }

var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

var yaml11Words = map[string]any{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"false": false, "False": false, "FALSE": false,
	"off": false, "Off": false, "OFF": false,
	"": nil, "~": nil, "null": nil, "Null": nil, "NULL": nil,
	".nan": number{float: math.NaN()}, ".NaN": number{float: math.NaN()}, ".NAN": number{float: math.NaN()},
	".inf": number{float: math.Inf(1)}, ".Inf": number{float: math.Inf(1)}, ".INF": number{float: math.Inf(1)},
	"+.inf": number{float: math.Inf(1)}, "+.Inf": number{float: math.Inf(1)}, "+.INF": number{float: math.Inf(1)},
	"-.inf": number{float: math.Inf(-1)}, "-.Inf": number{float: math.Inf(-1)}, "-.INF": number{float: math.Inf(-1)},
}

// resolveYAML11 reads a plain scalar as YAML 1.1 does and returns the
// value with its tag. Timestamps are recognised but stay strings.
func resolveYAML11(s string) (any, string) {
	if v, ok := yaml11Words[s]; ok {
		switch v.(type) {
		case bool:
			return v, "!!bool"
		case nil:
			return nil, "!!null"
		}
		return v, "!!float"
	}
	if s == "" {
		return nil, "!!null"
	}
	switch c := s[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return number{float: f}, "!!float"
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		return resolveNumber(s)
	}
	return s, "!!str"
}

func resolveNumber(s string) (any, string) {
	if isTimestamp(s) {
		return s, "!!timestamp"
	}
	plain := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return number{integer: true, int: i}, "!!int"
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return number{float: float64(u)}, "!!int"
	}
	if yamlFloat.MatchString(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return number{float: f}, "!!float"
		}
	}
	if rest, ok := strings.CutPrefix(plain, "-0b"); ok {
		if i, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
			return number{integer: true, int: i}, "!!int"
		}
	}
	return s, "!!str"
}

// timestampLayouts are the forms YAML 1.1 timestamps are recognised in.
var timestampLayouts = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func isTimestamp(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range timestampLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// finishYAML replaces the numbers of a decoded document by float64.
func finishYAML(v any) any {
	switch x := v.(type) {
	case jsonNumber:
		if x.integer {
			return float64(x.int)
		}
		return x.float
	case []any:
		for i := range x {
			x[i] = finishYAML(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = finishYAML(e)
		}
	}
	return v
}

// lineError is an error at the line of node n.
func lineError(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}
