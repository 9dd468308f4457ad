package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/demarc-io/demarc"
)

// requireJSON accepts application/json, with or without parameters.
func requireJSON(contentType string) error {
	if contentType == "" {
		return errorf(EUnsupportedMedia, "the request body needs Content-Type: application/json")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return errorf(EUnsupportedMedia, "Content-Type %q is not accepted; send application/json", contentType)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errorf(EUnsupportedMedia, "charset %q is not accepted; send UTF-8", cs)
	}
	return nil
}

// decodeBody decodes data strictly into dst.
func decodeBody(data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errorf(EBadRequest, "the request body is empty; expected a JSON object")
	}
	if !utf8.Valid(data) {
		return errorf(EBadRequest, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(EBadRequest, "the request body holds more than one JSON value; expected one object")
	}
	return nil
}

// jsonError turns a decoding error into a message with the line, column
// and field, and what was expected.
func jsonError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return errorf(EBadRequest, "malformed JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(syntax.Error(), "invalid character "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(EBadRequest, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errorf(EBadRequest, "the request body is a JSON %s; expected an object", typ.Value)
		}
		return errorf(EBadRequest, "field %s: got a JSON %s, expected %s", field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return errorf(EBadRequest, "unknown field %s in the request body", name)
	}
	return errorf(EBadRequest, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind as a JSON type.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return kind
}

// position converts a byte offset to a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// query reads and checks a request's query parameters. Unknown parameters
// are refused, so that a misspelt filter never silently returns
// everything.
type query struct {
	values url.Values
	known  map[string]bool
	err    error
}

func newQuery(r *http.Request, known ...string) *query {
	q := &query{values: r.URL.Query(), known: map[string]bool{}}
	for _, k := range known {
		q.known[k] = true
	}
	for k, vs := range q.values {
		if !q.known[k] {
			names := strings.Join(known, ", ")
			if names == "" {
				names = "none"
			}
			q.fail("unknown query parameter %q; this operation takes: %s", k, names)
		} else if len(vs) > 1 {
			q.fail("query parameter %q is given %d times; give it once", k, len(vs))
		}
	}
	return q
}

func (q *query) fail(format string, args ...any) {
	if q.err == nil {
		q.err = errorf(EBadRequest, format, args...)
	}
}

func (q *query) str(name string) string { return q.values.Get(name) }

// oneOf returns the parameter, which must be one of allowed, or def.
func (q *query) oneOf(name, def string, allowed ...string) string {
	v := q.values.Get(name)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.fail("query parameter %s: %q is not one of %s", name, v, strings.Join(allowed, ", "))
	return def
}

// integer returns a non-negative integer parameter, or def.
func (q *query) integer(name string, def, max int) int {
	v := q.values.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		q.fail("query parameter %s: %q is not an integer from 0 to %d", name, v, max)
		return def
	}
	return n
}

func (q *query) boolean(name string) bool {
	switch q.values.Get(name) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	q.fail("query parameter %s: %q is not true or false", name, q.values.Get(name))
	return false
}

// date returns a YYYY-MM-DD parameter, or the zero date.
func (q *query) date(name string) demarc.Date {
	v := q.values.Get(name)
	if v == "" {
		return demarc.Date{}
	}
	d, err := demarc.ParseDate(v)
	if err != nil {
		q.fail("query parameter %s: %v", name, err)
	}
	return d
}

// page returns the cursor and limit parameters.
func (q *query) page() demarc.Page {
	p := demarc.Page{After: q.values.Get("cursor"), Limit: q.integer("limit", 0, demarc.MaxPageSize)}
	if len(p.After) > 200 {
		q.fail("query parameter cursor is not a cursor this server returned")
	}
	return p
}

// pathVersion parses a {version} path segment: a positive integer.
func pathVersion(r *http.Request, name string) (int, error) {
	s := r.PathValue(name)
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || strconv.Itoa(v) != s {
		return 0, errorf(EBadRequest, "%s %q in the path is not a version number (1 or more)", name, s)
	}
	return v, nil
}

// pathID checks an id from the path: ids are short, printable, and
// carry their kind's prefix. Anything else cannot exist: 404, not 500.
func pathID(r *http.Request, name, prefix string) (string, error) {
	s := r.PathValue(name)
	if !validID(s, prefix) {
		return "", demarc.Errorf(demarc.ENotFound, "%s %q not found", name, s)
	}
	return s, nil
}

func validID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) == 0 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
