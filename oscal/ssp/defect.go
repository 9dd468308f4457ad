package ssp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kinds of defect.
const (
	DefectSchema    = "schema"    // the official OSCAL schema rejects it
	DefectPrototype = "prototype" // NIST's shared-responsibility prototype shape, read anyway
	DefectReference = "reference" // a uuid reference that points nowhere, or at the wrong thing
	DefectUnmapped  = "unmapped"  // a control demarc cannot map to areas
	DefectContent   = "content"   // a statement too empty to import
)

// Defect is one way a document departs from OSCAL: where it is (the
// document and a JSON path such as $.system-security-plan.uuid), the value
// found there, and what was expected. Skipped says the content at the path
// was left out of the import; otherwise what was sound there was imported.
type Defect struct {
	Document string `json:"document"`
	Path     string `json:"path"`
	Value    string `json:"value,omitempty"`
	Expected string `json:"expected"`
	Kind     string `json:"kind"`
	Skipped  bool   `json:"skipped,omitempty"`
}

func (d Defect) String() string {
	s := d.Document + ": " + d.Path + ": "
	if d.Value != "" {
		s += "found " + d.Value + "; "
	}
	s += "expected " + d.Expected
	if d.Skipped {
		s += " (not imported)"
	}
	return s
}

// sortDefects orders defects by document and then by position in the
// document, array indexes compared as numbers, so that reports are stable.
func sortDefects(ds []Defect) {
	keys := make(map[string][]string, len(ds))
	for _, d := range ds {
		if _, ok := keys[d.Path]; !ok {
			keys[d.Path] = pathElems(d.Path)
		}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Document != ds[j].Document {
			return ds[i].Document < ds[j].Document
		}
		return slices.Compare(keys[ds[i].Path], keys[ds[j].Path]) < 0
	})
}

// pathElems splits a JSON path into elements that compare as the path
// does: array indexes are zero-padded so that [10] follows [9].
func pathElems(p string) []string {
	var out []string
	for len(p) > 0 {
		switch p[0] {
		case '$', '.':
			p = p[1:]
			continue
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(out, p)
			}
			inner := p[1:end]
			if n, err := strconv.Atoi(inner); err == nil {
				inner = fmt.Sprintf("#%010d", n)
			}
			out = append(out, inner)
			p = p[end+1:]
			continue
		}
		end := strings.IndexAny(p, ".[")
		if end < 0 {
			end = len(p)
		}
		out = append(out, keyOrder(p[:end]))
		p = p[end:]
	}
	return out
}

// fieldOrder is the order in which OSCAL lays out the fields most defects
// sit in; other fields sort by name after them.
var fieldOrder = []string{"uuid", "metadata", "import-profile", "system-characteristics", "system-implementation", "control-implementation", "back-matter",
	"control-id", "statement-id", "component-uuid", "description", "props", "export", "provided", "responsibilities", "inherited", "satisfied"}

func keyOrder(k string) string {
	for i, f := range fieldOrder {
		if f == k {
			return fmt.Sprintf("%02d%s", i, k)
		}
	}
	return "99" + k
}

// DefectGroup is defects that share a kind and an expectation, such as
// four hundred identifiers that are not UUIDs: how many, and the first.
type DefectGroup struct {
	Kind     string `json:"kind"`
	Expected string `json:"expected"`
	Count    int    `json:"count"`
	First    Defect `json:"first"`
}

// GroupDefects summarises defects by kind and expectation, largest group
// first.
func GroupDefects(ds []Defect) []DefectGroup {
	index := map[[2]string]int{}
	var out []DefectGroup
	for _, d := range ds {
		k := [2]string{d.Kind, d.Expected}
		if i, ok := index[k]; ok {
			out[i].Count++
			continue
		}
		index[k] = len(out)
		out = append(out, DefectGroup{Kind: d.Kind, Expected: d.Expected, Count: 1, First: d})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// jsonPath writes a location as a JSON path: $.a.b[2].c.
func jsonPath(segs []string, inst any) string {
	var b strings.Builder
	b.WriteByte('$')
	cur := inst
	for _, s := range segs {
		switch v := cur.(type) {
		case []any:
			b.WriteString("[" + s + "]")
			if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(v) {
				cur = v[i]
			} else {
				cur = nil
			}
			continue
		case map[string]any:
			cur = v[s]
		default:
			cur = nil
		}
		b.WriteString(pathKey(s))
	}
	return b.String()
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func pathKey(k string) string {
	if plainKey.MatchString(k) {
		return "." + k
	}
	return "['" + strings.ReplaceAll(k, "'", `\'`) + "']"
}

// at returns the value at a location, or nil.
func at(inst any, segs []string) any {
	cur := inst
	for _, s := range segs {
		switch v := cur.(type) {
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			cur = v[i]
		case map[string]any:
			cur = v[s]
		default:
			return nil
		}
	}
	return cur
}

// show renders a value for a defect: strings quoted and shortened, objects
// and arrays abbreviated.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if r := []rune(x); len(r) > 60 {
			x = string(r[:57]) + "…"
		}
		return strconv.Quote(x)
	case map[string]any:
		return "an object"
	case []any:
		return fmt.Sprintf("an array of %d", len(x))
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}
