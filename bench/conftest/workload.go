package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc/snapshot"
)

// The workload is built from real configuration files: the Terraform
// plans in the shared data are the seeds of the generated plans, and the
// real Terraform source, Kubernetes manifests and CloudFormation templates
// are checked as they are. The policies are conftest-style Rego written
// against the attributes and values those files really hold.

// shape is the input shape a rule is written for.
type shape string

const (
	shapePlan shape = "plan"           // terraform show -json
	shapeHCL  shape = "hcl"            // .tf source as conftest reads it
	shapeK8s  shape = "kubernetes"     // a manifest document
	shapeCFN  shape = "cloudformation" // a template
)

// fact is an attribute of a resource type and the values seen for it.
type fact struct {
	shape  shape
	typ    string
	attr   string
	values []string // as Rego (JSON) literals, distinct, sorted
}

// corpus is what the seeds hold.
type corpus struct {
	plans  []seedPlan
	extras []string // real files checked as they are, relative to the data folder
	facts  []fact
}

type seedPlan struct {
	name string
	doc  map[string]any
}

// readCorpus reads the seeds from the data folder.
func readCorpus(dataDir string) (*corpus, error) {
	c := &corpus{}
	values := map[[3]string]map[string]bool{}
	note := func(s shape, typ, attr string, v any) {
		lit, ok := literal(v)
		if !ok || typ == "" || attr == "" {
			return
		}
		k := [3]string{string(s), typ, attr}
		if values[k] == nil {
			values[k] = map[string]bool{}
		}
		values[k][lit] = true
	}
	root := filepath.Join(dataDir, "configs")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dataDir, path)
		switch {
		case strings.HasSuffix(path, ".json"):
			return c.readJSON(path, rel, note)
		case strings.HasSuffix(path, ".tf") && strings.Contains(rel, "fugue-regula/rego/tests/rules/tf/"):
			return c.readHCL(path, rel, note)
		case (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) && strings.Contains(rel, "fugue-regula/rego/tests/rules/"):
			return c.readYAML(path, rel, note)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.plans) == 0 {
		return nil, fmt.Errorf("no Terraform plans found under %s", root)
	}
	for k, vs := range values {
		f := fact{shape: shape(k[0]), typ: k[1], attr: k[2]}
		for v := range vs {
			f.values = append(f.values, v)
		}
		sort.Strings(f.values)
		c.facts = append(c.facts, f)
	}
	sort.Slice(c.facts, func(i, j int) bool {
		a, b := c.facts[i], c.facts[j]
		return a.shape+shape(a.typ+"\x00"+a.attr) < b.shape+shape(b.typ+"\x00"+b.attr)
	})
	sort.Slice(c.plans, func(i, j int) bool { return c.plans[i].name < c.plans[j].name })
	sort.Strings(c.extras)
	return c, nil
}

// literal writes a scalar as a Rego literal; other values are not facts.
func literal(v any) (string, bool) {
	switch v.(type) {
	case string, bool, json.Number, float64, int:
		b, err := json.Marshal(v)
		if err != nil || len(b) > 80 {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

func (c *corpus) readJSON(path, rel string, note func(shape, string, string, any)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil // not a JSON object: not a seed
	}
	changes, _ := doc["resource_changes"].([]any)
	if len(changes) > 0 && readable(rel, data) {
		c.plans = append(c.plans, seedPlan{name: rel, doc: doc})
		for _, ch := range changes {
			rc, _ := ch.(map[string]any)
			change, _ := rc["change"].(map[string]any)
			after, _ := change["after"].(map[string]any)
			typ, _ := rc["type"].(string)
			for k, v := range after {
				note(shapePlan, typ, k, v)
			}
		}
		return nil
	}
	if res, ok := doc["Resources"].(map[string]any); ok && strings.Contains(rel, "fugue-regula/rego/tests/rules/cfn/") && readable(rel, data) {
		c.extras = append(c.extras, rel)
		noteCFN(res, note)
	}
	return nil
}

func noteCFN(res map[string]any, note func(shape, string, string, any)) {
	for _, r := range res {
		m, _ := r.(map[string]any)
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		for k, v := range props {
			note(shapeCFN, typ, k, v)
		}
	}
}

func (c *corpus) readHCL(path, rel string, note func(shape, string, string, any)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !readable(rel, data) {
		return nil
	}
	c.extras = append(c.extras, rel)
	// Plain "name = literal" lines inside resource blocks are enough to
	// learn which attributes and values the source holds.
	typ := ""
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(line, "resource ") {
			f := strings.Fields(t)
			if len(f) >= 2 {
				typ = strings.Trim(f[1], `"`)
			}
			continue
		}
		if strings.HasPrefix(line, "}") {
			typ = ""
			continue
		}
		if typ == "" || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		name, value, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		var v any
		if json.Unmarshal([]byte(value), &v) == nil && !strings.Contains(value, "${") {
			note(shapeHCL, typ, name, v)
		}
	}
	return nil
}

func (c *corpus) readYAML(path, rel string, note func(shape, string, string, any)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	kept := false
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if res, ok := doc["Resources"].(map[string]any); ok {
			noteCFN(res, note)
			kept = true
			continue
		}
		kind, _ := doc["kind"].(string)
		spec, _ := doc["spec"].(map[string]any)
		if kind == "" || spec == nil {
			continue
		}
		kept = true
		for k, v := range spec {
			note(shapeK8s, kind, k, v)
		}
	}
	if kept && readable(rel, data) {
		c.extras = append(c.extras, rel)
	}
	return nil
}

