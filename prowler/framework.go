package prowler

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// FrameworkOptions adjust Framework.
type FrameworkOptions struct {
	// ID names the framework; empty derives it from the file's framework,
	// version and provider ("cis-3.0-azure").
	ID demarc.FrameworkID
	// Title overrides the file's name for the framework.
	Title string
}

// Imported is a mapping turned into a library framework.
type Imported struct {
	Mapping   *Mapping
	Framework demarc.Framework
	// Matched is the built-in framework whose ids the requirements used,
	// or "" when none was.
	Matched demarc.FrameworkID
	// Left are the requirements left out of the framework because nothing
	// gave them an area (the library needs one for every control).
	Left []Requirement
}

var idChars = regexp.MustCompile(`[^a-z0-9.]+`)

// DefaultID derives a framework id from a mapping: its framework, version
// and provider, lower-cased with hyphens.
func DefaultID(m *Mapping) demarc.FrameworkID {
	parts := []string{m.Framework}
	if m.Version != "" && !strings.Contains(strings.ToLower(m.Framework), strings.ToLower(m.Version)) {
		parts = append(parts, m.Version)
	}
	if m.Provider != "" {
		parts = append(parts, m.Provider)
	}
	s := strings.Trim(idChars.ReplaceAllString(strings.ToLower(strings.Join(parts, "-")), "-"), "-.")
	if s == "" {
		s = "prowler"
	}
	return demarc.FrameworkID(s)
}

// Framework builds the library framework of a mapped file: one control per
// requirement that has areas, under families named for the sections. Run
// Map first.
func Framework(m *Mapping, matched demarc.FrameworkID, opt FrameworkOptions) *Imported {
	id := opt.ID
	if id == "" {
		id = DefaultID(m)
	}
	title := opt.Title
	if title == "" {
		title = m.Name
	}
	if title == "" {
		title = strings.TrimSpace(m.Framework + " " + m.Version)
	}
	fw := demarc.Framework{ID: id, Title: title, Version: m.Version, Description: description(m)}
	imp := &Imported{Mapping: m, Matched: matched}
	families := map[string]string{} // section → family id
	used := map[string]bool{}
	seen := map[string]bool{}
	for _, r := range m.Requirements {
		if len(r.Areas) == 0 || seen[strings.ToLower(r.ID)] {
			imp.Left = append(imp.Left, r)
			continue
		}
		seen[strings.ToLower(r.ID)] = true
		c := demarc.Control{ID: demarc.ControlID(r.ID), Title: r.Name, Areas: r.Areas}
		if c.Title == "" {
			c.Title = r.ID
		}
		if r.Section != "" {
			fam, ok := families[r.Section]
			if !ok {
				fam = familyID(r.Section, used)
				families[r.Section] = fam
				fw.Families = append(fw.Families, demarc.Family{ID: fam, Title: r.Section})
			}
			c.Family = fam
		}
		fw.Controls = append(fw.Controls, c)
	}
	imp.Framework = fw
	return imp
}

func description(m *Mapping) string {
	manual := 0
	for _, r := range m.Requirements {
		if r.Manual {
			manual++
		}
	}
	return fmt.Sprintf("Requirements as Prowler's %s compliance mapping lists them (%d requirements, %d with no automated check); imported by demarc.", m.Framework, len(m.Requirements), manual)
}

