package server

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/systemfile"
)

// ownerNames are the owners a cell can have, for the owner filter.
var ownerNames = []string{
	string(demarc.OwnerProvider), string(demarc.OwnerCustomer), string(demarc.OwnerShared), string(demarc.OwnerThirdParty),
	string(demarc.OwnerNotApplicable), string(demarc.OwnerUnassigned), string(demarc.OwnerConflict),
}

// layerNames are the layers of the stack, bottom to top.
var layerNames = func() []string {
	out := make([]string, len(demarc.Layers))
	for i, l := range demarc.Layers {
		out[i] = string(l)
	}
	return out
}()

// gridFormats are the formats of the heat map and the comparison.
var gridFormats = []string{"json", "csv"}

// maxCompared bounds the columns of a comparison.
const maxCompared = 20

// insightRoutes are the routes a web UI draws its views from: the heat
// map of a system, a what-if swap, a comparison of providers or
// services, the organisation's dashboard, and form validation.
func (s *Server) insightRoutes() []*route {
	sys := orgPath + "/systems/{id}"
	pGrid := param{name: "format", enum: gridFormats, doc: "output format (default json)"}
	return []*route{
		{method: "GET", path: sys + "/cells", id: "systemCells", tag: "analysis", sum: "List who owns every area on every component: the heat map", roles: readers,
			doc: "Components and areas (grouped by layer, bottom of the stack first) come with the cells, so that a client can draw the grid from one answer. " +
				"The component and layer filters narrow the grid; the owner filter keeps the grid and leaves out the other cells.",
			params: []param{pVersion, {name: "component", doc: "only this component"}, {name: "owner", enum: ownerNames, doc: "only cells with this owner"},
				{name: "layer", enum: layerNames, doc: "only areas of this layer"}, pGrid},
			resp: CellGrid{}, media: []string{"text/csv"}, handle: s.cells},
		{method: "GET", path: sys + "/whatif", id: "whatIf", tag: "analysis", sum: "Say what moves between parties if components used other services", roles: readers,
			doc:    "The answer has the shape of diffSystem's: from and to are both the version the swaps are applied to.",
			params: []param{{name: "swap", doc: "COMPONENT=SERVICE, e.g. api=aws/ec2; repeat it or separate several with commas (required)"}, pFramework, pVersion},
			resp:   VersionDiff{}, handle: s.whatIf},
		{method: "GET", path: orgPath + "/compare", id: "compare", tag: "analysis", sum: "Put services, or providers' statements for one service model, side by side", roles: readers,
			doc: "Give services, or model with providers. Compared against the organisation's library: the built-in one with the provider statements it subscribes to or keeps.",
			params: []param{{name: "services", doc: "service ids separated by commas"}, {name: "model", enum: []string{"on-prem", "iaas", "caas", "paas", "faas", "saas"}, doc: "service model to compare providers on"},
				{name: "providers", doc: "provider ids separated by commas (default aws,azure,gcp); with model only"}, pGrid},
			resp: analyze.Comparison{}, media: []string{"text/csv"}, handle: s.compare},
		{method: "GET", path: orgPath + "/overview", id: "overview", tag: "analysis", sum: "Sum up every system of the organisation: owners, gaps, attestations and sign-offs due", roles: readers,
			doc: "A system that does not parse is listed with its error. Sign-offs listed are the newest of each system and framework that is stale or still awaits signatures.",
			params: []param{{name: "days", typ: "integer", doc: "list attestations that expire within this many days (default 90)"},
				{name: "framework", doc: "judge every system against this framework (default: each system's first, else nist-800-53-r5)"}, pAsOf},
			resp: Overview{}, handle: s.overview},
		{method: "POST", path: orgPath + "/systems/validate", id: "validateSystem", tag: "systems", sum: "Check a system document without storing it", roles: editors,
			doc:  "Answers 200 when the document would be accepted, else 422 with every problem's line and field.",
			body: DocumentRequest{}, bodyLimit: documentBodyLimit, resp: Validation{}, handle: s.validateSystem},
	}
}

