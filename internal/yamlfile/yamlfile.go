// Package yamlfile reads YAML input files so that every defect is reported
// with its file, line and field: syntax errors from the parser, shape errors
// from a JSON Schema, and the positions of decoded entries for later checks.
package yamlfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// Doc is a parsed YAML document and the file it came from.
type Doc struct {
	File string
	Root *yaml.Node // the document's top-level value
}

var lineInMessage = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// Parse parses one YAML document. A syntax error becomes a demarc.Problems
// error naming the file and line; an empty file is an error too.
func Parse(file string, data []byte) (*Doc, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return nil, demarc.Problems{{Pos: demarc.Position{File: file}, Message: "file is empty; expected a YAML mapping"}}.Err()
		}
		return nil, syntaxProblem(file, err).Err()
	}
	if len(root.Content) == 0 {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file}, Message: "file is empty; expected a YAML mapping"}}.Err()
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: top.Line}, Message: "expected a YAML mapping at the top of the file"}}.Err()
	}
	return &Doc{File: file, Root: top}, nil
}

func syntaxProblem(file string, err error) demarc.Problems {
	msg := err.Error()
	if m := lineInMessage.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1]) // an absent line stays 0: unknown
		return demarc.Problems{{Pos: demarc.Position{File: file, Line: line}, Message: "invalid YAML: " + m[2]}}
	}
	return demarc.Problems{{Pos: demarc.Position{File: file}, Message: "invalid YAML: " + msg}}
}

// Validate checks the document against schema and returns one problem per
// failing leaf, each at the line of the value it concerns.
func (d *Doc) Validate(schema *jsonschema.Schema) demarc.Problems {
	budget := maxNodes
	v, err := toJSONValue(d.Root, 0, &budget)
	if err != nil {
		return demarc.Problems{{Pos: demarc.Position{File: d.File, Line: d.Root.Line}, Message: err.Error()}}
	}
	err = schema.Validate(v)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return demarc.Problems{{Pos: demarc.Position{File: d.File}, Message: err.Error()}}
	}
	var ps demarc.Problems
	for _, leaf := range leaves(verr) {
		ps = append(ps, d.problemAt(leaf))
	}
	return dedupe(ps)
}

// Decode decodes the document into v. Call Validate first: Decode reports
// type errors with their line but does not check unknown fields.
func (d *Doc) Decode(v any) error {
	if err := d.Root.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var ps demarc.Problems
			for _, e := range te.Errors {
				ps = append(ps, typeProblem(d.File, e))
			}
			return ps.Err()
		}
		return syntaxProblem(d.File, err).Err()
	}
	return nil
}

var lineInTypeError = regexp.MustCompile(`^line (\d+): (.*)$`)

func typeProblem(file, msg string) demarc.Problem {
	if m := lineInTypeError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1]) // the pattern guarantees digits
		return demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Message: m[2]}
	}
	return demarc.Problem{Pos: demarc.Position{File: file}, Message: msg}
}

// Pos returns the position of the value at path, a sequence of mapping keys
// (string) and sequence indexes (int). A path that does not exist yields
// the position of its deepest existing prefix.
func (d *Doc) Pos(path ...any) demarc.Position {
	return demarc.Position{File: d.File, Line: nodeAt(d.Root, path).Line}
}

func nodeAt(n *yaml.Node, path []any) *yaml.Node {
	for _, step := range path {
		next := child(n, step)
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, step any) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s >= 0 && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}

func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack,
// and maxNodes bounds the values reached through aliases, so that a small
// file of nested aliases cannot expand into billions of values.
const (
	maxDepth = 64
	maxNodes = 1 << 20
)

func toJSONValue(n *yaml.Node, depth int, budget *int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", maxDepth)
	}
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("more than %d values once aliases are expanded", maxNodes)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return toJSONValue(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := toJSONValue(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSONValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	return scalarValue(n), nil
}

func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	return n.Value
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func (d *Doc) problemAt(e *jsonschema.ValidationError) demarc.Problem {
	path := make([]any, len(e.InstanceLocation))
	for i, tok := range e.InstanceLocation {
		if n, err := strconv.Atoi(tok); err == nil {
			path[i] = n
		} else {
			path[i] = tok
		}
	}
	n := nodeAt(d.Root, path)
	p := demarc.Problem{Pos: demarc.Position{File: d.File, Line: n.Line}, Field: fieldPath(e.InstanceLocation)}
	p.Message = describe(e)
	if ap, ok := additional(e); ok && len(ap) > 0 {
		if k := keyNode(n, ap[0]); k != nil {
			p.Pos.Line = k.Line
		}
	}
	return p
}

// fieldPath renders an instance location as components[2].service.
func fieldPath(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func dedupe(ps demarc.Problems) demarc.Problems {
	seen := map[string]bool{}
	var out demarc.Problems
	for _, p := range ps {
		k := p.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// CompileSchema compiles a JSON Schema given as text under the id url.
func CompileSchema(url, text string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", url, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("add schema %s: %w", url, err)
	}
	return c.Compile(url)
}

// ParseAt parses one document that starts at line first of file (as when
// cut from a multi-document stream), so that every reported line counts
// from the start of the file.
func ParseAt(file string, data []byte, first int) (*Doc, error) {
	doc, err := Parse(file, data)
	off := first - 1
	if off <= 0 {
		return doc, err
	}
	if err != nil {
		var ps demarc.Problems
		if errors.As(err, &ps) {
			for i := range ps {
				if ps[i].Pos.Line > 0 {
					ps[i].Pos.Line += off
				}
			}
		}
		return nil, err
	}
	shiftLines(doc.Root, off, 0)
	return doc, nil
}

func shiftLines(n *yaml.Node, off, depth int) {
	if depth > maxDepth {
		return
	}
	n.Line += off
	for _, c := range n.Content {
		shiftLines(c, off, depth+1)
	}
}
