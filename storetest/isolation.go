package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// isolationExempt are the Store methods that are not scoped by an
// organisation, and why.
var isolationExempt = map[string]string{
	"CreateOrg":             "makes a new organisation",
	"Org":                   "the organisation itself, by its id",
	"OrgBySlug":             "the organisation itself, by its slug",
	"Orgs":                  "operators only: every organisation",
	"MembershipsBySubject":  "sign-in: finds the organisations of one login subject",
	"Authenticate":          "sign-in: finds the token with one secret's hash",
	"RevokeSession":         "sessions belong to a person, not an organisation",
	"RevokeSubjectSessions": "sessions belong to a person, not an organisation",
	"SessionRevoked":        "sign-in: checks one session of one login subject",
	"PurgeSessions":         "maintenance: drops records of expired sessions",
	"Watch":                 "server-internal change feed",
	"Ping":                  "no data",
	"Close":                 "no data",
}

// testIsolation lets organisation B's owner call every method on
// organisation A's records, both in B's name and in A's: every call is
// ENotFound or sees nothing, and A's data is unchanged afterwards. A
// check on the Store interface makes sure no method is forgotten.
func testIsolation(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	w := newSignoffWorld(t, s) // customer A, provider P, outsider B
	a, b := w.customer, w.outsider
	ed, _ := a.member(t, s, "ed", demarc.RoleEditor)
	_, tokHash, tokHint, err := demarc.NewToken()
	must(t, err)
	tok, err := s.CreateToken(c, a.by, a.org.ID, demarc.TokenInput{Member: ed.ID, Name: "ci", Hash: tokHash, Hint: tokHint})
	must(t, err)
	so := w.request(t, s, "matrix")
	// A provider document of A's, published and withdrawn: no longer
	// visible to B.
	aProv := a.document(t, s, demarc.DocProvider, "a-cloud", providerV1)
	aPub, err := s.Publish(c, a.by, a.org.ID, aProv.Document, 1)
	must(t, err)
	must(t, s.Withdraw(c, a.by, a.org.ID, aPub.ID))
	bSys := b.document(t, s, demarc.DocSystem, "b-system", "name: b\n")

	before := snapshot(t, s, a)
	nf := func(t *testing.T, err error) { t.Helper(); wantCode(t, err, demarc.ENotFound) }
	doc := w.system.Document
	in := demarc.DocumentInput{Name: "x", Content: []byte("x")}
	memberIn := demarc.MemberInput{Email: "z@example.com", Name: "Z", Role: demarc.RoleOwner}
	calls := map[string]func(t *testing.T, org demarc.OrgID){
		"UpdateOrg": func(t *testing.T, org demarc.OrgID) {
			_, err := s.UpdateOrg(c, b.by, a.org.ID, 1, demarc.OrgInput{Slug: "stolen-" + unique(), Name: "Stolen"})
			nf(t, err)
		},
		"AddMember": func(t *testing.T, org demarc.OrgID) {
			if org == a.org.ID {
				_, err := s.AddMember(c, b.by, org, memberIn)
				nf(t, err)
			}
		},
		"Member": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Member(c, org, ed.ID)
				nf(t, err)
			}
		},
		"MemberByEmail": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.MemberByEmail(c, org, ed.Email)
				nf(t, err)
			}
		},
		"Members": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				ms, _, err := s.Members(c, org, demarc.Page{})
				must(t, err)
				for _, m := range ms {
					equal(t, "member's org", m.Org, b.org.ID)
				}
			}
		},
		"UpdateMember": func(t *testing.T, org demarc.OrgID) {
			_, err := s.UpdateMember(c, b.by, org, ed.ID, 1, memberIn)
			nf(t, err)
		},
		"RemoveMember": func(t *testing.T, org demarc.OrgID) { nf(t, s.RemoveMember(c, b.by, org, ed.ID, 1)) },
		"CreateToken": func(t *testing.T, org demarc.OrgID) {
			_, err := s.CreateToken(c, b.by, org, demarc.TokenInput{Member: ed.ID, Name: "stolen", Hash: demarc.HashToken("stolen" + string(org))})
			nf(t, err)
		},
		"Tokens": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				ts, err := s.Tokens(c, org, ed.ID)
				must(t, err)
				equal(t, "foreign member's tokens", len(ts), 0)
			}
		},
		"RevokeToken": func(t *testing.T, org demarc.OrgID) { nf(t, s.RevokeToken(c, b.by, org, tok.ID)) },
		"TouchToken": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				nf(t, s.TouchToken(c, org, tok.ID, time.Now()))
			}
		},
		"CreateDocument": func(t *testing.T, org demarc.OrgID) {
			if org == a.org.ID {
				_, err := s.CreateDocument(c, b.by, org, demarc.DocumentInput{Kind: demarc.DocSystem, Name: "planted", Content: []byte("x")})
				nf(t, err)
			}
		},
		"UpdateDocument": func(t *testing.T, org demarc.OrgID) {
			_, err := s.UpdateDocument(c, b.by, org, doc, 1, in)
			nf(t, err)
		},
		"DeleteDocument": func(t *testing.T, org demarc.OrgID) { nf(t, s.DeleteDocument(c, b.by, org, doc, 1)) },
		"Document": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Document(c, org, doc)
				nf(t, err)
			}
		},
		"DocumentByName": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.DocumentByName(c, org, demarc.DocSystem, "webshop")
				nf(t, err)
			}
		},
		"Documents": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				for _, deleted := range []bool{false, true} {
					ds, _, err := s.Documents(c, org, demarc.DocumentFilter{Deleted: deleted})
					must(t, err)
					for _, d := range ds {
						equal(t, "document's org", d.Org, b.org.ID)
					}
				}
			}
		},
		"Revision": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				for _, v := range []int{0, 1} {
					_, err := s.Revision(c, org, doc, v)
					nf(t, err)
				}
			}
		},
		"Revisions": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, _, err := s.Revisions(c, org, doc, demarc.Page{})
				nf(t, err)
			}
		},
		"Publish": func(t *testing.T, org demarc.OrgID) {
			_, err := s.Publish(c, b.by, org, aProv.Document, 1)
			nf(t, err)
		},
		"Withdraw": func(t *testing.T, org demarc.OrgID) { nf(t, s.Withdraw(c, b.by, org, aPub.ID)) },
		"Publication": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Publication(c, org, aPub.ID)
				nf(t, err)
			}
		},
		"Publications": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				ps, _, err := s.Publications(c, org, demarc.PublicationFilter{})
				must(t, err)
				for _, p := range ps {
					if p.ID == aPub.ID {
						t.Fatal("a withdrawn publication is listed to a stranger")
					}
				}
			}
		},
		"PublicationVersions": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.PublicationVersions(c, org, aPub.ID)
				nf(t, err)
			}
		},
		"PublishedRevision": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.PublishedRevision(c, org, aPub.ID, 1)
				nf(t, err)
			}
		},
		"Subscribers": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Subscribers(c, org, w.pub.ID) // P's publication: only P sees subscribers
				nf(t, err)
			}
		},
		"Subscribe": func(t *testing.T, org demarc.OrgID) {
			_, err := s.Subscribe(c, b.by, org, aPub.ID)
			nf(t, err)
		},
		"Subscription": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Subscription(c, org, w.sub.ID)
				nf(t, err)
			}
		},
		"Subscriptions": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				subs, err := s.Subscriptions(c, org)
				must(t, err)
				equal(t, "stranger's subscriptions", len(subs), 0)
			}
		},
		"Acknowledge": func(t *testing.T, org demarc.OrgID) {
			_, err := s.Acknowledge(c, b.by, org, w.sub.ID, 1)
			nf(t, err)
		},
		"Unsubscribe": func(t *testing.T, org demarc.OrgID) { nf(t, s.Unsubscribe(c, b.by, org, w.sub.ID)) },
		"RequestSignoff": func(t *testing.T, org demarc.OrgID) {
			_, err := s.RequestSignoff(c, b.by, org, demarc.SignoffInput{System: demarc.DocumentRef{ID: doc, Version: 1}, Framework: "soc2", Matrix: []byte("m")})
			nf(t, err)
			if org == b.org.ID { // B's own system on A's register
				_, err := s.RequestSignoff(c, b.by, org, demarc.SignoffInput{System: demarc.DocumentRef{ID: bSys.Document, Version: 1}, Framework: "soc2",
					Matrix: []byte("m"), Documents: []demarc.DocumentRef{{ID: w.register.Document, Version: 1}}})
				nf(t, err)
			}
		},
		"Signoff": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.Signoff(c, org, so.ID)
				nf(t, err)
			}
		},
		"SignoffMatrix": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				_, err := s.SignoffMatrix(c, org, so.ID)
				nf(t, err)
			}
		},
		"Signoffs": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				list, _, err := s.Signoffs(c, org, demarc.SignoffFilter{System: doc})
				must(t, err)
				equal(t, "stranger's sign-offs", len(list), 0)
			}
		},
		"Sign": func(t *testing.T, org demarc.OrgID) {
			_, err := s.Sign(c, b.by, org, so.ID, so.MatrixHash)
			nf(t, err)
		},
		"Events": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				for _, e := range allEvents(t, s, org) {
					equal(t, "event's org", e.Org, b.org.ID)
				}
				es, err := s.Events(c, org, demarc.EventFilter{Object: "document/" + string(doc)})
				must(t, err)
				equal(t, "stranger's events on A's document", len(es), 0)
			}
		},
		"Verify": func(t *testing.T, org demarc.OrgID) {
			if org == b.org.ID {
				r := verified(t, s, org)
				equal(t, "stranger's chain length", r.Events, int64(len(allEvents(t, s, b.org.ID))))
			}
		},
	}

	storeType := reflect.TypeFor[demarc.Store]()
	for i := range storeType.NumMethod() {
		name := storeType.Method(i).Name
		if _, ok := calls[name]; !ok && isolationExempt[name] == "" {
			t.Errorf("Store.%s has no isolation check", name)
		}
	}
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, as := range []struct {
			what string
			org  demarc.OrgID
		}{{"in B's name", b.org.ID}, {"in A's name", a.org.ID}} {
			t.Run(name+"/"+as.what, func(t *testing.T) { calls[name](t, as.org) })
		}
	}
	equal(t, "A's data after the attempts", snapshot(t, s, a), before)
	verified(t, s, a.org.ID)
}

// snapshot describes everything of tn's that the store returns.
func snapshot(t testing.TB, s demarc.Store, tn tenant) string {
	c := context.Background()
	org, err := s.Org(c, tn.org.ID)
	must(t, err)
	members, _, err := s.Members(c, tn.org.ID, demarc.Page{Limit: demarc.MaxPageSize})
	must(t, err)
	tokens, err := s.Tokens(c, tn.org.ID, "")
	must(t, err)
	docs, _, err := s.Documents(c, tn.org.ID, demarc.DocumentFilter{Page: demarc.Page{Limit: demarc.MaxPageSize}})
	must(t, err)
	subs, err := s.Subscriptions(c, tn.org.ID)
	must(t, err)
	signoffs, _, err := s.Signoffs(c, tn.org.ID, demarc.SignoffFilter{})
	must(t, err)
	events := allEvents(t, s, tn.org.ID)
	return describe([]any{*org, members, tokens, docs, subs, signoffs, events})
}
