package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/demarc-io/demarc"
)

// A read is an attribute a rule looks at, found in its expression so that
// a result can show the settings that decided it. Root says what the path
// starts from: the resource, each container of a workload, or the linked
// resources of a type.
type read struct {
	root string // rootResource, rootContainers or "related:<type>"
	path string // canonical path; "[*]" stands for every element
}

const (
	rootResource   = "resource"
	rootContainers = "containers"
	rootPodSpec    = "podspec"
	relatedPrefix  = "related:"
	wildcard       = "[*]"
)

// readsOf returns the attributes expr reads, longest paths only.
func readsOf(exprs ...ast.Expr) []read {
	w := &readWalker{scope: map[string]read{}}
	for _, e := range exprs {
		if e != nil {
			w.walk(e)
		}
	}
	return w.result()
}

type readWalker struct {
	scope map[string]read // iteration variables bound to a read
	found []read
}

func (w *readWalker) result() []read {
	var out []read
	for i, r := range w.found {
		covered := false
		for j, o := range w.found {
			if i != j && o.root == r.root && o.path != r.path && within(o.path, r.path) {
				covered = true
				break
			}
			if j < i && o == r {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].root != out[j].root {
			return out[i].root < out[j].root
		}
		return out[i].path < out[j].path
	})
	return out
}

func (w *readWalker) walk(e ast.Expr) {
	if r, ok := w.chain(e); ok && (r.path != "" || r.root != rootResource) {
		w.found = append(w.found, r)
	}
	switch e.Kind() {
	case ast.SelectKind:
		w.walk(e.AsSelect().Operand())
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			w.walk(c.Target())
		}
		for _, a := range c.Args() {
			w.walk(a)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			w.walk(el)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			if en.Kind() == ast.MapEntryKind {
				w.walk(en.AsMapEntry().Key())
				w.walk(en.AsMapEntry().Value())
			}
		}
	case ast.ComprehensionKind:
		w.comprehension(e.AsComprehension())
	}
}

func (w *readWalker) comprehension(c ast.ComprehensionExpr) {
	w.walk(c.IterRange())
	w.walk(c.AccuInit())
	saved, had := w.scope[c.IterVar()]
	if r, ok := w.chain(c.IterRange()); ok {
		w.scope[c.IterVar()] = read{root: r.root, path: r.path + wildcard}
	} else {
		delete(w.scope, c.IterVar())
	}
	w.walk(c.LoopCondition())
	w.walk(c.LoopStep())
	w.walk(c.Result())
	if had {
		w.scope[c.IterVar()] = saved
	} else {
		delete(w.scope, c.IterVar())
	}
}

// chain returns the read an expression stands for, when it is a path into
// the resource, a container, or related resources.
func (w *readWalker) chain(e ast.Expr) (read, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		name := e.AsIdent()
		if name == rootResource {
			return read{root: rootResource}, true
		}
		r, ok := w.scope[name]
		return r, ok
	case ast.SelectKind:
		s := e.AsSelect()
		base, ok := w.chain(s.Operand())
		if !ok {
			return read{}, false
		}
		return read{root: base.root, path: joinPath(base.path, s.FieldName())}, true
	case ast.CallKind:
		return w.callChain(e.AsCall())
	}
	return read{}, false
}

