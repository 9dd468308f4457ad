package check

import (
	"encoding/json"
	"math"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// unknownMark stands in a resource's attributes for a value that is not
// known: one only known after apply (a plan) or a reference that could not
// be resolved (a source file). Expressions that depend on it evaluate to
// unknown, and so the result is indeterminate rather than a failure.
type unknownMark struct {
	path string
	// written is true when the value was written in a source file (HCL,
	// CloudFormation, a manifest): it will be set, only to a value that is
	// not known here. isSet() counts it as set.
	written bool
	// id identifies the mark within one evaluation; it is negative for a
	// written mark so that functions, which see only the unknown value,
	// can tell the two kinds apart.
	id int64
}

// sourceFormats are the formats in which an attribute is present only if
// the author wrote it, so an unknown value there is an unresolved
// reference rather than a value the provider will choose.
var sourceFormats = map[string]bool{"terraform": true, "cloudformation": true, "kubernetes": true}

// markUnknown returns attrs with a mark at every unknown path, copying only
// the maps and lists along those paths; whole is true when the resource is
// unknown as a whole (the empty path).
func markUnknown(attrs map[string]any, paths []string, written bool, first int64) (out map[string]any, marks []*unknownMark, whole bool) {
	out = attrs
	for _, p := range paths {
		if p == "" {
			return attrs, nil, true
		}
		steps, ok := splitPath(p)
		if !ok {
			continue
		}
		id := first + int64(len(marks))
		if written {
			id = -id
		}
		m := &unknownMark{path: canonicalPath(p), written: written, id: id}
		marks = append(marks, m)
		v, _ := setMark(out, steps, m).(map[string]any)
		if v != nil {
			out = v
		}
	}
	return out, marks, false
}

// setMark returns a copy of v with m at steps, sharing everything off the
// path. A mark already on the path (an unknown ancestor) is kept.
func setMark(v any, steps []any, m *unknownMark) any {
	if len(steps) == 0 {
		return m
	}
	if _, isMark := v.(*unknownMark); isMark {
		return v
	}
	switch s := steps[0].(type) {
	case string:
		old, _ := v.(map[string]any)
		n := make(map[string]any, len(old)+1)
		for k, e := range old {
			n[k] = e
		}
		n[s] = setMark(old[s], steps[1:], m)
		return n
	case int:
		old, _ := v.([]any)
		n := make([]any, max(len(old), s+1))
		copy(n, old)
		n[s] = setMark(n[s], steps[1:], m)
		return n
	}
	return v
}

// adapter turns attribute values into CEL values: maps and lists lazily,
// marks into unknowns, and whole floats into integers so that 22 and 22.0
// are the same port.
type adapter struct{ base types.Adapter }

// NativeToValue implements types.Adapter.
func (a *adapter) NativeToValue(v any) ref.Val {
	switch t := v.(type) {
	case map[string]any:
		return types.NewStringInterfaceMap(a, t)
	case []any:
		return types.NewDynamicList(a, t)
	case string:
		return types.String(t)
	case bool:
		return types.Bool(t)
	case int64:
		return types.Int(t)
	case int:
		return types.Int(t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return types.Int(int64(t))
		}
		return types.Double(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return types.Int(i)
		}
		if f, err := t.Float64(); err == nil {
			return types.Double(f)
		}
		return types.String(t)
	case *unknownMark:
		return types.NewUnknown(t.id, nil)
	case nil:
		return types.NullValue
	}
	return a.base.NativeToValue(v)
}

// normalizeValue rewrites values decoded from YAML or JSON into the
// resource model's kinds: int64 for whole numbers, float64 otherwise,
// map[string]any for mappings.
func normalizeValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeValue(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			ks, _ := k.(string)
			m[ks] = normalizeValue(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalizeValue(e)
		}
		return t
	case int:
		return int64(t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
	}
	return v
}
