package snapshot

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// hclValue is what a resource block evaluated to, for the expressions of
// other blocks that refer to it: aws_s3_bucket.b.bucket is the literal
// bucket name when the configuration gives one.
type hclValue struct {
	attrs     map[string]any
	unknown   []string
	sensitive []string
	// count is 0 for a block without count or for_each, 1 for count = 1
	// (refer to it as name[0]), and -1 when the instances are not known
	// one by one.
	count int
}

// instances evaluates count and for_each: present is false when they say
// the block creates nothing; ctx binds count.index, or each.key and
// each.value, when there is exactly one instance.
func (m *hclModule) instances(body *hclsyntax.Body) (present bool, count int, ctx *hcl.EvalContext) {
	ctx = m.ctx
	if a := body.Attributes["count"]; a != nil {
		v := m.eval(a.Expr)
		if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
			return true, -1, ctx
		}
		n, _ := v.AsBigFloat().Int64()
		switch {
		case n <= 0:
			return false, 0, ctx
		case n == 1:
			ctx = m.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(0)})}
			return true, 1, ctx
		}
		return true, -1, ctx
	}
	if a := body.Attributes["for_each"]; a != nil {
		v := m.eval(a.Expr)
		if !v.IsWhollyKnown() || v.IsNull() || !v.CanIterateElements() {
			return true, -1, ctx
		}
		v, _ = v.Unmark()
		switch v.LengthInt() {
		case 0:
			return false, 0, ctx
		case 1:
			it := v.ElementIterator()
			it.Next()
			k, e := it.Element()
			if v.Type().IsSetType() {
				k = e
			}
			ctx = m.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": e})}
		}
		return true, -1, ctx
	}
	return true, 0, ctx
}

// order returns the blocks (by number) so that each comes after the
// blocks it refers to; blocks in a cycle keep their file order.
func (m *hclModule) order(ids []string, keep []int) []int {
	index := map[string]int{}
	for _, i := range keep {
		index[ids[i]] = i
	}
	state := map[int]int8{} // 1 visiting, 2 done
	var out []int
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, dep := range m.blockRefs(m.blocks[i].Body, 0) {
			if j, ok := index[dep]; ok && j != i {
				visit(j)
			}
		}
		state[i] = 2
		out = append(out, i)
	}
	for _, i := range keep {
		visit(i)
	}
	return out
}

// blockRefs lists the resources a body refers to, nested blocks included.
func (m *hclModule) blockRefs(body *hclsyntax.Body, depth int) []string {
	if depth > maxValueDepth {
		return nil
	}
	var out []string
	for _, a := range body.Attributes {
		out = append(out, m.exprRefs(a.Expr)...)
	}
	for _, b := range body.Blocks {
		out = append(out, m.blockRefs(b.Body, depth+1)...)
	}
	return out
}

// resourceRoots gives the expression the resources it refers to: for each
// attribute it reads, the value the configuration sets, or unknown.
func (m *hclModule) resourceRoots(ctx *hcl.EvalContext, vars map[string]cty.Value, traversals []hcl.Traversal) {
	type use struct{ attrs map[string]bool }
	uses := map[string]map[string]*use{} // root → resource key → attributes read
	add := func(root, key string, t hcl.Traversal, at int) {
		if uses[root] == nil {
			uses[root] = map[string]*use{}
		}
		u := uses[root][key]
		if u == nil {
			u = &use{attrs: map[string]bool{}}
			uses[root][key] = u
		}
		if v := m.values[key]; v != nil && v.count == 1 && at < len(t) {
			if _, isIndex := t[at].(hcl.TraverseIndex); isIndex {
				at++
			}
		}
		if name := traversalName(t, at); name != "" {
			u.attrs[name] = true
		}
	}
	for _, t := range traversals {
		root := t.RootName()
		switch {
		case root == "data":
			typ, name := traversalName(t, 1), traversalName(t, 2)
			if typ != "" && name != "" {
				add(root, "data."+typ+"."+name, t, 3)
			}
		case m.types[root]:
			if name := traversalName(t, 1); name != "" {
				add(root, root+"."+name, t, 2)
			}
		}
	}
	for root, keys := range uses {
		if hasVariable(ctx, root) {
			continue
		}
		if root == "data" {
			byType := map[string]map[string]cty.Value{}
			for key, u := range keys {
				typ, name := splitDataKey(key)
				if byType[typ] == nil {
					byType[typ] = map[string]cty.Value{}
				}
				byType[typ][name] = m.resourceValue(key, u.attrs)
			}
			obj := map[string]cty.Value{}
			for typ, names := range byType {
				obj[typ] = cty.ObjectVal(names)
			}
			vars[root] = cty.ObjectVal(obj)
			continue
		}
		names := map[string]cty.Value{}
		for key, u := range keys {
			names[key[len(root)+1:]] = m.resourceValue(key, u.attrs)
		}
		vars[root] = cty.ObjectVal(names)
	}
}

func splitDataKey(key string) (typ, name string) {
	rest := key[len("data."):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '.' {
			return rest[:i], rest[i+1:]
		}
	}
	return rest, ""
}

// traversalName returns the attribute name at step i, or "".
func traversalName(t hcl.Traversal, i int) string {
	if i < len(t) {
		if a, ok := t[i].(hcl.TraverseAttr); ok {
			return a.Name
		}
	}
	return ""
}

// resourceValue is a resource as an expression sees it: an object of the
// attributes read, each the configured value or unknown.
func (m *hclModule) resourceValue(key string, attrs map[string]bool) cty.Value {
	v := m.values[key]
	if v == nil || v.count < 0 {
		return cty.DynamicVal
	}
	if len(attrs) == 0 {
		// indexed by an expression (x[count.index].acl): which attributes
		// are read is not written in the traversal, so give every one that
		// is known
		attrs = map[string]bool{}
		for a := range v.attrs {
			attrs[a] = true
		}
	}
	obj := make(map[string]cty.Value, len(attrs))
	for a := range attrs {
		x, known := v.attrs[a]
		if !known || touches(v.unknown, a) {
			obj[a] = cty.DynamicVal
			continue
		}
		val := toCty(x, 0)
		if touches(v.sensitive, a) {
			val = val.Mark(sensitiveMark)
		}
		obj[a] = val
	}
	if v.count == 1 {
		return cty.TupleVal([]cty.Value{cty.ObjectVal(obj)})
	}
	return cty.ObjectVal(obj)
}

// toCty converts an attribute value back into the evaluator's values.
func toCty(v any, depth int) cty.Value {
	if depth > maxValueDepth {
		return cty.DynamicVal
	}
	switch t := v.(type) {
	case string:
		return cty.StringVal(t)
	case bool:
		return cty.BoolVal(t)
	case int64:
		return cty.NumberIntVal(t)
	case float64:
		return cty.NumberFloatVal(t)
	case []any:
		if len(t) == 0 {
			return cty.EmptyTupleVal
		}
		out := make([]cty.Value, len(t))
		for i, e := range t {
			out[i] = toCty(e, depth+1)
		}
		return cty.TupleVal(out)
	case map[string]any:
		if len(t) == 0 {
			return cty.EmptyObjectVal
		}
		out := make(map[string]cty.Value, len(t))
		for k, e := range t {
			out[k] = toCty(e, depth+1)
		}
		return cty.ObjectVal(out)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}