func (w *readWalker) callChain(c ast.CallExpr) (read, bool) {
	args := c.Args()
	switch fn := c.FunctionName(); fn {
	case operators.Index, operators.OptIndex, operators.OptSelect:
		if len(args) != 2 {
			return read{}, false
		}
		base, ok := w.chain(args[0])
		if !ok {
			return read{}, false
		}
		return read{root: base.root, path: appendStep(base.path, args[1])}, true
	case "get", "isSet", "values", "parseJSON":
		if len(args) == 0 {
			return read{}, false
		}
		base, ok := w.chain(args[0])
		if !ok {
			return read{}, false
		}
		if len(args) < 2 {
			return base, true
		}
		if args[1].Kind() != ast.LiteralKind {
			return read{}, false
		}
		p, isStr := args[1].AsLiteral().(types.String)
		if !isStr {
			return read{}, false
		}
		if base.path == "" {
			return read{root: base.root, path: canonicalPath(string(p))}, true
		}
		return read{root: base.root, path: base.path + "." + canonicalPath(string(p))}, true
	case "orValue", "value":
		if c.IsMemberFunction() {
			return w.chain(c.Target())
		}
	case "containers", "podSpec":
		if len(args) == 1 {
			if base, ok := w.chain(args[0]); ok && base.root == rootResource && base.path == "" {
				if fn == "containers" {
					return read{root: rootContainers}, true
				}
				return read{root: rootPodSpec}, true
			}
		}
	case relatedOfFunc:
		if len(args) == 3 && args[2].Kind() == ast.LiteralKind {
			if t, ok := args[2].AsLiteral().(types.String); ok {
				if base, ok := w.chain(args[1]); ok && base.root == rootResource && base.path == "" {
					return read{root: relatedPrefix + string(t)}, true
				}
			}
		}
	case relatedFunc:
		if len(args) == 2 && args[1].Kind() == ast.LiteralKind {
			if t, ok := args[1].AsLiteral().(types.String); ok {
				return read{root: relatedPrefix + string(t)}, true
			}
		}
	}
	return read{}, false
}

// appendStep joins a constant index or key to a path, or "[*]" for one
// computed at run time.
func appendStep(base string, key ast.Expr) string {
	if key.Kind() == ast.LiteralKind {
		switch k := key.AsLiteral().(type) {
		case types.String:
			return joinPath(base, string(k))
		case types.Int:
			return joinPath(base, int(k))
		}
	}
	return base + wildcard
}

