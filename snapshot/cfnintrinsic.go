package snapshot

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Values of a template that evaluation leaves unresolved.
type (
	cfnUnknown struct{}        // known only once the stack is deployed
	cfnNoValue struct{}        // AWS::NoValue: the property is removed
	cfnSecret  struct{ v any } // comes from a NoEcho parameter
)

// cfnEval evaluates the intrinsic functions in one resource's properties
// (or one condition), collecting the resources they refer to and the
// paths that stay unknown or are sensitive.
type cfnEval struct {
	t         *cfnTemplate
	line      int
	field     string
	at        string // the path being evaluated, for problems
	refs      []string
	unknown   []string
	sensitive []string
}

func (e *cfnEval) eval(v any, depth int) any {
	if depth > maxValueDepth {
		return cfnUnknown{}
	}
	switch t := v.(type) {
	case map[string]any:
		if fn, arg, ok := intrinsicCall(t); ok {
			return e.call(fn, arg, depth)
		}
		// in key order, so that problems come in the same order each time
		out := make(map[string]any, len(t))
		at := e.at
		for _, k := range slices.Sorted(maps.Keys(t)) {
			e.at = JoinPath(at, k)
			out[k] = e.eval(t[k], depth+1)
		}
		e.at = at
		return out
	case []any:
		out := make([]any, 0, len(t))
		at := e.at
		defer func() { e.at = at }()
		for i, x := range t {
			e.at = JoinPath(at, i)
			r := e.eval(x, depth+1)
			if _, removed := r.(cfnNoValue); !removed {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

// intrinsicCall recognises {"Ref": x} and {"Fn::Name": x}.
func intrinsicCall(m map[string]any) (fn string, arg any, ok bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, v, true
		}
	}
	return "", nil, false
}

func (e *cfnEval) call(fn string, arg any, depth int) any {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			e.bad(fn, "expected the name of a parameter or resource")
			return cfnUnknown{}
		}
		return e.ref(name)
	case "Fn::GetAtt":
		e.getAtt(arg)
		return cfnUnknown{}
	case "Fn::Sub":
		return e.sub(arg, depth)
	case "Fn::If":
		return e.ifThen(arg, depth)
	case "Fn::Join":
		return e.join(arg, depth)
	case "Fn::Select":
		return e.selectItem(arg, depth)
	case "Fn::Split":
		return e.split(arg, depth)
	case "Fn::FindInMap":
		return e.findInMap(arg, depth)
	case "Fn::Base64":
		return e.apply(e.eval(arg, depth+1), func(v any) (any, bool) {
			s, ok := scalarString(v)
			return base64.StdEncoding.EncodeToString([]byte(s)), ok
		})
	case "Fn::ToJsonString":
		return e.apply(e.eval(arg, depth+1), func(v any) (any, bool) {
			b, err := json.Marshal(v)
			return string(b), err == nil
		})
	case "Fn::Length":
		return e.apply(e.eval(arg, depth+1), func(v any) (any, bool) {
			l, ok := v.([]any)
			return int64(len(l)), ok
		})
	}
	// Fn::GetAZs, Fn::ImportValue, Fn::Cidr, Fn::Transform and the
	// rest depend on the account or on other stacks: evaluate the
	// arguments only to find the resources they name.
	e.eval(arg, depth+1)
	return cfnUnknown{}
}

func (e *cfnEval) bad(fn, expected string) {
	e.t.problem(e.line, e.where(), "malformed %s: %s", fn, expected)
}

// where names the value being evaluated: Resources.Q.Properties.Tags[0].
func (e *cfnEval) where() string {
	switch {
	case e.at == "":
		return e.field
	case e.at[0] == '[':
		return e.field + e.at
	}
	return e.field + "." + e.at
}

// ref resolves Ref: a parameter's value, a pseudo parameter, or a
// resource's physical id (unknown, but a link).
func (e *cfnEval) ref(name string) any {
	switch name {
	case "AWS::NoValue":
		return cfnNoValue{}
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	}
	if p, ok := e.t.params[name]; ok {
		switch {
		case p.value == nil:
			return cfnUnknown{}
		case p.noEcho:
			return cfnSecret{p.value}
		}
		return p.value
	}
	if _, ok := e.t.resources[name]; ok {
		e.refs = append(e.refs, name)
	}
	return cfnUnknown{}
}

func (e *cfnEval) getAtt(arg any) {
	var name string
	switch a := arg.(type) {
	case []any:
		if len(a) > 0 {
			name, _ = a[0].(string)
		}
	case string:
		name, _, _ = strings.Cut(a, ".")
	}
	if name == "" {
		e.bad("Fn::GetAtt", "expected [LogicalId, Attribute]")
		return
	}
	if _, ok := e.t.resources[name]; ok {
		e.refs = append(e.refs, name)
	}
}

