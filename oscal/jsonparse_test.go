package oscal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// A hostile object with many members, or a key repeated late, is parsed in
// linear time and its duplicate found.
func TestParseManyMembers(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&b, "%q: %d,", fmt.Sprint("k", i), i)
	}
	b.WriteString(`"k77": 0}`)
	start := time.Now()
	_, err := parseJSON("big.json", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), `duplicate member name "k77"`) {
		t.Errorf("got %v, want the duplicate k77", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestParseJSONErrors(t *testing.T) {
	cases := []struct {
		in          string
		line        int
		field, want string
	}{
		{"{\n  \"a\": [1, 2,\n]\n}", 3, "a[2]", "invalid JSON at column 1: unexpected character ']'; expected a value"},
		{`{"a": tru}`, 1, "a", "column 7: unexpected character 't'; expected a value"},
		{`{"a": 01}`, 1, "", `column 8: unexpected character '1' after member "a"; expected ',' or '}'`},
		{`{"a": -}`, 1, "a", "column 8: malformed number"},
		{"{\"a\": \"x\ty\"}", 1, "a", `control character '\t' in a string; expected it escaped`},
		{`{"a": "\x"}`, 1, "a", `unknown escape \x in a string`},
		{`{"a": "\u12"}`, 1, "a", `malformed \u escape; expected four hex digits`},
		{`{"a": "\udc00"}`, 1, "a", "half a UTF-16 surrogate pair"},
		{"{\"a\": \"\xff\"}", 1, "a", "invalid UTF-8 in a string"},
		{`{"a" 1}`, 1, "", `unexpected character '1' after member name "a"; expected ':'`},
		{`{a: 1}`, 1, "", "expected a member name in double quotes"},
		{`{"a": 1} {}`, 1, "", "unexpected character '{' after the top-level value"},
		{"", 1, "", "the document ends too early"},
		{strings.Repeat("[", 300), 1, strings.Repeat("[0]", 201), "nesting deeper than 200 levels"},
	}
	for _, c := range cases {
		_, err := parseJSON("x.json", []byte(c.in))
		var ps demarc.Problems
		if !errors.As(err, &ps) {
			t.Errorf("%q: got %v, want a problem", c.in, err)
			continue
		}
		if p := ps[0]; p.Pos.Line != c.line || p.Field != c.field || !strings.Contains(p.Message, c.want) {
			t.Errorf("%q: got %s (line %d, field %q)\nwant line %d, field %q, %q", c.in, p, p.Pos.Line, p.Field, c.line, c.field, c.want)
		}
	}
}

// Values keep their lines, strings their escapes.
func TestParseJSONValues(t *testing.T) {
	v, err := parseJSON("x.json", []byte("{\n \"a\": \"\\u00e9\\n\\ud83d\\ude00\",\n\n \"b\": [true,\n null, -1.5e3]\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if a := v.get("a"); a.str != "é\n😀" || a.line != 2 {
		t.Errorf("a = %q at line %d", a.str, a.line)
	}
	b := v.get("b").list()
	if len(b) != 3 || b[0].line != 4 || b[1].kind != kindNull || b[1].line != 5 || b[2].str != "-1.5e3" {
		t.Errorf("b = %+v", b)
	}
}