// systemVersion is c.system with the version number the request reads:
// versions with the same content share one systemView, whose revision is
// the first of them that was read.
func (c *call) systemVersion() (*systemView, int, error) {
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, 0, err
	}
	q := c.query()
	version := q.integer("version", 0, 1<<30)
	if q.err != nil {
		return nil, 0, q.err
	}
	sv, err := c.s.views.systemAt(c.r.Context(), c.org.ID, doc, version)
	if version == 0 {
		version = doc.Version
	}
	return sv, version, err
}

// answerAt caches an answer that names the version it was computed for,
// not only the content.
func (c *call) answerAt(sv *systemView, version int, make func() (*reply, error)) (*reply, error) {
	at := *sv
	at.key = fmt.Sprintf("%s|v%d", sv.key, version)
	return c.answer(&at, make)
}

// CellGrid is a system's heat map: the owner of every area on every
// component, with the rows and columns to draw it.
type CellGrid struct {
	System     string          `json:"system"`
	Version    int             `json:"version"`
	Components []GridComponent `json:"components"`
	Layers     []GridLayer     `json:"layers"`
	// Summary counts the listed cells per owner.
	Summary demarc.Summary `json:"summary"`
	Cells   []Cell         `json:"cells"`
}

// GridComponent is one component of the grid, in the system's order.
type GridComponent struct {
	Name     string            `json:"name"`
	Service  demarc.ServiceID  `json:"service"`
	Title    string            `json:"title"`
	Provider demarc.ProviderID `json:"provider"`
	Model    demarc.Model      `json:"model"`
	RunsOn   string            `json:"runs_on,omitempty"`
}

// GridLayer is one layer of the stack with its areas in catalog order.
type GridLayer struct {
	Layer demarc.Layer `json:"layer"`
	Areas []GridArea   `json:"areas"`
}

// GridArea is one area of the grid.
type GridArea struct {
	ID    demarc.AreaID `json:"id"`
	Title string        `json:"title"`
}

// Cell is the assignment of one area on one component, with the rule
// that decided it.
type Cell struct {
	Component string         `json:"component"`
	Area      demarc.AreaID  `json:"area"`
	Title     string         `json:"title"`
	Layer     demarc.Layer   `json:"layer"`
	Owner     demarc.Owner   `json:"owner"`
	Sharing   demarc.Sharing `json:"sharing,omitempty"`
	// Level and Source name the rule that decided the cell
	// (provenance.decided of the assignment).
	Level  demarc.Level `json:"level"`
	Source string       `json:"source"`
	// Via lists the components the cell was inherited through.
	Via   []string      `json:"via,omitempty"`
	Parts []demarc.Part `json:"parts,omitempty"`
}

func (s *Server) cells(c *call) (*reply, error) {
	sv, version, err := c.systemVersion()
	if err != nil {
		return nil, err
	}
	return c.answerAt(sv, version, func() (*reply, error) {
		q := c.query()
		comp := q.str("component")
		owner := demarc.Owner(q.oneOf("owner", "", ownerNames...))
		layer := demarc.Layer(q.oneOf("layer", "", layerNames...))
		f := render.Format(q.oneOf("format", "json", gridFormats...))
		if q.err != nil {
			return nil, q.err
		}
		if comp != "" && sv.sys.Component(comp) == nil {
			return nil, errorf(EBadRequest, "query parameter component: system %s has no component %q%s", sv.sys.Name, comp, library.Suggest(comp, componentNames(sv.sys)))
		}
		g := cellGrid(sv, version, comp, layer, owner)
		if f == render.CSV {
			return rendered(f, func(b *bytes.Buffer) error { return render.List(b, cellListing(g), render.CSV, render.Options{}) })
		}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return render.WriteJSON(b, g) })
	})
}

func componentNames(sys *demarc.System) []string {
	names := make([]string, len(sys.Components))
	for i, comp := range sys.Components {
		names[i] = comp.Name
	}
	return names
}

