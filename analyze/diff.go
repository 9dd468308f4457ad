package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/resolve"
)

// Diff is what moves between parties from one system to another: a new
// version, another provider, or one component swapped for another service.
type Diff struct {
	From       string             `json:"from"`
	To         string             `json:"to"`
	Framework  demarc.FrameworkID `json:"framework"`
	Components ComponentChanges   `json:"components"`
	Areas      []AreaChange       `json:"areas"`
	Controls   []ControlChange    `json:"controls"`
	// Moves counts area changes by direction, e.g. "customer → provider".
	Moves map[string]int `json:"moves"`
}

// ComponentChanges lists components added, removed or moved to another
// service.
type ComponentChanges struct {
	Added   []string        `json:"added"`
	Removed []string        `json:"removed"`
	Changed []ServiceChange `json:"changed"`
}

// ServiceChange is a component that uses another service.
type ServiceChange struct {
	Component string           `json:"component"`
	From      demarc.ServiceID `json:"from"`
	To        demarc.ServiceID `json:"to"`
}

// AreaChange is an area whose owner or parties differ on a component.
type AreaChange struct {
	Component string        `json:"component"`
	Area      demarc.AreaID `json:"area"`
	From      demarc.Owner  `json:"from"`
	To        demarc.Owner  `json:"to"`
	FromParts []string      `json:"from_parties"`
	ToParts   []string      `json:"to_parties"`
	Summary   string        `json:"summary"`
}

// ControlChange is a control whose owner differs.
type ControlChange struct {
	ID    demarc.ControlID `json:"id"`
	Title string           `json:"title"`
	From  demarc.Owner     `json:"from"`
	To    demarc.Owner     `json:"to"`
}

// Compare diffs two resolutions of (versions of) a system under fw.
// Components are matched by name.
func Compare(a, b *resolve.Resolution, fw *demarc.Framework) *Diff {
	d := &Diff{From: a.System.Name, To: b.System.Name, Framework: fw.ID, Moves: map[string]int{},
		Components: ComponentChanges{Added: []string{}, Removed: []string{}, Changed: []ServiceChange{}}, Areas: []AreaChange{}, Controls: []ControlChange{}}
	d.componentChanges(a.System, b.System)
	for ci, comp := range a.System.Components {
		cj := componentIndex(b.System, comp.Name)
		if cj < 0 {
			continue
		}
		d.areaChanges(comp.Name, a.Cells(ci), b.Cells(cj))
	}
	d.controlChanges(a, b, fw)
	return d
}

func componentIndex(sys *demarc.System, name string) int {
	for i := range sys.Components {
		if sys.Components[i].Name == name {
			return i
		}
	}
	return -1
}

func (d *Diff) componentChanges(a, b *demarc.System) {
	for _, c := range a.Components {
		other := b.Component(c.Name)
		switch {
		case other == nil:
			d.Components.Removed = append(d.Components.Removed, c.Name)
		case other.Service != c.Service:
			d.Components.Changed = append(d.Components.Changed, ServiceChange{c.Name, c.Service, other.Service})
		}
	}
	for _, c := range b.Components {
		if a.Component(c.Name) == nil {
			d.Components.Added = append(d.Components.Added, c.Name)
		}
	}
}

func (d *Diff) areaChanges(comp string, from, to []demarc.Assignment) {
	for ai := range from {
		x, y := &from[ai], &to[ai]
		fp, tp := partyList(x), partyList(y)
		if x.Owner == y.Owner && strings.Join(fp, ",") == strings.Join(tp, ",") {
			continue
		}
		move := fmt.Sprintf("%s → %s", x.Owner, y.Owner)
		d.Moves[move]++
		d.Areas = append(d.Areas, AreaChange{
			Component: comp, Area: x.Area, From: x.Owner, To: y.Owner, FromParts: fp, ToParts: tp,
			Summary: fmt.Sprintf("%s on %s moves from %s (%s) to %s (%s)", x.Area, comp, x.Owner, strings.Join(fp, ", "), y.Owner, strings.Join(tp, ", ")),
		})
	}
}

func partyList(asg *demarc.Assignment) []string {
	var out []string
	for _, p := range asg.Parts {
		out = appendUnique(out, p.Party.String())
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func (d *Diff) controlChanges(a, b *resolve.Resolution, fw *demarc.Framework) {
	ma, mb := a.Matrix(fw), b.Matrix(fw)
	for i := range ma.Controls {
		x, y := &ma.Controls[i], &mb.Controls[i]
		if x.Owner != y.Owner {
			d.Controls = append(d.Controls, ControlChange{x.ID, x.Title, x.Owner, y.Owner})
		}
	}
}

// Swap returns a copy of sys in which component uses service instead. An
// unknown component is a not-found error.
func Swap(sys *demarc.System, component string, service demarc.ServiceID) (*demarc.System, error) {
	cp := *sys
	cp.Components = append([]demarc.Component(nil), sys.Components...)
	i := componentIndex(&cp, component)
	if i < 0 {
		var names []string
		for _, c := range sys.Components {
			names = append(names, c.Name)
		}
		return nil, demarc.Errorf(demarc.ENotFound, "--swap: system %s has no component %q%s", sys.Name, component, suggest(component, names))
	}
	cp.Components[i].Service = service
	cp.Components[i].Provider = ""
	cp.Name = sys.Name + " (what-if)"
	return &cp, nil
}
