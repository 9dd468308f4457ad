package oscal

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/demarc-io/demarc"
)

// parseJSON parses one JSON document (RFC 8259, with the stricter rules of
// RFC 7493 that OSCAL tools apply: valid UTF-8, no duplicate member names)
// into values that know their line. A syntax error is reported with its
// line, column and the field path it occurred under.
//
// The parser is written for the one job: the text is copied into a single
// string once and every string value without escapes is a slice of it, so
// a large catalog is parsed with a fraction of the allocations a general
// decoder makes.
func parseJSON(name string, data []byte) (*value, error) {
	p := jsonParser{src: string(data), line: 1}
	p.skipSpace()
	root, err := p.value(0)
	if err == nil {
		p.skipSpace()
		if p.pos < len(p.src) {
			err = p.errorf("unexpected %s after the top-level value; expected the end of the file", p.describe())
		}
	}
	if err != nil {
		return nil, p.problem(name, err)
	}
	return root, nil
}

type jsonParser struct {
	src  string
	pos  int
	line int32
	slab slab
	// keys and items are stacks the members of the objects and arrays
	// being parsed gather on, so that each gets one exact allocation.
	keys  []string
	items []*value
	path  []pathStep
}

// syntaxError is a parse error at the parser's position.
type syntaxError struct {
	pos  int
	path string
	msg  string
}

func (e *syntaxError) Error() string { return e.msg }

func (p *jsonParser) errorf(format string, args ...any) error {
	return &syntaxError{pos: p.pos, path: renderPath(p.path), msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) problem(name string, err error) error {
	se := err.(*syntaxError)
	line, col := lineCol(p.src, se.pos)
	return demarc.Problems{{
		Pos:     demarc.Position{File: name, Line: line},
		Field:   se.path,
		Message: fmt.Sprintf("invalid JSON at column %d: %s", col, se.msg),
	}}.Err()
}

// describe names the character at the position for a message.
func (p *jsonParser) describe() string {
	if p.pos >= len(p.src) {
		return "end of file"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return fmt.Sprintf("character %q", r)
}

func (p *jsonParser) eof() error {
	return p.errorf("the document ends too early (truncated?)")
}

func (p *jsonParser) skipSpace() {
	s, i, line := p.src, p.pos, p.line
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			line++
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
	}
	p.pos, p.line = i, line
}

func (p *jsonParser) value(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.src) {
		return nil, p.eof()
	}
	v := p.slab.new()
	v.line = p.line
	switch c := p.src[p.pos]; {
	case c == '{':
		v.kind = kindObject
		return v, p.object(v, depth)
	case c == '[':
		v.kind = kindArray
		return v, p.array(v, depth)
	case c == '"':
		s, err := p.string()
		v.kind, v.str = kindString, s
		return v, err
	case c == '-' || '0' <= c && c <= '9':
		end, ok := scanNumber(p.src, p.pos)
		if !ok {
			p.pos = end
			return nil, p.errorf("malformed number; expected digits such as 42, -1.5 or 1e3")
		}
		v.kind, v.str = kindNumber, p.src[p.pos:end]
		p.pos = end
	default:
		for _, lit := range [...]struct {
			text string
			kind kind
		}{{"true", kindBool}, {"false", kindBool}, {"null", kindNull}} {
			if strings.HasPrefix(p.src[p.pos:], lit.text) {
				v.kind = lit.kind
				if lit.kind == kindBool {
					v.str = lit.text
				}
				p.pos += len(lit.text)
				return v, nil
			}
		}
		return nil, p.errorf("unexpected %s; expected a value: an object, array, string, number, true, false or null", p.describe())
	}
	return v, nil
}

