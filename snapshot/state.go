package snapshot

import (
	"encoding/json"
	"fmt"
	"strconv"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/demarc-io/demarc"
)

// parseStateJSON reads the JSON form of a Terraform state (terraform show
// -json), child modules included. A state holds secrets in clear text:
// besides the values Terraform marks sensitive, every value under a name
// such as password, secret or token is marked sensitive too.
func parseStateJSON(file string, data []byte) (*parsed, error) {
	if err := checkFormatVersion(file, data, "state", tfjson.StateFormatVersionConstraints); err != nil {
		return nil, err
	}
	var state struct {
		Values *tfjson.StateValues `json:"values"`
	}
	if err := decodeJSON(file, data, &state); err != nil {
		return nil, err
	}
	b := &tfBuilder{file: file, format: FormatTerraformState, secretNames: true}
	if state.Values != nil {
		b.module(state.Values.RootModule, data, []string{"values", "root_module"})
	}
	return b.result(), nil
}

// rawState is the on-disk Terraform state (terraform.tfstate), version 4,
// written by Terraform 0.12 and later.
type rawState struct {
	Version   json.Number        `json:"version"`
	Resources []rawStateResource `json:"resources"`
}

type rawStateResource struct {
	Module    string             `json:"module"`
	Mode      string             `json:"mode"`
	Type      string             `json:"type"`
	Name      string             `json:"name"`
	Provider  string             `json:"provider"`
	Instances []rawStateInstance `json:"instances"`
}

type rawStateInstance struct {
	IndexKey            any               `json:"index_key"`
	Deposed             string            `json:"deposed"`
	Attributes          map[string]any    `json:"attributes"`
	AttributesFlat      map[string]string `json:"attributes_flat"`
	SensitiveAttributes json.RawMessage   `json:"sensitive_attributes"`
	Dependencies        []string          `json:"dependencies"`
}

// parseRawState reads a terraform.tfstate file. Sensitive paths come from
// each instance's sensitive_attributes; when those cannot be read the
// whole resource is marked sensitive rather than risk showing a secret.
func parseRawState(file string, data []byte) (*parsed, error) {
	var st rawState
	if err := decodeJSON(file, data, &st); err != nil {
		return nil, err
	}
	if string(st.Version) != "4" {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file, Line: memberLines(data)["version"]}, Field: "version",
			Message: fmt.Sprintf("unsupported state file version %s; expected 4 (Terraform 0.12 or later)", st.Version)}}.Err()
	}
	lines := memberLines(data, "resources")
	b := &tfBuilder{file: file, format: FormatTerraformState, secretNames: true}
	var problems demarc.Problems
	for i, r := range st.Resources {
		line := lines[strconv.Itoa(i)]
		if r.Type == "" || r.Name == "" {
			problems = append(problems, demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Field: fmt.Sprintf("resources[%d]", i), Message: "resource without type or name; skipped"})
			continue
		}
		for _, inst := range r.Instances {
			if inst.Deposed != "" {
				continue
			}
			b.rawInstance(r, inst, line)
		}
	}
	b.problems = append(problems, b.problems...)
	return b.result(), nil
}

func (b *tfBuilder) rawInstance(r rawStateResource, inst rawStateInstance, line int) {
	addr := tfAddress{module: r.Module, typ: r.Type, name: r.Name, key: instanceKey(inst.IndexKey)}
	if r.Mode == "data" {
		addr.mode = "data"
	}
	id := addr.resource() + addr.key
	if addr.module != "" {
		id = addr.module + "." + id
	}
	sensitive, ok := sensitiveTree(inst.SensitiveAttributes)
	if !ok {
		sensitive = true
	}
	var attrs any
	if inst.Attributes != nil {
		attrs = inst.Attributes
	} else if inst.AttributesFlat != nil {
		flat := make(map[string]any, len(inst.AttributesFlat))
		for k, v := range inst.AttributesFlat {
			flat[k] = v
		}
		attrs = flat
	}
	w := &attrWalker{secretNames: true}
	b.add(addr, id, r.Provider, w, w.object(attrs, nil, sensitive), line, inst.Dependencies)
}

// instanceKey writes a state's index_key as an address does: [0], ["k"].
func instanceKey(k any) string {
	switch t := k.(type) {
	case json.Number:
		return "[" + t.String() + "]"
	case float64:
		return "[" + strconv.FormatFloat(t, 'f', -1, 64) + "]"
	case string:
		return "[" + strconv.Quote(t) + "]"
	case int:
		return "[" + strconv.Itoa(t) + "]"
	}
	return ""
}

// sensitiveTree turns a state's sensitive_attributes — a list of paths,
// each a list of steps {"type":"get_attr","value":"password"} or
// {"type":"index","value":{"value":0,"type":"number"}} — into a tree
// shaped like the attributes with true at each sensitive value, as
// after_sensitive is. ok is false when the list cannot be read.
func sensitiveTree(raw json.RawMessage) (tree any, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var paths [][]struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &paths) != nil {
		return nil, false
	}
	root := map[string]any{}
	for _, p := range paths {
		if len(p) == 0 {
			return true, true
		}
		var steps []any
		for _, s := range p {
			step, good := sensitiveStep(s.Type, s.Value)
			if !good {
				return nil, false
			}
			steps = append(steps, step)
		}
		markPath(root, steps)
	}
	return root, true
}

func sensitiveStep(kind string, value json.RawMessage) (any, bool) {
	switch kind {
	case "get_attr":
		var name string
		return name, json.Unmarshal(value, &name) == nil
	case "index":
		var key struct {
			Value any    `json:"value"`
			Type  string `json:"type"`
		}
		if json.Unmarshal(value, &key) != nil {
			return nil, false
		}
		switch v := key.Value.(type) {
		case float64:
			return int(v), v >= 0 && v < 1<<31
		case string:
			return v, true
		}
	}
	return nil, false
}

// markPath sets true at steps in a tree of maps; a list position is kept
// as its decimal key, which attrWalker reads for lists too.
func markPath(root map[string]any, steps []any) {
	node := root
	for i, step := range steps {
		k := fmt.Sprint(step)
		if i == len(steps)-1 {
			node[k] = true
			return
		}
		next, exists := node[k]
		if next == true {
			return
		}
		child, isMap := next.(map[string]any)
		if !exists || !isMap {
			child = map[string]any{}
			node[k] = child
		}
		node = child
	}
}
