package oscal

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// DefaultAreasFrom is the built-in framework whose mapping an imported
// control takes by id.
const DefaultAreasFrom demarc.FrameworkID = "nist-800-53-r5"

// ImportOptions tune ImportFramework. The zero value imports with the
// built-in NIST SP 800-53 mapping and an id taken from the file name.
type ImportOptions struct {
	// Catalog stands in for every import that is not available locally —
	// a remote URL or a missing file — as when a FedRAMP profile names
	// NIST's catalog by its web address.
	Catalog string
	// ID is the framework's id; by default it is derived from the file
	// name.
	ID demarc.FrameworkID
	// AreasFrom is the library framework whose controls lend their areas
	// by id; DefaultAreasFrom when empty.
	AreasFrom demarc.FrameworkID
	// Strict makes a control that maps to no area an error instead of a
	// warning.
	Strict bool
	// Model, when set, is the model the document must be: Catalog or
	// Profile.
	Model Model
	// CatalogData is the stand-in catalog's content for
	// ImportFrameworkData, which reads no files; Catalog then only names
	// it in messages.
	CatalogData []byte
}

// LoadFramework reads an OSCAL catalog or profile and returns it as a
// framework whose controls carry the areas of the same controls in the
// built-in nist-800-53-r5 framework of lib. Profiles are resolved against
// the catalogs they import, which must be local files; see
// ImportFramework for a stand-in catalog and other options.
//
// The warnings say what a user should know: controls mapped through their
// parent or family, controls left out because nothing maps them, ids a
// profile names that its catalog lacks. An error is returned when the
// document is invalid, an import cannot be read or is cyclic, or no
// control maps to any area.
func LoadFramework(path string, lib *library.Library) (*demarc.Framework, []string, error) {
	return ImportFramework(path, lib, ImportOptions{})
}

// ImportFramework is LoadFramework with options.
//
// The returned framework is ready for resolution: every control that is
// not withdrawn lists its areas, and AreasFrom says when they were taken
// from a parent or a family. WriteLibrary writes it as a library file.
func ImportFramework(path string, lib *library.Library, opts ImportOptions) (*demarc.Framework, []string, error) {
	return importFramework(fileTarget(path), newResolver(opts.Catalog), lib, opts)
}

// ImportFrameworkData is ImportFramework for a document held in memory,
// such as an upload; name stands for its path in ids and messages. It
// never reads the file system: a profile's imports must be resources
// embedded in its back-matter, or are replaced by the stand-in catalog
// opts.CatalogData when one is given.
func ImportFrameworkData(name string, data []byte, lib *library.Library, opts ImportOptions) (*demarc.Framework, []string, error) {
	r := newResolver(opts.Catalog)
	r.sealed, r.catalogData = true, opts.CatalogData
	if r.catalog == "" && opts.CatalogData != nil {
		r.catalog = "the stand-in catalog"
	}
	return importFramework(target{key: "memory:" + name, name: name, data: data}, r, lib, opts)
}

