package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// parseCloudFormationYAML reads a CloudFormation or SAM template written
// in YAML, short-form intrinsics (!Ref, !Sub, !GetAtt …) included.
func parseCloudFormationYAML(file string, doc yamlDoc) (*parsed, error) {
	c := newYAMLConverter(file)
	c.tag = cfnTag
	v, err := c.value(doc.root, 0)
	if err != nil {
		return nil, err
	}
	lines := map[string]int{}
	if res := mapValue(doc.root, "Resources"); res != nil && res.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(res.Content); i += 2 {
			lines[res.Content[i].Value] = res.Content[i].Line
		}
	}
	return parseCloudFormation(file, v, lines)
}

// parseCloudFormationJSON reads a CloudFormation template written in JSON.
func parseCloudFormationJSON(file string, data []byte) (*parsed, error) {
	var v any
	if err := decodeJSON(file, data, &v); err != nil {
		return nil, err
	}
	return parseCloudFormation(file, normalize(v), memberLines(data, "Resources"))
}

// cfnTag converts a short-form intrinsic into its long form: !Ref X is
// {"Ref": "X"}, !GetAtt A.B is {"Fn::GetAtt": ["A", "B"]}, !Sub s is
// {"Fn::Sub": s}, and so on for every !Name.
func cfnTag(c *yamlConverter, n *yaml.Node, depth int) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	var arg any
	switch n.Kind {
	case yaml.ScalarNode:
		arg = n.Value
	case yaml.MappingNode, yaml.SequenceNode:
		untagged := *n
		untagged.Tag = ""
		v, err := c.value(&untagged, depth+1)
		if err != nil {
			return nil, err
		}
		arg = v
	default:
		return nil, c.errorf(n, "!%s needs a value", name)
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: arg}, nil
	case "GetAtt":
		if s, ok := arg.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			arg = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + name: arg}, nil
}

// cfnTemplate evaluates the intrinsic functions of one template.
type cfnTemplate struct {
	file       string
	params     map[string]cfnParam
	mappings   map[string]any
	conditions map[string]any
	condValue  map[string]tri
	resources  map[string]any
	problems   demarc.Problems
}

type cfnParam struct {
	value  any // nil when the parameter has no usable default
	noEcho bool
}

// tri is a condition's value when it may be unknown.
type tri int8

const (
	triUnknown tri = iota
	triFalse
	triTrue
	triPending // being evaluated: a cycle
)

// parseCloudFormation turns a decoded template into resources: one per
// entry of Resources, its Properties resolved as far as the template
// alone allows. Parameters take their defaults; a parameter without one,
// a resource's own attributes (Ref to a resource, GetAtt), the stack's
// account and region, imports and SSM parameters are unknown. A resource
// whose Condition is false is left out.
func parseCloudFormation(file string, v any, lines map[string]int) (*parsed, error) {
	top, ok := v.(map[string]any)
	if !ok {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: 1}, Message: "expected a CloudFormation template: a mapping with a Resources section"}}.Err()
	}
	resources, ok := top["Resources"].(map[string]any)
	if !ok {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: 1}, Field: "Resources",
			Message: "missing or not a mapping; expected the template's resources by logical id"}}.Err()
	}
	t := &cfnTemplate{
		file:       file,
		params:     cfnParams(asMap(top["Parameters"])),
		mappings:   asMap(top["Mappings"]),
		conditions: asMap(top["Conditions"]),
		condValue:  map[string]tri{},
		resources:  resources,
	}
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if lines[a] != lines[b] {
			return lines[a] - lines[b]
		}
		return strings.Compare(a, b)
	})
	p := &parsed{}
	index := map[string]int{}
	var deps [][]string
	for _, id := range ids {
		r, refs, ok := t.resource(id, lines[id])
		if !ok {
			continue
		}
		index[id] = len(p.resources)
		p.resources = append(p.resources, r)
		deps = append(deps, refs)
	}
	for i, refs := range deps {
		for _, to := range refs {
			if j, ok := index[to]; ok {
				p.refs = append(p.refs, ref{from: i, to: p.resources[j].ID})
			}
		}
	}
	p.problems = t.problems
	return p, nil
}

func cfnParams(defs map[string]any) map[string]cfnParam {
	out := make(map[string]cfnParam, len(defs))
	for name, d := range defs {
		def := asMap(d)
		typ := str(def["Type"])
		p := cfnParam{noEcho: def["NoEcho"] == true || def["NoEcho"] == "true"}
		if val, ok := def["Default"]; ok && !strings.HasPrefix(typ, "AWS::SSM::Parameter::Value") {
			if strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" {
				if s, isStr := val.(string); isStr {
					parts := strings.Split(s, ",")
					list := make([]any, len(parts))
					for i, part := range parts {
						list[i] = strings.TrimSpace(part)
					}
					val = list
				}
			}
			p.value = val
		}
		out[name] = p
	}
	return out
}

func (t *cfnTemplate) problem(line int, field, format string, args ...any) {
	t.problems = append(t.problems, demarc.Problem{Pos: demarc.Position{File: t.file, Line: line}, Field: field, Message: fmt.Sprintf(format, args...)})
}

// resource evaluates one resource; ok is false when it is left out.
func (t *cfnTemplate) resource(id string, line int) (demarc.Resource, []string, bool) {
	field := "Resources." + id
	def, isMap := t.resources[id].(map[string]any)
	if !isMap {
		t.problem(line, field, "expected a mapping with Type and Properties; resource skipped")
		return demarc.Resource{}, nil, false
	}
	typ, isStr := def["Type"].(string)
	if !isStr || typ == "" {
		t.problem(line, field+".Type", "missing; expected a resource type such as AWS::S3::Bucket; resource skipped")
		return demarc.Resource{}, nil, false
	}
	if cond, ok := def["Condition"].(string); ok && t.condition(cond, line) == triFalse {
		return demarc.Resource{}, nil, false
	}
	ev := &cfnEval{t: t, line: line, field: field + ".Properties"}
	attrs := map[string]any{}
	if props, present := def["Properties"]; present && props != nil {
		v := ev.eval(props, 0)
		switch m := v.(type) {
		case map[string]any:
			attrs = ev.finish(m)
		case cfnUnknown:
			ev.unknown = append(ev.unknown, "")
		default:
			t.problem(line, field+".Properties", "expected a mapping of properties")
		}
	}
	refs := ev.refs
	switch d := def["DependsOn"].(type) {
	case string:
		refs = append(refs, d)
	case []any:
		for _, e := range d {
			if s, ok := e.(string); ok {
				refs = append(refs, s)
			}
		}
	}
	provider := "aws"
	if strings.HasPrefix(typ, "Alexa::") {
		provider = "alexa"
	}
	return demarc.Resource{
		ID:         typ + "/" + id,
		Type:       typ,
		Name:       id,
		Format:     FormatCloudFormation,
		Provider:   provider,
		Attributes: attrs,
		Unknown:    ev.unknown,
		Sensitive:  ev.sensitive,
		Pos:        demarc.Position{File: t.file, Line: line},
	}, refs, true
}

// condition evaluates a named condition of the Conditions section.
func (t *cfnTemplate) condition(name string, line int) tri {
	if v, seen := t.condValue[name]; seen {
		if v == triPending {
			t.problem(line, "Conditions."+name, "condition refers to itself")
			return triUnknown
		}
		return v
	}
	def, ok := t.conditions[name]
	if !ok {
		return triUnknown
	}
	t.condValue[name] = triPending
	ev := &cfnEval{t: t, line: line, field: "Conditions." + name}
	v := ev.cond(def, 0)
	t.condValue[name] = v
	return v
}