func (p *jsonParser) object(v *value, depth int) error {
	p.pos++ // '{'
	base, kbase := len(p.items), len(p.keys)
	var seen map[string]bool
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return nil
	}
	for {
		if p.pos >= len(p.src) {
			return p.eof()
		}
		if p.src[p.pos] != '"' {
			return p.errorf("unexpected %s; expected a member name in double quotes", p.describe())
		}
		at := p.pos
		key, err := p.string()
		if err != nil {
			return err
		}
		if p.duplicate(key, kbase, &seen) {
			p.pos = at
			p.path = append(p.path, pathStep{key: key, index: -1})
			return p.errorf("duplicate member name %q", key)
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.eof()
		}
		if p.src[p.pos] != ':' {
			return p.errorf("unexpected %s after member name %q; expected ':'", p.describe(), key)
		}
		p.pos++
		p.skipSpace()
		p.keys = append(p.keys, key)
		p.path = append(p.path, pathStep{key: key, index: -1})
		item, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		p.items = append(p.items, item)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.eof()
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			continue
		case '}':
			p.pos++
			v.keys = append([]string(nil), p.keys[kbase:]...)
			v.items = append([]*value(nil), p.items[base:]...)
			p.keys, p.items = p.keys[:kbase], p.items[:base]
			return nil
		}
		return p.errorf("unexpected %s after member %q; expected ',' or '}'", p.describe(), key)
	}
}

// duplicate reports whether key is already a member of the object whose
// names start at kbase. Objects are small and searched; from 64 members on
// (a hostile document) the names go into *seen, built once.
func (p *jsonParser) duplicate(key string, kbase int, seen *map[string]bool) bool {
	names := p.keys[kbase:]
	if *seen == nil && len(names) < 64 {
		for _, k := range names {
			if k == key {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*len(names))
		for _, k := range names {
			(*seen)[k] = true
		}
	}
	if (*seen)[key] {
		return true
	}
	(*seen)[key] = true
	return false
}

func (p *jsonParser) array(v *value, depth int) error {
	p.pos++ // '['
	base := len(p.items)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return nil
	}
	for i := 0; ; i++ {
		p.path = append(p.path, pathStep{index: i})
		item, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		p.path = p.path[:len(p.path)-1]
		p.items = append(p.items, item)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return p.eof()
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			continue
		case ']':
			p.pos++
			v.items = append([]*value(nil), p.items[base:]...)
			p.items = p.items[:base]
			return nil
		}
		return p.errorf("unexpected %s after an array element; expected ',' or ']'", p.describe())
	}
}

// string reads a string at the position, which holds its opening quote.
func (p *jsonParser) string() (string, error) {
	start := p.pos + 1
	ascii := true
	for i := start; i < len(p.src); i++ {
		switch c := p.src[i]; {
		case c == '"':
			s := p.src[start:i]
			p.pos = i + 1
			if !ascii && !utf8.ValidString(s) {
				p.pos = start + invalidUTF8(s)
				return "", p.errorf("invalid UTF-8 in a string")
			}
			return s, nil
		case c == '\\':
			return p.escapedString(start, i)
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character %q in a string; expected it escaped, such as \\n", rune(c))
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	p.pos = len(p.src)
	return "", p.eof()
}

func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return 0
}

// escapedString reads the rest of a string that has escapes, from the
// first backslash at i.
func (p *jsonParser) escapedString(start, i int) (string, error) {
	var b strings.Builder
	b.WriteString(p.src[start:i])
	for i < len(p.src) {
		c := p.src[i]
		switch {
		case c == '"':
			p.pos = i + 1
			s := b.String()
			if !utf8.ValidString(s) {
				p.pos = start
				return "", p.errorf("invalid UTF-8 in a string")
			}
			return s, nil
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character %q in a string; expected it escaped, such as \\n", rune(c))
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(p.src) {
			p.pos = len(p.src)
			return "", p.eof()
		}
		switch e := p.src[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, problem := unicodeEscape(p.src[i:])
			if problem != "" {
				p.pos = i
				return "", p.errorf("%s", problem)
			}
			b.WriteRune(r)
			i += n
			continue
		default:
			p.pos = i
			return "", p.errorf("unknown escape \\%c in a string", e)
		}
		i += 2
	}
	p.pos = len(p.src)
	return "", p.eof()
}

// unicodeEscape reads \uXXXX, or a surrogate pair of two, at the start of
// s. A lone surrogate encodes no character: like invalid UTF-8, it is an
// error.
func unicodeEscape(s string) (rune, int, string) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0, "malformed \\u escape; expected four hex digits"
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, ""
	}
	if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if r2, ok := hex4(s[6:]); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 12, ""
			}
		}
	}
	return 0, 0, "a \\u escape of half a UTF-16 surrogate pair; expected a character"
}

func hex4(s string) (rune, bool) {
	if len(s) < 6 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// scanNumber returns the end of the JSON number starting at i and whether
// it is well formed: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(s string, i int) (int, bool) {
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return i, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, false
		}
	}
	return i, true
}
