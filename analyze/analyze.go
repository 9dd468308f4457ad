// Package analyze turns a resolved system into the answers people act on:
// gaps (unassigned or conflicting areas, customer work without a team,
// over-delegation, inheritance without valid attestation, untaken CUECs,
// required features a service lacks), risks, incident and telemetry duties,
// diffs between systems, and comparisons between providers.
package analyze

import (
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
)

// Options tune an analysis.
type Options struct {
	// AsOf is the day attestations are judged at; zero means today.
	AsOf demarc.Date
}

// Analysis is one resolved system looked at through one framework.
type Analysis struct {
	Res   *resolve.Resolution
	Lib   *library.Library
	FW    *demarc.Framework
	AsOf  demarc.Date
	cells [][]demarc.Assignment
	// areaControls lists, per area, the framework's controls that need it.
	areaControls map[demarc.AreaID][]demarc.ControlID
}

// New prepares an analysis of res against fw.
func New(res *resolve.Resolution, fw *demarc.Framework, o Options) *Analysis {
	a := &Analysis{Res: res, Lib: res.Library(), FW: fw, AsOf: o.AsOf}
	if a.AsOf.IsZero() {
		a.AsOf = demarc.Today()
	}
	a.cells = make([][]demarc.Assignment, len(res.System.Components))
	for ci := range res.System.Components {
		a.cells[ci] = res.Cells(ci)
	}
	a.areaControls = map[demarc.AreaID][]demarc.ControlID{}
	for _, c := range fw.Controls {
		if c.Withdrawn {
			continue
		}
		for _, ar := range c.Areas {
			a.areaControls[ar] = append(a.areaControls[ar], c.ID)
		}
	}
	return a
}

// controlsOf returns the framework's controls that need any of areas, in
// framework order.
func (a *Analysis) controlsOf(areas ...demarc.AreaID) []demarc.ControlID {
	if len(areas) == 1 {
		return append([]demarc.ControlID{}, a.areaControls[areas[0]]...)
	}
	want := map[demarc.ControlID]bool{}
	for _, ar := range areas {
		for _, c := range a.areaControls[ar] {
			want[c] = true
		}
	}
	out := make([]demarc.ControlID, 0, len(want))
	for _, c := range a.FW.Controls {
		if want[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}

// components returns the system's components.
func (a *Analysis) components() []demarc.Component { return a.Res.System.Components }

// cell returns the assignment of area index ai on component ci.
func (a *Analysis) cell(ci, ai int) *demarc.Assignment { return &a.cells[ci][ai] }

// origin returns the component whose service an assignment really comes
// from: the deepest component of its runs_on chain; for a generic service
// that takes its provider from beneath, the first named service below; or
// ci itself.
func (a *Analysis) origin(ci int, asg *demarc.Assignment) *demarc.Component {
	sys := a.Res.System
	if n := len(asg.Provenance.Via); n > 0 {
		if c := sys.Component(asg.Provenance.Via[n-1]); c != nil {
			return c
		}
	}
	c := &sys.Components[ci]
	for seen := 0; seen < len(sys.Components) && c.Provider == "" && c.RunsOn != "" && strings.HasPrefix(string(c.Service), "generic/"); seen++ {
		next := sys.Component(c.RunsOn)
		if next == nil {
			break
		}
		c = next
	}
	return c
}

func hasParty(asg *demarc.Assignment, kind demarc.PartyKind) bool {
	for _, p := range asg.Parts {
		if p.Party.Kind == kind {
			return true
		}
	}
	return false
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// suggest proposes the ids closest to id, for error messages.
func suggest(id string, known []string) string { return library.Suggest(id, known) }
