package storetest

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/demarc-io/demarc"
)

func testDocuments(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	content := "name: webshop\ncomponents:\n  - name: api\n    service: aws/lambda\n"
	rev := a.document(t, s, demarc.DocSystem, "webshop", content)
	equal(t, "version", rev.Version, 1)
	equal(t, "hash", rev.Hash, demarc.HashContent([]byte(content)))
	equal(t, "author", rev.Author, a.owner.ID)
	equal(t, "size", rev.Size, len(content))

	d, err := s.Document(c, a.org.ID, rev.Document)
	must(t, err)
	equal(t, "kind", d.Kind, demarc.DocSystem)
	equal(t, "created by", d.CreatedBy, a.owner.ID)
	byName, err := s.DocumentByName(c, a.org.ID, demarc.DocSystem, "webshop")
	must(t, err)
	equal(t, "by name", describe(byName), describe(d))
	_, err = s.DocumentByName(c, a.org.ID, demarc.DocAttestations, "webshop")
	wantCode(t, err, demarc.ENotFound)

	// The same name is free in another kind, taken in the same kind.
	a.document(t, s, demarc.DocAttestations, "webshop", "attestations: []\n")
	_, err = s.CreateDocument(c, a.by, a.org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "webshop", Content: []byte("x")})
	wantCode(t, err, demarc.EConflict)

	latest, err := s.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "content", string(latest.Content), content)

	bad := map[string]demarc.DocumentInput{
		"unknown kind":  {Kind: "spreadsheet", Name: "x", Content: []byte("x")},
		"empty content": {Kind: demarc.DocSystem, Name: "x"},
		"too large":     {Kind: demarc.DocSystem, Name: "x", Content: bytes.Repeat([]byte("a"), demarc.MaxDocumentSize+1)},
		"no name":       {Kind: demarc.DocSystem, Content: []byte("x")},
		"padded name":   {Kind: demarc.DocSystem, Name: " x", Content: []byte("x")},
	}
	for name, in := range bad {
		_, err := s.CreateDocument(c, a.by, a.org.ID, in)
		if demarc.ErrorCode(err) != demarc.EInvalid {
			t.Errorf("%s: got %v, want an invalid error", name, err)
		}
	}

	// Binary-safe content: every byte value survives.
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	bin := a.document(t, s, demarc.DocProvider, "bytes", string(all))
	back, err := s.Revision(c, a.org.ID, bin.Document, 1)
	must(t, err)
	if !bytes.Equal(back.Content, all) {
		t.Fatalf("content changed in storage: %x", back.Content)
	}

	// Deleting keeps the history and frees the name.
	must(t, s.DeleteDocument(c, a.by, a.org.ID, rev.Document, 1))
	_, err = s.Document(c, a.org.ID, rev.Document)
	wantCode(t, err, demarc.ENotFound)
	_, err = s.DocumentByName(c, a.org.ID, demarc.DocSystem, "webshop")
	wantCode(t, err, demarc.ENotFound)
	old, err := s.Revision(c, a.org.ID, rev.Document, 1)
	must(t, err)
	equal(t, "deleted document's content", string(old.Content), content)
	deleted, _, err := s.Documents(c, a.org.ID, demarc.DocumentFilter{Deleted: true})
	must(t, err)
	equal(t, "deleted documents", len(deleted), 1)
	equal(t, "deleted", deleted[0].Deleted.IsZero(), false)
	again := a.document(t, s, demarc.DocSystem, "webshop", "name: webshop\n")
	if again.Document == rev.Document {
		t.Fatal("a new document reused a deleted document's id")
	}
	wantCode(t, s.DeleteDocument(c, a.by, a.org.ID, rev.Document, 1), demarc.ENotFound)

	live, _, err := s.Documents(c, a.org.ID, demarc.DocumentFilter{Kind: demarc.DocSystem})
	must(t, err)
	equal(t, "live systems", len(live), 1)
	equal(t, "live system", live[0].ID, again.Document)
	_, _, err = s.Documents(c, a.org.ID, demarc.DocumentFilter{Kind: "bogus"})
	wantCode(t, err, demarc.EInvalid)

	var actions []demarc.Action
	for _, e := range allEvents(t, s, a.org.ID) {
		actions = append(actions, e.Action)
	}
	want := []demarc.Action{demarc.ActionOrgCreate, demarc.ActionMemberAdd, demarc.ActionDocumentCreate, demarc.ActionDocumentCreate,
		demarc.ActionDocumentCreate, demarc.ActionDocumentDelete, demarc.ActionDocumentCreate}
	equal(t, "audit actions", fmt.Sprint(actions), fmt.Sprint(want))
	verified(t, s, a.org.ID)
}

