package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// testConcurrentWriters runs writers in goroutines: editors appending to
// one document with read-modify-write and retry on conflict (no update
// may be lost), and organisations being filled in parallel (no event may
// be lost, every chain must verify).
func testConcurrentWriters(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	rev := a.document(t, s, demarc.DocSystem, "shared", "start\n")
	const writers, edits = 6, 8

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range edits {
				line := fmt.Sprintf("writer %d edit %d\n", g, i)
				if err := appendLine(c, s, a, rev.Document, line); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	tenants := make([]tenant, 4)
	for i := range tenants {
		tenants[i] = newTenant(t, s, fmt.Sprintf("busy%d", i))
	}
	for _, tn := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range edits {
				_, err := s.CreateDocument(c, tn.by, tn.org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: fmt.Sprintf("sys-%d", i), Content: []byte("x")})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	final, err := s.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "version", final.Version, 1+writers*edits)
	lines := strings.Split(strings.TrimSuffix(string(final.Content), "\n"), "\n")
	equal(t, "lines", len(lines), 1+writers*edits)
	for g := range writers {
		for i := range edits {
			if !slices.Contains(lines, fmt.Sprintf("writer %d edit %d", g, i)) {
				t.Errorf("lost update: writer %d edit %d", g, i)
			}
		}
	}
	r := verified(t, s, a.org.ID)
	equal(t, "events", r.Events, int64(3+writers*edits))
	for _, tn := range tenants {
		r := verified(t, s, tn.org.ID)
		equal(t, "events of "+tn.org.Slug, r.Events, int64(2+edits))
	}
}

// appendLine adds a line to a document the way an editor does: read,
// change, write with the version read, and start again on a conflict.
func appendLine(c context.Context, s demarc.Store, a tenant, id demarc.DocumentID, line string) error {
	for attempt := 0; attempt < 1000; attempt++ {
		cur, err := s.Revision(c, a.org.ID, id, 0)
		if err != nil {
			return err
		}
		_, err = s.UpdateDocument(c, a.by, a.org.ID, id, cur.Version, demarc.DocumentInput{Name: cur.Name, Content: append(cur.Content, line...)})
		if errors.Is(err, demarc.ErrVersionMismatch) {
			continue
		}
		return err
	}
	return fmt.Errorf("gave up appending %q", line)
}

// testWatch checks that every committed change is announced, in order.
func testWatch(t *testing.T, h Harness) {
	s := h.Open(t)
	wctx, cancel := context.WithCancel(ctx(t))
	changes := s.Watch(wctx)
	a := newTenant(t, s, "acme")
	rev := a.document(t, s, demarc.DocSystem, "webshop", "x\n")
	want := allEvents(t, s, a.org.ID)
	for _, e := range want {
		got := receive(t, changes, func(ch demarc.Change) bool { return ch.Org == a.org.ID })
		equal(t, "change", describe(got), describe(demarc.Change{Org: e.Org, Seq: e.Seq, Action: e.Action, Object: e.Object}))
	}
	// A failed write announces nothing.
	_, err := s.UpdateDocument(ctx(t), a.by, a.org.ID, rev.Document, 9, demarc.DocumentInput{Name: "webshop", Content: []byte("y")})
	wantMismatch(t, err)
	select {
	case ch := <-changes:
		if ch.Org == a.org.ID {
			t.Fatalf("a failed write was announced: %+v", ch)
		}
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, open := <-changes:
			if !open {
				return
			}
		case <-deadline:
			t.Fatal("the watch channel stayed open after its context ended")
		}
	}
}

// receive waits for the next change that match accepts.
func receive(t testing.TB, changes <-chan demarc.Change, match func(demarc.Change) bool) demarc.Change {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ch, open := <-changes:
			if !open {
				t.Fatal("the watch channel closed")
			}
			if ch.Lost {
				t.Fatal("changes were lost")
			}
			if match(ch) {
				return ch
			}
		case <-deadline:
			t.Fatal("no change announced within 10s")
		}
	}
}

