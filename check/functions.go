package check

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The names through which related() reaches the resource being checked:
// related("t") expands to _related(_demarc, "t") and related(x, "t") to
// _related_of(_demarc, x, "t").
const (
	contextVar    = "_demarc"
	relatedFunc   = "_related"
	relatedOfFunc = "_related_of"
)

// relatedSize is how many linked resources of one type the cost estimate
// assumes; a resource with more is evaluated under the run-time limits.
const relatedSize = 16

// contextType is the CEL type of the evaluation context variable.
var contextType = cel.OpaqueType("demarc.context")

// functions returns the environment options that declare the policy
// functions (see the package documentation).
func functions() []cel.EnvOption {
	dyn, str, boolean := cel.DynType, cel.StringType, cel.BoolType
	listDyn := cel.ListType(dyn)
	return []cel.EnvOption{
		cel.Variable(contextVar, contextType),
		cel.Macros(cel.GlobalMacro("related", 1, expandRelated), cel.GlobalMacro("related", 2, expandRelated)),
		cel.Function(relatedFunc, cel.Overload("demarc_related", []*cel.Type{contextType, str}, cel.ListType(cel.MapType(str, dyn)),
			cel.BinaryBinding(relatedBinding))),
		cel.Function(relatedOfFunc, cel.Overload("demarc_related_of", []*cel.Type{contextType, dyn, str}, cel.ListType(cel.MapType(str, dyn)),
			cel.FunctionBinding(relatedOfBinding))),
		cel.Function("valueOr", cel.Overload("demarc_value_or", []*cel.Type{dyn, dyn}, dyn, cel.OverloadIsNonStrict(),
			cel.BinaryBinding(valueOr))),
		cel.Function("get",
			cel.Overload("demarc_get", []*cel.Type{dyn, str}, dyn, cel.BinaryBinding(func(v, p ref.Val) ref.Val {
				return getPath(v, p, types.NullValue)
			})),
			cel.Overload("demarc_get_default", []*cel.Type{dyn, str, dyn}, dyn, cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				return getPath(args[0], args[1], args[2])
			}))),
		cel.Function("values", cel.Overload("demarc_values", []*cel.Type{dyn, str}, listDyn, cel.BinaryBinding(valuesAt))),
		cel.Function("isSet", cel.Overload("demarc_is_set", []*cel.Type{dyn, str}, boolean, cel.BinaryBinding(isSetAt))),
		cel.Function("isTrue", cel.Overload("demarc_is_true", []*cel.Type{dyn}, boolean, cel.UnaryBinding(func(v ref.Val) ref.Val {
			return types.Bool(truth(v) == 1)
		}))),
		cel.Function("isFalse", cel.Overload("demarc_is_false", []*cel.Type{dyn}, boolean, cel.UnaryBinding(func(v ref.Val) ref.Val {
			return types.Bool(truth(v) == 0)
		}))),
		cel.Function("isEmpty", cel.Overload("demarc_is_empty", []*cel.Type{dyn}, boolean, cel.UnaryBinding(func(v ref.Val) ref.Val {
			return types.Bool(empty(v))
		}))),
		cel.Function("isOpenCIDR", cel.Overload("demarc_is_open_cidr", []*cel.Type{dyn}, boolean, cel.UnaryBinding(func(v ref.Val) ref.Val {
			return types.Bool(openCIDR(v))
		}))),
		cel.Function("coversPort", cel.Overload("demarc_covers_port", []*cel.Type{dyn, dyn, cel.IntType}, boolean, cel.FunctionBinding(coversPort))),
		cel.Function("parseJSON", cel.Overload("demarc_parse_json", []*cel.Type{dyn}, dyn, cel.UnaryBinding(parseJSON))),
		cel.Function("podSpec", cel.Overload("demarc_pod_spec", []*cel.Type{dyn}, cel.MapType(str, dyn), cel.UnaryBinding(podSpec))),
		cel.Function("containers", cel.Overload("demarc_containers", []*cel.Type{dyn}, cel.ListType(cel.MapType(str, dyn)), cel.UnaryBinding(containers))),
	}
}

// expandRelated rewrites related("t") and related(x, "t") to calls that
// carry the evaluation context.
func expandRelated(eh cel.MacroExprFactory, target ast.Expr, args []ast.Expr) (ast.Expr, *cel.Error) {
	if target != nil {
		return nil, eh.NewError(args[0].ID(), "related() takes no receiver")
	}
	if len(args) == 2 {
		return eh.NewCall(relatedOfFunc, eh.NewIdent(contextVar), args[0], args[1]), nil
	}
	return eh.NewCall(relatedFunc, eh.NewIdent(contextVar), args[0]), nil
}

