package oscal

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	oscaltypes "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"

	"github.com/demarc-io/demarc"
)

// controlSet is what a catalog or a resolved profile provides: its
// controls in document order.
type controlSet struct {
	source    string // the document it was resolved from
	title     string
	version   string
	publisher string
	list      []*entry
	byID      map[string]*entry
	groups    []group
}

type group struct{ id, title string }

// entry is one control. Entries are shared between sets; a profile that
// alters a control copies it first.
type entry struct {
	id, title string
	family    string // the id of the group holding the control
	parent    string // the id of the control it enhances
	withdrawn bool
	children  []string
	parts     []part // all its parts with an id, nested ones included
}

// part is a control part: its id and its name ("statement", "item",
// "guidance" …).
type part struct{ id, name string }

func newControlSet(source string) *controlSet {
	return &controlSet{source: source, byID: map[string]*entry{}}
}

func (s *controlSet) add(e *entry) bool {
	if _, dup := s.byID[e.id]; dup {
		return false
	}
	s.byID[e.id] = e
	s.list = append(s.list, e)
	return true
}

func (s *controlSet) addGroup(g group) {
	for _, have := range s.groups {
		if have.id == g.id {
			return
		}
	}
	s.groups = append(s.groups, g)
}

// catalogControls lists a catalog's controls, groups within groups and
// enhancements within controls included.
func catalogControls(doc *Document) *controlSet {
	cat := doc.OSCAL.Catalog
	set := newControlSet(doc.Name)
	set.title, set.version, set.publisher = cat.Metadata.Title, cat.Metadata.Version, publisher(cat.Metadata)
	if cat.Groups != nil {
		for i := range *cat.Groups {
			set.addGroups(&(*cat.Groups)[i])
		}
	}
	if cat.Controls != nil {
		set.addControls(*cat.Controls, "", "")
	}
	return set
}

func (s *controlSet) addGroups(g *oscaltypes.Group) {
	if g.ID != "" {
		s.addGroup(group{id: g.ID, title: g.Title})
	}
	if g.Controls != nil {
		s.addControls(*g.Controls, g.ID, "")
	}
	if g.Groups != nil {
		for i := range *g.Groups {
			s.addGroups(&(*g.Groups)[i])
		}
	}
}

func (s *controlSet) addControls(cs []oscaltypes.Control, family, parent string) []string {
	ids := make([]string, 0, len(cs))
	for i := range cs {
		c := &cs[i]
		e := &entry{id: c.ID, title: c.Title, family: family, parent: parent, withdrawn: isWithdrawn(c.Props)}
		if c.Parts != nil {
			e.parts = partIDs(*c.Parts, nil)
		}
		if !s.add(e) {
			continue // a duplicate id: the schema cannot see it, the first wins
		}
		ids = append(ids, c.ID)
		if c.Controls != nil {
			e.children = s.addControls(*c.Controls, family, c.ID)
		}
	}
	return ids
}

func partIDs(parts []oscaltypes.Part, out []part) []part {
	for i := range parts {
		if parts[i].ID != "" {
			out = append(out, part{id: parts[i].ID, name: parts[i].Name})
		}
		if parts[i].Parts != nil {
			out = partIDs(*parts[i].Parts, out)
		}
	}
	return out
}

func isWithdrawn(props *[]oscaltypes.Property) bool {
	if props == nil {
		return false
	}
	for _, p := range *props {
		if p.Name == "status" && strings.EqualFold(p.Value, "withdrawn") {
			return true
		}
	}
	return false
}

// publisher names the party responsible for the document as its creator
// or publisher, or "".
func publisher(m oscaltypes.Metadata) string {
	if m.ResponsibleParties == nil || m.Parties == nil {
		return ""
	}
	for _, role := range []string{"creator", "publisher", "prepared-by"} {
		for _, rp := range *m.ResponsibleParties {
			if rp.RoleId != role {
				continue
			}
			for _, id := range rp.PartyUuids {
				for _, p := range *m.Parties {
					if p.UUID == id && p.Name != "" {
						return p.Name
					}
				}
			}
		}
	}
	return ""
}

