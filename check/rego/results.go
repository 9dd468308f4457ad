package rego

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// FileType is the type of the stand-in resource that results about a
// whole input file are attached to, when a finding names no resource of
// the file and the document it came from holds more than one.
const FileType = "file"

// fileResources are the resources read from one input file, in line
// order, for attaching results to them.
type fileResources struct {
	file   string
	format string
	res    []*demarc.Resource
	whole  *demarc.Resource
	// typed caches, per rule, the resources of the rule's types.
	typed map[*regoRule][]*demarc.Resource
}

// resourcesByFile groups a snapshot's resources by the file they are
// defined in; those that name no file belong to the snapshot's.
func resourcesByFile(snap *demarc.Snapshot) map[string][]*demarc.Resource {
	out := map[string][]*demarc.Resource{}
	for i := range snap.Resources {
		r := &snap.Resources[i]
		f := r.Pos.File
		if f == "" {
			f = snap.File
		}
		out[f] = append(out[f], r)
	}
	return out
}

func newFileResources(file, format string, res []*demarc.Resource) *fileResources {
	sort.SliceStable(res, func(i, j int) bool { return res[i].Pos.Line < res[j].Pos.Line })
	return &fileResources{file: file, format: format, res: res, typed: map[*regoRule][]*demarc.Resource{}}
}

// fileResource is the stand-in for the whole file.
func (fr *fileResources) fileResource() *demarc.Resource {
	if fr.whole == nil {
		fr.whole = &demarc.Resource{ID: fr.file, Type: FileType, Name: filepath.Base(fr.file), Format: fr.format,
			Attributes: map[string]any{}, Pos: demarc.Position{File: fr.file}}
	}
	return fr.whole
}

// inDocument lists the file's resources defined within doc.
func (fr *fileResources) inDocument(doc document, from []*demarc.Resource) []*demarc.Resource {
	if doc.line <= 1 && doc.lines == 0 {
		return from
	}
	var out []*demarc.Resource
	for _, r := range from {
		if r.Pos.Line >= doc.line && (doc.lines == 0 || r.Pos.Line < doc.line+doc.lines) {
			out = append(out, r)
		}
	}
	return out
}

// documentTarget is what a result about a whole document is attached to:
// its one resource, or else the file.
func (fr *fileResources) documentTarget(doc document) *demarc.Resource {
	if in := fr.inDocument(doc, fr.res); len(in) == 1 {
		return in[0]
	}
	return fr.fileResource()
}

// ofTypes lists the file's resources of the rule's types.
func (fr *fileResources) ofTypes(r *regoRule) []*demarc.Resource {
	if out, ok := fr.typed[r]; ok {
		return out
	}
	var out []*demarc.Resource
	for _, res := range fr.res {
		if matchesAny(r.types, res.Type) {
			out = append(out, res)
		}
	}
	fr.typed[r] = out
	return out
}

// covered lists what a rule vouches for in a document when it finds
// nothing wrong: the resources of its types, or without types the
// document's target.
func (fr *fileResources) covered(r *regoRule, doc document) []*demarc.Resource {
	if len(r.types) == 0 {
		return []*demarc.Resource{fr.documentTarget(doc)}
	}
	return fr.inDocument(doc, fr.ofTypes(r))
}

// message is one finding a rule yielded.
type message struct {
	text string
	// resource is the resource the finding names in a "resource" or
	// "address" field.
	resource string
	// line and file are from a conftest "_loc" field.
	line int
	file string
}

// messages reads a rule's value: a set or array of strings, or of objects
// with a string "msg". Any other value yields nothing, as in conftest. A
// bad element makes the second result say what is wrong.
func messages(v any) ([]message, string) {
	list, ok := v.([]any)
	if !ok {
		return nil, ""
	}
	out := make([]message, 0, len(list))
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, message{text: x})
		case map[string]any:
			text, ok := x["msg"].(string)
			if !ok {
				return out, `the rule yielded an object without a string "msg" field`
			}
			m := message{text: text}
			m.resource = firstString(x, "resource", "address")
			if loc, ok := x["_loc"].(map[string]any); ok {
				m.file, _ = loc["file"].(string)
				m.line = intOf(loc["line"])
			}
			out = append(out, m)
		}
	}
	return out, ""
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func intOf(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err == nil {
			return int(n)
		}
	case float64:
		return int(x)
	case int:
		return x
	}
	return 0
}

// attach finds the resource a finding is about, in order: the resource
// its "resource" or "address" field names; the resource defined at or
// before the line of its "_loc"; the one resource of its document; the
// one resource its message names by id (or, among the rule's types, by
// name); else the file.
func (fr *fileResources) attach(r *regoRule, doc document, m message) *demarc.Resource {
	if m.resource != "" {
		if res := fr.named(r, m.resource); res != nil {
			return res
		}
	}
	if m.line > 0 && (m.file == "" || filepath.Base(m.file) == filepath.Base(fr.file)) {
		if res := fr.atLine(m.line); res != nil {
			return res
		}
	}
	in := fr.inDocument(doc, fr.res)
	if len(in) == 1 {
		return in[0]
	}
	if res := fr.mentioned(r, in, m.text); res != nil {
		return res
	}
	return fr.fileResource()
}

