package resolve

import (
	"fmt"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// Explanation is the reasoning behind one control or one area of a system:
// the areas involved and, per component, the assignment and its provenance.
type Explanation struct {
	System    string                `json:"system"`
	Framework demarc.FrameworkID    `json:"framework,omitempty"`
	Control   *demarc.ControlResult `json:"control,omitempty"`
	// AreasFrom says where the control's areas came from when it lists
	// none of its own ("parent ac-2", "family ac").
	AreasFrom  string             `json:"areas_from,omitempty"`
	Components []demarc.Component `json:"components"`
	Areas      []AreaExplanation  `json:"areas"`
}

// AreaExplanation is one area across the system's components.
type AreaExplanation struct {
	Area  demarc.Area         `json:"area"`
	Owner demarc.Owner        `json:"owner"`
	Teams demarc.RACI         `json:"teams"`
	Cells []demarc.Assignment `json:"components"`
}

// Explain explains target, which is an area id ("os.patching") or a control
// id of fw ("si-2", any case). It returns a not-found *demarc.Error naming
// the closest ids when target is neither.
func (r *Resolution) Explain(target string, fw *demarc.Framework) (*Explanation, error) {
	lib := r.engine.lib
	if a := lib.Area(demarc.AreaID(target)); a != nil {
		return &Explanation{System: r.System.Name, Components: r.System.Components, Areas: []AreaExplanation{r.explainArea(*a)}}, nil
	}
	if fw == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "%q is not an area, and no framework was given to look it up as a control", target)
	}
	c := lib.Control(fw.ID, demarc.ControlID(target))
	if c == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "%q is neither an area nor a control of %s%s", target, fw.ID, library.Suggest(strings.ToLower(target), knownTargets(lib, fw)))
	}
	if c.Withdrawn {
		return nil, demarc.Errorf(demarc.EInvalid, "control %s of %s is withdrawn", c.ID, fw.ID)
	}
	res := r.Control(c)
	x := &Explanation{System: r.System.Name, Framework: fw.ID, Control: &res, AreasFrom: c.AreasFrom, Components: r.System.Components}
	for _, id := range c.Areas {
		if a := lib.Area(id); a != nil {
			x.Areas = append(x.Areas, r.explainArea(*a))
		}
	}
	return x, nil
}

func (r *Resolution) explainArea(a demarc.Area) AreaExplanation {
	ai := r.engine.lib.AreaIndex(a.ID)
	x := AreaExplanation{Area: a, Teams: r.RACI(a.ID)}
	for ci := range r.cells {
		x.Cells = append(x.Cells, r.named(ci, r.cells[ci][ai]))
	}
	x.Owner, _ = ownerOf(r.summaries()[ai].mask)
	return x
}

func knownTargets(lib *library.Library, fw *demarc.Framework) []string {
	var ids []string
	for _, c := range fw.Controls {
		ids = append(ids, string(c.ID))
	}
	for _, a := range lib.Areas() {
		ids = append(ids, string(a.ID))
	}
	return ids
}

// Reason renders a provenance as one line: which rule, from which source,
// at which position, and the components it came through.
func Reason(p demarc.Provenance) string {
	var b strings.Builder
	b.WriteString(p.Decided.Source)
	if pos := p.Decided.Pos.String(); pos != "" {
		fmt.Fprintf(&b, " (%s)", pos)
	}
	if len(p.Via) > 0 {
		fmt.Fprintf(&b, ", inherited via %s", strings.Join(p.Via, " → "))
	}
	return b.String()
}