// resolver resolves profiles: it reads each document once, follows
// imports relative to the document that names them, and detects cycles.
type resolver struct {
	// catalog stands in for any import that is not available locally.
	catalog string
	sets    map[string]*controlSet
	stack   []string
	// expect, when set, is the model the first document must be.
	expect Model
	// sealed forbids reading files: only embedded resources and the
	// stand-in catalog's catalogData can be imported.
	sealed      bool
	catalogData []byte
	// notes say what a user should know about the result: imports that
	// were mapped to the stand-in catalog, ids a profile names that its
	// source lacks.
	notes []string
}

func newResolver(catalog string) *resolver {
	return &resolver{catalog: catalog, sets: map[string]*controlSet{}}
}

// target is a document to read: a file, or a back-matter resource whose
// content is embedded in the profile.
type target struct {
	key  string // identity for caching and cycle detection
	name string // for messages
	path string // the file, when it is one
	data []byte // the embedded content, when it is not
}

func fileTarget(p string) target {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	return target{key: abs, name: p, path: p}
}

// resolve returns the controls a catalog or profile provides.
func (r *resolver) resolve(t target) (*controlSet, error) {
	if s, ok := r.sets[t.key]; ok {
		return s, nil
	}
	for i, k := range r.stack {
		if k == t.key {
			return nil, &cycleError{err: demarc.Errorf(demarc.EInvalid, "cyclic profile imports: %s", r.cycle(i, t.name))}
		}
	}
	r.stack = append(r.stack, t.key)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()
	doc, err := t.load()
	if err != nil {
		return nil, err
	}
	if r.expect != "" && len(r.stack) == 1 && doc.Model != r.expect {
		return nil, demarc.Errorf(demarc.EInvalid, "%s is an OSCAL %s; expected a %s", t.name, doc.Model, r.expect)
	}
	var set *controlSet
	switch doc.Model {
	case Catalog:
		set = catalogControls(doc)
	case Profile:
		set, err = r.profile(doc, t)
		if err != nil {
			return nil, err
		}
	default:
		return nil, demarc.Errorf(demarc.EInvalid, "%s is an OSCAL %s; expected a catalog or a profile", t.name, doc.Model)
	}
	r.sets[t.key] = set
	return set, nil
}

// cycleError reports profiles that import each other.
type cycleError struct{ err *demarc.Error }

func (e *cycleError) Error() string { return e.err.Error() }
func (e *cycleError) Unwrap() error { return e.err }

func (r *resolver) cycle(from int, last string) string {
	names := make([]string, 0, len(r.stack)-from+1)
	for _, k := range r.stack[from:] {
		names = append(names, filepath.Base(k))
	}
	return strings.Join(append(names, filepath.Base(last)), " → ")
}

func (t target) load() (*Document, error) {
	if t.data != nil {
		return Parse(t.name, t.data)
	}
	return Load(t.path)
}

// profile resolves a profile's imports and its alterations. Controls
// imported more than once are kept once, where they first appear.
func (r *resolver) profile(doc *Document, t target) (*controlSet, error) {
	p := doc.OSCAL.Profile
	set := newControlSet(doc.Name)
	set.title, set.version, set.publisher = p.Metadata.Title, p.Metadata.Version, publisher(p.Metadata)
	for i, imp := range p.Imports {
		src, err := r.locate(doc, t, imp.Href, i)
		if err != nil {
			return nil, err
		}
		from, err := r.resolve(src)
		var cycle *cycleError
		switch {
		case errors.As(err, &cycle):
			return nil, err // the cycle names every step itself
		case err != nil:
			return nil, fmt.Errorf("%s imports %s: %w", t.name, src.name, err)
		}
		picked, err := r.selectControls(from, imp, fmt.Sprintf("%s: imports[%d]", t.name, i))
		if err != nil {
			return nil, err
		}
		for _, e := range picked {
			if set.add(e) {
				if g, ok := from.group(e.family); ok {
					set.addGroup(g)
				}
			}
		}
	}
	if p.Modify != nil && p.Modify.Alters != nil {
		applyAlters(set, *p.Modify.Alters)
	}
	return set, nil
}