// cellGrid lays the resolution out as a grid: the components (or the one
// named), the areas grouped by layer (or of one layer), and the cells,
// component by component, of the owner asked for.
func cellGrid(sv *systemView, version int, comp string, layer demarc.Layer, owner demarc.Owner) *CellGrid {
	lib := sv.basis.lib
	g := &CellGrid{System: sv.sys.Name, Version: version, Components: []GridComponent{}, Summary: demarc.Summary{}, Cells: []Cell{}}
	g.Layers = gridLayers(sv.res.Areas(), layer)
	var order []int // area indexes in grid order
	for _, l := range g.Layers {
		for _, a := range l.Areas {
			order = append(order, lib.AreaIndex(a.ID))
		}
	}
	areas := sv.res.Areas()
	for ci, component := range sv.sys.Components {
		if comp != "" && component.Name != comp {
			continue
		}
		g.Components = append(g.Components, gridComponent(lib, component))
		cells := sv.res.Cells(ci)
		for _, ai := range order {
			asg := &cells[ai]
			if owner != "" && asg.Owner != owner {
				continue
			}
			g.Summary[asg.Owner]++
			g.Cells = append(g.Cells, Cell{Component: component.Name, Area: asg.Area, Title: areas[ai].Title, Layer: areas[ai].Layer, Owner: asg.Owner, Sharing: asg.Sharing,
				Level: asg.Provenance.Decided.Level, Source: asg.Provenance.Decided.Source, Via: asg.Provenance.Via, Parts: asg.Parts})
		}
	}
	return g
}

// gridLayers groups areas by layer, bottom of the stack first, each in
// catalog order; layers the stack does not know come last.
func gridLayers(areas []demarc.Area, only demarc.Layer) []GridLayer {
	index := map[demarc.Layer]int{}
	var out []GridLayer
	for _, a := range areas {
		if only != "" && a.Layer != only {
			continue
		}
		i, ok := index[a.Layer]
		if !ok {
			i = len(out)
			index[a.Layer] = i
			out = append(out, GridLayer{Layer: a.Layer})
		}
		out[i].Areas = append(out[i].Areas, GridArea{ID: a.ID, Title: a.Title})
	}
	rank := func(l demarc.Layer) int {
		if r := l.Rank(); r >= 0 {
			return r
		}
		return len(demarc.Layers)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Layer) < rank(out[j].Layer) })
	if out == nil {
		out = []GridLayer{}
	}
	return out
}

func gridComponent(lib *library.Library, comp demarc.Component) GridComponent {
	gc := GridComponent{Name: comp.Name, Service: comp.Service, Provider: comp.Provider, RunsOn: comp.RunsOn}
	if svc := lib.Service(comp.Service); svc != nil {
		gc.Title, gc.Model = svc.Title, svc.Model
		if gc.Provider == "" {
			gc.Provider = svc.Provider
		}
	}
	return gc
}

// cellListing is the grid's cells as CSV rows, one per cell, with each
// kind of party's parts in a column of its own.
func cellListing(g *CellGrid) *render.Listing {
	l := &render.Listing{Header: []string{"component", "layer", "area", "title", "owner", "sharing", "level", "source", "via", "provider", "customer", "third_party"}}
	for _, cell := range g.Cells {
		parts := map[demarc.PartyKind][]string{}
		for _, p := range cell.Parts {
			text := p.Text
			if p.Party.Name != "" {
				text = p.Party.Name + ": " + text
			}
			if len(p.Teams) > 0 {
				text += " [" + strings.Join(p.Teams, ", ") + "]"
			}
			parts[p.Party.Kind] = append(parts[p.Party.Kind], text)
		}
		l.Rows = append(l.Rows, []string{cell.Component, string(cell.Layer), string(cell.Area), cell.Title, string(cell.Owner), string(cell.Sharing),
			string(cell.Level), cell.Source, strings.Join(cell.Via, " → "), strings.Join(parts[demarc.PartyProvider], "; "),
			strings.Join(parts[demarc.PartyCustomer], "; "), strings.Join(parts[demarc.PartyThirdParty], "; ")})
	}
	return l
}

