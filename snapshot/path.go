package snapshot

import (
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
)

// JoinPath appends one step to an attribute path: a map key (string) or a
// list index (int). The result is canonical, so paths compare as strings:
// a plain name joins with a dot, any other key is quoted in brackets.
func JoinPath(base string, step any) string {
	switch s := step.(type) {
	case int:
		return base + "[" + strconv.Itoa(s) + "]"
	case string:
		if plainKey(s) {
			if base == "" {
				return s
			}
			return base + "." + s
		}
		return base + "[" + strconv.Quote(s) + "]"
	}
	return base
}

// plainKey reports whether a key can be written bare in a path.
func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || c == '-' || c == ':' || c == '$' || c == '@':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// SplitPath parses a path written by JoinPath into its steps: string keys
// and int indexes. It returns ok=false for a path JoinPath cannot write.
func SplitPath(path string) (steps []any, ok bool) {
	for i := 0; i < len(path); {
		if path[i] == '[' {
			step, n, good := bracketStep(path[i:])
			if !good {
				return nil, false
			}
			steps = append(steps, step)
			i += n
			continue
		}
		if len(steps) > 0 {
			if path[i] != '.' {
				return nil, false
			}
			i++
		}
		j := i
		for j < len(path) && path[j] != '.' && path[j] != '[' {
			j++
		}
		if !plainKey(path[i:j]) {
			return nil, false
		}
		steps = append(steps, path[i:j])
		i = j
	}
	return steps, true
}

// bracketStep reads [3] or ["key"] at the start of s and returns the step
// and the number of bytes it took.
func bracketStep(s string) (step any, n int, ok bool) {
	end := strings.IndexByte(s, ']')
	if len(s) > 1 && s[1] == '"' {
		prefix, err := strconv.QuotedPrefix(s[1:])
		if err != nil || len(s) < len(prefix)+2 || s[1+len(prefix)] != ']' {
			return nil, 0, false
		}
		key, err := strconv.Unquote(prefix)
		if err != nil {
			return nil, 0, false
		}
		return key, len(prefix) + 2, true
	}
	if end < 0 {
		return nil, 0, false
	}
	idx, err := strconv.Atoi(s[1:end])
	if err != nil || idx < 0 {
		return nil, 0, false
	}
	return idx, end + 1, true
}

// Lookup returns the value at path in attrs; ok is false when any step is
// missing or of the wrong kind. The empty path returns attrs itself.
func Lookup(attrs map[string]any, path string) (v any, ok bool) {
	steps, good := SplitPath(path)
	if !good {
		return nil, false
	}
	var cur any = attrs
	for _, step := range steps {
		switch s := step.(type) {
		case string:
			m, isMap := cur.(map[string]any)
			if !isMap {
				return nil, false
			}
			if cur, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			l, isList := cur.([]any)
			if !isList || s >= len(l) {
				return nil, false
			}
			cur = l[s]
		}
	}
	return cur, true
}

// IsUnknown reports whether the value at path is wholly or partly unknown:
// the path, one of its ancestors or one of its descendants is listed in
// r.Unknown.
func IsUnknown(r *demarc.Resource, path string) bool {
	return touches(r.Unknown, path)
}

// IsSensitive reports whether the value at path is or contains a
// sensitive value, so that it must not be shown.
func IsSensitive(r *demarc.Resource, path string) bool {
	return touches(r.Sensitive, path)
}

// touches reports whether any listed path is path itself, an ancestor of
// it or a descendant of it.
func touches(paths []string, path string) bool {
	for _, p := range paths {
		if within(path, p) || within(p, path) {
			return true
		}
	}
	return false
}

// within reports whether path is anc or lies beneath it.
func within(path, anc string) bool {
	if anc == "" {
		return true
	}
	if !strings.HasPrefix(path, anc) {
		return false
	}
	return len(path) == len(anc) || path[len(anc)] == '.' || path[len(anc)] == '['
}

// RedactedValue replaces sensitive values in Redacted's output.
const RedactedValue = "(sensitive)"

// Redacted returns a deep copy of r's attributes in which every sensitive
// value is replaced by RedactedValue, safe to print or store as evidence.
func Redacted(r *demarc.Resource) map[string]any {
	if len(r.Sensitive) == 0 {
		return r.Attributes
	}
	if slices.Contains(r.Sensitive, "") {
		return map[string]any{}
	}
	out, _ := redact(r.Attributes, "", r.Sensitive).(map[string]any)
	return out
}

func redact(v any, path string, sensitive []string) any {
	for _, s := range sensitive {
		if within(path, s) {
			return RedactedValue
		}
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = redact(e, JoinPath(path, k), sensitive)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redact(e, JoinPath(path, i), sensitive)
		}
		return out
	}
	return v
}
