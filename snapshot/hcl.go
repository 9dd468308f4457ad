package snapshot

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/demarc-io/demarc"
)

// sourceFile is one file of a Terraform module.
type sourceFile struct {
	name string
	data []byte
}

// hclModule is the parsed source of one Terraform module (a folder of .tf
// files), evaluated statically: without running Terraform, without
// providers and without reading other files.
type hclModule struct {
	variables map[string]*hclsyntax.Block
	tfvars    map[string]cty.Value
	locals    map[string]*hclsyntax.Attribute
	blocks    []*hclsyntax.Block // resource and data blocks, in file order
	files     []string           // the file of each block
	ctx       *hcl.EvalContext
	localRefs map[string][]string // local name → resources it refers to
	types     map[string]bool     // the managed resource types declared
	values    map[string]*hclValue
	problems  demarc.Problems
}

// hclMeta are the arguments and blocks of a resource that Terraform
// itself reads; they are not the resource's settings.
var hclMeta = map[string]bool{
	"count": true, "for_each": true, "depends_on": true, "provider": true,
	"lifecycle": true, "provisioner": true, "connection": true,
}

// parseTerraformHCL reads the .tf files of one module (and the variable
// values of its .tfvars files) into one resource per resource or data
// block, id its address without instance key, evaluated as the package
// documentation says. A file with syntax errors is a problem; the other
// files are still read.
func parseTerraformHCL(files, tfvars []sourceFile) (*parsed, error) {
	m := &hclModule{
		variables: map[string]*hclsyntax.Block{},
		tfvars:    map[string]cty.Value{},
		locals:    map[string]*hclsyntax.Attribute{},
		types:     map[string]bool{},
		values:    map[string]*hclValue{},
	}
	parsedFiles := 0
	for _, f := range files {
		if m.parseFile(f) {
			parsedFiles++
		}
	}
	if parsedFiles == 0 && len(m.problems) > 0 {
		return nil, m.problems.Err()
	}
	for _, f := range tfvars {
		m.readTFVars(f)
	}
	m.buildContext()
	return m.resources(), nil
}

func (m *hclModule) diagnostics(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		p := demarc.Problem{Message: d.Summary}
		if d.Detail != "" {
			p.Message += ": " + d.Detail
		}
		if d.Subject != nil {
			p.Pos = demarc.Position{File: d.Subject.Filename, Line: d.Subject.Start.Line}
		}
		m.problems = append(m.problems, p)
	}
}

// parseFile adds the blocks of one file; it reports false when the file
// has syntax errors, in which case none of it is used.
func (m *hclModule) parseFile(f sourceFile) bool {
	file, diags := hclsyntax.ParseConfig(f.data, f.name, hcl.InitialPos)
	if diags.HasErrors() {
		m.diagnostics(diags)
		return false
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			if len(b.Labels) == 1 {
				m.variables[b.Labels[0]] = b
			}
		case "locals":
			for name, a := range b.Body.Attributes {
				m.locals[name] = a
			}
		case "resource", "data":
			if len(b.Labels) == 2 && hclsyntax.ValidIdentifier(b.Labels[0]) && hclsyntax.ValidIdentifier(b.Labels[1]) {
				m.blocks = append(m.blocks, b)
				m.files = append(m.files, f.name)
				if b.Type == "resource" {
					m.types[b.Labels[0]] = true
				}
			} else {
				m.problems = append(m.problems, demarc.Problem{Pos: demarc.Position{File: f.name, Line: b.DefRange().Start.Line},
					Field: b.Type, Message: "expected two labels, the type and the name, each a letter or underscore followed by letters, digits, underscores or dashes; block skipped"})
			}
		}
	}
	return true
}

// readTFVars reads the variable values of a .tfvars or .tfvars.json file.
func (m *hclModule) readTFVars(f sourceFile) {
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(f.name, ".json") {
		file, diags = hcljson.Parse(f.data, f.name)
	} else {
		file, diags = hclsyntax.ParseConfig(f.data, f.name, hcl.InitialPos)
	}
	if diags.HasErrors() {
		m.diagnostics(diags)
		return
	}
	attrs, diags := file.Body.JustAttributes()
	m.diagnostics(diags)
	for name, a := range attrs {
		if v, d := a.Expr.Value(nil); !d.HasErrors() {
			m.tfvars[name] = v
		}
	}
}