func importFramework(t target, r *resolver, lib *library.Library, opts ImportOptions) (*demarc.Framework, []string, error) {
	path := t.name
	if opts.AreasFrom == "" {
		opts.AreasFrom = DefaultAreasFrom
	}
	base := lib.Framework(opts.AreasFrom)
	if base == nil {
		return nil, nil, demarc.Errorf(demarc.ENotFound, "framework %q, whose areas imported controls take, is not in the library", opts.AreasFrom)
	}
	r.expect = opts.Model
	set, err := r.resolve(t)
	if err != nil {
		return nil, nil, err
	}
	if len(set.list) == 0 {
		return nil, r.notes, demarc.Errorf(demarc.EInvalid, "%s selects no controls", path)
	}
	id := opts.ID
	if id == "" {
		id = frameworkID(path)
	}
	if !validID.MatchString(string(id)) {
		return nil, nil, demarc.Errorf(demarc.EInvalid, "framework id %q: expected lower-case letters, digits and . _ - & ( )", id)
	}
	m := mapper{lib: lib, base: base, set: set, strict: opts.Strict}
	fw := m.framework(id, path)
	warnings := append(r.notes, m.warnings...)
	mapped := 0
	for _, c := range fw.Controls {
		if !c.Withdrawn {
			mapped++
		}
	}
	switch {
	case mapped == 0:
		return nil, warnings, demarc.Errorf(demarc.EInvalid, "none of the %d controls of %s maps to an area through %s; pass --areas-from with a framework that has these control ids", len(set.list), path, opts.AreasFrom)
	case opts.Strict && len(m.dropped) > 0:
		return nil, warnings, demarc.Errorf(demarc.EInvalid, "%s to no area (--strict): %s", count(len(m.dropped), "control maps", "controls map"), strings.Join(m.dropped, ", "))
	}
	return fw, warnings, nil
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9.&()_-]*$`)

// frameworkID derives an id from a file name:
// FedRAMP_rev5_MODERATE-baseline_profile.json → fedramp-rev5-moderate-baseline.
func frameworkID(path string) demarc.FrameworkID {
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	stem = strings.ToLower(stem)
	stem = regexp.MustCompile(`[^a-z0-9.]+`).ReplaceAllString(stem, "-")
	for _, suffix := range []string{"-resolved-profile-catalog", "-profile", "-catalog"} {
		stem = strings.TrimSuffix(stem, suffix)
	}
	stem = strings.Trim(stem, "-.")
	if stem == "" {
		stem = "oscal"
	}
	return demarc.FrameworkID(stem)
}

// mapper gives imported controls the areas of the library framework's
// controls with the same ids.
type mapper struct {
	lib      *library.Library
	base     *demarc.Framework
	set      *controlSet
	strict   bool
	warnings []string
	dropped  []string
}

func (m *mapper) framework(id demarc.FrameworkID, path string) *demarc.Framework {
	fw := &demarc.Framework{
		ID:        id,
		Title:     m.set.title,
		Version:   m.set.version,
		Publisher: m.set.publisher,
	}
	if fw.Title == "" {
		fw.Title = string(id)
	}
	keep := map[string]bool{}
	for _, e := range m.set.list {
		c, ok := m.control(e)
		if !ok {
			continue
		}
		keep[e.id] = true
		fw.Controls = append(fw.Controls, c)
	}
	// A parent left out (not selected, or unmapped) is no parent here:
	// the enhancement carries its areas itself.
	for i := range fw.Controls {
		if p := string(fw.Controls[i].Parent); p != "" && !keep[p] {
			fw.Controls[i].Parent = ""
			if fw.Controls[i].AreasFrom == "parent "+p {
				fw.Controls[i].AreasFrom = ""
			}
		}
	}
	fw.Families = m.families(fw.Controls)
	fw.Description = fmt.Sprintf("Imported from OSCAL %s; %d controls (%d withdrawn); areas taken from %s by control id.",
		filepath.Base(path), len(fw.Controls), countWithdrawn(fw.Controls), m.base.ID)
	return fw
}

func countWithdrawn(cs []demarc.Control) int {
	n := 0
	for _, c := range cs {
		if c.Withdrawn {
			n++
		}
	}
	return n
}

// control maps one entry. It returns false when nothing maps it; the
// control is then left out and a warning says so.
func (m *mapper) control(e *entry) (demarc.Control, bool) {
	c := demarc.Control{ID: demarc.ControlID(e.id), Title: e.title, Family: e.family, Parent: demarc.ControlID(e.parent), Withdrawn: e.withdrawn}
	if c.Title == "" {
		c.Title = e.id
	}
	if e.withdrawn {
		return c, true
	}
	if b := m.lib.Control(m.base.ID, c.ID); b != nil && len(b.Areas) > 0 {
		c.Areas, c.AreasFrom = b.Areas, b.AreasFrom
		return c, true
	}
	// Not in the library framework (or withdrawn there): an enhancement
	// takes its parent's areas, any other control its family's.
	for p := m.set.byID[e.parent]; p != nil; p = m.set.byID[p.parent] {
		if b := m.lib.Control(m.base.ID, demarc.ControlID(p.id)); b != nil && len(b.Areas) > 0 {
			c.Areas, c.AreasFrom = b.Areas, "parent "+p.id
			m.warnings = append(m.warnings, fmt.Sprintf("%s (%s) is not in %s; it takes the areas of %s", e.id, c.Title, m.base.ID, p.id))
			return c, true
		}
	}
	if f := m.family(e.family); f != nil && len(f.Areas) > 0 {
		c.Areas, c.AreasFrom = f.Areas, "family "+f.ID
		m.warnings = append(m.warnings, fmt.Sprintf("%s (%s) is not in %s; it takes the areas of family %s", e.id, c.Title, m.base.ID, f.ID))
		return c, true
	}
	m.dropped = append(m.dropped, e.id)
	msg := fmt.Sprintf("%s (%s) maps to no area: %s has no control %s, no mapped parent and no family %q", e.id, c.Title, m.base.ID, e.id, e.family)
	if !m.strict {
		msg += "; it is left out of the framework"
	}
	m.warnings = append(m.warnings, msg)
	return c, false
}

func (m *mapper) family(id string) *demarc.Family {
	for i := range m.base.Families {
		if m.base.Families[i].ID == id {
			return &m.base.Families[i]
		}
	}
	return nil
}

// families lists the groups that hold kept controls, with the areas of
// the library framework's family of the same id.
func (m *mapper) families(cs []demarc.Control) []demarc.Family {
	used := map[string]bool{}
	for _, c := range cs {
		used[c.Family] = true
	}
	var out []demarc.Family
	for _, g := range m.set.groups {
		if !used[g.id] {
			continue
		}
		f := demarc.Family{ID: g.id, Title: g.title}
		if f.Title == "" {
			f.Title = g.id
		}
		if b := m.family(g.id); b != nil {
			f.Areas = b.Areas
		}
		out = append(out, f)
	}
	return out
}

// WriteLibrary writes fw as a demarc library file (docs/library-format.md)
// that --library accepts. Areas a control takes from its parent or family
// are left for the loader to derive again, as in the built-in files.
func WriteLibrary(w io.Writer, fw *demarc.Framework, header string) error {
	out := *fw
	out.Controls = make([]demarc.Control, len(fw.Controls))
	present := map[demarc.ControlID]bool{}
	for _, c := range fw.Controls {
		present[c.ID] = true
	}
	families := map[string]bool{}
	for _, f := range fw.Families {
		families[f.ID] = len(f.Areas) > 0
	}
	for i, c := range fw.Controls {
		switch {
		case c.Withdrawn:
			c.Areas = nil
		case c.AreasFrom == "parent "+string(c.Parent) && present[c.Parent]:
			c.Areas = nil
		case c.AreasFrom == "family "+c.Family && families[c.Family] && c.Parent == "":
			c.Areas = nil
		}
		c.AreasFrom = ""
		out.Controls[i] = c
	}
	if header != "" {
		for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			if _, err := fmt.Fprintf(w, "# %s\n", line); err != nil {
				return err
			}
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]demarc.Framework{"frameworks": {out}}); err != nil {
		return fmt.Errorf("write library file: %w", err)
	}
	return enc.Close()
}
