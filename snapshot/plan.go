package snapshot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	version "github.com/hashicorp/go-version"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/demarc-io/demarc"
)

// parsed is what a format parser returns: the resources, the explicit
// references between them, whether attribute values should link
// resources too, and the problems of the parts it skipped.
type parsed struct {
	resources []demarc.Resource
	refs      []ref
	byValue   bool
	problems  demarc.Problems
}

// checkFormatVersion rejects a Terraform JSON document whose format_version
// this reader does not understand, before decoding it.
func checkFormatVersion(file string, data []byte, what, constraint string) error {
	v, ok := topString(data, "format_version")
	if !ok {
		return demarc.Problems{{Pos: demarc.Position{File: file, Line: 1}, Field: "format_version",
			Message: fmt.Sprintf("missing; expected the format_version of a Terraform JSON %s", what)}}.Err()
	}
	c, err := version.NewConstraint(constraint)
	if err != nil {
		return &demarc.Error{Code: demarc.EInternal, Message: "bad format version constraint", Err: err}
	}
	parsed, err := version.NewVersion(v)
	if err != nil || !c.Check(parsed) {
		return demarc.Problems{{Pos: demarc.Position{File: file, Line: memberLines(data)["format_version"]}, Field: "format_version",
			Message: fmt.Sprintf("unsupported %s format version %q; expected %s (terraform show -json from Terraform 0.12 or later)", what, v, constraint)}}.Err()
	}
	return nil
}

// topString returns the string value of a key of the top-level object.
func topString(data []byte, key string) (string, bool) {
	s := newJSONScan(data)
	var out string
	found := false
	s.object(func(k string, _ int) bool {
		if k == key {
			out, found = s.str()
			return false
		}
		return s.skip()
	})
	return out, found
}

// planDoc is the part of a plan this reader uses: terraform-json's types
// for the changes and planned values, and of the configuration only the
// references, which are scanned rather than decoded — decoding every
// expression of a large configuration costs more than the rest together.
type planDoc struct {
	ResourceChanges []*tfjson.ResourceChange         `json:"resource_changes"`
	DeferredChanges []*tfjson.DeferredResourceChange `json:"deferred_changes"`
	PlannedValues   *tfjson.StateValues              `json:"planned_values"`
	PriorState      *struct {
		Values *tfjson.StateValues `json:"values"`
	} `json:"prior_state"`
	Configuration *struct {
		RootModule *configModule `json:"root_module"`
	} `json:"configuration"`
}

type configModule struct {
	Resources   []configResource `json:"resources"`
	ModuleCalls map[string]struct {
		Module *configModule `json:"module"`
	} `json:"module_calls"`
}

type configResource struct {
	Address     string          `json:"address"`
	Expressions json.RawMessage `json:"expressions"`
	Count       json.RawMessage `json:"count_expression"`
	ForEach     json.RawMessage `json:"for_each_expression"`
	DependsOn   []string        `json:"depends_on"`
}

// parsePlan reads the JSON form of a Terraform plan (terraform show -json
// plan.out). Resources are the planned values of every resource change
// that leaves something behind (deletions are skipped), with
// after_unknown and after_sensitive as Unknown and Sensitive paths;
// references come from the plan's configuration section.
func parsePlan(file string, data []byte) (*parsed, error) {
	if err := checkFormatVersion(file, data, "plan", tfjson.PlanFormatVersionConstraints); err != nil {
		return nil, err
	}
	var plan planDoc
	if err := decodeJSON(file, data, &plan); err != nil {
		return nil, err
	}
	b := &tfBuilder{file: file, format: FormatTerraformPlan, secretNames: true}
	if len(plan.ResourceChanges) > 0 || len(plan.DeferredChanges) > 0 {
		lines := memberLines(data, "resource_changes")
		for i, rc := range plan.ResourceChanges {
			b.change(rc, lines[strconv.Itoa(i)])
		}
		deferred := memberLines(data, "deferred_changes")
		for i, dc := range plan.DeferredChanges {
			if dc != nil {
				b.change(dc.ResourceChange, deferred[strconv.Itoa(i)])
			}
		}
	} else if plan.PlannedValues != nil {
		b.module(plan.PlannedValues.RootModule, data, []string{"planned_values", "root_module"})
	}
	if plan.PriorState != nil && plan.PriorState.Values != nil {
		// data sources read while planning are only in the prior state
		b.onlyData = true
		b.module(plan.PriorState.Values.RootModule, data, []string{"prior_state", "values", "root_module"})
		b.onlyData = false
	}
	if plan.Configuration != nil {
		b.configRefs(plan.Configuration.RootModule, "", 0)
	}
	return b.result(), nil
}

// tfBuilder collects the resources of a Terraform plan or state.
type tfBuilder struct {
	file        string
	format      string
	secretNames bool
	res         []demarc.Resource
	ids         map[string]bool
	onlyData    bool // add only the data sources the builder does not have
	problems    demarc.Problems
	addrs       []tfAddress
	deps        [][]string          // per resource: absolute addresses it depends on
	configDeps  map[string][]string // configKey → references
	configSame  map[string]bool
}

func (b *tfBuilder) has(id string) bool { return b.ids[id] }

