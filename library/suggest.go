package library

import (
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Suggest returns ` (did you mean "x", "y"?)` with the known ids closest to
// id, or "" when none is close.
func Suggest(id string, known []string) string {
	type scored struct {
		id   string
		dist int
	}
	var near []scored
	for _, k := range known {
		d := levenshtein.ComputeDistance(id, k)
		if strings.Contains(k, id) || strings.Contains(id, k) {
			d = min(d, 2)
		}
		if last := k[strings.LastIndexAny(k, "/.")+1:]; last == id[strings.LastIndexAny(id, "/.")+1:] {
			d = min(d, 1)
		}
		if d <= max(2, len(id)/3) {
			near = append(near, scored{k, d})
		}
	}
	sort.Slice(near, func(i, j int) bool {
		if near[i].dist != near[j].dist {
			return near[i].dist < near[j].dist
		}
		return near[i].id < near[j].id
	})
	if len(near) == 0 {
		return ""
	}
	keep := 0
	for keep < len(near) && keep < 3 && near[keep].dist <= near[0].dist+1 {
		keep++
	}
	near = near[:keep]
	quoted := make([]string, len(near))
	for i, n := range near {
		quoted[i] = `"` + n.id + `"`
	}
	return " (did you mean " + strings.Join(quoted, ", ") + "?)"
}
