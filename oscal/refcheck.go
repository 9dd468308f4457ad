package oscal

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// uuidRef is where a uuid is defined: the kind of object (the array it
// sits in), its field path, and for export statements the component whose
// by-component holds them.
type uuidRef struct {
	kind      string
	path      string
	line      int
	component string
	doc       string
}

// uuidIndex maps each uuid of a document to where it is defined.
type uuidIndex map[string]uuidRef

// indexUUIDs records every object in an array that has a "uuid", by the
// array's key: "provided", "responsibilities", "components" …
func indexUUIDs(doc *Document) uuidIndex {
	idx := uuidIndex{}
	var walk func(v *value, path []pathStep, kind, component string)
	walk = func(v *value, path []pathStep, kind, component string) {
		switch v.kind {
		case kindObject:
			if kind == "by-components" {
				component = v.get("component-uuid").text()
			}
			if id := v.get("uuid").text(); id != "" && kind != "" {
				if _, dup := idx[id]; !dup {
					idx[id] = uuidRef{kind: kind, path: renderPath(path), line: int(v.line), component: component, doc: doc.Name}
				}
			}
			for i, k := range v.keys {
				walk(v.items[i], append(path, pathStep{key: k, index: -1}), k, component)
			}
		case kindArray:
			for i, e := range v.items {
				walk(e, append(path, pathStep{index: i}), kind, component)
			}
		}
	}
	walk(doc.root, nil, "", "")
	return idx
}

// kindName says what kind of object an array key holds, in words.
func kindName(kind string) string {
	switch kind {
	case "provided":
		return "a provided statement"
	case "responsibilities":
		return "a responsibility"
	case "inherited":
		return "an inherited statement"
	case "satisfied":
		return "a satisfied statement"
	case "by-components":
		return "a by-component"
	case "components":
		return "a component"
	case "implemented-requirements":
		return "an implemented requirement"
	case "statements":
		return "a statement"
	case "parties":
		return "a party"
	case "users":
		return "a user"
	case "leveraged-authorizations":
		return "a leveraged authorization"
	}
	return "a " + strings.TrimSuffix(kind, "s")
}

// refChecker checks the references inside one document, and from it into
// its leveraged SSPs and its catalog.
type refChecker struct {
	doc       *Document
	refs      *References
	own       uuidIndex
	comps     map[string]*value // system-implementation components by uuid
	levAuths  map[string]bool
	roles     map[string]bool
	parties   map[string]bool
	seen      map[string]string // kind + uuid → first path, for duplicates
	problems  demarc.Problems
	unchecked map[string]int // references that could not be checked, by what was missing
}

func newRefChecker(doc *Document, refs *References) *refChecker {
	c := &refChecker{doc: doc, refs: refs, own: indexUUIDs(doc), comps: map[string]*value{}, levAuths: map[string]bool{},
		roles: map[string]bool{}, parties: map[string]bool{}, seen: map[string]string{}, unchecked: map[string]int{}}
	body := doc.root.get(string(doc.Model))
	meta := body.get("metadata")
	for _, r := range meta.get("roles").list() {
		c.roles[r.get("id").text()] = true
	}
	for _, p := range meta.get("parties").list() {
		c.parties[p.get("uuid").text()] = true
	}
	impl := body.get("system-implementation")
	for _, comp := range impl.get("components").list() {
		c.comps[comp.get("uuid").text()] = comp
	}
	for _, la := range impl.get("leveraged-authorizations").list() {
		c.levAuths[la.get("uuid").text()] = true
	}
	return c
}

func (c *refChecker) report(v *value, path []pathStep, msg string) {
	c.problems = append(c.problems, demarc.Problem{Pos: demarc.Position{File: c.doc.Name, Line: int(v.line)}, Field: renderPath(path), Message: msg})
}

// refContext is what the walk knows about the objects around a value.
type refContext struct {
	control   string // the control-id of the enclosing requirement
	component string // the component-uuid of the enclosing by-component
}

func (c *refChecker) run() {
	c.walk(c.doc.root, nil, "", refContext{})
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Pos.Line < c.problems[j].Pos.Line })
}

