package server

import (
	"sort"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// libraryKinds are the kinds of library entries that can be listed.
var libraryKinds = []string{"providers", "services", "frameworks", "areas", "models"}

// LibraryItem is one library entry in a listing. Source is set for
// providers and services that come from the organisation's own provider
// documents or from a statement it subscribes to.
type LibraryItem struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Kind     string  `json:"kind,omitempty"`
	Provider string  `json:"provider,omitempty"`
	Model    string  `json:"model,omitempty"`
	Category string  `json:"category,omitempty"`
	Layer    string  `json:"layer,omitempty"`
	Version  string  `json:"version,omitempty"`
	Count    int     `json:"count,omitempty"` // services of a provider, controls of a framework
	Source   *source `json:"source,omitempty"`
}

func (s *Server) libraryList(c *call) (*reply, error) {
	kind := c.r.PathValue("kind")
	if !contains(libraryKinds, kind) {
		return nil, demarc.Errorf(demarc.ENotFound, "no library kind %q; expected one of providers, services, frameworks, areas, models", kind)
	}
	q := c.query()
	provider, model := q.str("provider"), q.str("model")
	if q.err != nil {
		return nil, q.err
	}
	b, err := s.views.basis(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	items := libraryItems(b, kind, provider, model)
	return ok(pageOf(items, "")), nil
}

func libraryItems(b *basis, kind, provider, model string) []LibraryItem {
	lib := b.lib
	var items []LibraryItem
	src := func(p demarc.ProviderID) *source {
		if s, ok := b.providers[p]; ok {
			return &s
		}
		return nil
	}
	switch kind {
	case "providers":
		for _, p := range lib.Providers() {
			items = append(items, LibraryItem{ID: string(p.ID), Title: p.Title, Kind: p.Kind, Count: len(p.Services), Source: src(p.ID)})
		}
	case "services":
		for _, sv := range lib.Services() {
			if provider != "" && string(sv.Provider) != provider || model != "" && string(sv.Model) != model {
				continue
			}
			items = append(items, LibraryItem{ID: string(sv.ID), Title: sv.Title, Provider: string(sv.Provider), Model: string(sv.Model), Category: sv.Category, Source: src(sv.Provider)})
		}
	case "frameworks":
		for _, f := range lib.Frameworks() {
			n := 0
			for _, ctl := range f.Controls {
				if !ctl.Withdrawn {
					n++
				}
			}
			items = append(items, LibraryItem{ID: string(f.ID), Title: f.Title, Version: f.Version, Count: n})
		}
	case "areas":
		for _, a := range lib.Areas() {
			items = append(items, LibraryItem{ID: string(a.ID), Title: a.Title, Layer: string(a.Layer)})
		}
	case "models":
		for _, m := range lib.Models() {
			items = append(items, LibraryItem{ID: string(m.ID), Title: m.Title})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return kind != "areas" && items[i].ID < items[j].ID })
	return items
}

// LibraryEntry is one library entry in full: exactly one of the fields
// is set.
type LibraryEntry struct {
	Provider  *demarc.Provider     `json:"provider,omitempty"`
	Service   *demarc.Service      `json:"service,omitempty"`
	Framework *demarc.Framework    `json:"framework,omitempty"`
	Area      *demarc.Area         `json:"area,omitempty"`
	Model     *demarc.ServiceModel `json:"model,omitempty"`
	Source    *source              `json:"source,omitempty"`
}

func (s *Server) libraryEntry(c *call) (*reply, error) {
	id := c.r.PathValue("id")
	b, err := s.views.basis(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	e, err := findEntry(b, id)
	if err != nil {
		return nil, err
	}
	return ok(e), nil
}

func findEntry(b *basis, id string) (*LibraryEntry, error) {
	lib := b.lib
	src := func(p demarc.ProviderID) *source {
		if s, ok := b.providers[p]; ok {
			return &s
		}
		return nil
	}
	if sv := lib.Service(demarc.ServiceID(id)); sv != nil {
		return &LibraryEntry{Service: sv, Source: src(sv.Provider)}, nil
	}
	if p := lib.Provider(demarc.ProviderID(id)); p != nil {
		return &LibraryEntry{Provider: p, Source: src(p.ID)}, nil
	}
	if f := lib.Framework(demarc.FrameworkID(id)); f != nil {
		return &LibraryEntry{Framework: f}, nil
	}
	if a := lib.Area(demarc.AreaID(id)); a != nil {
		return &LibraryEntry{Area: a}, nil
	}
	if m := lib.Model(demarc.Model(id)); m != nil {
		return &LibraryEntry{Model: m}, nil
	}
	var ids []string
	for _, kind := range libraryKinds {
		for _, it := range libraryItems(b, kind, "", "") {
			ids = append(ids, it.ID)
		}
	}
	return nil, demarc.Errorf(demarc.ENotFound, "no provider, service, framework, area or model is called %q%s", id, library.Suggest(id, ids))
}