// sub resolves Fn::Sub: "text ${Param} ${Resource.Attr} ${!Literal}",
// or [text, {Var: value}].
func (e *cfnEval) sub(arg any, depth int) any {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) == 0 {
			e.bad("Fn::Sub", "expected a string or [string, {variables}]")
			return cfnUnknown{}
		}
		s, ok := a[0].(string)
		if !ok {
			e.bad("Fn::Sub", "expected a string or [string, {variables}]")
			return cfnUnknown{}
		}
		text = s
		if len(a) > 1 {
			for k, v := range asMap(a[1]) {
				vars[k] = e.eval(v, depth+1)
			}
		}
	default:
		e.bad("Fn::Sub", "expected a string or [string, {variables}]")
		return cfnUnknown{}
	}
	var b strings.Builder
	known, secret := true, false
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		end := strings.IndexByte(text[i:], '}')
		if end < 0 {
			b.WriteString(text[i:])
			break
		}
		name := text[i+2 : i+end]
		text = text[i+end+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		v, ok := vars[name]
		if !ok {
			if res, _, isAtt := strings.Cut(name, "."); isAtt {
				e.getAtt(res)
				v = cfnUnknown{}
			} else {
				v = e.ref(name)
			}
		}
		plain, isSecret, isKnown := resolved(v)
		s, isScalar := scalarString(plain)
		known = known && isKnown && isScalar
		secret = secret || isSecret
		b.WriteString(s)
	}
	if !known {
		return cfnUnknown{}
	}
	return wrapSecret(b.String(), secret)
}

func (e *cfnEval) ifThen(arg any, depth int) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		e.bad("Fn::If", "expected [condition, value if true, value if false]")
		return cfnUnknown{}
	}
	name, _ := a[0].(string)
	switch e.t.condition(name, e.line) {
	case triTrue:
		return e.eval(a[1], depth+1)
	case triFalse:
		return e.eval(a[2], depth+1)
	}
	e.eval(a[1], depth+1)
	e.eval(a[2], depth+1)
	return cfnUnknown{}
}

func (e *cfnEval) join(arg any, depth int) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		e.bad("Fn::Join", "expected [delimiter, [values]]")
		return cfnUnknown{}
	}
	return e.apply(e.eval(a, depth+1), func(v any) (any, bool) {
		args, isList := v.([]any)
		if !isList || len(args) < 2 {
			return nil, false
		}
		delim, okDelim := args[0].(string)
		list, okList := args[1].([]any)
		if !okDelim || !okList {
			return nil, false
		}
		parts := make([]string, len(list))
		for i, x := range list {
			s, isScalar := scalarString(x)
			if !isScalar {
				return nil, false
			}
			parts[i] = s
		}
		return strings.Join(parts, delim), true
	})
}

func (e *cfnEval) selectItem(arg any, depth int) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		e.bad("Fn::Select", "expected [index, [values]]")
		return cfnUnknown{}
	}
	return e.apply(e.eval(a, depth+1), func(v any) (any, bool) {
		args, isList := v.([]any)
		if !isList || len(args) < 2 {
			return nil, false
		}
		s, _ := scalarString(args[0])
		i, err := strconv.Atoi(s)
		list, isList := args[1].([]any)
		if err != nil || !isList || i < 0 || i >= len(list) {
			return nil, false
		}
		return list[i], true
	})
}

func (e *cfnEval) split(arg any, depth int) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		e.bad("Fn::Split", "expected [delimiter, string]")
		return cfnUnknown{}
	}
	return e.apply(e.eval(a, depth+1), func(v any) (any, bool) {
		args, isList := v.([]any)
		if !isList || len(args) < 2 {
			return nil, false
		}
		delim, ok1 := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 || delim == "" {
			return nil, false
		}
		parts := strings.Split(s, delim)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, true
	})
}

func (e *cfnEval) findInMap(arg any, depth int) any {
	a, ok := arg.([]any)
	if !ok || len(a) < 3 || len(a) > 4 {
		e.bad("Fn::FindInMap", "expected [map, top-level key, second-level key]")
		return cfnUnknown{}
	}
	evaluated := e.eval(a, depth+1)
	_, secretKey, _ := resolved(evaluated)
	return e.apply(evaluated, func(v any) (any, bool) {
		args, isList := v.([]any)
		if !isList || len(args) < 3 {
			return nil, false
		}
		names := make([]string, 3)
		for i := range names {
			s, isScalar := scalarString(args[i])
			if !isScalar {
				return nil, false
			}
			names[i] = s
		}
		if found, ok := asMap(asMap(e.t.mappings[names[0]])[names[1]])[names[2]]; ok {
			return e.eval(found, depth+1), true
		}
		if len(args) == 4 {
			if def, ok := asMap(args[3])["DefaultValue"]; ok {
				return def, true
			}
		}
		if secretKey {
			// a key from a NoEcho parameter must not be shown
			e.t.problem(e.line, e.where(), "Fn::FindInMap: no such entry in Mappings")
		} else {
			e.t.problem(e.line, e.where(), "Fn::FindInMap: no entry %s/%s/%s in Mappings", names[0], names[1], names[2])
		}
		return nil, false
	})
}