func familyID(section string, used map[string]bool) string {
	base := strings.Trim(idChars.ReplaceAllString(strings.ToLower(section), "-"), "-.")
	if base == "" {
		base = "section"
	}
	id := base
	for n := 2; used[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	used[id] = true
	return id
}

// WriteLibrary writes the framework as a library file, headed by comments
// that say where it came from, how its requirements were mapped to areas,
// and which were left out and why. Load it with --library.
func (imp *Imported) WriteLibrary(w io.Writer) error {
	var b strings.Builder
	m := imp.Mapping
	fmt.Fprintf(&b, "# %s, imported by demarc from Prowler's compliance mapping %s (%s shape).\n", imp.Framework.Title, baseName(m.File), m.Shape)
	b.WriteString("# Load with: demarc --library FILE …  The checks that test each requirement are\n")
	b.WriteString("# in 'demarc import prowler --format json' and its --checks-out file.\n#\n")
	for _, line := range imp.Summary() {
		b.WriteString("# " + line + "\n")
	}
	for _, r := range imp.Left {
		fmt.Fprintf(&b, "#   left out: %s (%s, line %d): no area from its id, checks or section\n", r.ID, r.Path, r.Line)
	}
	for _, p := range m.Problems {
		fmt.Fprintf(&b, "#   not read: %s\n", strings.ReplaceAll(p.String(), "\n", " "))
	}
	for _, p := range m.Repeats {
		fmt.Fprintf(&b, "#   merged: %s\n", strings.ReplaceAll(p.String(), "\n", " "))
	}
	if len(imp.Framework.Controls) == 0 {
		return demarc.Errorf(demarc.EInvalid, "%s: no requirement could be mapped to an area, so there is no framework to write", m.File)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Frameworks []demarc.Framework `yaml:"frameworks"`
	}{[]demarc.Framework{imp.Framework}}); err != nil {
		return fmt.Errorf("encode library file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode library file: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary says in a few lines how the requirements were mapped to areas.
func (imp *Imported) Summary() []string {
	m := imp.Mapping
	by := map[string]int{}
	manual := 0
	for _, r := range m.Requirements {
		if r.Manual {
			manual++
		}
		switch {
		case len(r.Areas) == 0:
			by["nothing"]++
		case strings.HasPrefix(r.AreasFrom, "references"):
			by["their sections' references to frameworks demarc has"]++
		case strings.HasPrefix(r.AreasFrom, "section"):
			by["their section headings"]++
		case r.AreasFrom == "checks":
			by["their checks"]++
		default:
			by[fmt.Sprintf("their ids in %s", imp.Matched)]++
		}
	}
	lines := []string{fmt.Sprintf("%d requirements (%d manual, with no automated check) → %d controls.", len(m.Requirements), manual, len(imp.Framework.Controls))}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "nothing" {
			lines = append(lines, fmt.Sprintf("  %d mapped to no area (left out)", by[k]))
			continue
		}
		lines = append(lines, fmt.Sprintf("  %d mapped to areas through %s", by[k], k))
	}
	return lines
}

// ChecksFile is the side file of requirement → checks that the library
// format has no place for.
type ChecksFile struct {
	Framework    demarc.FrameworkID `json:"framework"`
	Source       string             `json:"source"`
	Prowler      string             `json:"prowler_framework"`
	Version      string             `json:"version,omitempty"`
	Provider     string             `json:"provider,omitempty"`
	Requirements []RequirementCheck `json:"requirements"`
}

// RequirementCheck is one requirement's checks in a ChecksFile.
type RequirementCheck struct {
	ID     string              `json:"id"`
	Checks map[string][]string `json:"checks"`
	Manual bool                `json:"manual"`
	// InFramework is false for a requirement left out of the framework.
	InFramework bool `json:"in_framework"`
}

// Checks returns the side file for the imported framework.
func (imp *Imported) Checks() ChecksFile {
	m := imp.Mapping
	left := map[string]bool{}
	for _, r := range imp.Left {
		left[r.Path] = true
	}
	cf := ChecksFile{Framework: imp.Framework.ID, Source: baseName(m.File), Prowler: m.Framework, Version: m.Version, Provider: m.Provider}
	for _, r := range m.Requirements {
		cf.Requirements = append(cf.Requirements, RequirementCheck{ID: r.ID, Checks: r.Checks, Manual: r.Manual, InFramework: !left[r.Path]})
	}
	return cf
}

// WriteChecks writes the side file as indented JSON.
func (imp *Imported) WriteChecks(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(imp.Checks())
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Listing is the JSON form of an import: where it came from, the framework
// it makes, and every requirement with its checks, manual flag and areas.
type Listing struct {
	Source       string             `json:"source"`
	Shape        string             `json:"shape"`
	Prowler      string             `json:"prowler_framework"`
	Version      string             `json:"version,omitempty"`
	Provider     string             `json:"provider,omitempty"`
	Framework    demarc.FrameworkID `json:"framework"`
	Matched      demarc.FrameworkID `json:"matched_ids_in,omitempty"`
	Requirements []Requirement      `json:"requirements"`
	// LeftOut are the ids of requirements no source gave an area.
	LeftOut  []string        `json:"left_out"`
	Problems demarc.Problems `json:"problems,omitempty"`
	Repeats  demarc.Problems `json:"repeats,omitempty"`
}

// Listing returns the import's JSON form.
func (imp *Imported) Listing() Listing {
	m := imp.Mapping
	l := Listing{
		Source: m.File, Shape: m.Shape, Prowler: m.Framework, Version: m.Version, Provider: m.Provider,
		Framework: imp.Framework.ID, Matched: imp.Matched, Requirements: m.Requirements,
		LeftOut: []string{}, Problems: m.Problems, Repeats: m.Repeats,
	}
	for _, r := range imp.Left {
		l.LeftOut = append(l.LeftOut, r.ID)
	}
	return l
}