// buildContext prepares what expressions may use: var, local, the built-in
// functions, and unknown values for everything only known at apply time.
func (m *hclModule) buildContext() {
	vars := map[string]cty.Value{}
	for name, b := range m.variables {
		vars[name] = m.variableValue(name, b)
	}
	m.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":       cty.ObjectVal(vars),
			"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		},
		Functions: terraformFunctions(m.functionNames()),
	}
	m.evalLocals()
}

// variableValue is a variable's .tfvars value, else its default, else
// unknown; a variable declared sensitive marks its value so.
func (m *hclModule) variableValue(name string, b *hclsyntax.Block) cty.Value {
	v, ok := m.tfvars[name]
	if !ok {
		v = cty.DynamicVal
		if a := b.Body.Attributes["default"]; a != nil {
			if d, diags := a.Expr.Value(nil); !diags.HasErrors() {
				v = d
			}
		}
	}
	if a := b.Body.Attributes["sensitive"]; a != nil {
		if s, diags := a.Expr.Value(nil); !diags.HasErrors() && s.Type() == cty.Bool && s.IsKnown() && !s.IsNull() && s.True() {
			v = v.Mark(sensitiveMark)
		}
	}
	return v
}

type markName string

// sensitiveMark marks values that come from a sensitive variable, so that
// whatever is computed from them is sensitive too.
const sensitiveMark = markName("sensitive")

// evalLocals evaluates the locals in dependency order; a local that
// depends on itself, or on what cannot be evaluated, is unknown.
func (m *hclModule) evalLocals() {
	values := map[string]cty.Value{}
	m.localRefs = map[string][]string{}
	names := make([]string, 0, len(m.locals))
	for n := range m.locals {
		names = append(names, n)
		values[n] = cty.DynamicVal
	}
	slices.Sort(names)
	done := map[string]bool{}
	for progress := true; progress; {
		progress = false
		for _, n := range names {
			if done[n] || !m.localDepsDone(n, done) {
				continue
			}
			m.ctx.Variables["local"] = cty.ObjectVal(values)
			values[n] = m.eval(m.locals[n].Expr)
			m.localRefs[n] = m.exprRefs(m.locals[n].Expr)
			done[n] = true
			progress = true
		}
	}
	m.ctx.Variables["local"] = cty.ObjectVal(values)
}

func (m *hclModule) localDepsDone(name string, done map[string]bool) bool {
	for _, t := range m.locals[name].Expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if attr, ok := t[1].(hcl.TraverseAttr); ok && !done[attr.Name] {
			if _, declared := m.locals[attr.Name]; declared {
				return false
			}
		}
	}
	return true
}

// eval evaluates an expression; any error makes the value unknown rather
// than failing, as Terraform would only know it at apply time.
func (m *hclModule) eval(e hclsyntax.Expression) cty.Value {
	return m.evalIn(m.ctx, e)
}

func (m *hclModule) evalIn(ctx *hcl.EvalContext, e hclsyntax.Expression) (v cty.Value) {
	defer func() {
		// A function given values it does not expect may panic deep in
		// cty; for a static reader that only means the value is unknown.
		if recover() != nil {
			v = cty.DynamicVal
		}
	}()
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{}
	traversals := e.Variables()
	m.resourceRoots(ctx, child.Variables, traversals)
	for _, t := range traversals {
		root := t.RootName()
		if _, set := child.Variables[root]; !set && !hasVariable(ctx, root) {
			child.Variables[root] = cty.DynamicVal
		}
	}
	v, diags := e.Value(child)
	if diags.HasErrors() {
		return cty.DynamicVal
	}
	return v
}