func relatedOfBinding(args ...ref.Val) ref.Val {
	ec, ok := args[0].(*evalContext)
	if !ok {
		return types.NewErr("related() outside an evaluation")
	}
	name, ok := args[2].(types.String)
	if !ok {
		return types.NewErr("related() takes a resource type")
	}
	r := ec.owner(args[1])
	if r == nil {
		return types.NewErr("related(x, type): x must be the resource or a resource returned by related()")
	}
	return ec.relatedOf(r, string(name))
}

// valueOr is valueOr(x, placeholder): placeholder when x was written in a
// source file as a reference that could not be resolved, x otherwise. It
// lets a policy treat a reference to another resource — say a key's ARN —
// as "some other value" rather than as unknown.
func valueOr(v, placeholder ref.Val) ref.Val {
	if u, ok := v.(*types.Unknown); ok && writtenUnknown(u) {
		return placeholder
	}
	return v
}

// writtenUnknown reports whether every value behind u was written in a
// source file (its mark ids are negative).
func writtenUnknown(u *types.Unknown) bool {
	ids := u.IDs()
	for _, id := range ids {
		if id >= 0 {
			return false
		}
	}
	return len(ids) > 0
}

func relatedBinding(ctx, typ ref.Val) ref.Val {
	ec, ok := ctx.(*evalContext)
	if !ok {
		return types.NewErr("related() outside an evaluation")
	}
	name, ok := typ.(types.String)
	if !ok {
		return types.NewErr("related() takes a resource type")
	}
	return ec.related(string(name))
}

// step returns the value under one path step of v: a map key or a list
// index. A list met by a key is looked through at its first element, as
// Terraform writes a single nested block as a list of one. found is false
// when the step does not exist.
func step(v ref.Val, s any) (out ref.Val, found bool) {
	if raw, ok := rawValue(v); ok {
		next, found := rawStep(raw, s)
		if !found {
			return nil, false
		}
		return valueAdapter.NativeToValue(next), true
	}
	switch k := s.(type) {
	case string:
		if l, ok := v.(traits.Lister); ok && v.Type() == types.ListType {
			if l.Size() == types.IntZero {
				return nil, false
			}
			v = l.Get(types.IntZero)
			if types.IsUnknownOrError(v) {
				return v, true
			}
		}
		m, ok := v.(traits.Mapper)
		if !ok || v.Type() != types.MapType {
			return nil, false
		}
		return m.Find(types.String(k))
	case int:
		l, ok := v.(traits.Lister)
		if !ok || v.Type() != types.ListType {
			return nil, false
		}
		if int64(k) >= int64(l.Size().(types.Int)) {
			return nil, false
		}
		return l.Get(types.Int(k)), true
	}
	return nil, false
}

// rawValue returns the Go map or list behind a CEL value made from the
// attributes, so that paths can be walked without converting every step.
func rawValue(v ref.Val) (any, bool) {
	switch v.Type() {
	case types.MapType, types.ListType:
		switch raw := v.Value().(type) {
		case map[string]any, []any:
			return raw, true
		}
	}
	return nil, false
}

// rawStep is step on Go values; a mark ends the walk as found, so that
// the caller converts it to an unknown.
func rawStep(v any, s any) (any, bool) {
	switch k := s.(type) {
	case string:
		if l, isList := v.([]any); isList {
			if len(l) == 0 {
				return nil, false
			}
			v = l[0]
		}
		switch t := v.(type) {
		case map[string]any:
			next, found := t[k]
			return next, found
		case *unknownMark:
			return t, true
		}
	case int:
		switch t := v.(type) {
		case []any:
			if k >= len(t) {
				return nil, false
			}
			return t[k], true
		case *unknownMark:
			return t, true
		}
	}
	return nil, false
}

// paths keeps parsed path arguments: policies pass the same few hundred
// constant paths millions of times. The map is never changed once
// published; a new path publishes a copy, so reads need no lock.
var (
	paths   atomic.Pointer[map[string][]any]
	pathsMu sync.Mutex
)

func parsedPath(p ref.Val, fn string) ([]any, ref.Val) {
	path, ok := p.(types.String)
	if !ok {
		return nil, types.NewErr("%s(): the path must be a string", fn)
	}
	if table := paths.Load(); table != nil {
		if steps, ok := (*table)[string(path)]; ok {
			return steps, nil
		}
	}
	steps, ok := splitPath(string(path))
	if !ok {
		return nil, types.NewErr("%s(): malformed path %q", fn, string(path))
	}
	rememberPath(string(path), steps)
	return steps, nil
}