// swapParam reads the swap parameter, given once with commas or
// repeated. Repeating it is allowed here alone, so the query is checked
// with the repetitions joined.
func (c *call) swapParam() []string {
	values := c.r.URL.Query()
	list := values["swap"]
	if len(list) > 1 {
		values["swap"] = []string{strings.Join(list, ",")}
		u := *c.r.URL
		u.RawQuery = values.Encode()
		r := c.r.WithContext(c.r.Context())
		r.URL = &u
		names := make([]string, len(c.rt.params))
		for i, p := range c.rt.params {
			names[i] = p.name
		}
		c.q = newQuery(r, names...)
	}
	var out []string
	for _, v := range list {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// whatIf swaps components to other services, as `demarc diff SYSTEM
// --swap COMPONENT=SERVICE` does, and says what moves.
func (s *Server) whatIf(c *call) (*reply, error) {
	swaps := c.swapParam()
	sv, version, err := c.systemVersion()
	if err != nil {
		return nil, err
	}
	return c.answerAt(sv, version, func() (*reply, error) {
		q := c.query()
		fwID := q.str("framework")
		if q.err != nil {
			return nil, q.err
		}
		if len(swaps) == 0 {
			return nil, errorf(EBadRequest, "query parameter swap is required: COMPONENT=SERVICE, e.g. swap=api=aws/ec2; repeat it for more")
		}
		to, err := swapped(sv, swaps)
		if err != nil {
			return nil, err
		}
		fw, err := sv.framework(fwID)
		if err != nil {
			return nil, err
		}
		res, err := sv.basis.engine.Resolve(to)
		if err != nil {
			return nil, err
		}
		d := VersionDiff{From: version, To: version, Diff: analyze.Compare(sv.res, res, fw)}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return render.WriteJSON(b, d) })
	})
}

// swapped returns the system with the swaps applied. A swap that names
// no component of the system or no service of the library is invalid
// (422), and so is a result that no longer passes the system checks.
func swapped(sv *systemView, swaps []string) (*demarc.System, error) {
	lib := sv.basis.lib
	to := sv.sys
	for _, sw := range swaps {
		comp, svc, ok := strings.Cut(sw, "=")
		comp, svc = strings.TrimSpace(comp), strings.TrimSpace(svc)
		if !ok || comp == "" || svc == "" {
			return nil, errorf(EBadRequest, "query parameter swap: %q is not COMPONENT=SERVICE", sw)
		}
		if sv.sys.Component(comp) == nil {
			return nil, demarc.Errorf(demarc.EInvalid, "swap %s: system %s has no component %q%s", sw, sv.sys.Name, comp, library.Suggest(comp, componentNames(sv.sys)))
		}
		if lib.Service(demarc.ServiceID(svc)) == nil {
			return nil, demarc.Errorf(demarc.EInvalid, "swap %s: the organisation's library has no service %q%s", sw, svc, library.Suggest(svc, serviceNames(lib)))
		}
		var err error
		if to, err = analyze.Swap(to, comp, demarc.ServiceID(svc)); err != nil {
			return nil, err
		}
	}
	if err := systemfile.Check(to, lib).Err(); err != nil {
		return nil, err
	}
	return to, nil
}

func serviceNames(lib *library.Library) []string {
	var out []string
	for _, svc := range lib.Services() {
		out = append(out, string(svc.ID))
	}
	return out
}

