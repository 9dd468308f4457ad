package check

import (
	"strconv"
	"strings"

	"github.com/demarc-io/demarc/snapshot"
)

// Attribute paths are written as the resource model writes them:
// rule[0].apply_server_side_encryption_by_default[0].sse_algorithm, with a
// key that is not a plain name quoted in brackets —
// metadata.labels["app.kubernetes.io/name"]. The empty path is the whole
// resource.

// splitPath parses a path into its steps: string keys and int indexes. It
// also accepts a dotted number as an index (rule.0.x), as policy
// expressions write it. ok is false for a malformed path.
func splitPath(path string) (steps []any, ok bool) {
	for i := 0; i < len(path); {
		switch {
		case path[i] == '[':
			step, n, good := bracketStep(path[i:])
			if !good {
				return nil, false
			}
			steps = append(steps, step)
			i += n
			continue
		case len(steps) > 0:
			if path[i] != '.' {
				return nil, false
			}
			i++
		}
		j := i
		for j < len(path) && path[j] != '.' && path[j] != '[' {
			j++
		}
		if j == i {
			return nil, false
		}
		key := path[i:j]
		if n, isIndex := index(key); isIndex && len(steps) > 0 {
			steps = append(steps, n)
		} else {
			steps = append(steps, key)
		}
		i = j
	}
	return steps, true
}

// bracketStep reads [3] or ["key"] at the start of s and returns the step
// and the number of bytes it took.
func bracketStep(s string) (step any, n int, ok bool) {
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
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return nil, 0, false
	}
	idx, err := strconv.Atoi(s[1:end])
	if err != nil || idx < 0 {
		return nil, 0, false
	}
	return idx, end + 1, true
}

// joinPath appends one step to a path, in the canonical form the input
// side writes.
func joinPath(base string, step any) string { return snapshot.JoinPath(base, step) }

// canonicalPath rewrites a path in the canonical form; a malformed path is
// returned unchanged.
func canonicalPath(path string) string {
	steps, ok := splitPath(path)
	if !ok {
		return path
	}
	out := ""
	for _, s := range steps {
		out = joinPath(out, s)
	}
	return out
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

// touches reports whether any of paths is path itself, an ancestor or a
// descendant of it.
func touches(paths []string, path string) bool {
	for _, p := range paths {
		if within(path, p) || within(p, path) {
			return true
		}
	}
	return false
}

// lookup returns the value at the steps in v; ok is false when a step is
// missing or of the wrong kind.
func lookup(v any, steps []any) (any, bool) {
	for _, step := range steps {
		switch s := step.(type) {
		case string:
			m, isMap := v.(map[string]any)
			if !isMap {
				return nil, false
			}
			var ok bool
			if v, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			l, isList := v.([]any)
			if !isList || s >= len(l) {
				return nil, false
			}
			v = l[s]
		}
	}
	return v, true
}

// index reads a list index written as a plain decimal number.
func index(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
