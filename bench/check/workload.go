package main

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// policies returns n policies: the built-in pack, then variants of it —
// each a copy of a built-in policy under a new id whose expressions are
// rewritten so that they compile to programs of their own — until there
// are n.
func policies(n int) (*check.PolicySet, error) {
	set, err := check.Builtin()
	if err != nil {
		return nil, err
	}
	names, contents, err := check.BuiltinFiles()
	if err != nil {
		return nil, err
	}
	for round := 1; len(set.Policies()) < n; round++ {
		for i, data := range contents {
			if len(set.Policies()) >= n {
				break
			}
			variant, err := variantFile(data, round, n-len(set.Policies()))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", names[i], err)
			}
			extra, problems := check.Parse(fmt.Sprintf("variant-%d-%s", round, names[i]), variant, check.LoadOptions{})
			if len(problems) > 0 {
				return nil, fmt.Errorf("variant of %s: %w", names[i], problems)
			}
			set = set.Merge(extra)
		}
	}
	return set, nil
}

// variantFile rewrites a policy file: at most limit policies, each with id
// "<id>-v<round>" and every expression e as "(e) && size(resource) >= 0",
// which decides the same but is a distinct program.
func variantFile(data []byte, round, limit int) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	list := mapValue(doc.Content[0], "policies")
	if len(list.Content) > limit {
		list.Content = list.Content[:limit]
	}
	done := map[*yaml.Node]bool{}
	for _, p := range list.Content {
		id := mapValue(p, "id")
		id.Value = fmt.Sprintf("%s-v%d", id.Value, round)
		for _, r := range mapValue(p, "rules").Content {
			expr := mapValue(r, "expr")
			if expr.Kind == yaml.AliasNode {
				expr = expr.Alias
			}
			if !done[expr] {
				done[expr] = true
				expr.Value = "(" + expr.Value + ") && size(resource) >= 0"
			}
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return &yaml.Node{}
}

// templates are the resources of the built-in policies' inline examples —
// every type the pack knows, in passing, failing and indeterminate shapes —
// each a small snapshot with its related resources.
func templates(set *check.PolicySet) []*demarc.Snapshot {
	var out []*demarc.Snapshot
	for _, p := range set.Policies() {
		for i := range p.Examples {
			if s := check.ExampleSnapshot(&p.Examples[i]); s != nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// generator produces snapshots of synthetic resource records, cycling
// through the templates; every record is a fresh copy with its own id, as
// a parser would produce it.
type generator struct {
	templates []*demarc.Snapshot
	next      int
	made      int
}

// snapshot returns the next snapshot of about size records.
func (g *generator) snapshot(size int) *demarc.Snapshot {
	s := &demarc.Snapshot{File: fmt.Sprintf("synthetic-%d.json", g.made), Format: "terraform-plan", Resources: make([]demarc.Resource, 0, size+4)}
	for len(s.Resources) < size {
		tmpl := g.templates[g.next%len(g.templates)]
		prefix := fmt.Sprintf("r%d.", g.next)
		g.next++
		for _, r := range tmpl.Resources {
			r.ID = prefix + r.ID
			r.Attributes = deepCopy(r.Attributes).(map[string]any)
			if r.Related != nil {
				rel := make(map[string][]string, len(r.Related))
				for t, ids := range r.Related {
					for _, id := range ids {
						rel[t] = append(rel[t], prefix+id)
					}
				}
				r.Related = rel
			}
			s.Resources = append(s.Resources, r)
		}
	}
	g.made++
	return s
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
