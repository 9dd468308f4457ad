package library

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
)

// check verifies every reference in the merged library.
func (l *Library) check() demarc.Problems {
	var ps demarc.Problems
	for _, m := range l.Models() {
		ps = append(ps, l.checkRules(m.Defaults, "defaults")...)
	}
	for _, p := range l.Providers() {
		ps = append(ps, l.checkRules(p.Statement, "statement")...)
		for _, s := range p.Services {
			ps = append(ps, l.checkService(p, &s)...)
		}
	}
	for _, fw := range l.Frameworks() {
		ps = append(ps, l.checkFramework(fw)...)
	}
	for _, f := range l.features {
		ps = append(ps, l.checkAreas(f.Pos, "features."+f.ID, f.Areas)...)
	}
	for _, it := range l.incidents {
		for _, list := range [][]demarc.AreaID{it.Investigate, it.Remediate, it.Communicate} {
			ps = append(ps, l.checkAreas(it.Pos, "incidents."+it.ID, list)...)
		}
	}
	return ps
}

func (l *Library) checkAreas(pos demarc.Position, field string, ids []demarc.AreaID) demarc.Problems {
	var ps demarc.Problems
	for _, a := range ids {
		if l.Area(a) == nil {
			ps = append(ps, demarc.Problem{Pos: pos, Field: field, Message: l.unknownArea(a)})
		}
	}
	return ps
}

func (l *Library) checkService(p *demarc.Provider, s *demarc.Service) demarc.Problems {
	var ps demarc.Problems
	if !strings.HasPrefix(string(s.ID), string(p.ID)+"/") {
		ps = append(ps, demarc.Problem{Pos: s.Pos, Field: "id", Message: fmt.Sprintf("service %q must start with its provider's id %q", s.ID, p.ID+"/")})
	}
	if l.models[s.Model] == nil {
		ps = append(ps, demarc.Problem{Pos: s.Pos, Field: "model", Message: fmt.Sprintf("unknown service model %q", s.Model)})
	}
	seen := map[string]bool{}
	for _, src := range s.LogSources {
		if seen[src.ID] {
			ps = append(ps, demarc.Problem{Pos: s.Pos, Field: "log_sources", Message: fmt.Sprintf("service %s lists log source %q twice", s.ID, src.ID)})
		}
		seen[src.ID] = true
		ps = append(ps, l.checkAreas(s.Pos, "log_sources."+src.ID+".areas", src.Areas)...)
	}
	return append(ps, l.checkRules(s.Overrides, "overrides")...)
}

// checkRules checks that every rule names a known area, and that no area
// appears twice in one list (which would make the list contradict itself).
func (l *Library) checkRules(rules []demarc.Rule, field string) demarc.Problems {
	var ps demarc.Problems
	seen := map[demarc.AreaID]int{}
	for _, r := range rules {
		if l.Area(r.Area) == nil {
			ps = append(ps, demarc.Problem{Pos: r.Pos, Field: field + ".area", Message: l.unknownArea(r.Area)})
			continue
		}
		if first, ok := seen[r.Area]; ok {
			ps = append(ps, demarc.Problem{Pos: r.Pos, Field: field + ".area", Message: fmt.Sprintf("area %q is already assigned at line %d", r.Area, first)})
		}
		seen[r.Area] = r.Pos.Line
	}
	return ps
}

func (l *Library) unknownArea(id demarc.AreaID) string {
	known := make([]string, len(l.areas))
	for i, a := range l.areas {
		known[i] = string(a.ID)
	}
	return fmt.Sprintf("unknown area %q%s", id, Suggest(string(id), known))
}

func (l *Library) checkFramework(fw *demarc.Framework) demarc.Problems {
	var ps demarc.Problems
	families := map[string]*demarc.Family{}
	for i := range fw.Families {
		f := &fw.Families[i]
		families[f.ID] = f
		for _, a := range f.Areas {
			if l.Area(a) == nil {
				ps = append(ps, demarc.Problem{Pos: fw.Pos, Field: "families." + f.ID + ".areas", Message: l.unknownArea(a)})
			}
		}
	}
	byID := map[string]*demarc.Control{}
	for i := range fw.Controls {
		byID[lower(string(fw.Controls[i].ID))] = &fw.Controls[i]
	}
	for i := range fw.Controls {
		ps = append(ps, l.checkControl(fw, &fw.Controls[i], byID, families)...)
	}
	return ps
}

func (l *Library) checkControl(fw *demarc.Framework, c *demarc.Control, byID map[string]*demarc.Control, families map[string]*demarc.Family) demarc.Problems {
	var ps demarc.Problems
	if c.Family != "" && len(families) > 0 && families[c.Family] == nil {
		ps = append(ps, demarc.Problem{Pos: c.Pos, Field: "family", Message: fmt.Sprintf("control %s names unknown family %q", c.ID, c.Family)})
	}
	if c.Parent != "" && byID[lower(string(c.Parent))] == nil {
		ps = append(ps, demarc.Problem{Pos: c.Pos, Field: "parent", Message: fmt.Sprintf("control %s names unknown parent %q", c.ID, c.Parent)})
	}
	for _, a := range c.Areas {
		if l.Area(a) == nil {
			ps = append(ps, demarc.Problem{Pos: c.Pos, Field: "areas", Message: l.unknownArea(a)})
		}
	}
	if c.Withdrawn || len(c.Areas) > 0 {
		return ps
	}
	areas, from := effectiveAreas(c, byID, families)
	if len(areas) == 0 {
		ps = append(ps, demarc.Problem{Pos: c.Pos, Field: "areas", Message: fmt.Sprintf("control %s maps to no area: give it areas, a parent with areas, or a family with areas", c.ID)})
		return ps
	}
	c.Areas, c.AreasFrom = areas, from
	return ps
}

// effectiveAreas follows parents, then the family, to the first areas list.
func effectiveAreas(c *demarc.Control, byID map[string]*demarc.Control, families map[string]*demarc.Family) ([]demarc.AreaID, string) {
	seen := map[*demarc.Control]bool{}
	for p := c; p != nil && !seen[p]; p = byID[lower(string(p.Parent))] {
		seen[p] = true
		if p != c && len(p.Areas) > 0 && p.AreasFrom == "" {
			return p.Areas, "parent " + string(p.ID)
		}
		if p.Parent == "" {
			if f := families[p.Family]; f != nil && len(f.Areas) > 0 {
				return f.Areas, "family " + f.ID
			}
		}
	}
	return nil, ""
}
