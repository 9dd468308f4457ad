package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/sqlite"
)

// FuzzDocument feeds arbitrary document input and page cursors to a real
// store: every call either succeeds or fails with a user error (invalid,
// conflict, not found) — never an internal one — and whatever was stored
// reads back byte for byte. Its seeds run with every `go test`. Under
// `go test -fuzz` it crawls (a few inputs a minute): coverage guidance
// instruments the whole SQLite engine, which is millions of lines of Go;
// the pure-Go input checks are fuzzed at speed by FuzzInputs in the root
// package.
func FuzzDocument(f *testing.F) {
	for _, name := range []string{"serverless-webshop.yaml", "saas-vendor-chain.yaml", "lift-and-shift.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("system", name, data, "", "imported")
	}
	f.Add("provider", "acme", []byte("id: acme\n"), "doc_01", "")
	f.Add("attestations", "a\x00b", []byte{0, 0xff, '\n'}, "' OR 1=1 --", "note")
	f.Add("", " padded ", []byte("x"), "9", "\u202e")

	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	org, owner, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "fuzz", Name: "Fuzz"}, demarc.MemberInput{Email: "o@fuzz.example", Name: "O"})
	if err != nil {
		f.Fatal(err)
	}
	by := demarc.Actor{Member: owner.ID}
	userError := func(t *testing.T, what string, err error) {
		t.Helper()
		switch demarc.ErrorCode(err) {
		case "", demarc.EInvalid, demarc.EConflict, demarc.ENotFound:
		default:
			t.Fatalf("%s: %v", what, err)
		}
	}
	f.Fuzz(func(t *testing.T, kind, name string, content []byte, cursor, note string) {
		in := demarc.DocumentInput{Kind: demarc.DocKind(kind), Name: name, Content: content, Note: note}
		rev, err := s.CreateDocument(ctx, by, org.ID, in)
		userError(t, "create", err)
		if err == nil {
			back, err := s.Revision(ctx, org.ID, rev.Document, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.Content, content) || back.Name != name || back.Note != note || back.Hash != demarc.HashContent(content) {
				t.Fatalf("stored %+v, read back %+v", rev, back)
			}
			_, err = s.UpdateDocument(ctx, by, org.ID, rev.Document, 1, demarc.DocumentInput{Name: name, Content: append(bytes.Clone(content), '!'), Note: note})
			userError(t, "update", err)
			if err := s.DeleteDocument(ctx, by, org.ID, rev.Document, 2); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err = s.Documents(ctx, org.ID, demarc.DocumentFilter{Kind: demarc.DocKind(kind), Page: demarc.Page{After: cursor}})
		userError(t, "list documents", err)
		_, _, err = s.Members(ctx, org.ID, demarc.Page{After: cursor, Limit: len(content)})
		userError(t, "list members", err)
		_, _, err = s.Revisions(ctx, org.ID, demarc.DocumentID(name), demarc.Page{After: cursor})
		userError(t, "list revisions", err)
		_, err = s.Events(ctx, org.ID, demarc.EventFilter{Object: name, Action: demarc.Action(kind)})
		userError(t, "list events", err)
		_, err = s.DocumentByName(ctx, org.ID, demarc.DocKind(kind), name)
		userError(t, "by name", err)
	})
}