func (c *refChecker) walk(v *value, path []pathStep, kind string, ctx refContext) {
	known := knownModel(c.doc.Model)
	switch v.kind {
	case kindArray:
		for i, e := range v.items {
			c.walk(e, append(path, pathStep{index: i}), kind, ctx)
		}
		return
	case kindObject:
	default:
		return
	}
	ctx = c.object(v, path, kind, ctx)
	for i, k := range v.keys {
		item := v.items[i]
		p := append(path, pathStep{key: k, index: -1})
		switch {
		case !known:
			// A model OSCAL does not define: only its responsibility
			// statements and control ids are checked.
		case k == "role-ids":
			for j, r := range item.list() {
				c.role(r, append(p, pathStep{index: j}))
			}
		case k == "party-uuids":
			for j, r := range item.list() {
				c.party(r, append(p, pathStep{index: j}))
			}
		case k == "party-uuid":
			c.party(item, p)
		}
		c.walk(item, p, k, ctx)
	}
}

// object checks one object by the kind of array it sits in, and returns
// the context for its members.
func (c *refChecker) object(v *value, path []pathStep, kind string, ctx refContext) refContext {
	if !knownModel(c.doc.Model) {
		return c.responsibilityObject(v, path, kind, ctx)
	}
	c.duplicate(v, path, kind)
	switch kind {
	case "implemented-requirements":
		ctx.control = v.get("control-id").text()
		c.control(v, path)
	case "statements":
		c.statement(v, path, ctx.control)
	case "by-components":
		ctx.component = v.get("component-uuid").text()
		c.component(v, path)
	case "inherited":
		c.external(v, path, ctx.component, "inherited")
		c.leveraged(v, path, "provided-uuid", "provided", ctx.component)
	case "satisfied":
		c.external(v, path, ctx.component, "satisfied")
		c.leveraged(v, path, "responsibility-uuid", "responsibilities", ctx.component)
	case "imports", "import-component-definitions", "import-profile", "import-ssp", "import-ap":
		c.resource(v.get("href"), append(path, pathStep{key: "href", index: -1}))
	case "responsibilities":
		c.ownProvided(v, path)
	case "responsible-roles", "responsible-parties":
		c.role(v.get("role-id"), append(path, pathStep{key: "role-id", index: -1}))
	case "components":
		c.componentProps(v, path)
	}
	return ctx
}

// responsibilityObject checks the objects of a document whose model OSCAL
// does not define — such as NIST's prototype shared-responsibility model —
// as far as they follow the SSP's shape.
func (c *refChecker) responsibilityObject(v *value, path []pathStep, kind string, ctx refContext) refContext {
	switch kind {
	case "implemented-requirements":
		ctx.control = v.get("control-id").text()
		c.control(v, path)
	case "statements":
		c.statement(v, path, ctx.control)
	case "inherited":
		c.leveraged(v, path, "provided-uuid", "provided", "")
	case "satisfied":
		c.leveraged(v, path, "responsibility-uuid", "responsibilities", "")
	case "responsibilities":
		c.ownProvided(v, path)
	}
	return ctx
}

func (c *refChecker) duplicate(v *value, path []pathStep, kind string) {
	id := v.get("uuid")
	if kind == "" || id.text() == "" {
		return
	}
	key := kind + "\x00" + id.str
	if first, dup := c.seen[key]; dup {
		c.report(id, append(path, pathStep{key: "uuid", index: -1}), fmt.Sprintf("uuid %s is also the uuid of %s; expected each %s to have its own uuid", id.str, first, strings.TrimPrefix(kindName(kind), "a ")))
		return
	}
	c.seen[key] = renderPath(path)
}

func (c *refChecker) role(r *value, path []pathStep) {
	if !r.isString() || c.roles[r.str] {
		return
	}
	if len(c.roles) == 0 {
		c.report(r, path, fmt.Sprintf("role %s is not defined: the document's metadata defines no roles; expected the id of a role in metadata.roles", quoteValue(r.str)))
		return
	}
	c.report(r, path, fmt.Sprintf("role %s is not defined in metadata.roles; expected one of %s", quoteValue(r.str), quoteList(sortedKeys(c.roles), 12)))
}

func (c *refChecker) party(p *value, path []pathStep) {
	if !p.isString() || c.parties[p.str] {
		return
	}
	c.report(p, path, fmt.Sprintf("party %s is not defined in metadata.parties; expected the uuid of a party", quoteValue(p.str)))
}

