package snapshot

import "github.com/demarc-io/demarc"

// Index looks up the resources of one snapshot by id and type and follows
// the links between them. It is read-only once built, so several
// goroutines may use it at once.
type Index struct {
	snap   *demarc.Snapshot
	byID   map[string]*demarc.Resource
	byType map[string][]*demarc.Resource
}

// NewIndex indexes the resources of s. The index points into s, which must
// not change while the index is in use.
func NewIndex(s *demarc.Snapshot) *Index {
	ix := &Index{
		snap:   s,
		byID:   make(map[string]*demarc.Resource, len(s.Resources)),
		byType: map[string][]*demarc.Resource{},
	}
	for i := range s.Resources {
		r := &s.Resources[i]
		ix.byID[r.ID] = r
		ix.byType[r.Type] = append(ix.byType[r.Type], r)
	}
	return ix
}

// Snapshot returns the snapshot the index was built from.
func (ix *Index) Snapshot() *demarc.Snapshot { return ix.snap }

// Get returns the resource with the given id, or nil when there is none.
func (ix *Index) Get(id string) *demarc.Resource { return ix.byID[id] }

// OfType returns the resources of the given type in file order; nil when
// there are none.
func (ix *Index) OfType(typ string) []*demarc.Resource { return ix.byType[typ] }

// Types returns the number of resources of each type.
func (ix *Index) Types() map[string]int {
	out := make(map[string]int, len(ix.byType))
	for t, rs := range ix.byType {
		out[t] = len(rs)
	}
	return out
}

// RelatedOf returns the resources of type typ linked to r (a bucket's
// aws_s3_bucket_versioning, a security group's rules), sorted by id; nil
// when there are none.
func (ix *Index) RelatedOf(r *demarc.Resource, typ string) []*demarc.Resource {
	ids := r.Related[typ]
	if len(ids) == 0 {
		return nil
	}
	out := make([]*demarc.Resource, 0, len(ids))
	for _, id := range ids {
		if other := ix.byID[id]; other != nil {
			out = append(out, other)
		}
	}
	return out
}