// readable reports whether demarc reads a file as configuration with
// resources: only such files are checked, so only they can be compared.
func readable(name string, data []byte) bool {
	snap, err := snapshot.ParseBytes(name, "", data)
	return err == nil && len(snap.Resources) > 0
}

// areas are the responsibility areas generated rules evidence.
var areas = []string{
	"data.encryption-at-rest", "data.access-governance", "data.backup", "network.segmentation",
	"network.encryption-in-transit", "identity.privileged-access", "ops.control-plane-logging",
	"container.workload-config", "data.key-management", "app.configuration",
}

var severities = []string{"low", "medium", "high", "critical"}

// writePolicies writes n rules in packages of five, one package per file,
// and returns how many packages there are. Every tenth package waives one
// of its rules by an exception for inputs of one Terraform version.
func writePolicies(dir string, c *corpus, n int, seed uint64) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	facts := weightedFacts(c.facts)
	packages := (n + 4) / 5
	for p := range packages {
		var b strings.Builder
		fmt.Fprintf(&b, "# METADATA\n# title: Generated checks %03d\n# scope: package\n# custom:\n#   areas: [%s]\npackage bench.p%03d\n\nimport rego.v1\n",
			p, areas[p%len(areas)], p)
		var suffixes []string
		for r := 0; r < 5 && p*5+r < n; r++ {
			k := p*5 + r
			f := facts[rng.IntN(len(facts))]
			suffix := fmt.Sprintf("r%03d", k)
			suffixes = append(suffixes, suffix)
			b.WriteString("\n" + rule(k, suffix, f, rng))
		}
		if p%10 == 9 {
			fmt.Fprintf(&b, "\nexception contains [%q] if {\n\tinput.terraform_version == \"0.13.5\"\n}\n", suffixes[0])
		}
		name := filepath.Join(dir, fmt.Sprintf("p%03d.rego", p))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return 0, err
		}
	}
	return packages, nil
}

// weightedFacts lists the facts with a value to compare, Terraform plans
// three times over: most of the inputs are plans.
func weightedFacts(all []fact) []fact {
	var out []fact
	for _, f := range all {
		if len(f.values) == 0 {
			continue
		}
		out = append(out, f)
		if f.shape == shapePlan {
			out = append(out, f, f)
		}
	}
	return out
}