// component checks that a by-component names a component of the SSP.
func (c *refChecker) component(v *value, path []pathStep) {
	id := v.get("component-uuid")
	if c.doc.Model != SystemSecurityPlan || !id.isString() || c.comps[id.str] != nil {
		return
	}
	msg := fmt.Sprintf("component-uuid %s names no component of system-implementation.components", quoteValue(id.str))
	if ref, ok := c.own[id.str]; ok {
		msg += fmt.Sprintf(" (it is the uuid of %s at %s)", kindName(ref.kind), ref.path)
	}
	c.report(id, append(path, pathStep{key: "component-uuid", index: -1}), msg+"; expected the uuid of a component the system defines")
}

// componentProps checks a component's leveraged-authorization-uuid and
// inherited-uuid properties.
func (c *refChecker) componentProps(v *value, path []pathStep) {
	for i, p := range v.get("props").list() {
		val := p.get("value")
		pp := append(path, pathStep{key: "props", index: -1}, pathStep{index: i}, pathStep{key: "value", index: -1})
		switch p.get("name").text() {
		case "leveraged-authorization-uuid":
			if val.isString() && !c.levAuths[val.str] {
				c.report(val, pp, fmt.Sprintf("leveraged-authorization-uuid %s names no entry of system-implementation.leveraged-authorizations; expected the uuid of the authorization this component is leveraged from", quoteValue(val.str)))
			}
		case "inherited-uuid":
			c.inheritedUUID(val, pp)
		}
	}
}

// inheritedUUID checks that a component's inherited-uuid names a
// component of a leveraged SSP.
func (c *refChecker) inheritedUUID(val *value, path []pathStep) {
	if !val.isString() || c.refs == nil || len(c.refs.leveraged) == 0 {
		return
	}
	ref, ok := c.refs.find(val.str)
	switch {
	case !ok:
		c.report(val, path, fmt.Sprintf("inherited-uuid %s names no component of the leveraged SSP %s; expected the uuid of the leveraged system's component", quoteValue(val.str), c.refs.leveragedNames()))
	case ref.kind != "components":
		c.report(val, path, fmt.Sprintf("inherited-uuid %s is the uuid of %s at %s in %s; expected a component", quoteValue(val.str), kindName(ref.kind), ref.path, filepath.Base(ref.doc)))
	}
}

// external checks that inherited and satisfied statements sit on a
// component that really is leveraged: implementation-point "external",
// with a leveraged authorization.
func (c *refChecker) external(v *value, path []pathStep, component, what string) {
	comp := c.comps[component]
	if c.doc.Model != SystemSecurityPlan || comp == nil {
		return
	}
	point, levAuth := "", ""
	for _, p := range comp.get("props").list() {
		switch p.get("name").text() {
		case "implementation-point":
			point = p.get("value").text()
		case "leveraged-authorization-uuid":
			levAuth = p.get("value").text()
		}
	}
	title := quoteValue(comp.get("title").text())
	switch {
	case point != "external":
		got := "no implementation-point"
		if point != "" {
			got = "implementation-point " + strconv.Quote(point)
		}
		c.report(v, path, fmt.Sprintf("%s statement on component %s (%s), which has %s; expected a leveraged component: implementation-point \"external\" and a leveraged-authorization-uuid", what, title, component, got))
	case levAuth == "":
		c.report(v, path, fmt.Sprintf("%s statement on external component %s (%s), which names no leveraged-authorization-uuid; expected the uuid of the leveraged authorization it is inherited through", what, title, component))
	}
}

// leveraged checks an inherited provided-uuid or a satisfied
// responsibility-uuid against the leveraged SSPs: it must name a statement
// of the right kind there.
func (c *refChecker) leveraged(v *value, path []pathStep, field, want, component string) {
	id := v.get(field)
	if !id.isString() {
		return
	}
	p := append(path, pathStep{key: field, index: -1})
	if ref, ok := c.own[id.str]; ok && ref.kind == want {
		c.report(id, p, fmt.Sprintf("%s %s points at %s of this same document (%s); expected %s the leveraged system exports", field, quoteValue(id.str), kindName(ref.kind), ref.path, kindName(want)))
		return
	}
	if c.refs == nil || len(c.refs.leveraged) == 0 {
		c.unchecked["leveraged"]++
		return
	}
	ref, ok := c.refs.find(id.str)
	switch {
	case !ok:
		c.report(id, p, fmt.Sprintf("%s %s is not in the leveraged SSP %s; expected the uuid of %s it exports", field, quoteValue(id.str), c.refs.leveragedNames(), kindName(want)))
	case ref.kind != want:
		c.report(id, p, fmt.Sprintf("%s %s points at %s (%s in %s); expected %s", field, quoteValue(id.str), kindName(ref.kind), ref.path, filepath.Base(ref.doc), kindName(want)))
	default:
		c.sameComponent(id, p, field, ref, component)
	}
}