func (s *controlSet) group(id string) (group, bool) {
	for _, g := range s.groups {
		if g.id == id {
			return g, true
		}
	}
	return group{}, false
}

// applyAlters adds the parts a profile's alterations add, so that
// statement ids they introduce can be found.
func applyAlters(set *controlSet, alters []oscaltypes.Alteration) {
	for _, a := range alters {
		e := set.byID[a.ControlId]
		if e == nil || a.Adds == nil {
			continue
		}
		c := *e
		c.parts = append([]part(nil), e.parts...)
		for _, add := range *a.Adds {
			if add.Parts != nil {
				c.parts = partIDs(*add.Parts, c.parts)
			}
		}
		set.byID[c.id] = &c
		for i := range set.list {
			if set.list[i] == e {
				set.list[i] = &c
			}
		}
	}
}

// selectControls applies an import's include and exclude rules to the
// controls of its source, keeping the source's order. No include rule
// means all controls, as the OSCAL profile resolution specification says.
func (r *resolver) selectControls(from *controlSet, imp oscaltypes.Import, where string) ([]*entry, error) {
	chosen := map[string]bool{}
	switch {
	case imp.IncludeControls != nil:
		for i, sel := range *imp.IncludeControls {
			ids, err := r.matchSelector(from, sel, fmt.Sprintf("%s.include-controls[%d]", where, i))
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				chosen[id] = true
			}
		}
	default: // include-all, or no include rule at all
		for _, e := range from.list {
			chosen[e.id] = true
		}
	}
	if imp.ExcludeControls != nil {
		for i, sel := range *imp.ExcludeControls {
			ids, err := r.matchSelector(from, sel, fmt.Sprintf("%s.exclude-controls[%d]", where, i))
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				delete(chosen, id)
			}
		}
	}
	out := make([]*entry, 0, len(chosen))
	for _, e := range from.list {
		if chosen[e.id] {
			out = append(out, e)
		}
	}
	return out, nil
}

// matchSelector returns the ids a selector names — by id or by glob
// pattern — with their descendants when with-child-controls is "yes". An
// id the source lacks is noted, never ignored silently.
func (r *resolver) matchSelector(from *controlSet, sel oscaltypes.SelectControlById, where string) ([]string, error) {
	var ids []string
	if sel.WithIds != nil {
		for _, id := range *sel.WithIds {
			if from.byID[id] == nil {
				r.notes = append(r.notes, fmt.Sprintf("%s names control %q, which %s does not have", where, id, filepath.Base(from.source)))
				continue
			}
			ids = append(ids, id)
		}
	}
	if sel.Matching != nil {
		for _, m := range *sel.Matching {
			if _, err := path.Match(m.Pattern, ""); err != nil {
				return nil, demarc.Errorf(demarc.EInvalid, "%s: matching pattern %q is malformed; expected a glob such as ac-* or ac-2.?", where, m.Pattern)
			}
			n := 0
			for _, e := range from.list {
				if ok, _ := path.Match(m.Pattern, e.id); ok {
					ids = append(ids, e.id)
					n++
				}
			}
			if n == 0 {
				r.notes = append(r.notes, fmt.Sprintf("%s: pattern %q matches no control of %s", where, m.Pattern, filepath.Base(from.source)))
			}
		}
	}
	if sel.WithChildControls == "yes" {
		for i := 0; i < len(ids); i++ { // ids grows: grandchildren follow
			for _, child := range from.byID[ids[i]].children {
				// A profile's source may lack a child its catalog has.
				if from.byID[child] != nil {
					ids = append(ids, child)
				}
			}
		}
	}
	return ids, nil
}

