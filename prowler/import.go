package prowler

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// ValidID reports whether id can name a framework: lower-case letters,
// digits and . & ( ) _ -, starting with a letter or digit.
func ValidID(id demarc.FrameworkID) bool {
	s := string(id)
	if s == "" || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789", rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789.&()_-", r) {
			return false
		}
	}
	return true
}

// Import maps a parsed mapping onto the areas of lib and builds its
// framework: Map, then Framework. It fails with EInvalid when fo names an
// id ValidID refuses, and with Map's errors.
func Import(m *Mapping, lib *library.Library, mo MapOptions, fo FrameworkOptions) (*Imported, error) {
	if fo.ID != "" && !ValidID(fo.ID) {
		return nil, demarc.Errorf(demarc.EInvalid, "framework id %q: expected lower-case letters, digits and . & ( ) _ -", fo.ID)
	}
	matched, err := Map(m, lib, mo)
	if err != nil {
		return nil, err
	}
	return Framework(m, matched, fo), nil
}

// Warnings lists, one line each, what a user should know about the
// import: requirements that could not be read, repeated ids whose checks
// were merged, requirements left out for want of an area, and check names
// that map to no area. It is empty when all went well.
func (imp *Imported) Warnings() []string {
	m := imp.Mapping
	var out []string
	for _, p := range m.Problems {
		out = append(out, "requirement left out: "+p.String())
	}
	for _, p := range m.Repeats {
		out = append(out, p.String())
	}
	for _, r := range imp.Left {
		out = append(out, fmt.Sprintf("%s (%s, line %d) maps to no area — not in the framework", r.ID, r.Path, r.Line))
	}
	if unmatched := m.unmatchedChecks(); len(unmatched) > 0 {
		out = append(out, fmt.Sprintf("%d check name(s) map to no area: %s", len(unmatched), strings.Join(unmatched, ", ")))
	}
	return out
}

// unmatchedChecks lists the check names that map to no area, once each,
// in the order they first appear.
func (m *Mapping) unmatchedChecks() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range m.Requirements {
		for _, c := range r.Unmatched {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}