// testReplicas opens a second store on the same database, as a second
// server replica: what one writes, the other reads at once, and its
// watchers hear of it.
func testReplicas(t *testing.T, h Harness) {
	if h.Replica == nil {
		t.Skip("this backend serves one process per database")
	}
	one := h.Open(t)
	two := h.Replica(t, one)
	c := ctx(t)
	changes := two.Watch(c)
	a := newTenant(t, one, "acme")
	rev := a.document(t, one, demarc.DocSystem, "webshop", "v1\n")

	created := receive(t, changes, func(ch demarc.Change) bool { return ch.Action == demarc.ActionDocumentCreate && ch.Org == a.org.ID })
	equal(t, "object", created.Object, "document/"+string(rev.Document))
	got, err := two.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "content read through the other replica", string(got.Content), "v1\n")

	// Writes through both replicas interleave on one chain.
	_, err = two.UpdateDocument(c, a.by, a.org.ID, rev.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("v2\n")})
	must(t, err)
	_, err = one.UpdateDocument(c, a.by, a.org.ID, rev.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("stale\n")})
	wantMismatch(t, err)
	_, err = one.UpdateDocument(c, a.by, a.org.ID, rev.Document, 2, demarc.DocumentInput{Name: "webshop", Content: []byte("v3\n")})
	must(t, err)
	upd := receive(t, changes, func(ch demarc.Change) bool { return ch.Action == demarc.ActionDocumentUpdate && ch.Org == a.org.ID })
	equal(t, "first update seen", upd.Seq, int64(4))
	upd = receive(t, changes, func(ch demarc.Change) bool { return ch.Action == demarc.ActionDocumentUpdate && ch.Org == a.org.ID })
	equal(t, "second update seen", upd.Seq, int64(5))
	got, err = two.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "latest", string(got.Content), "v3\n")

	// Concurrent writers on both replicas: no lost update, one chain.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g, s := range []demarc.Store{one, two, one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := appendLine(c, s, a, rev.Document, fmt.Sprintf("replica writer %d edit %d\n", g, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final, err := one.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "version", final.Version, 3+20)
	verified(t, two, a.org.ID)
}

// testPaging walks every paged list to its end.
func testPaging(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	var want []demarc.DocumentID
	for i := range 7 {
		want = append(want, a.document(t, s, demarc.DocProvider, fmt.Sprintf("p%d", i), "x\n").Document)
	}
	var got []demarc.DocumentID
	p := demarc.Page{Limit: 3}
	for pages := 0; ; pages++ {
		docs, next, err := s.Documents(c, a.org.ID, demarc.DocumentFilter{Page: p})
		must(t, err)
		for _, d := range docs {
			got = append(got, d.ID)
		}
		if next == "" {
			equal(t, "pages", pages, 2)
			break
		}
		p.After = next
	}
	equal(t, "documents in creation order", describe(got), describe(want))

	for i := range 4 {
		a.member(t, s, fmt.Sprintf("m%d", i), demarc.RoleViewer)
	}
	var members []demarc.Member
	p = demarc.Page{Limit: 2}
	for {
		page, next, err := s.Members(c, a.org.ID, p)
		must(t, err)
		members = append(members, page...)
		if next == "" {
			break
		}
		p.After = next
	}
	equal(t, "members", len(members), 5)
	equal(t, "first member", members[0].ID, a.owner.ID)

	for _, pub := range want[:4] {
		_, err := s.Publish(c, a.by, a.org.ID, pub, 1)
		must(t, err)
	}
	pubs, next, err := s.Publications(c, a.org.ID, demarc.PublicationFilter{Owner: a.org.ID, Page: demarc.Page{Limit: 3}})
	must(t, err)
	equal(t, "first page of publications", len(pubs), 3)
	pubs, next, err = s.Publications(c, a.org.ID, demarc.PublicationFilter{Owner: a.org.ID, Page: demarc.Page{Limit: 3, After: next}})
	must(t, err)
	equal(t, "second page of publications", len(pubs), 1)
	equal(t, "no third page", next, "")

	_, _, err = s.Members(c, a.org.ID, demarc.Page{After: "' OR 1=1 --"})
	wantCode(t, err, demarc.EInvalid)
	equal(t, "default page size", demarc.Page{}.Size(), demarc.DefaultPageSize)
	equal(t, "page size cap", demarc.Page{Limit: 1 << 20}.Size(), demarc.MaxPageSize)
}
