package oscal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
)

// References are the documents other documents point into: the SSPs of
// leveraged systems, and the catalog whose parts statement ids name.
// Load them once with LoadReferences to check many documents.
type References struct {
	leveraged   []*Document
	index       uuidIndex
	catalog     *controlSet
	catalogName string
	parts       map[string]partOwner
	notes       []string
}

type partOwner struct{ control, name string }

// LoadReferences reads the leveraged SSPs and the catalog (a catalog, or
// a profile whose imports are local) that Validate checks references
// against. Either may be empty. A leveraged SSP that breaks its schema is
// still used — its uuids can be found — with a note saying so; a file
// that cannot be read or parsed, or a catalog that does not resolve, is an
// error.
func LoadReferences(leveraged []string, catalog string) (*References, error) {
	r := &References{index: uuidIndex{}, parts: map[string]partOwner{}}
	for _, path := range leveraged {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read leveraged SSP " + path, Err: unwrapPathError(err)}
		}
		doc, problems, err := Read(path, data)
		if err != nil {
			return nil, fmt.Errorf("leveraged SSP: %w", err)
		}
		if len(problems) > 0 {
			r.notes = append(r.notes, fmt.Sprintf("the leveraged SSP %s has %d problems of its own; validate it separately", path, len(problems)))
		}
		r.leveraged = append(r.leveraged, doc)
		for id, ref := range indexUUIDs(doc) {
			if _, dup := r.index[id]; !dup {
				r.index[id] = ref
			}
		}
	}
	if catalog != "" {
		res := newResolver("")
		set, err := res.resolve(fileTarget(catalog))
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		r.catalog, r.catalogName = set, filepath.Base(catalog)
		for _, e := range set.list {
			for _, p := range e.parts {
				r.parts[p.id] = partOwner{control: e.id, name: p.name}
			}
		}
	}
	return r, nil
}

func (r *References) find(id string) (uuidRef, bool) {
	ref, ok := r.index[id]
	return ref, ok
}

func (r *References) part(id string) (control, name string, ok bool) {
	p, ok := r.parts[id]
	return p.control, p.name, ok
}

func (r *References) leveragedNames() string {
	names := make([]string, len(r.leveraged))
	for i, d := range r.leveraged {
		names[i] = filepath.Base(d.Name)
	}
	return strings.Join(names, ", ")
}

func (r *References) controlIDs() []string {
	ids := make([]string, len(r.catalog.list))
	for i, e := range r.catalog.list {
		ids[i] = e.id
	}
	return ids
}

// Report is the outcome of validating one document.
type Report struct {
	// Document is the document as far as it could be read; nil when it
	// could not be read at all.
	Document *Document
	// Problems are the defects: schema violations and broken references.
	Problems demarc.Problems
	// Notes are remarks that are not defects, such as references that
	// could not be checked for want of a leveraged SSP or a catalog.
	Notes []string
}

// Valid reports whether no problem was found.
func (r *Report) Valid() bool { return len(r.Problems) == 0 }

// Summary describes the document in one line.
func (r *Report) Summary() string {
	d := r.Document
	if d == nil || d.SchemaVersion == "" {
		return ""
	}
	s := fmt.Sprintf("OSCAL %s %s, checked against the %s schema", d.Version, d.Model, d.SchemaVersion)
	if n := r.requirements(); n > 0 {
		s += "; " + count(n, "implemented requirement", "implemented requirements")
	}
	if n := r.controls(); n > 0 {
		s += "; " + count(n, "control", "controls")
	}
	return s
}

func (r *Report) requirements() int {
	body := r.Document.root.get(string(r.Document.Model))
	n := len(body.get("control-implementation").get("implemented-requirements").list())
	for _, c := range body.get("components").list() {
		for _, ci := range c.get("control-implementations").list() {
			n += len(ci.get("implemented-requirements").list())
		}
	}
	return n
}

func (r *Report) controls() int {
	if r.Document.Model != Catalog || r.Document.OSCAL == nil || r.Document.OSCAL.Catalog == nil {
		return 0
	}
	return len(catalogControls(r.Document).list)
}

// Validate checks one OSCAL document: its syntax, the official schema of
// its declared version, and the references no schema checks — component,
// role, party and leveraged-authorization uuids inside the document, and,
// when refs has them, inherited provided-uuids and satisfied
// responsibility-uuids against the leveraged SSPs and statement ids
// against the catalog. refs may be nil.
//
// A generated document can be checked the same way before it is written:
// Validate("ssp.json", data, nil).Valid().
func Validate(name string, data []byte, refs *References) *Report {
	doc, problems, err := Read(name, data)
	if err != nil {
		var ps demarc.Problems
		if !errors.As(err, &ps) {
			ps = demarc.Problems{{Pos: demarc.Position{File: name}, Message: err.Error()}}
		}
		return &Report{Problems: ps}
	}
	rep := &Report{Document: doc, Problems: problems, Notes: append([]string(nil), doc.Notes...)}
	if doc.Model == "" {
		return rep
	}
	c := newRefChecker(doc, refs)
	c.run()
	rep.Problems = append(rep.Problems, c.problems...)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Pos.Line < rep.Problems[j].Pos.Line })
	if refs != nil {
		rep.Notes = append(rep.Notes, refs.notes...)
	}
	if n := c.unchecked["leveraged"]; n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s not checked against the leveraged system: pass its SSP with --leveraged FILE", count(n, "inherited or satisfied reference was", "inherited and satisfied references were")))
	}
	if n := c.unchecked["catalog"]; n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the control and statement ids of %s not checked: pass the catalog with --catalog FILE", count(n, "requirement were", "requirements were")))
	}
	return rep
}

// Sniff reports whether data looks like an OSCAL document — a JSON or YAML
// object whose single member (besides "$schema") is an OSCAL model, or
// holds metadata with an oscal-version — so that a tool reading many kinds
// of files can pass it to Validate. It reads no more than it must.
func Sniff(name string, data []byte) bool {
	if !bytes.Contains(data, []byte("oscal-version")) {
		return false
	}
	var root *value
	var err error
	if looksLikeJSON(name, data) {
		root, err = parseJSON(name, data)
	} else {
		root, err = parseYAML(name, data)
	}
	if err != nil || root.kind != kindObject {
		// Broken JSON or YAML that names an oscal-version is meant to be
		// OSCAL: Validate reports why it cannot be read.
		return err != nil
	}
	for i, k := range root.keys {
		if k == "$schema" {
			continue
		}
		if knownModel(Model(k)) || root.items[i].get("metadata").get("oscal-version") != nil {
			return true
		}
	}
	return false
}

// count renders n with the singular or plural phrase.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