func testDocumentVersions(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	first := a.document(t, s, demarc.DocSystem, "webshop", "v1\n")
	id := first.Document
	for v := 2; v <= 5; v++ {
		rev, err := s.UpdateDocument(c, a.by, a.org.ID, id, v-1, demarc.DocumentInput{Name: "webshop", Content: []byte("v" + strconv.Itoa(v) + "\n"), Note: "step " + strconv.Itoa(v)})
		must(t, err)
		equal(t, "version", rev.Version, v)
		equal(t, "kind carried over", rev.Kind, demarc.DocSystem)
	}
	for v := 1; v <= 5; v++ {
		rev, err := s.Revision(c, a.org.ID, id, v)
		must(t, err)
		equal(t, "content of version "+strconv.Itoa(v), string(rev.Content), "v"+strconv.Itoa(v)+"\n")
		equal(t, "hash of version "+strconv.Itoa(v), rev.Hash, demarc.HashContent(rev.Content))
	}
	_, err := s.Revision(c, a.org.ID, id, 6)
	wantCode(t, err, demarc.ENotFound)
	_, err = s.Revision(c, a.org.ID, id, -1)
	wantCode(t, err, demarc.EInvalid)

	revs, next, err := s.Revisions(c, a.org.ID, id, demarc.Page{Limit: 2})
	must(t, err)
	equal(t, "first page", fmt.Sprint(versions(revs)), "[5 4]")
	if revs[0].Content != nil {
		t.Error("listed revisions carry content")
	}
	equal(t, "note", revs[0].Note, "step 5")
	revs, next, err = s.Revisions(c, a.org.ID, id, demarc.Page{After: next, Limit: 2})
	must(t, err)
	equal(t, "second page", fmt.Sprint(versions(revs)), "[3 2]")
	revs, next, err = s.Revisions(c, a.org.ID, id, demarc.Page{After: next, Limit: 2})
	must(t, err)
	equal(t, "last page", fmt.Sprint(versions(revs)), "[1]")
	equal(t, "cursor after the last page", next, "")
	_, _, err = s.Revisions(c, a.org.ID, id, demarc.Page{After: "x'; DROP TABLE revisions; --"})
	wantCode(t, err, demarc.EInvalid)

	// An update that changes nothing stores nothing.
	same, err := s.UpdateDocument(c, a.by, a.org.ID, id, 5, demarc.DocumentInput{Name: "webshop", Content: []byte("v5\n")})
	must(t, err)
	equal(t, "unchanged version", same.Version, 5)
	equal(t, "unchanged content", string(same.Content), "v5\n")

	// A rename is a new version; the kind cannot change.
	renamed, err := s.UpdateDocument(c, a.by, a.org.ID, id, 5, demarc.DocumentInput{Name: "shop", Content: []byte("v5\n")})
	must(t, err)
	equal(t, "renamed version", renamed.Version, 6)
	_, err = s.DocumentByName(c, a.org.ID, demarc.DocSystem, "shop")
	must(t, err)
	_, err = s.UpdateDocument(c, a.by, a.org.ID, id, 6, demarc.DocumentInput{Kind: demarc.DocProvider, Name: "shop", Content: []byte("v7\n")})
	wantCode(t, err, demarc.EInvalid)

	e := lastEvent(t, s, a.org.ID)
	equal(t, "event", e.Action, demarc.ActionDocumentUpdate)
	equal(t, "object", e.Object, "document/"+string(id))
	equal(t, "before", e.Before, demarc.HashContent([]byte("v5\n")))
	equal(t, "after", e.After, demarc.HashContent([]byte("v5\n")))
	verified(t, s, a.org.ID)
}

func versions(revs []demarc.Revision) []int {
	out := make([]int, len(revs))
	for i, r := range revs {
		out[i] = r.Version
	}
	return out
}

func testDocumentConflicts(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	rev := a.document(t, s, demarc.DocSystem, "webshop", "v1\n")
	_, err := s.UpdateDocument(c, a.by, a.org.ID, rev.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("alice\n")})
	must(t, err)
	// Bob edited version 1 too: his update must not overwrite Alice's.
	_, err = s.UpdateDocument(c, a.by, a.org.ID, rev.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("bob\n")})
	wantMismatch(t, err)
	wantMismatch(t, s.DeleteDocument(c, a.by, a.org.ID, rev.Document, 1))
	cur, err := s.Revision(c, a.org.ID, rev.Document, 0)
	must(t, err)
	equal(t, "content", string(cur.Content), "alice\n")

	// Renaming onto a taken name is a conflict, not a version mismatch.
	a.document(t, s, demarc.DocSystem, "other", "x\n")
	_, err = s.UpdateDocument(c, a.by, a.org.ID, rev.Document, 2, demarc.DocumentInput{Name: "other", Content: []byte("y\n")})
	wantCode(t, err, demarc.EConflict)
	verified(t, s, a.org.ID)
}