// locate finds what an import's href names: a back-matter resource
// ("#uuid") or a URI. Relative references are resolved against the
// importing document's folder. A source that is remote or missing is
// replaced by the stand-in catalog, when one is given; otherwise it is an
// error that says how to supply it. Nothing is fetched from the network.
func (r *resolver) locate(doc *Document, from target, href string, i int) (target, error) {
	where := fmt.Sprintf("%s: imports[%d].href %q", from.name, i, href)
	var candidates []string
	if id, ok := strings.CutPrefix(href, "#"); ok {
		res := backMatterResource(doc, id)
		if res == nil {
			return target{}, demarc.Errorf(demarc.EInvalid, "%s names no resource in the back-matter; expected the uuid of a resource that links to a catalog or profile", where)
		}
		if res.Base64 != nil && res.Base64.Value != "" {
			data, err := base64.StdEncoding.DecodeString(res.Base64.Value)
			if err != nil {
				return target{}, demarc.Errorf(demarc.EInvalid, "%s: the resource's base64 content is malformed: %v", where, err)
			}
			return target{key: from.key + href, name: from.name + href, data: data}, nil
		}
		if res.Rlinks != nil {
			for _, l := range *res.Rlinks {
				candidates = append(candidates, l.Href)
			}
		}
		if len(candidates) == 0 {
			return target{}, demarc.Errorf(demarc.EInvalid, "%s: the resource has no rlinks and no base64 content; expected a link to a catalog or profile", where)
		}
	} else {
		candidates = []string{href}
	}
	if r.sealed {
		return r.standIn(where, candidates)
	}
	var tried []string
	for _, c := range candidates {
		local, why := localFile(from, c)
		if why != "" {
			tried = append(tried, why)
			continue
		}
		return fileTarget(local), nil
	}
	if r.catalog != "" {
		r.notes = append(r.notes, fmt.Sprintf("%s is not available locally (%s); read %s instead (--catalog)", where, strings.Join(tried, "; "), r.catalog))
		return fileTarget(r.catalog), nil
	}
	return target{}, demarc.Errorf(demarc.ENotFound, "%s cannot be read: %s. demarc never fetches from the network: download the catalog (JSON or YAML) and pass it with --catalog FILE", where, strings.Join(tried, "; "))
}

// standIn replaces an import that a sealed resolver cannot read — any
// that is not embedded — by the stand-in catalog held in memory.
func (r *resolver) standIn(where string, candidates []string) (target, error) {
	outside := strings.Join(candidates, ", ")
	if r.catalogData == nil {
		return target{}, demarc.Errorf(demarc.EInvalid, "%s cannot be read: %s is outside the document, and nothing outside it is read here. "+
			"Embed the catalog in the profile's back-matter (base64), or send the catalog with the profile", where, outside)
	}
	r.notes = append(r.notes, fmt.Sprintf("%s (%s) is outside the document; read %s instead", where, outside, r.catalog))
	return target{key: "stand-in:" + r.catalog, name: r.catalog, data: r.catalogData}, nil
}

// localFile turns an href into a readable local file, or says why it is
// not one.
func localFile(from target, href string) (string, string) {
	u, err := url.Parse(href)
	if err != nil {
		return "", fmt.Sprintf("%q is not a valid URI", href)
	}
	var p string
	switch {
	case u.Scheme == "file":
		p = u.Path
	case u.Scheme != "":
		return "", fmt.Sprintf("%s is remote", href)
	case from.path == "":
		return "", fmt.Sprintf("%s is relative to a resource embedded in %s", href, from.name)
	default:
		p = u.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(from.path), filepath.FromSlash(p))
		}
	}
	if ext := strings.ToLower(filepath.Ext(p)); ext == ".xml" {
		return "", fmt.Sprintf("%s is OSCAL XML, which demarc does not read", href)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Sprintf("%s does not exist (looked for %s)", href, p)
	}
	return p, ""
}

func backMatterResource(doc *Document, id string) *oscaltypes.Resource {
	bm := doc.OSCAL.Profile.BackMatter
	if bm == nil || bm.Resources == nil {
		return nil
	}
	for i := range *bm.Resources {
		if (*bm.Resources)[i].UUID == id {
			return &(*bm.Resources)[i]
		}
	}
	return nil
}