// rememberPath publishes a parsed path, up to a bound that keeps paths
// computed at run time from growing the table without end.
func rememberPath(path string, steps []any) {
	pathsMu.Lock()
	defer pathsMu.Unlock()
	old := paths.Load()
	if old != nil && len(*old) >= 4096 {
		return
	}
	table := make(map[string][]any, 1)
	if old != nil {
		table = make(map[string][]any, len(*old)+1)
		for k, v := range *old {
			table[k] = v
		}
	}
	table[path] = steps
	paths.Store(&table)
}

// getPath is get(v, path[, default]).
func getPath(v, p, def ref.Val) ref.Val {
	steps, bad := parsedPath(p, "get")
	if bad != nil {
		return bad
	}
	if raw, ok := rawValue(v); ok {
		for _, s := range steps {
			if _, isMark := raw.(*unknownMark); isMark {
				break
			}
			next, found := rawStep(raw, s)
			if !found {
				return def
			}
			raw = next
		}
		if raw == nil {
			return def
		}
		return valueAdapter.NativeToValue(raw)
	}
	for _, s := range steps {
		if types.IsUnknownOrError(v) {
			return v
		}
		next, found := step(v, s)
		if !found {
			return def
		}
		v = next
	}
	if v == types.NullValue {
		return def
	}
	return v
}

// valuesAt is values(v, path): every value at path, descending into every
// element of the lists on the way and flattening a list at the end.
func valuesAt(v, p ref.Val) ref.Val {
	steps, bad := parsedPath(p, "values")
	if bad != nil {
		return bad
	}
	var out []ref.Val
	collect(v, steps, &out)
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}

func collect(v ref.Val, steps []any, out *[]ref.Val) {
	if raw, ok := rawValue(v); ok {
		var vals []any
		collectRaw(raw, steps, &vals)
		for _, x := range vals {
			*out = append(*out, valueAdapter.NativeToValue(x))
		}
		return
	}
	if types.IsUnknownOrError(v) {
		*out = append(*out, v)
		return
	}
	if l, ok := v.(traits.Lister); ok && v.Type() == types.ListType {
		if len(steps) > 0 {
			if _, isIndex := steps[0].(int); isIndex {
				if next, found := step(v, steps[0]); found {
					collect(next, steps[1:], out)
				}
				return
			}
		}
		it := l.Iterator()
		for it.HasNext() == types.True {
			collect(it.Next(), steps, out)
		}
		return
	}
	if len(steps) == 0 {
		if v != types.NullValue {
			*out = append(*out, v)
		}
		return
	}
	if next, found := step(v, steps[0]); found {
		collect(next, steps[1:], out)
	}
}

func collectRaw(v any, steps []any, out *[]any) {
	switch t := v.(type) {
	case *unknownMark:
		*out = append(*out, t)
		return
	case []any:
		if len(steps) > 0 {
			if i, isIndex := steps[0].(int); isIndex {
				if i < len(t) {
					collectRaw(t[i], steps[1:], out)
				}
				return
			}
		}
		for _, e := range t {
			collectRaw(e, steps, out)
		}
		return
	case nil:
		return
	}
	if len(steps) == 0 {
		*out = append(*out, v)
		return
	}
	if m, isMap := v.(map[string]any); isMap {
		if k, isKey := steps[0].(string); isKey {
			if next, found := m[k]; found {
				collectRaw(next, steps[1:], out)
			}
		}
	}
}

// isSetAt is isSet(v, path): the value is present and not empty. A value
// written in a source file but not resolvable counts as set; a value only
// known after apply leaves the answer unknown.
func isSetAt(v, p ref.Val) ref.Val {
	got := getPath(v, p, types.NullValue)
	if u, ok := got.(*types.Unknown); ok {
		if writtenUnknown(u) {
			return types.True
		}
		return got
	}
	if types.IsError(got) {
		return got
	}
	return types.Bool(!empty(got))
}

// truth reads a boolean written as a bool, a string or a number: 1 for
// true, 0 for false, -1 for anything else (null, other text).
func truth(v ref.Val) int {
	switch t := v.(type) {
	case types.Bool:
		if t {
			return 1
		}
		return 0
	case types.String:
		switch strings.ToLower(strings.TrimSpace(string(t))) {
		case "true", "yes", "on", "enabled", "1":
			return 1
		case "false", "no", "off", "disabled", "0":
			return 0
		}
	case types.Int:
		if t == 1 {
			return 1
		}
		if t == 0 {
			return 0
		}
	}
	return -1
}

