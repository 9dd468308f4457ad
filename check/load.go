package check

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/internal/yamlfile"
	"github.com/demarc-io/demarc/library"
)

//go:embed policy.schema.json
var schemaJSON string

// SchemaJSON returns the JSON Schema of policy files, for editors.
func SchemaJSON() string { return schemaJSON }

//go:embed policies
var builtinFS embed.FS

const schemaURL = "urn:demarc:schema:policies"

var (
	schemaOnce   sync.Once
	fileSchema   *jsonschema.Schema // the top level of a file
	policySchema *jsonschema.Schema // one policy
	schemaErr    error
)

func schemas() (file, policy *jsonschema.Schema, err error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schemaJSON))
		if err != nil {
			schemaErr = fmt.Errorf("read policy schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schemaURL, doc); err != nil {
			schemaErr = fmt.Errorf("add policy schema: %w", err)
			return
		}
		if policySchema, schemaErr = c.Compile(schemaURL + "#/$defs/policy"); schemaErr != nil {
			return
		}
		fileSchema, schemaErr = yamlfile.CompileSchema(schemaURL+":top", `{
			"type": "object", "additionalProperties": false, "required": ["policies"],
			"properties": {"policies": {"type": "array", "minItems": 1}}}`)
	})
	return fileSchema, policySchema, schemaErr
}

// PolicySet is a set of loaded, compiled policies, indexed for
// evaluation. It is immutable and safe for concurrent use.
type PolicySet struct {
	policies []*Policy
	rules    []*rule
	// Sources are the files the policies came from, with their digests.
	Sources []Source
}

// Source is a policy file and its SHA-256 digest, for evidence records.
type Source struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// rule is a compiled Rule.
type rule struct {
	policy *Policy
	index  int
	types  []string
	when   *program
	expr   *program
	reads  []read
}

// Policies returns the policies in the order they were loaded.
func (s *PolicySet) Policies() []*Policy { return s.policies }

// Policy returns the policy with id, or nil when there is none.
func (s *PolicySet) Policy(id string) *Policy {
	for _, p := range s.policies {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Merge returns a set with the policies of s and then of other; a policy
// of other replaces one of s with the same id.
func (s *PolicySet) Merge(other *PolicySet) *PolicySet {
	out := &PolicySet{Sources: append(append([]Source(nil), s.Sources...), other.Sources...)}
	replaced := map[*Policy]bool{}
	for _, p := range s.policies {
		if q := other.Policy(p.ID); q != nil {
			replaced[p] = true
		}
	}
	for _, p := range s.policies {
		if !replaced[p] {
			out.policies = append(out.policies, p)
		}
	}
	out.policies = append(out.policies, other.policies...)
	for _, set := range []*PolicySet{s, other} {
		for _, r := range set.rules {
			if !replaced[r.policy] {
				out.rules = append(out.rules, r)
			}
		}
	}
	return out
}

// LoadOptions configure loading.
type LoadOptions struct {
	// Limits bound each expression's cost; zero fields take DefaultLimits.
	Limits Limits
	// KnownArea, when set, reports whether an area id exists; policies
	// naming other areas are rejected.
	KnownArea func(demarc.AreaID) bool
}

// Load reads policy files, and the .yaml and .yml files under
// directories. It returns every policy that loaded, and a problem — with
// file, line, policy id and what was expected — for every file or policy
// that did not: a bad policy never stops the others.
func Load(paths []string, o LoadOptions) (*PolicySet, demarc.Problems) {
	set := &PolicySet{}
	var problems demarc.Problems
	seen := map[string]demarc.Position{}
	for _, file := range expand(paths, &problems) {
		data, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, demarc.Problem{Pos: demarc.Position{File: file}, Message: "cannot read: " + pathError(err)})
			continue
		}
		problems = append(problems, set.add(file, data, o, seen)...)
	}
	return set, problems
}

// Parse reads one policy file held in memory; see Load.
func Parse(name string, data []byte, o LoadOptions) (*PolicySet, demarc.Problems) {
	set := &PolicySet{}
	problems := set.add(name, data, o, map[string]demarc.Position{})
	return set, problems
}

// PolicyFile is a policy file held in memory, such as an upload.
type PolicyFile struct {
	Name string
	Data []byte
}

// ParseFiles reads policy files held in memory as Load reads files on
// disk: a policy id defined in two files is reported in the second.
func ParseFiles(files []PolicyFile, o LoadOptions) (*PolicySet, demarc.Problems) {
	set := &PolicySet{}
	var problems demarc.Problems
	seen := map[string]demarc.Position{}
	for _, f := range files {
		problems = append(problems, set.add(f.Name, f.Data, o, seen)...)
	}
	return set, problems
}

func pathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// expand lists the policy files named by paths: files as given,
// directories walked for .yaml and .yml files in name order.
func expand(paths []string, problems *demarc.Problems) []string {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: p}, Message: "cannot read: " + pathError(err)})
			continue
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isPolicyFileName(f) {
				found = append(found, f)
			}
			return nil
		})
		if err != nil {
			*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: p}, Message: "cannot read directory: " + err.Error()})
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out
}

func isPolicyFileName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

var (
	builtinOnce sync.Once
	builtinSet  *PolicySet
	builtinErr  error
)

// Builtin returns the built-in policy pack, loaded once. Its areas are
// checked against the built-in library. A problem in the pack is a
// defect, so any problem is an error (code EInternal).
func Builtin() (*PolicySet, error) {
	builtinOnce.Do(func() {
		lib, err := library.Builtin()
		if err != nil {
			builtinErr = err
			return
		}
		builtinSet, builtinErr = loadBuiltin(LoadOptions{KnownArea: func(a demarc.AreaID) bool { return lib.Area(a) != nil }})
	})
	return builtinSet, builtinErr
}

// BuiltinFiles returns the built-in policy files, name and content, in
// name order.
func BuiltinFiles() (names []string, contents [][]byte, err error) {
	entries, err := fs.ReadDir(builtinFS, "policies")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if e.IsDir() || !isPolicyFileName(e.Name()) {
			continue
		}
		data, err := builtinFS.ReadFile("policies/" + e.Name())
		if err != nil {
			return nil, nil, err
		}
		names = append(names, "policies/"+e.Name())
		contents = append(contents, data)
	}
	return names, contents, nil
}

func loadBuiltin(o LoadOptions) (*PolicySet, error) {
	names, contents, err := BuiltinFiles()
	if err != nil {
		return nil, &demarc.Error{Code: demarc.EInternal, Message: "read built-in policies", Err: err}
	}
	set := &PolicySet{}
	seen := map[string]demarc.Position{}
	var problems demarc.Problems
	for i, name := range names {
		problems = append(problems, set.add("builtin:"+name, contents[i], o, seen)...)
	}
	if len(problems) > 0 {
		return nil, &demarc.Error{Code: demarc.EInternal, Message: "built-in policies", Err: problems}
	}
	return set, nil
}

// add parses one file into the set and returns its problems.
func (s *PolicySet) add(file string, data []byte, o LoadOptions, seen map[string]demarc.Position) demarc.Problems {
	sum := sha256.Sum256(data)
	s.Sources = append(s.Sources, Source{File: file, SHA256: hex.EncodeToString(sum[:])})
	policies, problems := parseFile(file, data, o, seen)
	for _, pp := range policies {
		rules, ps := compilePolicy(file, pp.node, pp.policy, o)
		if len(ps) > 0 {
			problems = append(problems, prefixField(ps, fmt.Sprintf("policies[%d]", pp.index))...)
			continue
		}
		s.policies = append(s.policies, pp.policy)
		s.rules = append(s.rules, rules...)
	}
	return problems
}

// parsed is one well-formed policy of a file, before its expressions are
// compiled: the policy, its YAML node and its index in the file.
type parsed struct {
	policy *Policy
	node   *yaml.Node
	index  int
}

// parseFile reads a policy file's YAML and checks its shape. It returns
// the well-formed policies, and problems for the rest; seen holds the ids
// already defined, to catch duplicates.
func parseFile(file string, data []byte, o LoadOptions, seen map[string]demarc.Position) ([]parsed, demarc.Problems) {
	top, one, err := schemas()
	if err != nil {
		return nil, demarc.Problems{{Pos: demarc.Position{File: file}, Message: err.Error()}}
	}
	doc, err := yamlfile.Parse(file, data)
	if err != nil {
		return nil, problemsOf(err, file)
	}
	if ps := doc.Validate(top); len(ps) > 0 {
		return nil, ps
	}
	var out []parsed
	var problems demarc.Problems
	for i, node := range valueNode(doc.Root, "policies").Content {
		p, ps := parsePolicy(file, node, one, o)
		for j := range ps {
			ps[j].Field = fmt.Sprintf("policies[%d]", i) + fieldSuffix(ps[j].Field)
		}
		if p != nil {
			if prev, dup := seen[p.ID]; dup {
				ps = append(ps, demarc.Problem{Pos: p.Pos, Field: fmt.Sprintf("policies[%d].id", i), Message: fmt.Sprintf("policy %s is already defined at %s", p.ID, prev)})
			} else {
				seen[p.ID] = p.Pos
			}
		}
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		out = append(out, parsed{policy: p, node: node, index: i})
	}
	return out, problems
}

func fieldSuffix(f string) string {
	if f == "" || strings.HasPrefix(f, "[") {
		return f
	}
	return "." + f
}

func prefixField(ps demarc.Problems, prefix string) demarc.Problems {
	for i := range ps {
		ps[i].Field = prefix + fieldSuffix(ps[i].Field)
	}
	return ps
}

