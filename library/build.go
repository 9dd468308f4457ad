package library

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
)

// build merges parsed files in order and checks every reference.
func build(files []*File) (*Library, error) {
	l := &Library{
		areaIndex:  map[demarc.AreaID]int{},
		models:     map[demarc.Model]*demarc.ServiceModel{},
		providers:  map[demarc.ProviderID]*demarc.Provider{},
		services:   map[demarc.ServiceID]*demarc.Service{},
		frameworks: map[demarc.FrameworkID]*demarc.Framework{},
		controls:   map[demarc.FrameworkID]map[demarc.ControlID]*demarc.Control{},
	}
	var ps demarc.Problems
	for _, f := range files {
		ps = append(ps, checkDuplicates(f)...)
		l.mergeAreas(f.Areas)
		for i := range f.Models {
			m := f.Models[i]
			l.models[m.ID] = &m
		}
		for i := range f.Providers {
			l.mergeProvider(f.Providers[i])
		}
		for i := range f.Frameworks {
			fw := f.Frameworks[i]
			l.frameworks[fw.ID] = &fw
		}
		l.incidents = mergeByID(l.incidents, f.Incidents, func(x demarc.IncidentType) string { return x.ID })
		l.regs = mergeByID(l.regs, f.Regulations, func(x demarc.Regulation) string { return x.ID })
		l.features = mergeByID(l.features, f.Features, func(x demarc.FeatureInfo) string { return x.ID })
	}
	l.indexServices()
	ps = append(ps, l.check()...)
	if len(ps) > 0 {
		return nil, ps.Err()
	}
	l.indexControls()
	return l, nil
}

func (l *Library) mergeAreas(areas []demarc.Area) {
	for _, a := range areas {
		if i, ok := l.areaIndex[a.ID]; ok {
			l.areas[i] = a
			continue
		}
		l.areaIndex[a.ID] = len(l.areas)
		l.areas = append(l.areas, a)
	}
}

// mergeProvider adds p, or, when a provider with its id exists, takes p's
// title, statement and services over the existing ones service by service,
// so that a user file can add one service to a built-in provider.
func (l *Library) mergeProvider(p demarc.Provider) {
	old, ok := l.providers[p.ID]
	if !ok {
		l.providers[p.ID] = &p
		return
	}
	merged := *old
	merged.Title, merged.Kind, merged.Pos = p.Title, p.Kind, p.Pos
	if p.Description != "" {
		merged.Description = p.Description
	}
	if p.URL != "" {
		merged.URL = p.URL
	}
	if len(p.Statement) > 0 {
		merged.Statement = p.Statement
	}
	merged.Services = append([]demarc.Service(nil), old.Services...)
	for _, s := range p.Services {
		replaced := false
		for i := range merged.Services {
			if merged.Services[i].ID == s.ID {
				merged.Services[i], replaced = s, true
			}
		}
		if !replaced {
			merged.Services = append(merged.Services, s)
		}
	}
	l.providers[p.ID] = &merged
}

func (l *Library) indexServices() {
	for _, p := range l.providers {
		for i := range p.Services {
			l.services[p.Services[i].ID] = &p.Services[i]
		}
	}
}

func (l *Library) indexControls() {
	for id, fw := range l.frameworks {
		idx := make(map[demarc.ControlID]*demarc.Control, len(fw.Controls))
		for i := range fw.Controls {
			idx[demarc.ControlID(lower(string(fw.Controls[i].ID)))] = &fw.Controls[i]
		}
		l.controls[id] = idx
	}
}

func lower(s string) string { return strings.ToLower(s) }

// mergeByID appends add to list, an entry replacing the one with its id.
func mergeByID[T any](list, add []T, id func(T) string) []T {
	for _, x := range add {
		replaced := false
		for i := range list {
			if id(list[i]) == id(x) {
				list[i], replaced = x, true
			}
		}
		if !replaced {
			list = append(list, x)
		}
	}
	return list
}

// checkDuplicates finds ids used twice within one file.
func checkDuplicates(f *File) demarc.Problems {
	var ps demarc.Problems
	dup := func(kind, id string, pos demarc.Position, seen map[string]demarc.Position) {
		if first, ok := seen[id]; ok {
			ps = append(ps, demarc.Problem{Pos: pos, Field: "id", Message: fmt.Sprintf("duplicate %s %q (first at line %d)", kind, id, first.Line)})
			return
		}
		seen[id] = pos
	}
	seen := map[string]demarc.Position{}
	for _, a := range f.Areas {
		dup("area", string(a.ID), a.Pos, seen)
	}
	seen = map[string]demarc.Position{}
	for _, m := range f.Models {
		dup("model", string(m.ID), m.Pos, seen)
	}
	seen = map[string]demarc.Position{}
	services := map[string]demarc.Position{}
	for _, p := range f.Providers {
		dup("provider", string(p.ID), p.Pos, seen)
		for _, s := range p.Services {
			dup("service", string(s.ID), s.Pos, services)
		}
	}
	seen = map[string]demarc.Position{}
	for _, x := range f.Incidents {
		dup("incident type", x.ID, x.Pos, seen)
	}
	seen = map[string]demarc.Position{}
	for _, x := range f.Regulations {
		dup("regulation", x.ID, x.Pos, seen)
	}
	seen = map[string]demarc.Position{}
	for _, fw := range f.Frameworks {
		dup("framework", string(fw.ID), fw.Pos, seen)
		controls := map[string]demarc.Position{}
		for _, c := range fw.Controls {
			dup("control", lower(string(c.ID)), c.Pos, controls)
		}
	}
	return ps
}
