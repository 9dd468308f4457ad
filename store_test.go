package demarc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/demarc-io/demarc"
)

// chain builds a valid chain of n events for org.
func chain(org demarc.OrgID, n int) []demarc.Event {
	events := make([]demarc.Event, n)
	prev := ""
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range events {
		e := demarc.Event{
			Org: org, Seq: int64(i + 1), Time: start.Add(time.Duration(i) * time.Minute),
			Actor: demarc.Actor{Member: "mem_1"}, Action: demarc.ActionDocumentUpdate,
			Object: fmt.Sprintf("document/doc_%d", i), After: demarc.HashContent([]byte{byte(i)}), Prev: prev,
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		events[i] = e
	}
	return events
}

func verify(org demarc.OrgID, events []demarc.Event, head demarc.ChainHead) *demarc.AuditReport {
	v := demarc.NewChainVerifier(org)
	for i := range events {
		v.Add(&events[i])
	}
	return v.Finish(head)
}

func headOf(events []demarc.Event) demarc.ChainHead {
	last := events[len(events)-1]
	return demarc.ChainHead{Seq: last.Seq, Hash: last.Hash}
}

type found struct {
	Seq  int64
	Kind string
}

func TestChainVerifier(t *testing.T) {
	const org = "org_a"
	cases := []struct {
		name   string
		tamper func(events []demarc.Event, head *demarc.ChainHead) []demarc.Event
		want   []found
	}{
		{"intact", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event { return e }, nil},
		{"detail altered", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[2].Detail = "forged"
			return e
		}, []found{{3, demarc.TamperAltered}}},
		{"time altered", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[4].Time = e[4].Time.Add(time.Microsecond)
			return e
		}, []found{{5, demarc.TamperAltered}}},
		{"token added to actor", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[0].Actor.Token = "tok_x"
			return e
		}, []found{{1, demarc.TamperAltered}}},
		{"moved to another organisation", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[1].Org = "org_b"
			return e
		}, []found{{2, demarc.TamperInserted}}},
		{"altered and re-hashed", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[2].Detail = "forged"
			e[2].Hash = e[2].ComputeHash()
			return e
		}, []found{{3, demarc.TamperBroken}}},
		{"removed", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			return slices.Delete(e, 3, 4)
		}, []found{{4, demarc.TamperRemoved}}},
		{"two removed", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			return slices.Delete(e, 2, 4)
		}, []found{{3, demarc.TamperRemoved}}},
		{"newest removed", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			return e[:len(e)-1]
		}, []found{{8, demarc.TamperRemoved}}},
		{"newest removed with the head", func(e []demarc.Event, h *demarc.ChainHead) []demarc.Event {
			e = e[:len(e)-1]
			*h = headOf(e)
			return e // undetectable without an outside anchor: documented
		}, nil},
		{"swapped", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			e[3], e[4] = e[4], e[3]
			e[3].Seq, e[4].Seq = 4, 5
			return e
		}, []found{{4, demarc.TamperReordered}, {5, demarc.TamperReordered}}},
		{"moved to the end", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			moved := e[1]
			e = append(slices.Delete(e, 1, 2), moved)
			for i := range e {
				e[i].Seq = int64(i + 1)
			}
			return e
		}, []found{{2, demarc.TamperReordered}, {3, demarc.TamperReordered}, {4, demarc.TamperReordered}, {5, demarc.TamperReordered},
			{6, demarc.TamperReordered}, {7, demarc.TamperReordered}, {8, demarc.TamperReordered}}},
		{"copied", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			dup := e[2]
			dup.Seq = 9
			return append(e, dup)
		}, []found{{9, demarc.TamperInserted}}},
		{"forked", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			fork := e[2]
			fork.Seq, fork.Detail = 9, "a second history"
			fork.Hash = fork.ComputeHash()
			return append(e, fork)
		}, []found{{9, demarc.TamperInserted}}},
		{"appended outside the store", func(e []demarc.Event, _ *demarc.ChainHead) []demarc.Event {
			extra := demarc.Event{Org: org, Seq: 9, Time: e[7].Time, Action: demarc.ActionMemberAdd, Object: "member/mem_x", Prev: e[7].Hash}
			extra.Hash = extra.ComputeHash()
			return append(e, extra)
		}, []found{{9, demarc.TamperInserted}}},
		{"first removed and renumbered", func(e []demarc.Event, h *demarc.ChainHead) []demarc.Event {
			e = e[1:]
			for i := range e {
				e[i].Seq = int64(i + 1)
			}
			*h = headOf(e)
			return e
		}, []found{{1, demarc.TamperBroken}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events := chain(org, 8)
			head := headOf(events)
			events = tc.tamper(events, &head)
			r := verify(org, events, head)
			var got []found
			for _, p := range r.Problems {
				got = append(got, found{p.Seq, p.Kind})
				if !strings.HasPrefix(p.String(), fmt.Sprintf("event %d: %s: ", p.Seq, p.Kind)) || p.Message == "" {
					t.Errorf("problem reads %q", p)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v\n%v", got, tc.want, r.Problems)
			}
			if r.OK() != (len(tc.want) == 0) {
				t.Errorf("OK() = %v with problems %v", r.OK(), r.Problems)
			}
		})
	}
}

