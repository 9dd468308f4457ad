package snapshot

import (
	"encoding/json"
	"math"
	"strconv"
)

// normalize rewrites a decoded JSON value in place into the model's value
// kinds: json.Number becomes int64 when whole and float64 otherwise, and
// a whole float64 becomes int64, so that every format yields the same
// numbers for the same settings.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	case json.Number:
		return number(string(t))
	case float64:
		return wholeNumber(t)
	case int:
		return int64(t)
	}
	return v
}

// number converts the text of a number.
func number(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return wholeNumber(f)
}

// wholeNumber returns f as int64 when it is a whole number that int64
// holds exactly.
func wholeNumber(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

// asMap returns v as an object, or nil.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// asString returns v as a string, and whether it is one.
func asString(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// str returns v as a string, or "" when it is not one.
func str(v any) string {
	s, _ := v.(string)
	return s
}
