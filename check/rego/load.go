package rego

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	opa "github.com/open-policy-agent/opa/v1/rego"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// Rule names conftest evaluates: failures and warnings, each optionally
// with a suffix that exceptions name.
var (
	failureName = regexp.MustCompile(`^(deny|violation)(_[a-zA-Z0-9]+)*$`)
	warningName = regexp.MustCompile(`^warn(_[a-zA-Z0-9]+)*$`)
)

// UnsafeBuiltins are the built-in functions Rego policies may not call:
// they reach the network or read the environment of the process, which
// neither a check nor its evidence should depend on. A policy that calls
// one fails to load.
var UnsafeBuiltins = []string{"http.send", "net.lookup_ip_addr", "opa.runtime"}

// PolicySet is a set of compiled Rego policies: every rule named deny,
// violation or warn (with an optional _suffix) in any package is one
// check.Policy. It is immutable and safe for concurrent use.
type PolicySet struct {
	packages []*regoPackage
	policies []*check.Policy
	// Sources are the .rego files read, with their digests.
	Sources []check.Source
}

// Policies returns one policy per deny, violation and warn rule, in
// package and rule order.
func (s *PolicySet) Policies() []*check.Policy { return s.policies }

// regoPackage is one Rego package with rules to evaluate, and the one
// prepared query that evaluates them all.
type regoPackage struct {
	// name is the package path without "data.", as conftest prints it.
	name  string
	rules []*regoRule
	// exception is set when the package defines exception rules.
	exception bool
	query     opa.PreparedEvalQuery
}

// regoRule is one evaluated rule — all bodies of the same name in a
// package.
type regoRule struct {
	pkg     *regoPackage
	name    string
	warning bool
	policy  *check.Policy
	// types are the resource type patterns from the metadata.
	types []string
	// defs are its definitions, for naming the one that overran.
	defs []*ast.Rule
}

// query is the rule as conftest queries it.
func (r *regoRule) query() string { return "data." + r.pkg.name + "." + r.name }

// exceptionName is the name an exception rule gives to waive r: the
// rule's suffix, or "" for a bare deny, violation or warn.
func (r *regoRule) exceptionName() string {
	for _, prefix := range []string{"violation", "deny", "warn"} {
		if r.name == prefix {
			return ""
		}
	}
	for _, prefix := range []string{"violation_", "deny_", "warn_"} {
		if rest, ok := strings.CutPrefix(r.name, prefix); ok {
			return rest
		}
	}
	return r.name
}

// LoadOptions configure Load.
type LoadOptions struct {
	// KnownArea, when set, reports whether an area id exists; a policy
	// naming another area is reported and runs without it.
	KnownArea func(demarc.AreaID) bool
}

// Load reads the .rego files named by paths — files, or directories
// searched recursively, leaving out tests (*_test.rego) and hidden
// directories — compiles them together and prepares one query per
// package. Rego v1 is read, and v0 (the syntax before OPA 1.0) when a file
// is not v1. It returns the policies that loaded and a problem, with file
// and line, for every file that could not be read, parsed or compiled
// and for bad metadata: the other policies still load.
func Load(paths []string, o LoadOptions) (*PolicySet, demarc.Problems) {
	var problems demarc.Problems
	files := expand(paths, &problems)
	set := &PolicySet{}
	modules := map[string]*ast.Module{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, demarc.Problem{Pos: demarc.Position{File: f}, Message: "cannot read: " + pathError(err)})
			continue
		}
		sum := sha256.Sum256(data)
		set.Sources = append(set.Sources, check.Source{File: f, SHA256: hex.EncodeToString(sum[:])})
		m, err := parseModule(f, data)
		if err != nil {
			problems = append(problems, astProblems(err, f)...)
			continue
		}
		modules[f] = m
	}
	if len(files) > 0 && len(modules) == 0 && len(problems) == 0 {
		return set, demarc.Problems{{Pos: demarc.Position{File: paths[0]}, Message: "no Rego policies found"}}
	}
	compiler, compileProblems := compile(modules)
	problems = append(problems, compileProblems...)
	if compiler == nil {
		return set, problems
	}
	problems = append(problems, set.build(compiler, modules, o)...)
	return set, problems
}