// rule writes the k-th rule: a deny that a value is present, a violation
// (with a "resource" field for plans) that a value differs from one
// expected, or a warning that the attribute is missing.
func rule(k int, suffix string, f fact, rng *rand.Rand) string {
	kind := []string{"deny", "violation", "warn"}[k%3]
	value := f.values[rng.IntN(len(f.values))]
	var iterate, subject, ref, msgArgs string
	switch f.shape {
	case shapePlan:
		iterate = fmt.Sprintf("\tsome r in input.resource_changes\n\tr.type == %q\n", f.typ)
		subject, ref, msgArgs = "r.change.after", "r.address", "r.address"
	case shapeHCL:
		iterate = fmt.Sprintf("\tsome name\n\tsome b in input.resource[%q][name]\n", f.typ)
		subject, ref, msgArgs = "b", "name", "name"
	case shapeCFN:
		iterate = fmt.Sprintf("\tsome name\n\tres := input.Resources[name]\n\tres.Type == %q\n", f.typ)
		subject, ref, msgArgs = "object.get(res, \"Properties\", {})", "name", "name"
	case shapeK8s:
		iterate = fmt.Sprintf("\tinput.kind == %q\n", f.typ)
		subject, ref, msgArgs = "object.get(input, \"spec\", {})", "input.metadata.name", "input.metadata.name"
	}
	meta := fmt.Sprintf("# METADATA\n# title: %s %s (%s)\n# custom:\n#   severity: %s\n#   types: [%q]\n",
		f.typ, f.attr, kind, severities[k%len(severities)], f.typ)
	head := fmt.Sprintf("%s_%s contains msg if {\n", kind, suffix)
	var body string
	switch kind {
	case "deny":
		body = fmt.Sprintf("\tv := %s[%q]\n\tv == %s\n\tmsg := sprintf(\"%%s: %s is %%v\", [%s, v])\n", subject, f.attr, value, f.attr, msgArgs)
	case "violation":
		if f.shape == shapePlan {
			head = fmt.Sprintf("%s_%s contains {\"msg\": msg, \"resource\": %s} if {\n", kind, suffix, ref)
		}
		body = fmt.Sprintf("\tv := %s[%q]\n\tv != %s\n\tmsg := sprintf(\"%%s: %s should be %%v, not %%v\", [%s, %s, v])\n", subject, f.attr, value, f.attr, msgArgs, value)
	default:
		body = fmt.Sprintf("\tobject.get(%s, %q, null) == null\n\tmsg := sprintf(\"%%s: %s is not set\", [%s])\n", subject, f.attr, f.attr, msgArgs)
	}
	return meta + head + iterate + body + "}\n"
}

// writeInputs writes n plans, each a seed plan (in turn) in which about a
// quarter of the scalar attribute values are replaced by another value
// seen for the same attribute, and copies the real extra files beside
// them, each in a folder of its own (Terraform reads a folder's .tf files
// as one module). It returns the number of files written.
func writeInputs(dir, dataDir string, c *corpus, n int, seed uint64) (int, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x27d4eb2f))
	byAttr := map[[2]string][]string{}
	for _, f := range c.facts {
		if f.shape == shapePlan {
			byAttr[[2]string{f.typ, f.attr}] = f.values
		}
	}
	plans := filepath.Join(dir, "plans")
	if err := os.MkdirAll(plans, 0o755); err != nil {
		return 0, err
	}
	for i := range n {
		s := c.plans[i%len(c.plans)]
		doc := mutate(s.doc, byAttr, rng)
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(plans, fmt.Sprintf("plan-%04d.json", i)), data, 0o644); err != nil {
			return 0, err
		}
	}
	for i, rel := range c.extras {
		data, err := os.ReadFile(filepath.Join(dataDir, rel))
		if err != nil {
			return 0, err
		}
		sub := filepath.Join(dir, "real", fmt.Sprintf("%03d", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(sub, filepath.Base(rel)), data, 0o644); err != nil {
			return 0, err
		}
	}
	return n + len(c.extras), nil
}

// mutate copies a plan, replacing some scalar values of its resources'
// planned attributes by other values seen for them.
func mutate(seed map[string]any, byAttr map[[2]string][]string, rng *rand.Rand) map[string]any {
	doc := deepCopy(seed).(map[string]any)
	changes, _ := doc["resource_changes"].([]any)
	for _, ch := range changes {
		rc, _ := ch.(map[string]any)
		change, _ := rc["change"].(map[string]any)
		after, _ := change["after"].(map[string]any)
		typ, _ := rc["type"].(string)
		keys := make([]string, 0, len(after))
		for k := range after {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vs := byAttr[[2]string{typ, k}]
			if _, scalar := literal(after[k]); !scalar || len(vs) < 2 || rng.IntN(4) != 0 {
				continue
			}
			var v any
			dec := json.NewDecoder(strings.NewReader(vs[rng.IntN(len(vs))]))
			dec.UseNumber()
			if dec.Decode(&v) == nil {
				after[k] = v
			}
		}
	}
	return doc
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