func (b *tfBuilder) add(addr tfAddress, id, provider string, w *attrWalker, attrs map[string]any, line int, deps []string) {
	if b.ids == nil {
		b.ids = map[string]bool{}
	}
	b.ids[id] = true
	b.res = append(b.res, terraformResource(addr, id, provider, b.format, w, attrs, demarc.Position{File: b.file, Line: line}))
	b.addrs = append(b.addrs, addr)
	b.deps = append(b.deps, deps)
}

func (b *tfBuilder) change(rc *tfjson.ResourceChange, line int) {
	if rc == nil || rc.Change == nil || rc.DeposedKey != "" {
		return
	}
	a := rc.Change.Actions
	if a.Delete() || a.Forget() || (rc.Change.After == nil && rc.Change.AfterUnknown == nil) {
		return
	}
	addr, ok := parseAddress(rc.Address)
	if !ok {
		b.problems = append(b.problems, demarc.Problem{Pos: demarc.Position{File: b.file, Line: line}, Field: "resource_changes",
			Message: fmt.Sprintf("resource change with address %q; expected a resource address such as aws_s3_bucket.logs; skipped", rc.Address)})
		return
	}
	w := &attrWalker{secretNames: b.secretNames}
	attrs := w.object(rc.Change.After, rc.Change.AfterUnknown, rc.Change.AfterSensitive)
	b.add(addr, rc.Address, rc.ProviderName, w, attrs, line, nil)
}

// module adds the resources of a module of planned values or of a state,
// and of its child modules; path leads to it in the JSON, for lines.
func (b *tfBuilder) module(m *tfjson.StateModule, data []byte, path []string) {
	if m == nil {
		return
	}
	lines := memberLines(data, append(path, "resources")...)
	for i, r := range m.Resources {
		if r == nil || r.DeposedKey != "" || b.onlyData && r.Mode != tfjson.DataResourceMode {
			continue
		}
		id := stateAddress(m.Address, r)
		if b.onlyData && b.has(id) {
			continue
		}
		addr, ok := parseAddress(id)
		if !ok {
			b.problems = append(b.problems, demarc.Problem{Pos: demarc.Position{File: b.file, Line: lines[strconv.Itoa(i)]}, Field: "resources",
				Message: fmt.Sprintf("resource with address %q; expected a resource address such as aws_s3_bucket.logs; skipped", r.Address)})
			continue
		}
		var sensitive any
		if len(r.SensitiveValues) > 0 && json.Unmarshal(r.SensitiveValues, &sensitive) != nil {
			sensitive = true
		}
		w := &attrWalker{secretNames: b.secretNames}
		attrs := w.object(toAny(r.AttributeValues), nil, sensitive)
		b.add(addr, id, r.ProviderName, w, attrs, lines[strconv.Itoa(i)], r.DependsOn)
	}
	for i, c := range m.ChildModules {
		b.module(c, data, append(append([]string{}, path...), "child_modules", strconv.Itoa(i)))
	}
}

// stateAddress returns the full address of a resource instance. Terraform
// 0.12 wrote it without the instance key and the module path, which it
// gave apart.
func stateAddress(module string, r *tfjson.StateResource) string {
	addr := r.Address
	if r.Index != nil && !strings.HasSuffix(addr, "]") {
		addr += instanceKey(r.Index)
	}
	if module != "" && !strings.HasPrefix(addr, "module.") {
		addr = module + "." + addr
	}
	return addr
}

func toAny(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// configRefs records the references of every resource block of a plan's
// configuration, keyed by the block's address (module path without
// instance keys).
func (b *tfBuilder) configRefs(m *configModule, prefix string, depth int) {
	if m == nil || depth > maxValueDepth {
		return
	}
	if b.configDeps == nil {
		b.configDeps, b.configSame = map[string][]string{}, map[string]bool{}
	}
	for _, r := range m.Resources {
		key := joinModule(prefix, r.Address)
		refs := append([]string{}, r.DependsOn...)
		if len(r.Expressions) > 0 {
			newJSONScan(r.Expressions).collectKey("references", func(s string) { refs = append(refs, s) }, 0)
		}
		b.configDeps[key] = refs
		b.configSame[key] = len(r.Count) > 0 || len(r.ForEach) > 0
	}
	for name, call := range m.ModuleCalls {
		b.configRefs(call.Module, joinModule(prefix, "module."+name), depth+1)
	}
}

// result links the resources and returns them. A state's depends_on
// names resources by absolute address; a configuration's references are
// relative to the module the block is in.
func (b *tfBuilder) result() *parsed {
	ids := make([]string, len(b.res))
	for i := range b.res {
		ids[i] = b.res[i].ID
	}
	refs := newTFRefs(b.addrs, b.res)
	var out []ref
	for i, a := range b.addrs {
		out = append(out, refs.resolve(i, b.deps[i], true, false, ids)...)
		if cfg, ok := b.configDeps[a.configKey()]; ok {
			out = append(out, refs.resolve(i, cfg, false, b.configSame[a.configKey()] && a.key != "", ids)...)
		}
	}
	return &parsed{resources: b.res, refs: out, byValue: true, problems: b.problems}
}
