package oscal

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc/library"
)

// failure is one schema violation: where, and what was expected.
type failure struct {
	path  string
	line  int
	msg   string
	depth int // len(path steps): tells failures at a value from failures below it
}

type pathStep struct {
	key   string
	index int // -1 for an object member
}

// schemaChecker validates values against compiled schema nodes. It
// allocates only when it records a failure.
type schemaChecker struct {
	path  []pathStep
	fails []failure
}

func (c *schemaChecker) fail(v *value, msg string) {
	c.fails = append(c.fails, failure{path: renderPath(c.path), line: int(v.line), msg: msg, depth: len(c.path)})
}

func renderPath(steps []pathStep) string {
	var b strings.Builder
	for _, s := range steps {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (c *schemaChecker) check(s *schemaNode, v *value) {
	for s.ref != nil && s.datatype == "" {
		s = s.ref
	}
	if s.datatype == "" {
		c.checkNode(s, v)
		return
	}
	// A datatype fails as a whole: one sentence instead of its regexp.
	n := len(c.fails)
	c.checkNode(s, v)
	if len(c.fails) > n {
		c.fails = c.fails[:n]
		c.fail(v, fmt.Sprintf("got %s; expected %s", show(v), s.datatype))
	}
}

func (c *schemaChecker) checkNode(s *schemaNode, v *value) {
	if s.ref != nil {
		c.check(s.ref, v)
		return
	}
	if s.types != 0 && !typeMatches(s.types, v) {
		c.fail(v, fmt.Sprintf("got %s; expected %s", show(v), s.types))
		return
	}
	if s.hasEnum && !inEnum(s.enum, v) {
		c.fail(v, fmt.Sprintf("got %s; expected one of %s", show(v), quoteList(s.enum, 12)))
	}
	switch v.kind {
	case kindString:
		c.checkString(s, v)
	case kindNumber:
		c.checkNumber(s, v)
	case kindObject:
		c.checkObject(s, v)
	case kindArray:
		c.checkArray(s, v)
	}
	for _, sub := range s.allOf {
		c.check(sub, v)
	}
	if len(s.anyOf) > 0 {
		c.alternatives(s.anyOf, v, false)
	}
	if len(s.oneOf) > 0 {
		c.alternatives(s.oneOf, v, true)
	}
}

func (c *schemaChecker) checkString(s *schemaNode, v *value) {
	if s.pattern != nil && !s.pattern.match(v.str) {
		c.fail(v, fmt.Sprintf("%s does not match the pattern %s", quoteValue(v.str), s.pattern.source))
	}
	if s.format != nil && !s.format.match(v.str) {
		c.fail(v, fmt.Sprintf("%s is not a valid %s", quoteValue(v.str), s.format.source))
	}
}

func (c *schemaChecker) checkNumber(s *schemaNode, v *value) {
	if !s.hasMin && s.multiple == 0 {
		return
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if err != nil {
		return // out of float range: the types above judged it already
	}
	if s.hasMin && f < s.minimum {
		c.fail(v, fmt.Sprintf("got %s; expected at least %s", v.str, formatNumber(s.minimum)))
	}
	if s.multiple != 0 {
		if q := f / s.multiple; q != math.Trunc(q) || math.IsInf(q, 0) {
			c.fail(v, fmt.Sprintf("got %s; expected a multiple of %s", v.str, formatNumber(s.multiple)))
		}
	}
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *schemaChecker) checkObject(s *schemaNode, v *value) {
	if s.maxProps >= 0 && len(v.keys) > s.maxProps {
		c.fail(v, fmt.Sprintf("got %d fields; expected at most %d", len(v.keys), s.maxProps))
	}
	for _, r := range s.required {
		if v.get(r) == nil {
			c.fail(v, fmt.Sprintf("missing required field %q", r))
		}
	}
	if s.props == nil && !s.closed {
		return
	}
	for i, k := range v.keys {
		p := s.props[k]
		if p == nil {
			if s.closed {
				c.path = append(c.path, pathStep{key: k, index: -1})
				c.fail(v.items[i], unknownField(s, k))
				c.path = c.path[:len(c.path)-1]
			}
			continue
		}
		c.path = append(c.path, pathStep{key: k, index: -1})
		c.check(p, v.items[i])
		c.path = c.path[:len(c.path)-1]
	}
}

func (c *schemaChecker) checkArray(s *schemaNode, v *value) {
	if len(v.items) < s.minItems {
		c.fail(v, fmt.Sprintf("got %d entries; expected at least %d (leave the field out instead of giving an empty list)", len(v.items), s.minItems))
	}
	if s.items == nil {
		return
	}
	for i, e := range v.items {
		c.path = append(c.path, pathStep{index: i})
		c.check(s.items, e)
		c.path = c.path[:len(c.path)-1]
	}
}

// alternatives checks anyOf (one=false) or oneOf. When no alternative
// fits, it reports the one the value came closest to: an alternative whose
// failures all lie below the value matched its shape; when every one fails
// at the value itself, their expectations are joined with "or".
func (c *schemaChecker) alternatives(alts []*schemaNode, v *value, one bool) {
	base := len(c.fails)
	passed := 0
	var best []failure
	bestDeep := false
	var shallow []string
	for _, alt := range alts {
		c.check(alt, v)
		got := c.fails[base:]
		if len(got) == 0 {
			passed++
			if !one {
				return
			}
			continue
		}
		deep := true
		for _, f := range got {
			if f.depth == len(c.path) {
				deep = false
				shallow = append(shallow, f.msg)
			}
		}
		if best == nil || (deep && !bestDeep) || (deep == bestDeep && len(got) < len(best)) {
			best, bestDeep = append([]failure(nil), got...), deep
		}
		c.fails = c.fails[:base]
	}
	switch {
	case passed == 1 && one, passed > 0 && !one:
		return
	case passed > 1:
		c.fail(v, fmt.Sprintf("matches %d of the alternative forms; expected exactly one", passed))
	case !bestDeep && len(shallow) > 1:
		c.fail(v, joinAlternatives(shallow))
	default:
		c.fails = append(c.fails, best...)
	}
}

// joinAlternatives merges "got X; expected A" and "got X; expected B" into
// "got X; expected A, or B".
func joinAlternatives(msgs []string) string {
	var got string
	var wants []string
	for _, m := range msgs {
		g, w, ok := strings.Cut(m, "; expected ")
		if !ok {
			return strings.Join(msgs, "; or ")
		}
		got = g
		wants = append(wants, w)
	}
	return got + "; expected " + strings.Join(wants, ", or ")
}

func typeMatches(t typeSet, v *value) bool {
	switch v.kind {
	case kindNull:
		return t&typeNull != 0
	case kindBool:
		return t&typeBool != 0
	case kindString:
		return t&typeString != 0
	case kindObject:
		return t&typeObject != 0
	case kindArray:
		return t&typeArray != 0
	}
	if t&typeNumber != 0 {
		return true
	}
	if t&typeInteger != 0 {
		f, err := strconv.ParseFloat(v.str, 64)
		return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}

func inEnum(enum []string, v *value) bool {
	if v.kind != kindString {
		return false
	}
	for _, e := range enum {
		if e == v.str {
			return true
		}
	}
	return false
}

// unknownField explains a member the schema does not allow: the closest
// allowed names, or the field it belongs inside.
func unknownField(s *schemaNode, k string) string {
	msg := fmt.Sprintf("unknown field %q", k)
	if hint := library.Suggest(k, s.fields); hint != "" {
		return msg + hint
	}
	for _, name := range s.fields {
		if inner := objectSchema(s.props[name]); inner != nil && inner.props[k] != nil {
			return msg + fmt.Sprintf(" (it belongs inside %q)", name)
		}
	}
	if len(s.fields) > 0 && len(s.fields) <= 16 {
		return msg + "; expected one of " + quoteList(s.fields, 16)
	}
	return msg
}

// objectSchema follows references and array items to the object schema
// beneath n, or nil.
func objectSchema(n *schemaNode) *schemaNode {
	for i := 0; n != nil && i < 8; i++ {
		switch {
		case n.ref != nil:
			n = n.ref
		case n.items != nil:
			n = n.items
		case n.props != nil:
			return n
		default:
			return nil
		}
	}
	return nil
}

// show renders a value for a message: strings quoted and shortened, other
// scalars with their kind.
func show(v *value) string {
	switch v.kind {
	case kindString:
		return quoteValue(v.str)
	case kindNumber, kindBool:
		return v.kind.String() + " " + v.str
	}
	return v.kind.String()
}

func quoteList(ss []string, max int) string {
	q := make([]string, 0, min(len(ss), max)+1)
	for i, s := range ss {
		if i == max {
			q = append(q, fmt.Sprintf("… (%d more)", len(ss)-max))
			break
		}
		q = append(q, strconv.Quote(s))
	}
	return strings.Join(q, ", ")
}