// Value is an attribute a policy read, as evidence of why it decided as
// it did. Sensitive values are never shown; unknown ones are marked.
type Value struct {
	Path      string `json:"path"`
	Value     any    `json:"value,omitempty"`
	Missing   bool   `json:"missing,omitempty"`
	Unknown   bool   `json:"unknown,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// String renders the value as path=value for tables.
func (v Value) String() string {
	switch {
	case v.Sensitive:
		return v.Path + "=(sensitive)"
	case v.Unknown:
		return v.Path + "=(unknown)"
	case v.Missing && strings.HasPrefix(v.Path, "related "):
		return "no linked " + strings.TrimPrefix(v.Path, "related ")
	case v.Missing:
		return v.Path + " not set"
	}
	return v.Path + "=" + shortJSON(v.Value)
}

// maxValuesPerRead bounds the values one read contributes, so a rule over
// a list of thousands of entries does not flood a report.
const maxValuesPerRead = 20

// valuesOf returns the attribute values behind reads on r.
func valuesOf(r *demarc.Resource, reads []read, index *resourceIndex) []Value {
	var out []Value
	for _, rd := range reads {
		steps, ok := splitReadPath(rd.path)
		if !ok {
			continue
		}
		switch {
		case rd.root == rootResource:
			out = append(out, collectValues(r, r.Attributes, "", steps)...)
		case rd.root == rootPodSpec || rd.root == rootContainers:
			base, prefix := podSpecOf(r.Attributes)
			if base == nil {
				continue
			}
			if rd.root == rootContainers {
				out = append(out, containerValues(r, base, prefix, steps)...)
			} else {
				out = append(out, collectValues(r, base, prefix, steps)...)
			}
		case strings.HasPrefix(rd.root, relatedPrefix):
			out = append(out, relatedValues(r, strings.TrimPrefix(rd.root, relatedPrefix), steps, index)...)
		}
	}
	return out
}

// relatedValues reads steps in each linked resource of typ; with no
// steps, or no index to find them, it lists their ids.
func relatedValues(r *demarc.Resource, typ string, steps []any, index *resourceIndex) []Value {
	ids := r.Related[typ]
	if len(ids) == 0 {
		return []Value{{Path: "related " + typ, Missing: true}}
	}
	if len(steps) < 2 || steps[0] != "*" || index == nil {
		return []Value{{Path: "related " + typ, Value: ids}}
	}
	var out []Value
	for _, id := range ids {
		rr := index.get(id)
		if rr == nil {
			continue
		}
		for _, v := range collectValues(rr, rr.Attributes, "", steps[1:]) {
			v.Path = id + ": " + v.Path
			out = append(out, v)
		}
	}
	return out
}

// splitReadPath splits a read's path, keeping "*" for a wildcard step.
func splitReadPath(path string) ([]any, bool) {
	var steps []any
	for _, part := range strings.Split(path, wildcard) {
		if steps != nil || part != "" {
			s, ok := splitPath(strings.TrimPrefix(part, "."))
			if !ok {
				return nil, false
			}
			steps = append(steps, s...)
		}
		steps = append(steps, "*")
	}
	return steps[:len(steps)-1], true
}

func collectValues(r *demarc.Resource, v any, path string, steps []any) []Value {
	var out []Value
	var walk func(v any, path string, steps []any)
	walk = func(v any, path string, steps []any) {
		if len(out) >= maxValuesPerRead {
			return
		}
		if touches(r.Sensitive, path) && (len(steps) == 0 || sensitiveWhole(r.Sensitive, path)) {
			out = append(out, Value{Path: path, Sensitive: true})
			return
		}
		if len(steps) == 0 {
			out = append(out, leafValue(r, v, path))
			return
		}
		switch s := steps[0].(type) {
		case string:
			if s == "*" {
				switch t := v.(type) {
				case []any:
					for i, e := range t {
						walk(e, joinPath(path, i), steps[1:])
					}
				case map[string]any:
					for _, k := range sortedKeys(t) {
						walk(t[k], joinPath(path, k), steps[1:])
					}
				}
				return
			}
			if l, isList := v.([]any); isList {
				for i, e := range l {
					walk(e, joinPath(path, i), steps)
				}
				return
			}
			m, isMap := v.(map[string]any)
			next, found := m[s]
			if !isMap || !found {
				out = append(out, missingValue(r, joinPath(path, s), steps[1:]))
				return
			}
			walk(next, joinPath(path, s), steps[1:])
		case int:
			l, isList := v.([]any)
			if !isList || s >= len(l) {
				out = append(out, missingValue(r, joinPath(path, s), steps[1:]))
				return
			}
			walk(l[s], joinPath(path, s), steps[1:])
		}
	}
	walk(v, path, steps)
	return out
}

// sensitiveWhole reports whether path itself or an ancestor is sensitive,
// not merely something beneath it.
func sensitiveWhole(sensitive []string, path string) bool {
	for _, s := range sensitive {
		if within(path, s) {
			return true
		}
	}
	return false
}

func missingValue(r *demarc.Resource, path string, rest []any) Value {
	for _, s := range rest {
		if s == "*" {
			break
		}
		path = joinPath(path, s)
	}
	if touches(r.Unknown, path) {
		return Value{Path: path, Unknown: true}
	}
	return Value{Path: path, Missing: true}
}

func leafValue(r *demarc.Resource, v any, path string) Value {
	switch {
	case touches(r.Sensitive, path):
		return Value{Path: path, Sensitive: true}
	case touches(r.Unknown, path) && (v == nil || isContainer(v)):
		return Value{Path: path, Unknown: true}
	case v == nil:
		return Value{Path: path, Missing: true}
	}
	return Value{Path: path, Value: v}
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// podSpecOf finds a workload's pod spec natively, with its path.
func podSpecOf(attrs map[string]any) (map[string]any, string) {
	steps := []any{"spec", "template", "spec"}
	if kind, _ := attrs["kind"].(string); podSpecSteps[kind] != nil {
		steps = podSpecSteps[kind]
	}
	v, ok := lookup(attrs, steps)
	spec, isMap := v.(map[string]any)
	if !ok || !isMap {
		return nil, ""
	}
	path := ""
	for _, s := range steps {
		path = joinPath(path, s)
	}
	return spec, path
}

// containerValues reads steps (after the wildcard for "each container")
// in every container of a pod spec.
func containerValues(r *demarc.Resource, spec map[string]any, prefix string, steps []any) []Value {
	if len(steps) == 0 || steps[0] != "*" {
		return nil
	}
	var out []Value
	for _, key := range []string{"containers", "initContainers", "ephemeralContainers"} {
		list, _ := spec[key].([]any)
		for i, c := range list {
			out = append(out, collectValues(r, c, joinPath(joinPath(prefix, key), i), steps[1:])...)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shortJSON renders a value compactly for a table cell, cut at 80
// characters.
func shortJSON(v any) string {
	if s, ok := v.(string); ok {
		return truncate(strconv.Quote(s), 80)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return truncate(string(data), 80)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
