package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/demarc-io/demarc"
)

// jsonScan walks JSON text without decoding it, to find the keys of the
// top-level object (format detection) and the line on which each member
// of a container starts (resource positions), which encoding/json does not
// report. It never fails on bad input: it stops.
type jsonScan struct {
	data []byte
	pos  int
	line int // the 1-based line of data[pos]
}

func newJSONScan(data []byte) *jsonScan {
	return &jsonScan{data: data, line: 1}
}

func (s *jsonScan) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *jsonScan) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\n':
			s.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		s.pos++
	}
}

// str reads the string at pos and returns its decoded value.
func (s *jsonScan) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.pos
	escaped := false
	for s.pos++; s.pos < len(s.data); s.pos++ {
		switch s.data[s.pos] {
		case '\\':
			escaped = true
			s.pos++
		case '"':
			s.pos++
			raw := s.data[start:s.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), true
			}
			var out string
			if json.Unmarshal(raw, &out) != nil {
				return "", false
			}
			return out, true
		}
	}
	return "", false
}

// skipString moves past the string at pos without decoding it.
func (s *jsonScan) skipString() bool {
	for s.pos++; ; {
		i := bytes.IndexByte(s.data[s.pos:], '"')
		if i < 0 {
			s.pos = len(s.data)
			return false
		}
		s.pos += i + 1
		if !escapedQuote(s.data, s.pos-1) {
			return true
		}
	}
}

// escapedQuote reports whether the quote at i is preceded by an odd
// number of backslashes.
func escapedQuote(data []byte, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// skip moves past the value at pos. Inside containers it jumps from
// string to string, which is where most of the bytes of a document are.
func (s *jsonScan) skip() bool {
	start := s.pos
	switch s.peek() {
	case '"':
		return s.skipString()
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) {
			next := bytes.IndexByte(s.data[s.pos:], '"')
			if next < 0 {
				next = len(s.data) - s.pos
			}
			for _, c := range s.data[s.pos : s.pos+next] {
				s.pos++
				switch c {
				case '{', '[':
					depth++
				case '}', ']':
					depth--
					if depth == 0 {
						s.line += bytes.Count(s.data[start:s.pos], []byte{'\n'})
						return true
					}
				}
			}
			if s.pos < len(s.data) && !s.skipString() {
				return false
			}
		}
		return false
	case 0:
		return false
	}
	for s.pos < len(s.data) && !valueEnd(s.data[s.pos]) {
		s.pos++
	}
	return s.pos > start
}

func valueEnd(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// object calls fn for each member of the object at pos, with fn positioned
// at the member's value; fn must consume the value. It returns false when
// the object is malformed or fn asks to stop.
func (s *jsonScan) object(fn func(key string, line int) bool) bool {
	s.space()
	if s.peek() != '{' {
		return false
	}
	s.pos++
	for {
		s.space()
		if s.peek() == '}' {
			s.pos++
			return true
		}
		line := s.line
		key, ok := s.str()
		if !ok {
			return false
		}
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.pos++
		s.space()
		if !fn(key, line) {
			return false
		}
		s.space()
		if s.peek() == ',' {
			s.pos++
		}
	}
}

// array calls fn for each element of the array at pos, like object.
func (s *jsonScan) array(fn func(index, line int) bool) bool {
	s.space()
	if s.peek() != '[' {
		return false
	}
	s.pos++
	for i := 0; ; i++ {
		s.space()
		if s.peek() == ']' {
			s.pos++
			return true
		}
		if !fn(i, s.line) {
			return false
		}
		s.space()
		if s.peek() == ',' {
			s.pos++
		}
	}
}

// strings calls fn with every string in the array at pos; false when it
// is not an array of strings.
func (s *jsonScan) strings(fn func(string)) bool {
	return s.array(func(int, int) bool {
		v, ok := s.str()
		if ok {
			fn(v)
		}
		return ok
	})
}

// collectKey calls fn with the strings of every array found under key at
// any depth of the value at pos, and moves past the value.
func (s *jsonScan) collectKey(key string, fn func(string), depth int) bool {
	s.space()
	if depth > maxValueDepth {
		return s.skip()
	}
	switch s.peek() {
	case '{':
		return s.object(func(k string, _ int) bool {
			if k == key && s.peek() == '[' {
				return s.strings(fn)
			}
			return s.collectKey(key, fn, depth+1)
		})
	case '[':
		return s.array(func(int, int) bool { return s.collectKey(key, fn, depth+1) })
	}
	return s.skip()
}

// topKeys returns the keys of the top-level JSON object, in order, and
// false when data does not start with one.
func topKeys(data []byte) ([]string, bool) {
	s := newJSONScan(data)
	var keys []string
	ok := s.object(func(key string, _ int) bool {
		keys = append(keys, key)
		return s.skip()
	})
	return keys, ok || len(keys) > 0
}

// memberLines returns the line of each member of the container reached by
// following path (object keys, or decimal indexes into lists) from the top
// of data: keyed by member name
// for an object, by decimal index for an array. Missing paths yield an
// empty map.
func memberLines(data []byte, path ...string) map[string]int {
	s := newJSONScan(data)
	lines := map[string]int{}
	s.descend(path, lines)
	return lines
}

func (s *jsonScan) descend(path []string, lines map[string]int) {
	s.space()
	if len(path) == 0 {
		switch s.peek() {
		case '{':
			s.object(func(key string, line int) bool {
				lines[key] = line
				return s.skip()
			})
		case '[':
			s.array(func(i, line int) bool {
				lines[strconv.Itoa(i)] = line
				return s.skip()
			})
		}
		return
	}
	if s.peek() == '[' {
		s.array(func(i, _ int) bool {
			if strconv.Itoa(i) != path[0] {
				return s.skip()
			}
			s.descend(path[1:], lines)
			return false
		})
		return
	}
	s.object(func(key string, _ int) bool {
		if key != path[0] {
			return s.skip()
		}
		s.descend(path[1:], lines)
		return false
	})
}

// lineAt returns the 1-based line and column of byte offset off in data.
func lineAt(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// jsonProblem turns an encoding/json error into a problem at the line it
// concerns. The messages of encoding/json name types and fields, never
// values, so they are safe for secret inputs.
func jsonProblem(file string, data []byte, err error) demarc.Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineAt(data, syn.Offset)
		return demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Message: fmt.Sprintf("invalid JSON at column %d: %s", col, syn.Error())}
	case errors.As(err, &typ):
		line, _ := lineAt(data, typ.Offset)
		return demarc.Problem{Pos: demarc.Position{File: file, Line: line}, Field: typ.Field, Message: fmt.Sprintf("expected %s, found a JSON %s", typ.Type, typ.Value)}
	}
	return demarc.Problem{Pos: demarc.Position{File: file}, Message: "invalid JSON: " + err.Error()}
}

// decodeJSON decodes one JSON value, keeping numbers exact, and rejects
// data after it.
func decodeJSON(file string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return demarc.Problems{jsonProblem(file, data, err)}.Err()
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := newJSONScan(data[end:])
		rest.space()
		line, _ := lineAt(data, end)
		line += rest.line - 1
		return demarc.Problems{{Pos: demarc.Position{File: file, Line: line}, Message: "invalid JSON: more data after the top-level value; expected one JSON document"}}.Err()
	}
	return nil
}
