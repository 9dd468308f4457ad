package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// yamlDoc is one document of a YAML stream.
type yamlDoc struct {
	root *yaml.Node // the document's top-level value; never nil
}

// yamlStream parses every document of a YAML stream. Empty documents are
// dropped. A syntax error ends the stream: the documents before it are
// returned with the error, so that a caller can keep them.
func yamlStream(file string, data []byte) ([]yamlDoc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []yamlDoc
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, yamlProblems(file, err).Err()
		}
		if len(n.Content) == 0 || isNullNode(n.Content[0]) {
			continue
		}
		docs = append(docs, yamlDoc{root: n.Content[0]})
	}
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlProblems turns a yaml error into problems at their lines. The
// parser's messages describe the syntax, not the values.
func yamlProblems(file string, err error) demarc.Problems {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var ps demarc.Problems
	for _, msg := range msgs {
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1]) // an absent line stays 0: unknown
			msg = m[2]
		}
		ps = append(ps, demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Message: "invalid YAML: " + msg})
	}
	return ps
}

// yamlConverter turns YAML nodes into JSON-like values. tag, when set,
// converts a node with a local tag (CloudFormation's !Ref …).
type yamlConverter struct {
	file    string
	budget  int
	tag     func(c *yamlConverter, n *yaml.Node, depth int) (any, error)
	anchors map[*yaml.Node]anchored
}

// anchored is the converted value of an anchored node, shared by every
// alias to it, and the number of values it holds.
type anchored struct {
	v any
	n int
}

// maxYAMLValues bounds the values one document may expand into through
// aliases, so that a small file of nested aliases cannot make a value
// that takes the memory, or the time, of whoever walks it.
const maxYAMLValues = 1 << 20

func newYAMLConverter(file string) *yamlConverter {
	return &yamlConverter{file: file, budget: maxYAMLValues}
}

func (c *yamlConverter) errorf(n *yaml.Node, format string, args ...any) error {
	return demarc.Problems{{Pos: demarc.Position{File: c.file, Line: n.Line}, Message: fmt.Sprintf(format, args...)}}.Err()
}

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, c.errorf(n, "nesting deeper than %d levels", maxValueDepth)
	}
	if c.budget--; c.budget < 0 {
		return nil, c.errorf(n, "more than %d values once aliases are expanded", maxYAMLValues)
	}
	if c.tag != nil && strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return c.tag(c, n, depth)
	}
	if n.Anchor != "" {
		return c.anchor(n, depth)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n, "alias to nothing")
		}
		return c.value(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return scalar(n), nil
}

// anchor converts an anchored node once; an alias to it shares the value
// but still counts all its values against the budget.
func (c *yamlConverter) anchor(n *yaml.Node, depth int) (any, error) {
	if a, ok := c.anchors[n]; ok {
		if c.budget -= a.n; c.budget < 0 {
			return nil, c.errorf(n, "more than %d values once aliases are expanded", maxYAMLValues)
		}
		return a.v, nil
	}
	before := c.budget
	plain := *n
	plain.Anchor = ""
	v, err := c.value(&plain, depth)
	if err != nil {
		return nil, err
	}
	if c.anchors == nil {
		c.anchors = map[*yaml.Node]anchored{}
	}
	c.anchors[n] = anchored{v: v, n: before - c.budget}
	return v, nil
}

func (c *yamlConverter) mapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.errorf(k, "mapping key is a %s; expected a plain key", kindName(k))
		}
		val, err := c.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	for _, m := range merges {
		if err := c.merge(out, m, depth); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge applies a YAML merge key (<<: *base): keys already set win.
func (c *yamlConverter) merge(out map[string]any, m *yaml.Node, depth int) error {
	v, err := c.value(m, depth+1)
	if err != nil {
		return err
	}
	sources := []any{v}
	if l, ok := v.([]any); ok {
		sources = l
	}
	for _, s := range sources {
		sm, ok := s.(map[string]any)
		if !ok {
			return c.errorf(m, "merge key (<<) needs a mapping or a list of mappings")
		}
		for k, e := range sm {
			if _, set := out[k]; !set {
				out[k] = e
			}
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// scalar converts a scalar to the model's value kinds.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return wholeNumber(f)
		}
	}
	return n.Value
}

// topKeysOf lists the keys of a mapping node.
func topKeysOf(n *yaml.Node) []string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	keys := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