// compare puts services, or providers' statements on one model, side by
// side, as `demarc compare` does, against the organisation's library.
func (s *Server) compare(c *call) (*reply, error) {
	q := c.query()
	services, model, providers := q.str("services"), q.str("model"), q.str("providers")
	f := render.Format(q.oneOf("format", "json", gridFormats...))
	if q.err != nil {
		return nil, q.err
	}
	b, err := s.views.basis(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	// The answer depends on the library alone, so it is cached by the
	// library's inputs, the query and the day.
	return c.answer(&systemView{key: "library|" + b.key}, func() (*reply, error) {
		cmp, err := comparison(b, services, model, providers)
		if err != nil {
			return nil, err
		}
		return rendered(f, func(buf *bytes.Buffer) error {
			return render.Report(buf, cmp, render.ComparisonTable(cmp, false), f, render.Options{})
		})
	})
}

func comparison(b *basis, services, model, providers string) (*analyze.Comparison, error) {
	lib := b.lib
	switch {
	case services != "" && (model != "" || providers != ""):
		return nil, errorf(EBadRequest, "give services, or model with providers, not both")
	case services != "":
		ids := splitList(services)
		if len(ids) > maxCompared {
			return nil, errorf(EBadRequest, "query parameter services: %d services; compare at most %d", len(ids), maxCompared)
		}
		var list []demarc.ServiceID
		for _, id := range ids {
			if lib.Service(demarc.ServiceID(id)) == nil {
				return nil, demarc.Errorf(demarc.EInvalid, "query parameter services: the organisation's library has no service %q%s", id, library.Suggest(id, serviceNames(lib)))
			}
			list = append(list, demarc.ServiceID(id))
		}
		return analyze.CompareServices(b.engine, list)
	case model != "":
		if lib.Model(demarc.Model(model)) == nil {
			return nil, demarc.Errorf(demarc.EInvalid, "query parameter model: unknown service model %q; expected on-prem, iaas, caas, paas, faas or saas", model)
		}
		if providers == "" {
			providers = "aws,azure,gcp"
		}
		ids := splitList(providers)
		if len(ids) > maxCompared {
			return nil, errorf(EBadRequest, "query parameter providers: %d providers; compare at most %d", len(ids), maxCompared)
		}
		var list []demarc.ProviderID
		for _, id := range ids {
			if lib.Provider(demarc.ProviderID(id)) == nil {
				return nil, demarc.Errorf(demarc.EInvalid, "query parameter providers: the organisation's library has no provider %q%s", id, library.Suggest(id, providerNames(lib)))
			}
			list = append(list, demarc.ProviderID(id))
		}
		return analyze.CompareProviders(b.engine, demarc.Model(model), list)
	case providers != "":
		return nil, errorf(EBadRequest, "query parameter providers needs model: the service model to compare the providers on")
	}
	return nil, errorf(EBadRequest, "give services=a,b,… or model=…&providers=a,b,…")
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func providerNames(lib *library.Library) []string {
	var out []string
	for _, p := range lib.Providers() {
		out = append(out, string(p.ID))
	}
	return out
}

// Validation is the answer for a document that would be accepted.
type Validation struct {
	Valid bool `json:"valid"`
	// System is the system's name, from its content.
	System     string `json:"system"`
	Components int    `json:"components"`
}

// validateSystem checks a system document exactly as creating it would,
// against the organisation's library and attestation registers, and
// stores nothing.
func (s *Server) validateSystem(c *call) (*reply, error) {
	var req DocumentRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	name := req.Name
	if name == "" {
		name = "system" // a form may check the content before it has a name
	}
	content := []byte(req.Content)
	if err := contentProblems(name, content); err != nil {
		return nil, err
	}
	in := demarc.DocumentInput{Kind: demarc.DocSystem, Name: name, Content: content, Note: req.Note}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	b, err := s.views.basis(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	sys, _, err := parseSystem(b, name, content)
	if err != nil {
		return nil, err
	}
	return ok(Validation{Valid: true, System: sys.Name, Components: len(sys.Components)}), nil
}

// contentProblems reports content that is empty or too large as a
// problem of the content field, like the problems of a document's own.
func contentProblems(name string, content []byte) error {
	var msg string
	switch {
	case len(bytes.TrimSpace(content)) == 0:
		msg = "is empty; expected a system file in YAML or JSON"
	case len(content) > demarc.MaxDocumentSize:
		msg = fmt.Sprintf("is %d bytes; at most %d are allowed", len(content), demarc.MaxDocumentSize)
	default:
		return nil
	}
	return demarc.Problems{{Pos: demarc.Position{File: name}, Field: "content", Message: msg}}.Err()
}
