// Package storetest is the contract every demarc.Store implementation
// passes: one suite, run against SQLite always and against PostgreSQL
// when DEMARC_TEST_POSTGRES holds a DSN.
//
// It checks behaviour a server relies on: tenant isolation for every
// method, versioned documents, optimistic concurrency, token hashing,
// publications and subscriptions, two-party sign-offs and their
// staleness, the hash-chained audit trail and its tamper detection,
// signed-out web sessions, concurrent writers without lost updates,
// change notification, and — where the backend has them — replicas that
// see each other's changes at once. Bench measures writes and reads per
// second.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// Harness is what a backend gives the suite.
type Harness struct {
	// Open returns a new, empty store of its own, closed when the test
	// ends.
	Open func(t testing.TB) demarc.Store
	// Exec runs SQL directly against the database behind s, bypassing the
	// store, as someone with access to the database could. Placeholders
	// are $1, $2, ….
	Exec func(t testing.TB, s demarc.Store, query string, args ...any)
	// Query runs SQL directly and returns every cell as text.
	Query func(t testing.TB, s demarc.Store, query string, args ...any) [][]string
	// Replica opens a second store on the database behind s, as a second
	// server would; nil when the backend serves one process only.
	Replica func(t testing.TB, s demarc.Store) demarc.Store
}

// Run runs the whole contract suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"Orgs", testOrgs},
		{"Members", testMembers},
		{"Tokens", testTokens},
		{"TokensStoredAsHashes", testTokenHashing},
		{"Documents", testDocuments},
		{"DocumentVersions", testDocumentVersions},
		{"DocumentConflicts", testDocumentConflicts},
		{"Publications", testPublications},
		{"Signoffs", testSignoffs},
		{"SignoffStaleness", testSignoffStaleness},
		{"Audit", testAudit},
		{"AuditTamper", testAuditTamper},
		{"Isolation", testIsolation},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Watch", testWatch},
		{"Replicas", testReplicas},
		{"Paging", testPaging},
		{"Sessions", testSessions},
		{"RealFiles", testRealFiles},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, h)
		})
	}
}

// ctx returns a context that ends with the test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// tenant is an organisation with its owner, as a test uses it.
type tenant struct {
	org   *demarc.Org
	owner *demarc.Member
	by    demarc.Actor
}

// unique returns a short random suffix, so that tests sharing a store
// never collide.
func unique() string { return strings.ToLower(rand.Text()[:8]) }

func newTenant(t testing.TB, s demarc.Store, name string) tenant {
	t.Helper()
	slug := name + "-" + unique()
	org, owner, err := s.CreateOrg(ctx(t), demarc.Actor{}, demarc.OrgInput{Slug: slug, Name: name},
		demarc.MemberInput{Email: "owner@" + slug + ".example", Name: name + " owner", Role: demarc.RoleOwner})
	must(t, err)
	return tenant{org: org, owner: owner, by: demarc.Actor{Member: owner.ID}}
}

func (tn tenant) member(t testing.TB, s demarc.Store, name string, role demarc.Role) (*demarc.Member, demarc.Actor) {
	t.Helper()
	m, err := s.AddMember(ctx(t), tn.by, tn.org.ID, demarc.MemberInput{Email: name + "@" + tn.org.Slug + ".example", Name: name, Role: role})
	must(t, err)
	return m, demarc.Actor{Member: m.ID}
}

func (tn tenant) document(t testing.TB, s demarc.Store, kind demarc.DocKind, name, content string) *demarc.Revision {
	t.Helper()
	rev, err := s.CreateDocument(ctx(t), tn.by, tn.org.ID, demarc.DocumentInput{Kind: kind, Name: name, Content: []byte(content)})
	must(t, err)
	return rev
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode fails unless err is a *demarc.Error with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := demarc.ErrorCode(err); got != code {
		t.Fatalf("got error %q (code %s), want code %s", err, got, code)
	}
	var de *demarc.Error
	if errors.As(err, &de) && de.Op == "" {
		t.Errorf("error %q has no Op", err)
	}
}

// wantMismatch fails unless err is a version conflict.
func wantMismatch(t testing.TB, err error) {
	t.Helper()
	wantCode(t, err, demarc.EConflict)
	if !errors.Is(err, demarc.ErrVersionMismatch) {
		t.Fatalf("error %q does not wrap ErrVersionMismatch", err)
	}
}

func equal[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// lastEvent returns org's newest event.
func lastEvent(t testing.TB, s demarc.Store, org demarc.OrgID) demarc.Event {
	t.Helper()
	events := allEvents(t, s, org)
	if len(events) == 0 {
		t.Fatalf("organisation %s has no events", org)
	}
	return events[len(events)-1]
}

func allEvents(t testing.TB, s demarc.Store, org demarc.OrgID) []demarc.Event {
	t.Helper()
	var all []demarc.Event
	after := int64(0)
	for {
		page, err := s.Events(ctx(t), org, demarc.EventFilter{After: after, Limit: demarc.MaxPageSize})
		must(t, err)
		all = append(all, page...)
		if len(page) < demarc.MaxPageSize {
			return all
		}
		after = page[len(page)-1].Seq
	}
}

// verified fails unless org's audit chain verifies.
func verified(t testing.TB, s demarc.Store, org demarc.OrgID) *demarc.AuditReport {
	t.Helper()
	r, err := s.Verify(ctx(t), org)
	must(t, err)
	if !r.OK() {
		t.Fatalf("audit chain of %s does not verify: %v", org, r.Problems)
	}
	return r
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
