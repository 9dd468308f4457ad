package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

func testOrgs(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")

	equal(t, "owner role", a.owner.Role, demarc.RoleOwner)
	equal(t, "version", a.org.Version, 1)
	got, err := s.Org(c, a.org.ID)
	must(t, err)
	equal(t, "org by id", describe(got), describe(a.org))
	got, err = s.OrgBySlug(c, a.org.Slug)
	must(t, err)
	equal(t, "org by slug", got.ID, a.org.ID)

	_, _, err = s.CreateOrg(c, demarc.Actor{}, demarc.OrgInput{Slug: a.org.Slug, Name: "Other"},
		demarc.MemberInput{Email: "x@example.com", Name: "X", Role: demarc.RoleOwner})
	wantCode(t, err, demarc.EConflict)

	bad := []struct {
		name  string
		in    demarc.OrgInput
		owner demarc.MemberInput
	}{
		{"upper-case slug", demarc.OrgInput{Slug: "Acme", Name: "A"}, demarc.MemberInput{Email: "a@b.c", Name: "A"}},
		{"leading hyphen", demarc.OrgInput{Slug: "-acme", Name: "A"}, demarc.MemberInput{Email: "a@b.c", Name: "A"}},
		{"empty name", demarc.OrgInput{Slug: "ok-" + unique()}, demarc.MemberInput{Email: "a@b.c", Name: "A"}},
		{"bad e-mail", demarc.OrgInput{Slug: "ok-" + unique(), Name: "A"}, demarc.MemberInput{Email: "nobody", Name: "A"}},
		{"first member not owner", demarc.OrgInput{Slug: "ok-" + unique(), Name: "A"}, demarc.MemberInput{Email: "a@b.c", Name: "A", Role: demarc.RoleViewer}},
		{"control character", demarc.OrgInput{Slug: "ok-" + unique(), Name: "A\x00B"}, demarc.MemberInput{Email: "a@b.c", Name: "A"}},
	}
	for _, tc := range bad {
		_, _, err := s.CreateOrg(c, demarc.Actor{}, tc.in, tc.owner)
		if demarc.ErrorCode(err) != demarc.EInvalid {
			t.Errorf("%s: got %v, want an invalid error", tc.name, err)
		}
	}

	_, err = s.Org(c, "org_doesnotexist")
	wantCode(t, err, demarc.ENotFound)
	_, err = s.OrgBySlug(c, "no-such-org-"+unique())
	wantCode(t, err, demarc.ENotFound)

	renamed, err := s.UpdateOrg(c, a.by, a.org.ID, 1, demarc.OrgInput{Slug: a.org.Slug + "-x", Name: "Acme Ltd"})
	must(t, err)
	equal(t, "version after update", renamed.Version, 2)
	equal(t, "name", renamed.Name, "Acme Ltd")
	_, err = s.UpdateOrg(c, a.by, a.org.ID, 1, demarc.OrgInput{Slug: a.org.Slug, Name: "Lost update"})
	wantMismatch(t, err)
	b := newTenant(t, s, "bravo")
	_, err = s.UpdateOrg(c, a.by, a.org.ID, 2, demarc.OrgInput{Slug: b.org.Slug, Name: "Taken"})
	wantCode(t, err, demarc.EConflict)
	same, err := s.UpdateOrg(c, a.by, a.org.ID, 2, demarc.OrgInput{Slug: renamed.Slug, Name: renamed.Name})
	must(t, err)
	equal(t, "unchanged update keeps the version", same.Version, 2)

	var listed []demarc.OrgID
	for p := (demarc.Page{Limit: 1}); ; {
		orgs, next, err := s.Orgs(c, p)
		must(t, err)
		for _, o := range orgs {
			listed = append(listed, o.ID)
		}
		if next == "" {
			break
		}
		p.After = next
	}
	want := []demarc.OrgID{a.org.ID, b.org.ID}
	slices.Sort(want) // ids made in the same millisecond sort at random
	equal(t, "listed organisations", describe(listed), describe(want))

	e := lastEvent(t, s, a.org.ID)
	equal(t, "last event", e.Action, demarc.ActionOrgUpdate)
	equal(t, "actor", e.Actor, a.by)
	if !strings.Contains(e.Detail, "Acme Ltd") {
		t.Errorf("event detail %q does not say what changed", e.Detail)
	}
	verified(t, s, a.org.ID)
}