// ParseModule reads one Rego file: Rego v1, or v0 when the file is not
// valid v1. The error, an ast.Errors, is the v1 parser's when neither
// reads it.
func parseModule(file string, data []byte) (*ast.Module, error) {
	opts := ast.ParserOptions{ProcessAnnotation: true, Capabilities: capabilities(), RegoVersion: ast.RegoV1}
	m, err := ast.ParseModuleWithOpts(file, string(data), opts)
	if err == nil {
		return m, nil
	}
	opts.RegoVersion = ast.RegoV0
	if m0, err0 := ast.ParseModuleWithOpts(file, string(data), opts); err0 == nil {
		return m0, nil
	}
	return nil, err
}

// capabilities are those of this OPA version less UnsafeBuiltins, with
// no network access.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool {
		return slices.Contains(UnsafeBuiltins, b.Name)
	})
	caps.AllowNet = []string{}
	return caps
}

// compile compiles the modules, leaving out a file that does not compile
// and trying the rest again, so that one bad policy never stops the
// others. It returns nil when nothing compiles.
func compile(modules map[string]*ast.Module) (*ast.Compiler, demarc.Problems) {
	var problems demarc.Problems
	caps := capabilities()
	for len(modules) > 0 {
		c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false).WithKeepModules(false)
		c.Compile(modules)
		if !c.Failed() {
			return c, problems
		}
		bad := map[string]bool{}
		for _, e := range c.Errors {
			file := ""
			if e.Location != nil {
				file = e.Location.File
			}
			if _, ok := modules[file]; !ok {
				// An error no file can be blamed for: nothing can be
				// left out to get past it.
				return nil, append(problems, errorProblem(e, ""))
			}
			bad[file] = true
			problems = append(problems, errorProblem(e, file))
		}
		for f := range bad {
			delete(modules, f)
		}
	}
	return nil, problems
}

// build finds the rules to evaluate, reads their metadata and prepares
// one query per package.
func (s *PolicySet) build(c *ast.Compiler, modules map[string]*ast.Module, o LoadOptions) demarc.Problems {
	var problems demarc.Problems
	files := make([]string, 0, len(modules))
	for f := range modules {
		files = append(files, f)
	}
	sort.Strings(files)
	byName := map[string]*regoPackage{}
	var order []*regoPackage
	annotations := c.GetAnnotationSet()
	for _, f := range files {
		m := c.Modules[f]
		if m == nil {
			continue
		}
		name := strings.TrimPrefix(m.Package.Path.String(), "data.")
		p := byName[name]
		if p == nil {
			p = &regoPackage{name: name}
			byName[name] = p
			order = append(order, p)
		}
		problems = append(problems, p.addRules(m, annotations)...)
	}
	for _, p := range order {
		if len(p.rules) == 0 {
			continue
		}
		for _, r := range p.rules {
			var ps demarc.Problems
			r.policy, r.types, ps = policyOf(r, annotations, o)
			problems = append(problems, ps...)
		}
		if err := p.prepare(c); err != nil {
			problems = append(problems, demarc.Problem{Pos: position(p.rules[0].defs[0].Location), Field: p.name,
				Message: "cannot prepare the package's query: " + err.Error()})
			continue
		}
		s.packages = append(s.packages, p)
		for _, r := range p.rules {
			s.policies = append(s.policies, r.policy)
		}
	}
	return problems
}

// addRules adds the deny, violation and warn rules of one module.
func (p *regoPackage) addRules(m *ast.Module, annotations *ast.AnnotationSet) demarc.Problems {
	var problems demarc.Problems
	for _, rule := range m.Rules {
		name := ruleName(rule)
		if name == "exception" {
			p.exception = true
			continue
		}
		failure, warning := failureName.MatchString(name), warningName.MatchString(name)
		if !failure && !warning {
			continue
		}
		if isBoolean(rule) {
			// "deny if { … }" is a boolean, not a set of messages.
			problems = append(problems, demarc.Problem{Pos: position(rule.Location), Field: "data." + p.name + "." + name,
				Message: fmt.Sprintf(`the rule is a boolean and yields no messages: write "%s contains msg if { … }"; it is not evaluated`, name)})
			continue
		}
		if len(rule.Head.Ref()) != 1 {
			// A rule with a longer reference head (deny.x := …) is none
			// that conftest evaluates either.
			continue
		}
		r := p.rule(name)
		if r == nil {
			r = &regoRule{pkg: p, name: name, warning: warning}
			p.rules = append(p.rules, r)
		}
		r.defs = append(r.defs, rule)
	}
	return problems
}