// problemsOf turns an error from yamlfile into problems.
func problemsOf(err error, file string) demarc.Problems {
	var ps demarc.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return demarc.Problems{{Pos: demarc.Position{File: file}, Message: err.Error()}}
}

// parsePolicy checks one policy's shape and decodes it. Problems name the
// policy id when it has one.
func parsePolicy(file string, node *yaml.Node, schema *jsonschema.Schema, o LoadOptions) (*Policy, demarc.Problems) {
	d := &yamlfile.Doc{File: file, Root: node}
	id := ""
	if n := valueNode(node, "id"); n != nil && n.Kind == yaml.ScalarNode {
		id = n.Value
	}
	if ps := d.Validate(schema); len(ps) > 0 {
		return nil, namePolicy(ps, id)
	}
	var p Policy
	if err := d.Decode(&p); err != nil {
		return nil, namePolicy(problemsOf(err, file), id)
	}
	p.Pos = demarc.Position{File: file, Line: node.Line}
	var ps demarc.Problems
	for i, a := range p.Areas {
		if o.KnownArea != nil && !o.KnownArea(a) {
			ps = append(ps, demarc.Problem{Pos: d.Pos("areas", i), Field: fmt.Sprintf("areas[%d]", i), Message: fmt.Sprintf("unknown area %q; see 'demarc library list areas'", a)})
		}
	}
	for i := range p.Rules {
		p.Rules[i].Pos = d.Pos("rules", i)
	}
	for i := range p.Examples {
		ex := &p.Examples[i]
		ex.Pos = d.Pos("examples", i)
		ps = append(ps, checkExample(ex, fmt.Sprintf("examples[%d]", i))...)
	}
	return &p, namePolicy(ps, id)
}

func checkExample(ex *Example, field string) demarc.Problems {
	switch {
	case ex.Resource != nil && (ex.Input != "" || ex.Format != ""):
		return demarc.Problems{{Pos: ex.Pos, Field: field, Message: "an example gives either a resource or an input with its format, not both"}}
	case ex.Resource == nil && (ex.Input == "" || ex.Format == ""):
		return demarc.Problems{{Pos: ex.Pos, Field: field, Message: "an example needs a resource, or an input with its format (terraform, cloudformation, kubernetes …)"}}
	}
	if ex.Resource != nil {
		ex.Resource.Attributes = normalizeValue(ex.Resource.Attributes).(map[string]any)
		for t, list := range ex.Resource.Related {
			for i := range list {
				list[i] = normalizeValue(list[i]).(map[string]any)
			}
			ex.Resource.Related[t] = list
		}
	}
	return nil
}

func namePolicy(ps demarc.Problems, id string) demarc.Problems {
	if id == "" {
		return ps
	}
	for i := range ps {
		ps[i].Message = "policy " + id + ": " + ps[i].Message
	}
	return ps
}

// compilePolicy compiles every rule of p; node is p's YAML, for the lines
// of compile errors.
func compilePolicy(file string, node *yaml.Node, p *Policy, o LoadOptions) ([]*rule, demarc.Problems) {
	limits := o.Limits.withDefaults()
	rulesNode := valueNode(node, "rules")
	var out []*rule
	var ps demarc.Problems
	for i, r := range p.Rules {
		rn := rulesNode.Content[i]
		cr := &rule{policy: p, index: i, types: r.Types}
		var asts []*cel.Ast
		for _, part := range []struct {
			key, text string
			dst       **program
		}{{"when", r.When, &cr.when}, {"expr", r.Expr, &cr.expr}} {
			if part.text == "" {
				continue
			}
			prg, checked, err := compileExpr(part.text, limits)
			if err != nil {
				ps = append(ps, exprProblem(file, valueNode(rn, part.key), fmt.Sprintf("rules[%d].%s", i, part.key), p.ID, err))
				continue
			}
			*part.dst = prg
			asts = append(asts, checked)
		}
		cr.reads = readsOf(astExprs(asts)...)
		out = append(out, cr)
	}
	return out, ps
}

// exprProblem places a compile error at its line in the file: the
// expression's own line plus the line within it.
func exprProblem(file string, n *yaml.Node, field, id string, err error) demarc.Problem {
	pos := demarc.Position{File: file}
	msg := err.Error()
	if n != nil {
		pos.Line = n.Line
		if ee, ok := err.(exprError); ok {
			if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				pos.Line += ee.line
			} else {
				pos.Line += ee.line - 1
			}
			msg = fmt.Sprintf("%s (column %d)", ee.msg, ee.column)
		}
	}
	return demarc.Problem{Pos: pos, Field: field, Message: "policy " + id + ": " + msg}
}

// valueNode returns the value of key in a mapping node, or nil.
func valueNode(n *yaml.Node, key string) *yaml.Node {
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

func astExprs(asts []*cel.Ast) []ast.Expr {
	out := make([]ast.Expr, len(asts))
	for i, a := range asts {
		out[i] = a.NativeRep().Expr()
	}
	return out
}
