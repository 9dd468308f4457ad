package check

import (
	"reflect"
	"sync"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/demarc-io/demarc"
)

// valueAdapter converts attribute values for every program.
var valueAdapter = &adapter{base: types.DefaultTypeAdapter}

// resourceIndex finds the resources of one snapshot by id, for related().
// It is built on first use, once per snapshot.
type resourceIndex struct {
	snap *demarc.Snapshot
	once sync.Once
	byID map[string]*demarc.Resource
}

func newResourceIndex(snap *demarc.Snapshot) *resourceIndex {
	return &resourceIndex{snap: snap}
}

func (x *resourceIndex) get(id string) *demarc.Resource {
	x.once.Do(func() {
		x.byID = make(map[string]*demarc.Resource, len(x.snap.Resources))
		for i := range x.snap.Resources {
			x.byID[x.snap.Resources[i].ID] = &x.snap.Resources[i]
		}
	})
	return x.byID[id]
}

// evalContext is the activation of one resource's evaluations: it
// resolves the variables expressions see and serves related(). One
// belongs to each worker and is reused from resource to resource.
type evalContext struct {
	index *resourceIndex
	res   *demarc.Resource
	attrs map[string]any // the attributes with unknown values marked
	// attrsVal is attrs as a CEL value, made once per resource: every
	// reference to "resource" in every rule resolves to it.
	attrsVal ref.Val
	marks    []*unknownMark // the marks in attrs and in related resources
	whole    bool           // the whole resource is unknown
	meta     map[string]any // built on first use
	// relatedCache holds the related() lists built for this resource.
	relatedCache map[string]ref.Val
	// owners maps the attribute maps handed out by related() to their
	// resources.
	owners map[uintptr]*demarc.Resource
	// size is the largest collection or string in the resource and its
	// related resources; 0 until measured.
	size int
}

var (
	_ interpreter.Activation = (*evalContext)(nil)
	_ ref.Val                = (*evalContext)(nil)
)

// reset points the context at resource r of the snapshot indexed by x.
func (c *evalContext) reset(x *resourceIndex, r *demarc.Resource) {
	c.index, c.res, c.meta, c.size = x, r, nil, 0
	c.marks = c.marks[:0]
	clear(c.relatedCache)
	clear(c.owners)
	c.attrs, c.whole = r.Attributes, false
	if len(r.Unknown) > 0 {
		var marks []*unknownMark
		c.attrs, marks, c.whole = markUnknown(r.Attributes, r.Unknown, sourceFormats[r.Format], 1)
		c.marks = append(c.marks, marks...)
	}
	if c.attrs == nil {
		c.attrs = map[string]any{}
	}
	c.attrsVal = valueAdapter.NativeToValue(c.attrs)
}

// withinSize reports whether every list, map and string of the resource
// and its related resources has at most n entries, so that an
// expression's static cost estimate bounds its evaluation.
func (c *evalContext) withinSize(n uint64) bool {
	if c.size == 0 {
		c.size = 1 + c.measure(c.res, 0)
	}
	return uint64(c.size-1) <= n
}

// measure returns the largest collection of r and of the resources linked
// to it, up to the depth related() calls can reach in a policy that passes
// the cost budget. A resource with more links than relatedSize counts as
// too large.
func (c *evalContext) measure(r *demarc.Resource, depth int) int {
	n := largest(r.Attributes, 0)
	if depth >= 3 {
		return n
	}
	for _, ids := range r.Related {
		if len(ids) > relatedSize {
			return 1 << 30
		}
		for _, id := range ids {
			if rr := c.index.get(id); rr != nil {
				n = max(n, c.measure(rr, depth+1))
			}
		}
	}
	return n
}

// largest returns the size of the largest list, map or string in v, up
// to a depth that no real attribute reaches.
func largest(v any, depth int) int {
	if depth > 64 {
		return 1 << 30
	}
	switch t := v.(type) {
	case map[string]any:
		n := len(t)
		for _, e := range t {
			n = max(n, largest(e, depth+1))
		}
		return n
	case []any:
		n := len(t)
		for _, e := range t {
			n = max(n, largest(e, depth+1))
		}
		return n
	case string:
		return len(t)
	}
	return 0
}