func TestEventHashCoversEveryField(t *testing.T) {
	base := chain("org_a", 1)[0]
	changes := map[string]func(e *demarc.Event){
		"org":    func(e *demarc.Event) { e.Org = "org_b" },
		"time":   func(e *demarc.Event) { e.Time = e.Time.Add(time.Microsecond) },
		"member": func(e *demarc.Event) { e.Actor.Member = "mem_2" },
		"token":  func(e *demarc.Event) { e.Actor.Token = "tok_1" },
		"action": func(e *demarc.Event) { e.Action = demarc.ActionDocumentDelete },
		"object": func(e *demarc.Event) { e.Object = "document/doc_x" },
		"before": func(e *demarc.Event) { e.Before = demarc.HashContent([]byte("b")) },
		"after":  func(e *demarc.Event) { e.After = "" },
		"detail": func(e *demarc.Event) { e.Detail = "x" },
		"prev":   func(e *demarc.Event) { e.Prev = "00" },
		// Field boundaries count: moving a character between fields is
		// a change.
		"shifted": func(e *demarc.Event) {
			e.Object, e.Detail = e.Object[:len(e.Object)-1], e.Object[len(e.Object)-1:]+e.Detail
		},
	}
	for name, change := range changes {
		e := base
		change(&e)
		if e.ComputeHash() == base.Hash {
			t.Errorf("changing %s leaves the hash as it was", name)
		}
	}
	e := base
	e.Seq = 99
	e.Time = e.Time.In(time.FixedZone("CET", 3600))
	if e.ComputeHash() != base.Hash {
		t.Error("the hash depends on Seq or on the time zone")
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		id := demarc.NewID("doc")
		if len(id) != len("doc_")+26 || strings.Trim(id[4:], "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("id %q is not doc_ and 26 base32 digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if id[4:] <= prev {
			t.Fatalf("id %q made later sorts before %q", id, prev)
		}
		prev = id[4:]
		if i%200 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func TestTokens(t *testing.T) {
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	secret2, _, _, err := demarc.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case secret == secret2:
		t.Error("two tokens are equal")
	case !strings.HasPrefix(secret, demarc.TokenPrefix) || len(secret) != len(demarc.TokenPrefix)+52:
		t.Errorf("secret %q is not the prefix and 52 base32 characters (256 bits)", secret)
	case hash != demarc.HashToken(secret) || len(hash) != 64:
		t.Errorf("hash %q is not the SHA-256 of the secret", hash)
	case !strings.HasPrefix(secret, hint) || len(hint) >= 12:
		t.Errorf("hint %q reveals too much or is not the secret's start", hint)
	}
	// A known vector, so that the stored form never silently changes.
	if got := demarc.HashToken("dmc_test"); got != "610146efa36517178cff2c1150d4ecd36af5dbefd42c3fce5fb44fdc9aec7fcd" {
		t.Errorf("HashToken = %q", got)
	}
	live := demarc.Token{Expires: time.Now().Add(time.Hour)}
	if !live.Live(time.Now()) {
		t.Error("unexpired token is not live")
	}
	expired := demarc.Token{Expires: time.Now().Add(-time.Hour)}
	revoked := demarc.Token{Revoked: time.Now()}
	if expired.Live(time.Now()) || revoked.Live(time.Now()) {
		t.Error("expired or revoked token is live")
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string // "" for valid; otherwise the field named
	}{
		{"org ok", demarc.OrgInput{Slug: "acme-cloud-2", Name: "Acme Cloud"}.Validate(), ""},
		{"slug upper", demarc.OrgInput{Slug: "Acme", Name: "A"}.Validate(), "slug"},
		{"slug trailing hyphen", demarc.OrgInput{Slug: "acme-", Name: "A"}.Validate(), "slug"},
		{"slug too long", demarc.OrgInput{Slug: strings.Repeat("a", 64), Name: "A"}.Validate(), "slug"},
		{"org name blank", demarc.OrgInput{Slug: "a", Name: "  "}.Validate(), "name"},
		{"member ok", demarc.MemberInput{Email: "a@b.example", Name: "A", Role: demarc.RoleAuditor}.Validate(), ""},
		{"member no at", demarc.MemberInput{Email: "ab.example", Name: "A", Role: demarc.RoleViewer}.Validate(), "email"},
		{"member ends with at", demarc.MemberInput{Email: "a@", Name: "A", Role: demarc.RoleViewer}.Validate(), "email"},
		{"member bad role", demarc.MemberInput{Email: "a@b.c", Name: "A", Role: "root"}.Validate(), "role"},
		{"member newline in name", demarc.MemberInput{Email: "a@b.c", Name: "A\nB", Role: demarc.RoleViewer}.Validate(), "name"},
		{"member bad UTF-8", demarc.MemberInput{Email: "a@b.c", Name: "A\xff", Role: demarc.RoleViewer}.Validate(), "name"},
		{"document ok", demarc.DocumentInput{Kind: demarc.DocProvider, Name: "acme", Content: []byte("x")}.Validate(), ""},
		{"document long note", demarc.DocumentInput{Kind: demarc.DocProvider, Name: "acme", Content: []byte("x"), Note: strings.Repeat("n", 2001)}.Validate(), "note"},
		{"token ok", demarc.TokenInput{Member: "mem_1", Name: "ci", Hash: demarc.HashToken("x")}.Validate(), ""},
		{"token upper-case hash", demarc.TokenInput{Member: "mem_1", Name: "ci", Hash: demarc.TokenHash(strings.ToUpper(string(demarc.HashToken("x"))))}.Validate(), "hash"},
		{"sign-off ok", demarc.SignoffInput{System: demarc.DocumentRef{ID: "doc_1", Version: 1}, Framework: "soc2", Matrix: []byte("{}")}.Validate(), ""},
		{"sign-off no version", demarc.SignoffInput{System: demarc.DocumentRef{ID: "doc_1"}, Framework: "soc2", Matrix: []byte("{}")}.Validate(), "system"},
		{"sign-off system twice", demarc.SignoffInput{System: demarc.DocumentRef{ID: "doc_1", Version: 1}, Framework: "soc2", Matrix: []byte("{}"),
			Documents: []demarc.DocumentRef{{ID: "doc_1", Version: 1}}}.Validate(), "documents[0]"},
		{"sign-off no matrix", demarc.SignoffInput{System: demarc.DocumentRef{ID: "doc_1", Version: 1}, Framework: "soc2"}.Validate(), "matrix"},
	}
	for _, tc := range cases {
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: %v", tc.name, tc.err)
		case tc.want != "" && (demarc.ErrorCode(tc.err) != demarc.EInvalid || !strings.HasPrefix(tc.err.Error(), tc.want+": ")):
			t.Errorf("%s: got %v, want an invalid error naming %s", tc.name, tc.err, tc.want)
		}
	}
}

func TestSignoffState(t *testing.T) {
	s := demarc.Signoff{Parties: []demarc.OrgID{"org_c", "org_p"}}
	if s.State() != demarc.SignoffPending {
		t.Errorf("unsigned: %s", s.State())
	}
	s.Signatures = append(s.Signatures, demarc.Signature{Org: "org_c"}, demarc.Signature{Org: "org_c"})
	if s.State() != demarc.SignoffPending {
		t.Errorf("two signatures of one party: %s", s.State())
	}
	s.Signatures = append(s.Signatures, demarc.Signature{Org: "org_p"})
	if s.State() != demarc.SignoffComplete {
		t.Errorf("both parties: %s", s.State())
	}
	s.Stale = time.Now()
	if s.State() != demarc.SignoffStale {
		t.Errorf("stale: %s", s.State())
	}
}

// FuzzChainVerifier mutates one field of one event of a valid chain:
// Verify must never panic, must accept the chain untouched and must
// reject every change.
func FuzzChainVerifier(f *testing.F) {
	f.Add(uint8(0), uint8(0), "x")
	f.Add(uint8(3), uint8(5), "")
	f.Add(uint8(7), uint8(9), "document/doc_0")
	f.Fuzz(func(t *testing.T, which, field uint8, value string) {
		const org = "org_f"
		events := chain(org, 8)
		head := headOf(events)
		if r := verify(org, events, head); !r.OK() {
			t.Fatalf("an intact chain fails: %v", r.Problems)
		}
		e := &events[int(which)%len(events)]
		before := *e
		switch field % 7 {
		case 0:
			e.Detail = value
		case 1:
			e.Object = value
		case 2:
			e.Prev = value
		case 3:
			e.Hash = value
		case 4:
			e.Action = demarc.Action(value)
		case 5:
			e.Actor.Member = demarc.MemberID(value)
		case 6:
			e.Before = demarc.ContentHash(value)
		}
		r := verify(org, events, head)
		if *e == before {
			if !r.OK() {
				t.Fatalf("an unchanged chain fails: %v", r.Problems)
			}
			return
		}
		if r.OK() {
			t.Fatalf("changing field %d of event %d to %q went unnoticed", field%7, e.Seq, value)
		}
	})
}

// FuzzInputs checks the validation of what a server passes to a store
// from a request: it never panics, and what it accepts keeps the rules a
// store and a URL rely on.
func FuzzInputs(f *testing.F) {
	f.Add("acme-cloud", "Acme Cloud", "ops@acme.example", "owner", "system", "doc_01jd")
	f.Add("-x-", " pad", "no-at-sign", "root", "spreadsheet", "' OR 1=1")
	f.Add("a", "\u202eevil", "a@b@c", "auditor", "provider", "")
	f.Fuzz(func(t *testing.T, slug, name, email, role, kind, id string) {
		if demarc.ValidSlug(slug) == nil {
			if strings.Trim(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || strings.HasPrefix(slug, "-") || strings.HasSuffix(slug, "-") || len(slug) > 63 {
				t.Fatalf("slug %q accepted", slug)
			}
		}
		checkText := func(what, s string, err error) {
			if err != nil {
				if demarc.ErrorCode(err) != demarc.EInvalid {
					t.Fatalf("%s %q: %v is not an invalid error", what, s, err)
				}
				return
			}
			if strings.TrimSpace(s) != s || s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(s) {
				t.Fatalf("%s %q accepted", what, s)
			}
		}
		checkText("org name", name, demarc.OrgInput{Slug: "ok", Name: name}.Validate())
		err := demarc.MemberInput{Email: email, Name: "N", Role: demarc.Role(role)}.Validate()
		if err == nil && (!strings.Contains(email, "@") || !demarc.Role(role).Valid()) {
			t.Fatalf("member %q %q accepted", email, role)
		}
		checkText("document name", name, demarc.DocumentInput{Kind: demarc.DocSystem, Name: name, Content: []byte("x")}.Validate())
		if err := (demarc.DocumentInput{Kind: demarc.DocKind(kind), Name: "n", Content: []byte(id)}.Validate()); err == nil && (!demarc.DocKind(kind).Valid() || id == "") {
			t.Fatalf("document of kind %q with content %q accepted", kind, id)
		}
		err = demarc.SignoffInput{System: demarc.DocumentRef{ID: demarc.DocumentID(id), Version: 1}, Framework: demarc.FrameworkID(name), Matrix: []byte(email)}.Validate()
		if err == nil && (id == "" || email == "") {
			t.Fatalf("sign-off of %q accepted", id)
		}
	})
}
