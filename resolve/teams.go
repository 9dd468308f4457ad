package resolve

import (
	"github.com/demarc-io/demarc"
)

// RACI returns the customer teams the system names for area: responsible,
// accountable, consulted, informed. A team entry "os.*" covers every area
// of that prefix.
func (r *Resolution) RACI(area demarc.AreaID) demarc.RACI {
	var x demarc.RACI
	for _, t := range r.System.Teams {
		if matchesAny(t.Responsible, area) {
			x.Responsible = append(x.Responsible, t.Name)
		}
		if matchesAny(t.Accountable, area) {
			x.Accountable = append(x.Accountable, t.Name)
		}
		if matchesAny(t.Consulted, area) {
			x.Consulted = append(x.Consulted, t.Name)
		}
		if matchesAny(t.Informed, area) {
			x.Informed = append(x.Informed, t.Name)
		}
	}
	return x
}

func matchesAny(patterns []string, area demarc.AreaID) bool {
	for _, p := range patterns {
		if demarc.MatchArea(p, area) {
			return true
		}
	}
	return false
}