func hasVariable(ctx *hcl.EvalContext, name string) bool {
	for c := ctx; c != nil; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

// exprRefs returns the resources an expression refers to, directly or
// through locals.
func (m *hclModule) exprRefs(e hclsyntax.Expression) []string {
	var out []string
	for _, t := range e.Variables() {
		out = append(out, m.traversalRefs(t)...)
	}
	return out
}

func (m *hclModule) traversalRefs(t hcl.Traversal) []string {
	name := func(i int) string {
		if i < len(t) {
			if a, ok := t[i].(hcl.TraverseAttr); ok {
				return a.Name
			}
		}
		return ""
	}
	switch root := t.RootName(); root {
	case "local":
		return m.localRefs[name(1)]
	case "data":
		if typ, n := name(1), name(2); typ != "" && n != "" {
			return []string{"data." + typ + "." + n}
		}
	case "var", "count", "each", "path", "terraform", "self", "module":
	default:
		if n := name(1); n != "" {
			return []string{root + "." + n}
		}
	}
	return nil
}

// functionNames lists every function the module's expressions call.
func (m *hclModule) functionNames() map[string]bool {
	names := map[string]bool{}
	visit := func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			names[call.Name] = true
		}
		return nil
	}
	for _, b := range m.blocks {
		hclsyntax.VisitAll(b.Body, visit)
	}
	for _, a := range m.locals {
		hclsyntax.VisitAll(a.Expr, visit)
	}
	return names
}

// resources evaluates every resource and data block, each after the
// blocks it refers to, so that it can read their configured values.
func (m *hclModule) resources() *parsed {
	p := &parsed{byValue: true, problems: m.problems}
	ids := make([]string, len(m.blocks))
	seen := map[string]demarc.Position{}
	var keep []int
	for i, b := range m.blocks {
		ids[i] = b.Labels[0] + "." + b.Labels[1]
		if b.Type == "data" {
			ids[i] = "data." + ids[i]
		}
		pos := demarc.Position{File: m.files[i], Line: b.DefRange().Start.Line}
		if first, dup := seen[ids[i]]; dup {
			p.problems = append(p.problems, demarc.Problem{Pos: pos, Field: ids[i],
				Message: "declared more than once in this module; first declared at " + first.String() + "; this declaration skipped"})
			continue
		}
		seen[ids[i]] = pos
		keep = append(keep, i)
	}
	evaluated := make(map[int]*demarc.Resource, len(keep))
	refs := map[int][]string{}
	for _, i := range m.order(ids, keep) {
		b := m.blocks[i]
		present, count, ctx := m.instances(b.Body)
		if !present {
			continue
		}
		typ := b.Labels[0]
		if b.Type == "data" {
			typ = "data." + typ
		}
		ev := &hclEval{m: m}
		attrs := ev.body(ctx, b.Body, "", true)
		r := &demarc.Resource{
			ID:         ids[i],
			Type:       typ,
			Name:       b.Labels[1],
			Format:     FormatTerraform,
			Provider:   terraformProvider(typ, ""),
			Attributes: attrs,
			Unknown:    sortedPaths(ev.unknown),
			Sensitive:  sortedPaths(ev.sensitive),
			Pos:        seen[ids[i]],
		}
		evaluated[i] = r
		refs[i] = ev.refs
		m.values[ids[i]] = &hclValue{attrs: attrs, unknown: r.Unknown, sensitive: r.Sensitive, count: count}
	}
	number := map[int]int{}
	for _, i := range keep {
		if r := evaluated[i]; r != nil {
			number[i] = len(p.resources)
			p.resources = append(p.resources, *r)
		}
	}
	for i, targets := range refs {
		for _, t := range targets {
			p.refs = append(p.refs, ref{from: number[i], to: t})
		}
	}
	return p
}

// hclEval evaluates the body of one resource into attributes.
type hclEval struct {
	m         *hclModule
	unknown   []string
	sensitive []string
	refs      []string
}

// body evaluates the arguments and nested blocks of a body: a nested
// block becomes a list of objects under its type, as in a plan; a dynamic
// block is expanded when its for_each is known.
func (ev *hclEval) body(ctx *hcl.EvalContext, body *hclsyntax.Body, path string, top bool) map[string]any {
	out := map[string]any{}
	names := make([]string, 0, len(body.Attributes))
	for n := range body.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a := body.Attributes[n]
		ev.refs = append(ev.refs, ev.m.exprRefs(a.Expr)...)
		if top && hclMeta[n] {
			continue
		}
		p := JoinPath(path, n)
		if v, known := ev.value(ev.m.evalIn(ctx, a.Expr), p, 0); known {
			out[n] = v
			if _, isString := v.(string); isString && secretName(n) {
				ev.sensitive = append(ev.sensitive, p)
			}
		}
	}
	for _, b := range body.Blocks {
		if top && hclMeta[b.Type] {
			continue
		}
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			ev.dynamic(ctx, b, path, out)
			continue
		}
		list, _ := out[b.Type].([]any)
		p := JoinPath(JoinPath(path, b.Type), len(list))
		out[b.Type] = append(list, ev.body(ctx, b.Body, p, false))
	}
	return out
}

