package systemfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// Check verifies every reference in sys against lib: services, runs_on
// links (no dangling link, no cycle), component names, areas, frameworks.
// It returns nil when the system is sound.
func Check(sys *demarc.System, lib *library.Library) demarc.Problems {
	c := checker{sys: sys, lib: lib}
	c.components()
	c.runsOn()
	c.frameworks()
	c.teams()
	c.overrides()
	c.assumptions()
	c.attestations()
	c.regulations()
	sort.SliceStable(c.ps, func(i, j int) bool { return c.ps[i].Pos.Line < c.ps[j].Pos.Line })
	return c.ps
}

type checker struct {
	sys *demarc.System
	lib *library.Library
	ps  demarc.Problems
}

func (c *checker) add(pos demarc.Position, field, format string, args ...any) {
	c.ps = append(c.ps, demarc.Problem{Pos: pos, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) components() {
	seen := map[string]int{}
	for i, comp := range c.sys.Components {
		field := fmt.Sprintf("components[%d]", i)
		if first, ok := seen[comp.Name]; ok {
			c.add(comp.Pos, field+".name", "duplicate component name %q (first at line %d)", comp.Name, first)
		}
		seen[comp.Name] = comp.Pos.Line
		svc := c.lib.Service(comp.Service)
		if svc == nil {
			c.add(comp.Pos, field+".service", "unknown service %q%s", comp.Service, library.Suggest(string(comp.Service), c.serviceIDs()))
			continue
		}
		if comp.Provider != "" && svc.Provider != "generic" {
			c.add(comp.Pos, field+".provider", "%s is provided by %s; name a provider only for generic/* services", comp.Service, svc.Provider)
		}
	}
}

func (c *checker) serviceIDs() []string {
	var ids []string
	for _, s := range c.lib.Services() {
		ids = append(ids, string(s.ID))
	}
	return ids
}

func (c *checker) componentNames() []string {
	names := make([]string, len(c.sys.Components))
	for i, comp := range c.sys.Components {
		names[i] = comp.Name
	}
	return names
}

func (c *checker) runsOn() {
	for i, comp := range c.sys.Components {
		if comp.RunsOn == "" {
			continue
		}
		field := fmt.Sprintf("components[%d].runs_on", i)
		if comp.RunsOn == comp.Name {
			c.add(comp.Pos, field, "component %q runs on itself", comp.Name)
			continue
		}
		if c.sys.Component(comp.RunsOn) == nil {
			c.add(comp.Pos, field, "component %q runs on %q, which is not a component of this system%s", comp.Name, comp.RunsOn, library.Suggest(comp.RunsOn, c.componentNames()))
			continue
		}
		if cycle := c.cycleFrom(comp.Name); cycle != nil {
			c.add(comp.Pos, field, "runs_on cycle: %s", strings.Join(cycle, " → "))
		}
	}
}

// cycleFrom follows runs_on links from name and returns the loop if one
// leads back to name.
func (c *checker) cycleFrom(name string) []string {
	path := []string{name}
	seen := map[string]bool{name: true}
	for cur := c.sys.Component(name); cur != nil && cur.RunsOn != ""; cur = c.sys.Component(cur.RunsOn) {
		path = append(path, cur.RunsOn)
		if cur.RunsOn == name {
			return path
		}
		if seen[cur.RunsOn] {
			return nil // a loop that does not pass through name; reported for its own members
		}
		seen[cur.RunsOn] = true
	}
	return nil
}

func (c *checker) frameworks() {
	for i, id := range c.sys.Frameworks {
		if c.lib.Framework(id) == nil {
			c.add(c.sys.Pos, fmt.Sprintf("frameworks[%d]", i), "unknown framework %q%s", id, library.Suggest(string(id), c.frameworkIDs()))
		}
	}
}

func (c *checker) frameworkIDs() []string {
	var ids []string
	for _, f := range c.lib.Frameworks() {
		ids = append(ids, string(f.ID))
	}
	return ids
}

func (c *checker) areaIDs() []string {
	var ids []string
	for _, a := range c.lib.Areas() {
		ids = append(ids, string(a.ID))
	}
	return ids
}

func (c *checker) area(pos demarc.Position, field string, id demarc.AreaID) {
	if c.lib.Area(id) == nil {
		c.add(pos, field, "unknown area %q%s", id, library.Suggest(string(id), c.areaIDs()))
	}
}

func (c *checker) component(pos demarc.Position, field, name string) {
	if name != "" && c.sys.Component(name) == nil {
		c.add(pos, field, "unknown component %q%s", name, library.Suggest(name, c.componentNames()))
	}
}

func (c *checker) teams() {
	for i, t := range c.sys.Teams {
		lists := map[string][]string{"responsible": t.Responsible, "accountable": t.Accountable, "consulted": t.Consulted, "informed": t.Informed}
		for _, role := range []string{"responsible", "accountable", "consulted", "informed"} {
			for _, pat := range lists[role] {
				if !c.patternMatches(pat) {
					c.add(t.Pos, fmt.Sprintf("teams[%d].%s", i, role), "%q matches no area%s", pat, library.Suggest(pat, c.areaIDs()))
				}
			}
		}
	}
}

func (c *checker) patternMatches(pat string) bool {
	for _, a := range c.lib.Areas() {
		if demarc.MatchArea(pat, a.ID) {
			return true
		}
	}
	return false
}

func (c *checker) overrides() {
	for i, o := range c.sys.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		c.area(o.Pos, field+".area", o.Area)
		c.component(o.Pos, field+".component", o.Component)
	}
}

func (c *checker) assumptions() {
	for i, a := range c.sys.Assumptions {
		field := fmt.Sprintf("assumptions[%d]", i)
		c.area(a.Pos, field+".area", a.Area)
		c.component(a.Pos, field+".component", a.Component)
	}
}

// parties returns the providers and operators the system itself names.
func (c *checker) parties() map[string]bool {
	m := map[string]bool{}
	for _, comp := range c.sys.Components {
		if comp.Provider != "" {
			m[string(comp.Provider)] = true
		}
		if comp.OperatedBy != "" {
			m[comp.OperatedBy] = true
		}
	}
	return m
}

func (c *checker) attestations() {
	named := c.parties()
	ids := map[string]demarc.Position{}
	cuecs := map[string]bool{}
	for i, a := range c.sys.Attestations {
		field := fmt.Sprintf("attestations[%d]", i)
		if first, ok := ids[a.ID]; ok {
			c.add(a.Pos, field+".id", "duplicate attestation id %q (first at %s)", a.ID, first)
		}
		ids[a.ID] = a.Pos
		if c.lib.Provider(a.Provider) == nil && !named[string(a.Provider)] {
			c.add(a.Pos, field+".provider", "unknown provider %q: name a library provider or a provider/operator of one of the system's components", a.Provider)
		}
		if a.Period.To.Before(a.Period.From.Time) {
			c.add(a.Pos, field+".period", "period ends (%s) before it starts (%s)", a.Period.To, a.Period.From)
		}
		for j, s := range a.Services {
			c.attestedService(a, fmt.Sprintf("%s.services[%d]", field, j), s, named)
		}
		for j, fw := range a.Frameworks {
			if c.lib.Framework(fw) == nil {
				c.add(a.Pos, fmt.Sprintf("%s.frameworks[%d]", field, j), "unknown framework %q%s", fw, library.Suggest(string(fw), c.frameworkIDs()))
			}
		}
		for j, q := range a.CUECs {
			cuecs[q.ID] = true
			for _, ar := range q.Areas {
				c.area(a.Pos, fmt.Sprintf("%s.cuecs[%d].areas", field, j), ar)
			}
		}
	}
	for i, t := range c.sys.Teams {
		for _, id := range t.CUECs {
			if !cuecs[id] {
				c.add(t.Pos, fmt.Sprintf("teams[%d].cuecs", i), "no attestation lists a CUEC %q", id)
			}
		}
	}
}

func (c *checker) attestedService(a demarc.Attestation, field, s string, named map[string]bool) {
	prov, name, _ := strings.Cut(s, "/")
	if prov != string(a.Provider) && !(prov == "generic" && name != "*") {
		c.add(a.Pos, field, "%q is not a service of %s, whose attestation this is", s, a.Provider)
		return
	}
	if name == "*" || named[prov] {
		return
	}
	if c.lib.Service(demarc.ServiceID(s)) == nil {
		c.add(a.Pos, field, "unknown service %q%s", s, library.Suggest(s, c.serviceIDs()))
	}
}

func (c *checker) regulations() {
	for i, id := range c.sys.Regulations {
		if c.lib.Regulation(id) == nil {
			var known []string
			for _, r := range c.lib.Regulations() {
				known = append(known, r.ID)
			}
			c.add(c.sys.Pos, fmt.Sprintf("regulations[%d]", i), "unknown regulation %q%s", id, library.Suggest(id, known))
		}
	}
}
