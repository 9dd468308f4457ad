package check

import (
	"fmt"
	"testing"

	"github.com/demarc-io/demarc"
)

// syntheticSnapshot builds n resources by cycling through the inline
// examples of the built-in policies (their related resources come along),
// each with a unique id. seed shifts where the cycle starts.
func syntheticSnapshot(n, seed int) *demarc.Snapshot {
	set, err := Builtin()
	if err != nil {
		panic(err)
	}
	var templates []*demarc.Snapshot
	for _, p := range set.Policies() {
		for i := range p.Examples {
			if s := ExampleSnapshot(&p.Examples[i]); s != nil {
				templates = append(templates, s)
			}
		}
	}
	snap := &demarc.Snapshot{File: "synthetic.json", Format: "terraform-plan"}
	for i := 0; len(snap.Resources) < n; i++ {
		tmpl := templates[(i+seed)%len(templates)]
		prefix := fmt.Sprintf("r%d.", i)
		for _, r := range tmpl.Resources {
			r.ID = prefix + r.ID
			if r.Related != nil {
				rel := map[string][]string{}
				for t, ids := range r.Related {
					for _, id := range ids {
						rel[t] = append(rel[t], prefix+id)
					}
				}
				r.Related = rel
			}
			snap.Resources = append(snap.Resources, r)
		}
	}
	return snap
}

func TestSyntheticSnapshot(t *testing.T) {
	s := syntheticSnapshot(500, 3)
	if len(s.Resources) < 500 {
		t.Fatalf("%d resources", len(s.Resources))
	}
	seen := map[string]bool{}
	for _, r := range s.Resources {
		if seen[r.ID] {
			t.Fatalf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
	}
}