// dynamic expands a dynamic block: one block of its content per element
// of for_each, with the iterator (named after the block unless iterator
// says otherwise) bound to the element's key and value.
func (ev *hclEval) dynamic(ctx *hcl.EvalContext, b *hclsyntax.Block, path string, out map[string]any) {
	typ := b.Labels[0]
	var content *hclsyntax.Body
	for _, c := range b.Body.Blocks {
		if c.Type == "content" {
			content = c.Body
		}
	}
	forEach := b.Body.Attributes["for_each"]
	if content == nil || forEach == nil {
		return
	}
	ev.refs = append(ev.refs, ev.m.exprRefs(forEach.Expr)...)
	iterator := typ
	if it := b.Body.Attributes["iterator"]; it != nil {
		if t, diags := hcl.AbsTraversalForExpr(it.Expr); !diags.HasErrors() {
			iterator = t.RootName()
		}
	}
	coll := ev.m.evalIn(ctx, forEach.Expr)
	if !coll.IsWhollyKnown() || coll.IsNull() || !coll.CanIterateElements() {
		ev.unknown = append(ev.unknown, JoinPath(path, typ))
		refsOnly := &hclEval{m: ev.m}
		refsOnly.body(ctx, content, "", false)
		ev.refs = append(ev.refs, refsOnly.refs...)
		return
	}
	coll, _ = coll.Unmark()
	list, _ := out[typ].([]any)
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{iterator: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		p := JoinPath(JoinPath(path, typ), len(list))
		list = append(list, ev.body(child, content, p, false))
	}
	out[typ] = list
}

// value converts a cty value to the model's values, recording unknown and
// sensitive parts; known is false when the whole value is unknown.
func (ev *hclEval) value(v cty.Value, path string, depth int) (out any, known bool) {
	if v.IsMarked() {
		var marks cty.ValueMarks
		v, marks = v.Unmark()
		if marks.Has(sensitiveMark) {
			ev.sensitive = append(ev.sensitive, path)
		}
	}
	if !v.IsKnown() || depth > maxValueDepth {
		ev.unknown = append(ev.unknown, path)
		return nil, false
	}
	if v.IsNull() {
		return nil, true
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString(), true
	case ty == cty.Bool:
		return v.True(), true
	case ty == cty.Number:
		return ctyNumber(v), true
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		list := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			x, _ := ev.value(e, JoinPath(path, len(list)), depth+1)
			list = append(list, x)
		}
		return list, true
	case ty.IsMapType() || ty.IsObjectType():
		obj := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			key := k.AsString()
			if x, ok := ev.value(e, JoinPath(path, key), depth+1); ok {
				obj[key] = x
			}
		}
		return obj, true
	}
	ev.unknown = append(ev.unknown, path)
	return nil, false
}

// ctyNumber returns a number as int64 when whole, else float64.
func ctyNumber(v cty.Value) any {
	bf := v.AsBigFloat()
	if bf.IsInt() {
		if i, acc := bf.Int64(); acc == 0 {
			return i
		}
	}
	f, _ := bf.Float64()
	return f
}

// terraformModuleFiles splits the files of a folder into the module's
// .tf files and its variable files, in the order Terraform reads them:
// terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json) by
// name, later files overriding earlier ones.
func terraformModuleFiles(names []string) (tf, tfvars []string) {
	var auto []string
	for _, n := range names {
		base := filepath.Base(n)
		switch {
		case strings.HasSuffix(base, ".tf") && !strings.HasSuffix(base, ".tf.json"):
			tf = append(tf, n)
		case base == "terraform.tfvars" || base == "terraform.tfvars.json":
			tfvars = append(tfvars, n)
		case strings.HasSuffix(base, ".auto.tfvars") || strings.HasSuffix(base, ".auto.tfvars.json"):
			auto = append(auto, n)
		}
	}
	slices.Sort(tf)
	slices.Sort(tfvars)
	slices.Sort(auto)
	return tf, append(tfvars, auto...)
}