// isBoolean reports whether a rule's value is the constant true, as in
// "deny if { … }".
func isBoolean(rule *ast.Rule) bool {
	h := rule.Head
	return h.RuleKind() == ast.SingleValue && h.Key == nil && len(h.Args) == 0 && h.Value != nil && h.Value.Equal(ast.BooleanTerm(true))
}

// ruleName is a rule's name: its head's name, or the first part of a
// reference head.
func ruleName(rule *ast.Rule) string {
	if rule.Head.Name != "" {
		return string(rule.Head.Name)
	}
	if ref := rule.Head.Ref(); len(ref) > 0 {
		if v, ok := ref[0].Value.(ast.Var); ok {
			return string(v)
		}
	}
	return ""
}

func (p *regoPackage) rule(name string) *regoRule {
	for _, r := range p.rules {
		if r.name == name {
			return r
		}
	}
	return nil
}

// queryText is the package's one query: an array holding, per rule, the
// rule's value in a list of one (none when undefined), and last, when the
// package has exceptions, every name they give.
func (p *regoPackage) queryText() string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range p.rules {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[x | x := %s]", r.query())
	}
	if p.exception {
		fmt.Fprintf(&b, ", [x | x := data.%s.exception[_][_]]", p.name)
	}
	b.WriteString("]")
	return b.String()
}

func (p *regoPackage) prepare(c *ast.Compiler) error {
	q, err := opa.New(opa.Compiler(c), opa.Query(p.queryText()), opa.Capabilities(capabilities()),
		opa.StrictBuiltinErrors(false)).PrepareForEval(context.Background())
	if err != nil {
		return err
	}
	p.query = q
	return nil
}

// expand lists the .rego files named by paths, in name order.
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
		found := 0
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if f != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(f, ".rego") && !strings.HasSuffix(f, "_test.rego") {
				out = append(out, f)
				found++
			}
			return nil
		})
		if err != nil {
			*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: p}, Message: "cannot read directory: " + pathError(err)})
		} else if found == 0 {
			*problems = append(*problems, demarc.Problem{Pos: demarc.Position{File: p}, Message: "no Rego policies (.rego files other than *_test.rego) found"})
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func pathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// astProblems turns parse or compile errors into problems with file and
// line.
func astProblems(err error, file string) demarc.Problems {
	var errs ast.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		out := make(demarc.Problems, 0, len(errs))
		for _, e := range errs {
			out = append(out, errorProblem(e, file))
		}
		return out
	}
	return demarc.Problems{{Pos: demarc.Position{File: file}, Message: err.Error()}}
}

// errorProblem is one OPA error as a problem. Calls of a built-in that
// UnsafeBuiltins removed say why the function is missing.
func errorProblem(e *ast.Error, file string) demarc.Problem {
	pos := demarc.Position{File: file}
	if e.Location != nil {
		pos = position(e.Location)
		if pos.File == "" {
			pos.File = file
		}
	}
	msg := e.Message
	for _, name := range UnsafeBuiltins {
		if strings.Contains(msg, "undefined function "+name) || strings.Contains(msg, "undefined ref: "+name) {
			msg = fmt.Sprintf("%s is not allowed: Rego policies run without network access or the process environment, "+
				"so that a check depends only on the configuration it reads (not allowed: %s)", name, strings.Join(UnsafeBuiltins, ", "))
			break
		}
	}
	return demarc.Problem{Pos: pos, Message: "rego: " + msg}
}

func position(loc *ast.Location) demarc.Position {
	if loc == nil {
		return demarc.Position{}
	}
	return demarc.Position{File: loc.File, Line: loc.Row}
}