// named finds the resource with id name, or of the rule's types with
// that name.
func (fr *fileResources) named(r *regoRule, name string) *demarc.Resource {
	for _, res := range fr.res {
		if res.ID == name {
			return res
		}
	}
	var found *demarc.Resource
	for _, res := range fr.ofTypes(r) {
		if res.Name == name {
			if found != nil {
				return nil
			}
			found = res
		}
	}
	return found
}

// atLine is the last resource defined at or before line.
func (fr *fileResources) atLine(line int) *demarc.Resource {
	var found *demarc.Resource
	for _, res := range fr.res {
		if res.Pos.Line > 0 && res.Pos.Line <= line {
			found = res
		}
	}
	return found
}

// mentioned finds the one resource among in whose id — or, for the
// rule's types, whose name — the text names as a whole word; the longest
// match wins, and two resources named equally long are no answer.
func (fr *fileResources) mentioned(r *regoRule, in []*demarc.Resource, text string) *demarc.Resource {
	var best *demarc.Resource
	bestLen, tie := 0, false
	consider := func(res *demarc.Resource, word string) {
		if len(word) < bestLen || !containsWord(text, word) {
			return
		}
		switch {
		case len(word) > bestLen:
			best, bestLen, tie = res, len(word), false
		case best != res:
			tie = true
		}
	}
	for _, res := range in {
		consider(res, res.ID)
		if len(r.types) > 0 && res.Name != "" && matchesAny(r.types, res.Type) {
			consider(res, res.Name)
		}
	}
	if tie {
		return nil
	}
	return best
}

// containsWord reports whether word occurs in text with no name
// character before it and none after (a final "." or "[" may follow).
func containsWord(text, word string) bool {
	if word == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(text[from:], word)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(word)
		if (start == 0 || !nameByte(text[start-1]) && text[start-1] != '.') && endsWord(text, end) {
			return true
		}
		from = start + 1
	}
}

func endsWord(text string, end int) bool {
	if end == len(text) {
		return true
	}
	c := text[end]
	if c == '.' {
		return end+1 == len(text) || !nameByte(text[end+1])
	}
	return !nameByte(c)
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '/'
}

// matchesAny reports whether typ matches one of the patterns, where "*"
// matches any run of characters.
func matchesAny(patterns []string, typ string) bool {
	for _, p := range patterns {
		if matchType(p, typ) {
			return true
		}
	}
	return false
}

func matchType(pattern, typ string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == typ
	}
	if !strings.HasPrefix(typ, parts[0]) {
		return false
	}
	typ = typ[len(parts[0]):]
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(typ, p)
		if i < 0 {
			return false
		}
		typ = typ[i+len(p):]
	}
	return strings.HasSuffix(typ, parts[last])
}

// results turns what rule r (the ri-th of its package) said about each
// document of a file into results: a failure per finding, attached to the
// resource it is about; for findings waived by an exception, not
// applicable; and a pass for each resource (or document) the rule covers
// and found nothing wrong with.
func results(r *regoRule, ri int, docs []document, outcomes []outcome, fr *fileResources) []check.Result {
	var out []check.Result
	add := func(res *demarc.Resource, st check.Status, reason string) {
		out = append(out, check.Result{Policy: r.policy, Resource: res, Status: st, Reason: reason})
	}
	decided := map[*demarc.Resource]bool{}
	clean := make([]bool, len(docs))
	for d, o := range outcomes {
		target := fr.documentTarget(docs[d])
		switch {
		case o.err != "":
			add(target, check.Indeterminate, o.err)
			decided[target] = true
			continue
		case excepted(o.excepted, r):
			waived := fr.covered(r, docs[d])
			if len(waived) == 0 {
				waived = []*demarc.Resource{target}
			}
			for _, res := range waived {
				if !decided[res] {
					add(res, check.NotApplicable, "waived by data."+r.pkg.name+".exception")
					decided[res] = true
				}
			}
			continue
		}
		msgs, bad := messages(o.values[ri])
		unattributed := false
		for _, m := range msgs {
			res := fr.attach(r, docs[d], m)
			add(res, check.Fail, m.text)
			decided[res] = true
			unattributed = unattributed || res == fr.whole
		}
		if bad != "" {
			add(target, check.Indeterminate, bad)
			decided[target] = true
			continue
		}
		// A finding that names no resource may be about any of them: the
		// document vouches for none. Without types, any finding does.
		clean[d] = !unattributed && (len(r.types) > 0 || len(msgs) == 0)
	}
	for d := range docs {
		if !clean[d] {
			continue
		}
		for _, res := range fr.covered(r, docs[d]) {
			if !decided[res] {
				add(res, check.Pass, "")
				decided[res] = true
			}
		}
	}
	return out
}

func excepted(names []string, r *regoRule) bool {
	if len(names) == 0 {
		return false
	}
	want := r.exceptionName()
	for _, n := range names {
		if n == want {
			return true
		}
	}
	return false
}