// sameComponent checks, when the leveraging component names the leveraged
// component it stands for (its inherited-uuid), that the statement is one
// that component exports.
func (c *refChecker) sameComponent(id *value, path []pathStep, field string, ref uuidRef, component string) {
	comp := c.comps[component]
	for _, p := range comp.get("props").list() {
		if p.get("name").text() != "inherited-uuid" {
			continue
		}
		if want := p.get("value").text(); want != "" && ref.component != want {
			c.report(id, path, fmt.Sprintf("%s %s is exported by component %s of %s, but this component inherits from component %s (its inherited-uuid)", field, quoteValue(id.str), ref.component, filepath.Base(ref.doc), want))
		}
		return
	}
}

// resource checks that an href of the form "#uuid" names a resource in
// the document's back-matter.
func (c *refChecker) resource(href *value, path []pathStep) {
	id, ok := strings.CutPrefix(href.text(), "#")
	if !ok {
		return
	}
	for _, r := range c.doc.root.get(string(c.doc.Model)).get("back-matter").get("resources").list() {
		if r.get("uuid").text() == id {
			return
		}
	}
	c.report(href, path, fmt.Sprintf("href %s names no resource in the back-matter; expected \"#\" followed by the uuid of a back-matter resource", quoteValue(href.str)))
}

// ownProvided checks that an exported responsibility's provided-uuid
// names a provided statement of the same document.
func (c *refChecker) ownProvided(v *value, path []pathStep) {
	id := v.get("provided-uuid")
	if !id.isString() {
		return
	}
	ref, ok := c.own[id.str]
	if ok && ref.kind == "provided" {
		return
	}
	got := "nothing in this document"
	if ok {
		got = kindName(ref.kind) + " at " + ref.path
	}
	c.report(id, append(path, pathStep{key: "provided-uuid", index: -1}), fmt.Sprintf("provided-uuid %s names %s; expected a provided statement this document exports", quoteValue(id.str), got))
}

// control checks a requirement's control-id against the catalog.
func (c *refChecker) control(v *value, path []pathStep) {
	id := v.get("control-id")
	if !id.isString() {
		return
	}
	if c.refs == nil || c.refs.catalog == nil {
		c.unchecked["catalog"]++
		return
	}
	if c.refs.catalog.byID[id.str] == nil {
		c.report(id, append(path, pathStep{key: "control-id", index: -1}), fmt.Sprintf("control-id %s is not a control of %s%s", quoteValue(id.str), c.refs.catalogName, library.Suggest(id.str, c.refs.controlIDs())))
	}
}

// statement checks that a statement-id is a statement part of its control
// in the catalog.
func (c *refChecker) statement(v *value, path []pathStep, control string) {
	id := v.get("statement-id")
	if !id.isString() || c.refs == nil || c.refs.catalog == nil {
		return
	}
	e := c.refs.catalog.byID[control]
	if e == nil {
		return // reported on the control-id
	}
	p := append(path, pathStep{key: "statement-id", index: -1})
	owner, name, ok := c.refs.part(id.str)
	switch {
	case !ok:
		c.report(id, p, fmt.Sprintf("statement-id %s is not a part of %s in %s%s", quoteValue(id.str), control, c.refs.catalogName, library.Suggest(id.str, statementParts(e))))
	case owner != control:
		c.report(id, p, fmt.Sprintf("statement-id %s is a part of control %s, not of %s", quoteValue(id.str), owner, control))
	case name != "statement" && name != "item":
		c.report(id, p, fmt.Sprintf("statement-id %s is the %s part of %s; expected a statement part", quoteValue(id.str), name, control))
	}
}

func statementParts(e *entry) []string {
	var out []string
	for _, p := range e.parts {
		if p.name == "statement" || p.name == "item" {
			out = append(out, p.id)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
