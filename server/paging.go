package server

import (
	"sort"

	"github.com/demarc-io/demarc"
)

// pageByID returns one page of a list the store returns whole: items in
// a stable order by id (descending when newestFirst, ids sorting by
// creation), those after the cursor, at most p.Size() of them, and the
// cursor of the next page — the last item's id — or "" after the last
// page. A cursor that is no id of the kind prefix names is refused; one
// that no longer names an item still pages on from where it stood, so a
// page is never skipped or repeated when items come or go between calls.
func pageByID[T any](items []T, p demarc.Page, prefix string, newestFirst bool, id func(T) string) ([]T, string, error) {
	if p.After != "" && !validID(p.After, prefix) {
		return nil, "", errorf(EBadRequest, "query parameter cursor is not a cursor this server returned")
	}
	before := func(a, b string) bool {
		if newestFirst {
			return a > b
		}
		return a < b
	}
	sorted := append([]T(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return before(id(sorted[i]), id(sorted[j])) })
	start := 0
	if p.After != "" {
		start = sort.Search(len(sorted), func(i int) bool { return before(p.After, id(sorted[i])) })
	}
	rest := sorted[start:]
	if len(rest) <= p.Size() {
		return rest, "", nil
	}
	page := rest[:p.Size()]
	return page, id(page[len(page)-1]), nil
}