func testMembers(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")

	ed, err := s.AddMember(c, a.by, a.org.ID, demarc.MemberInput{Email: "Ed@Example.COM", Name: "Ed", Subject: "https://idp.example|ed", Role: demarc.RoleEditor})
	must(t, err)
	equal(t, "e-mail kept in lower case", ed.Email, "ed@example.com")
	got, err := s.MemberByEmail(c, a.org.ID, "ED@example.com")
	must(t, err)
	equal(t, "member by e-mail", got.ID, ed.ID)
	got, err = s.Member(c, a.org.ID, ed.ID)
	must(t, err)
	equal(t, "member", describe(got), describe(ed))

	_, err = s.AddMember(c, a.by, a.org.ID, demarc.MemberInput{Email: "ed@EXAMPLE.com", Name: "Ed 2", Role: demarc.RoleViewer})
	wantCode(t, err, demarc.EConflict)
	_, err = s.AddMember(c, a.by, a.org.ID, demarc.MemberInput{Email: "other@example.com", Name: "Ed 3", Subject: ed.Subject, Role: demarc.RoleViewer})
	wantCode(t, err, demarc.EConflict)
	_, err = s.AddMember(c, a.by, a.org.ID, demarc.MemberInput{Email: "x@example.com", Name: "X", Role: "superuser"})
	wantCode(t, err, demarc.EInvalid)

	// The same person in a second organisation: found by subject in both.
	b := newTenant(t, s, "bravo")
	ed2, err := s.AddMember(c, b.by, b.org.ID, demarc.MemberInput{Email: "ed@example.com", Name: "Ed", Subject: ed.Subject, Role: demarc.RoleAuditor})
	must(t, err)
	memberships, err := s.MembershipsBySubject(c, ed.Subject)
	must(t, err)
	ids := []demarc.MemberID{}
	for _, m := range memberships {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	want := []demarc.MemberID{ed.ID, ed2.ID}
	slices.Sort(want)
	equal(t, "memberships", describe(ids), describe(want))
	none, err := s.MembershipsBySubject(c, "https://idp.example|nobody")
	must(t, err)
	equal(t, "memberships of a stranger", len(none), 0)

	promoted, err := s.UpdateMember(c, a.by, a.org.ID, ed.ID, 1, demarc.MemberInput{Email: ed.Email, Name: "Edward", Subject: ed.Subject, Role: demarc.RoleAdmin})
	must(t, err)
	equal(t, "version", promoted.Version, 2)
	equal(t, "role", promoted.Role, demarc.RoleAdmin)
	e := lastEvent(t, s, a.org.ID)
	equal(t, "event", e.Action, demarc.ActionMemberUpdate)
	if !strings.Contains(e.Detail, "role editor → admin") || e.Before == e.After || e.Before == "" {
		t.Errorf("member.update event %+v does not record the change", e)
	}
	_, err = s.UpdateMember(c, a.by, a.org.ID, ed.ID, 1, demarc.MemberInput{Email: ed.Email, Name: "Lost", Role: demarc.RoleViewer})
	wantMismatch(t, err)
	_, err = s.UpdateMember(c, a.by, a.org.ID, ed.ID, 2, demarc.MemberInput{Email: a.owner.Email, Name: "Clash", Role: demarc.RoleViewer})
	wantCode(t, err, demarc.EConflict)

	// The last owner can be neither demoted nor removed.
	_, err = s.UpdateMember(c, a.by, a.org.ID, a.owner.ID, 1, demarc.MemberInput{Email: a.owner.Email, Name: a.owner.Name, Role: demarc.RoleAdmin})
	wantCode(t, err, demarc.EConflict)
	err = s.RemoveMember(c, a.by, a.org.ID, a.owner.ID, 1)
	wantCode(t, err, demarc.EConflict)
	// With a second owner, the first may go.
	_, err = s.UpdateMember(c, a.by, a.org.ID, ed.ID, 2, demarc.MemberInput{Email: ed.Email, Name: "Edward", Subject: ed.Subject, Role: demarc.RoleOwner})
	must(t, err)
	must(t, s.RemoveMember(c, a.by, a.org.ID, a.owner.ID, 1))
	_, err = s.Member(c, a.org.ID, a.owner.ID)
	wantCode(t, err, demarc.ENotFound)

	// A removed member can no longer act.
	_, err = s.AddMember(c, a.by, a.org.ID, demarc.MemberInput{Email: "late@example.com", Name: "Late", Role: demarc.RoleViewer})
	wantCode(t, err, demarc.ENotFound)

	// A removed member's tokens go with it.
	edBy := demarc.Actor{Member: ed.ID}
	v, err := s.AddMember(c, edBy, a.org.ID, demarc.MemberInput{Email: "v@example.com", Name: "V", Role: demarc.RoleViewer})
	must(t, err)
	secret, hash, hint, err := demarc.NewToken()
	must(t, err)
	_, err = s.CreateToken(c, edBy, a.org.ID, demarc.TokenInput{Member: v.ID, Name: "ci", Hash: hash, Hint: hint})
	must(t, err)
	must(t, s.RemoveMember(c, edBy, a.org.ID, v.ID, 1))
	_, _, err = s.Authenticate(c, demarc.HashToken(secret))
	wantCode(t, err, demarc.ENotFound)
	tokens, err := s.Tokens(c, a.org.ID, v.ID)
	must(t, err)
	equal(t, "tokens of a removed member", len(tokens), 0)
	verified(t, s, a.org.ID)
	verified(t, s, b.org.ID)
}

func testTokens(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	ed, edBy := a.member(t, s, "ed", demarc.RoleEditor)

	secret, hash, hint, err := demarc.NewToken()
	must(t, err)
	tok, err := s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: ed.ID, Name: "laptop", Hash: hash, Hint: hint})
	must(t, err)
	equal(t, "hint", tok.Hint, secret[:len(demarc.TokenPrefix)+4])
	gotTok, gotMember, err := s.Authenticate(c, demarc.HashToken(secret))
	must(t, err)
	equal(t, "token", gotTok.ID, tok.ID)
	equal(t, "member", gotMember.ID, ed.ID)
	if !gotTok.Live(time.Now()) {
		t.Error("a fresh token is not live")
	}
	_, _, err = s.Authenticate(c, demarc.HashToken(secret+"x"))
	wantCode(t, err, demarc.ENotFound)

	// The token acts for its member.
	viaToken := demarc.Actor{Member: ed.ID, Token: tok.ID}
	_, err = s.CreateDocument(c, viaToken, a.org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "web", Content: []byte("name: web\n")})
	must(t, err)
	equal(t, "event actor", lastEvent(t, s, a.org.ID).Actor, viaToken)

	at := time.Now().UTC().Truncate(time.Second)
	must(t, s.TouchToken(c, a.org.ID, tok.ID, at))
	must(t, s.TouchToken(c, a.org.ID, tok.ID, at.Add(-time.Hour))) // never moves back
	list, err := s.Tokens(c, a.org.ID, "")
	must(t, err)
	equal(t, "tokens", len(list), 1)
	equal(t, "last used", list[0].LastUsed.Equal(at), true)
	wantCode(t, s.TouchToken(c, a.org.ID, "tok_missing", at), demarc.ENotFound)

	must(t, s.RevokeToken(c, edBy, a.org.ID, tok.ID))
	must(t, s.RevokeToken(c, edBy, a.org.ID, tok.ID)) // again: no error, no event
	_, _, err = s.Authenticate(c, demarc.HashToken(secret))
	wantCode(t, err, demarc.ENotFound)
	_, err = s.CreateDocument(c, viaToken, a.org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "web2", Content: []byte("x")})
	wantCode(t, err, demarc.ENotFound)
	revokes := 0
	for _, e := range allEvents(t, s, a.org.ID) {
		if e.Action == demarc.ActionTokenRevoke {
			revokes++
		}
	}
	equal(t, "revoke events", revokes, 1)

	// Expired tokens do not authenticate.
	secret2, hash2, hint2, err := demarc.NewToken()
	must(t, err)
	_, err = s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: ed.ID, Name: "old", Hash: hash2, Hint: hint2, Expires: time.Now().Add(-time.Minute)})
	must(t, err)
	_, _, err = s.Authenticate(c, demarc.HashToken(secret2))
	wantCode(t, err, demarc.ENotFound)

	// Bad input.
	for name, in := range map[string]demarc.TokenInput{
		"plaintext for hash": {Member: ed.ID, Name: "x", Hash: demarc.TokenHash(secret)},
		"no member":          {Name: "x", Hash: hash},
		"no name":            {Member: ed.ID, Hash: hash},
	} {
		_, err := s.CreateToken(c, a.by, a.org.ID, in)
		if demarc.ErrorCode(err) != demarc.EInvalid {
			t.Errorf("%s: got %v, want an invalid error", name, err)
		}
	}
	_, err = s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: ed.ID, Name: "dup", Hash: hash})
	wantCode(t, err, demarc.EConflict)
	_, err = s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: "mem_missing", Name: "x", Hash: demarc.HashToken("y")})
	wantCode(t, err, demarc.ENotFound)
	verified(t, s, a.org.ID)
}

// testTokenHashing reads the database directly: the secret appears
// nowhere, its SHA-256 does.
func testTokenHashing(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	secret, hash, hint, err := demarc.NewToken()
	must(t, err)
	if len(secret) < 50 || !strings.HasPrefix(secret, demarc.TokenPrefix) {
		t.Fatalf("secret %q is too short or lacks the prefix", secret)
	}
	_, err = s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: a.owner.ID, Name: "ci", Hash: hash, Hint: hint})
	must(t, err)
	foundHash := false
	for _, table := range []string{"tokens", "audit_events"} {
		for _, row := range h.Query(t, s, "SELECT * FROM "+table) {
			for _, cell := range row {
				if strings.Contains(cell, secret[len(demarc.TokenPrefix):]) {
					t.Fatalf("table %s holds the token secret: %q", table, cell)
				}
				if cell == string(hash) {
					foundHash = true
				}
			}
		}
	}
	if !foundHash {
		t.Fatalf("no cell holds the token's SHA-256 %s", hash)
	}
}