// ResolveName implements interpreter.Activation.
func (c *evalContext) ResolveName(name string) (any, bool) {
	switch name {
	case "resource":
		return c.attrsVal, true
	case "meta":
		if c.meta == nil {
			r := c.res
			c.meta = map[string]any{"id": r.ID, "type": r.Type, "name": r.Name, "format": r.Format, "provider": r.Provider}
		}
		return c.meta, true
	case contextVar:
		return c, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (c *evalContext) Parent() interpreter.Activation { return nil }

// related returns the attributes of the resources linked to the current
// one under typ, with their unknown values marked.
func (c *evalContext) related(typ string) ref.Val {
	return c.relatedOf(c.res, typ)
}

// relatedOf returns the attributes of the resources linked to r under
// typ. Each map handed out is remembered, so that related(x, type) can
// follow links from a related resource in turn.
func (c *evalContext) relatedOf(r *demarc.Resource, typ string) ref.Val {
	key := r.ID + "\x00" + typ
	if v, ok := c.relatedCache[key]; ok {
		return v
	}
	ids := r.Related[typ]
	list := make([]any, 0, len(ids))
	for _, id := range ids {
		rr := c.index.get(id)
		if rr == nil {
			continue
		}
		attrs := rr.Attributes
		if len(rr.Unknown) > 0 {
			var marks []*unknownMark
			var whole bool
			attrs, marks, whole = markUnknown(attrs, rr.Unknown, sourceFormats[rr.Format], int64(len(c.marks)+1))
			if whole {
				m := &unknownMark{path: "", id: int64(len(c.marks) + 1)}
				c.marks = append(c.marks, m)
				list = append(list, m)
				continue
			}
			c.marks = append(c.marks, marks...)
		}
		if attrs == nil {
			attrs = map[string]any{}
		}
		c.remember(attrs, rr)
		list = append(list, attrs)
	}
	v := valueAdapter.NativeToValue(list)
	if c.relatedCache == nil {
		c.relatedCache = map[string]ref.Val{}
	}
	c.relatedCache[key] = v
	return v
}

// remember records which resource an attribute map belongs to.
func (c *evalContext) remember(attrs map[string]any, r *demarc.Resource) {
	if c.owners == nil {
		c.owners = map[uintptr]*demarc.Resource{}
	}
	c.owners[reflect.ValueOf(attrs).Pointer()] = r
}

// owner returns the resource whose attributes v is, or nil.
func (c *evalContext) owner(v ref.Val) *demarc.Resource {
	m, ok := v.Value().(map[string]any)
	if !ok {
		return nil
	}
	if reflect.ValueOf(m).Pointer() == reflect.ValueOf(c.attrs).Pointer() {
		return c.res
	}
	return c.owners[reflect.ValueOf(m).Pointer()]
}

// unknownPaths names the unknown values an unknown result depends on.
func (c *evalContext) unknownPaths(u *types.Unknown) []string {
	var out []string
	for _, id := range u.IDs() {
		if id < 0 {
			id = -id
		}
		if id >= 1 && int(id) <= len(c.marks) {
			out = appendUnique(out, c.marks[id-1].path)
		}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// ConvertToNative implements ref.Val; the context is never converted.
func (c *evalContext) ConvertToNative(reflect.Type) (any, error) {
	return nil, errNoConversion
}

// ConvertToType implements ref.Val.
func (c *evalContext) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return contextType
	}
	return types.NewErr("the evaluation context cannot be converted")
}

// Equal implements ref.Val.
func (c *evalContext) Equal(other ref.Val) ref.Val { return types.Bool(other == c) }

// Type implements ref.Val.
func (c *evalContext) Type() ref.Type { return contextType }

// Value implements ref.Val.
func (c *evalContext) Value() any { return c }