// apply calls fn on v once v is wholly known, keeping v's secrecy; an
// unknown v, or fn refusing it, yields unknown.
func (e *cfnEval) apply(v any, fn func(any) (any, bool)) any {
	plain, secret, known := resolved(v)
	if !known {
		return cfnUnknown{}
	}
	out, ok := fn(plain)
	if !ok {
		return cfnUnknown{}
	}
	return wrapSecret(out, secret)
}

func wrapSecret(v any, secret bool) any {
	if secret {
		return cfnSecret{v}
	}
	return v
}

// resolved strips the wrappers from an evaluated value: secret reports a
// NoEcho parameter in it, known is false when any part is unknown.
func resolved(v any) (plain any, secret, known bool) {
	switch t := v.(type) {
	case cfnUnknown:
		return nil, false, false
	case cfnNoValue:
		return nil, false, true
	case cfnSecret:
		p, _, k := resolved(t.v)
		return p, true, k
	case map[string]any:
		out := make(map[string]any, len(t))
		known = true
		for k, x := range t {
			p, s, kn := resolved(x)
			if _, removed := x.(cfnNoValue); !removed {
				out[k] = p
			}
			secret, known = secret || s, known && kn
		}
		return out, secret, known
	case []any:
		out := make([]any, 0, len(t))
		known = true
		for _, x := range t {
			p, s, kn := resolved(x)
			out = append(out, p)
			secret, known = secret || s, known && kn
		}
		return out, secret, known
	}
	return v, false, true
}

// scalarString writes a string, number or boolean as CloudFormation
// would substitute it.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// cond evaluates a condition expression: Fn::Equals, Fn::And, Fn::Or,
// Fn::Not and Condition.
func (e *cfnEval) cond(v any, depth int) tri {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 || depth > maxValueDepth {
		return triUnknown
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return e.t.condition(name, e.line)
		case "Fn::Equals":
			if len(args) != 2 {
				e.bad(fn, "expected [value, value]")
				return triUnknown
			}
			a, _, ka := resolved(e.eval(args[0], depth+1))
			b, _, kb := resolved(e.eval(args[1], depth+1))
			if !ka || !kb {
				return triUnknown
			}
			return triOf(fmt.Sprint(a) == fmt.Sprint(b))
		case "Fn::Not":
			if len(args) != 1 {
				e.bad(fn, "expected [condition]")
				return triUnknown
			}
			switch e.cond(args[0], depth+1) {
			case triTrue:
				return triFalse
			case triFalse:
				return triTrue
			}
			return triUnknown
		case "Fn::And", "Fn::Or":
			return e.combine(fn == "Fn::And", args, depth)
		}
	}
	return triUnknown
}

func (e *cfnEval) combine(and bool, args []any, depth int) tri {
	decisive, result := triTrue, triFalse
	if and {
		decisive, result = triFalse, triTrue
	}
	for _, a := range args {
		switch e.cond(a, depth+1) {
		case decisive:
			return decisive
		case triUnknown:
			result = triUnknown
		}
	}
	return result
}

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// finish turns evaluated properties into attributes: removed values go,
// unknown ones are recorded and left out, secret ones are recorded and
// unwrapped.
func (e *cfnEval) finish(m map[string]any) map[string]any {
	out, _ := e.finishValue(m, "").(map[string]any)
	return out
}

func (e *cfnEval) finishValue(v any, path string) any {
	switch t := v.(type) {
	case cfnUnknown:
		e.unknown = append(e.unknown, path)
		return nil
	case cfnNoValue:
		return nil
	case cfnSecret:
		e.sensitive = append(e.sensitive, path)
		inner := &cfnEval{}
		out := inner.finishValue(t.v, path)
		e.unknown = append(e.unknown, inner.unknown...)
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			switch x.(type) {
			case cfnNoValue:
				continue
			case cfnUnknown:
				e.unknown = append(e.unknown, JoinPath(path, k))
				continue
			}
			out[k] = e.finishValue(x, JoinPath(path, k))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = e.finishValue(x, JoinPath(path, i))
		}
		return out
	}
	return v
}