// empty reports whether v is null, an empty string, list or map.
func empty(v ref.Val) bool {
	switch t := v.(type) {
	case types.Null:
		return true
	case types.String:
		return strings.TrimSpace(string(t)) == ""
	case traits.Sizer:
		if v.Type() == types.ListType || v.Type() == types.MapType {
			return t.Size() == types.IntZero
		}
	}
	return false
}

// openCIDR reports whether v names every address: 0.0.0.0/0, ::/0, or the
// words providers use for it (*, Internet, Any).
func openCIDR(v ref.Val) bool {
	s, ok := v.(types.String)
	if !ok {
		return false
	}
	text := strings.ToLower(strings.TrimSpace(string(s)))
	switch text {
	case "*", "internet", "any", "0.0.0.0", "/0":
		return true
	}
	prefix, err := netip.ParsePrefix(text)
	return err == nil && prefix.Bits() == 0
}

// portNumber reads a port written as a number or a string; all is true
// for the spellings of "every port".
func portNumber(v ref.Val) (n int64, all, ok bool) {
	switch t := v.(type) {
	case types.Int:
		return int64(t), t < 0, true
	case types.Double:
		return int64(t), t < 0, true
	case types.String:
		s := strings.ToLower(strings.TrimSpace(string(t)))
		if s == "*" || s == "all" || s == "any" || s == "-1" {
			return 0, true, true
		}
		i, err := strconv.ParseInt(s, 10, 64)
		return i, false, err == nil
	}
	return 0, false, false
}

// coversPort is coversPort(from, to, port). A null "to" means the range is
// the single port "from"; a string "from" may be a range such as "20-25".
func coversPort(args ...ref.Val) ref.Val {
	port, ok := args[2].(types.Int)
	if !ok {
		return types.NewErr("coversPort(): the port must be an int")
	}
	from, to := args[0], args[1]
	if s, isStr := from.(types.String); isStr && to == types.NullValue {
		if lo, hi, isRange := strings.Cut(string(s), "-"); isRange && lo != "" {
			from, to = types.String(lo), types.String(hi)
		}
	}
	lo, allLo, okLo := portNumber(from)
	if !okLo {
		return types.False
	}
	if allLo {
		return types.True
	}
	hi := lo
	if to != types.NullValue {
		h, allHi, okHi := portNumber(to)
		if !okHi {
			return types.False
		}
		if allHi {
			return types.True
		}
		hi = h
	}
	if lo == 0 && hi == 0 {
		return types.True // 0-0 is how some providers write "all ports"
	}
	return types.Bool(int64(port) >= lo && int64(port) <= hi)
}

// parseJSON decodes a JSON document held in a string; other values pass
// through unchanged.
func parseJSON(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return v
	}
	text := strings.TrimSpace(string(s))
	if text == "" {
		return types.NullValue
	}
	var out any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return types.NewErr("parseJSON(): not a JSON document")
	}
	return valueAdapter.NativeToValue(normalizeValue(out))
}

// podSpecSteps locate the pod spec inside each kind of Kubernetes
// workload.
var podSpecSteps = map[string][]any{
	"Pod":     {"spec"},
	"CronJob": {"spec", "jobTemplate", "spec", "template", "spec"},
}

// podSpec returns the pod spec of a workload, or an empty map.
func podSpec(v ref.Val) ref.Val {
	if types.IsUnknownOrError(v) {
		return v
	}
	steps := []any{"spec", "template", "spec"}
	if kind, found := step(v, "kind"); found {
		if s, ok := kind.(types.String); ok && podSpecSteps[string(s)] != nil {
			steps = podSpecSteps[string(s)]
		}
	}
	cur := v
	for _, s := range steps {
		next, found := step(cur, s)
		if !found {
			return emptyMap
		}
		if types.IsUnknownOrError(next) {
			return next
		}
		cur = next
	}
	if cur.Type() != types.MapType {
		return emptyMap
	}
	return cur
}

var emptyMap = types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{})

// containers returns every container, init container and ephemeral
// container of a workload.
func containers(v ref.Val) ref.Val {
	spec := podSpec(v)
	if types.IsUnknownOrError(spec) {
		return spec
	}
	var out []ref.Val
	for _, key := range []string{"containers", "initContainers", "ephemeralContainers"} {
		list, found := step(spec, key)
		if !found {
			continue
		}
		if types.IsUnknownOrError(list) {
			return list
		}
		l, ok := list.(traits.Lister)
		if !ok || list.Type() != types.ListType {
			continue
		}
		it := l.Iterator()
		for it.HasNext() == types.True {
			if c := it.Next(); c.Type() == types.MapType || types.IsUnknown(c) {
				out = append(out, c)
			}
		}
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}
