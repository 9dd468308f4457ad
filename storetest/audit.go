package storetest

import (
	"fmt"
	"testing"

	"github.com/demarc-io/demarc"
)

func testAudit(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	a := newTenant(t, s, "acme")
	rev := a.document(t, s, demarc.DocSystem, "webshop", "v1\n")
	_, err := s.UpdateDocument(c, a.by, a.org.ID, rev.Document, 1, demarc.DocumentInput{Name: "webshop", Content: []byte("v2\n")})
	must(t, err)

	events := allEvents(t, s, a.org.ID)
	equal(t, "events", len(events), 4)
	prev := ""
	for i, e := range events {
		equal(t, "seq", e.Seq, int64(i+1))
		equal(t, "org", e.Org, a.org.ID)
		equal(t, "prev", e.Prev, prev)
		equal(t, "hash", e.Hash, e.ComputeHash())
		if e.Time.IsZero() {
			t.Errorf("event %d has no time", e.Seq)
		}
		prev = e.Hash
	}
	upd := events[3]
	equal(t, "action", upd.Action, demarc.ActionDocumentUpdate)
	equal(t, "before", upd.Before, demarc.HashContent([]byte("v1\n")))
	equal(t, "after", upd.After, demarc.HashContent([]byte("v2\n")))
	equal(t, "actor", upd.Actor, a.by)

	filtered, err := s.Events(c, a.org.ID, demarc.EventFilter{Object: "document/" + string(rev.Document)})
	must(t, err)
	equal(t, "events of the document", len(filtered), 2)
	filtered, err = s.Events(c, a.org.ID, demarc.EventFilter{Action: demarc.ActionMemberAdd})
	must(t, err)
	equal(t, "member.add events", len(filtered), 1)
	filtered, err = s.Events(c, a.org.ID, demarc.EventFilter{After: 2, Limit: 1})
	must(t, err)
	equal(t, "paged", len(filtered), 1)
	equal(t, "paged seq", filtered[0].Seq, int64(3))

	r := verified(t, s, a.org.ID)
	equal(t, "verified events", r.Events, int64(4))
	equal(t, "head", r.Head, demarc.ChainHead{Seq: 4, Hash: upd.Hash})
	_, err = s.Verify(c, "org_missing")
	wantCode(t, err, demarc.ENotFound)
}

// testAuditTamper changes the audit table behind the store's back, as an
// intruder with database access would, and checks that Verify names the
// event.
func testAuditTamper(t *testing.T, h Harness) {
	s := h.Open(t)
	c := ctx(t)
	// Each case gets its own organisation with events 1 … 6.
	fresh := func(t *testing.T) (tenant, []demarc.Event) {
		a := newTenant(t, s, "victim")
		for i := range 4 {
			a.document(t, s, demarc.DocSystem, fmt.Sprintf("sys-%d", i), "x\n")
		}
		events := allEvents(t, s, a.org.ID)
		equal(t, "events", len(events), 6)
		verified(t, s, a.org.ID)
		return a, events
	}
	type problem struct {
		Seq  int64
		Kind string
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, org demarc.OrgID, events []demarc.Event)
		want   []problem
	}{
		{"altered detail", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `UPDATE audit_events SET detail = 'nothing happened' WHERE org_id = $1 AND seq = 4`, org)
		}, []problem{{4, demarc.TamperAltered}}},
		{"altered actor", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `UPDATE audit_events SET actor_member = 'mem_somebodyelse' WHERE org_id = $1 AND seq = 2`, org)
		}, []problem{{2, demarc.TamperAltered}}},
		{"altered and re-hashed", func(t *testing.T, org demarc.OrgID, events []demarc.Event) {
			e := events[3]
			e.Detail = "nothing happened"
			h.Exec(t, s, `UPDATE audit_events SET detail = $3, hash = $4 WHERE org_id = $1 AND seq = $2`, org, e.Seq, e.Detail, e.ComputeHash())
		}, []problem{{4, demarc.TamperBroken}}},
		{"last event altered and re-hashed", func(t *testing.T, org demarc.OrgID, events []demarc.Event) {
			e := events[5]
			e.Detail = "nothing happened"
			h.Exec(t, s, `UPDATE audit_events SET detail = $3, hash = $4 WHERE org_id = $1 AND seq = $2`, org, e.Seq, e.Detail, e.ComputeHash())
		}, []problem{{6, demarc.TamperBroken}}},
		{"removed from the middle", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 4`, org)
		}, []problem{{4, demarc.TamperRemoved}}},
		{"removed from the middle and renumbered", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 4`, org)
			h.Exec(t, s, `UPDATE audit_events SET seq = seq - 1 WHERE org_id = $1 AND seq = 5`, org)
			h.Exec(t, s, `UPDATE audit_events SET seq = seq - 1 WHERE org_id = $1 AND seq = 6`, org)
		}, []problem{{3, demarc.TamperBroken}, {6, demarc.TamperRemoved}}},
		{"removed the newest", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 6`, org)
		}, []problem{{6, demarc.TamperRemoved}}},
		{"removed the first", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `DELETE FROM audit_events WHERE org_id = $1 AND seq = 1`, org)
		}, []problem{{1, demarc.TamperRemoved}}},
		{"reordered", func(t *testing.T, org demarc.OrgID, _ []demarc.Event) {
			h.Exec(t, s, `UPDATE audit_events SET seq = -3 WHERE org_id = $1 AND seq = 3`, org)
			h.Exec(t, s, `UPDATE audit_events SET seq = 3 WHERE org_id = $1 AND seq = 4`, org)
			h.Exec(t, s, `UPDATE audit_events SET seq = 4 WHERE org_id = $1 AND seq = -3`, org)
		}, []problem{{3, demarc.TamperReordered}, {4, demarc.TamperReordered}}},
		{"inserted after the head", func(t *testing.T, org demarc.OrgID, events []demarc.Event) {
			e := events[5]
			e.Seq, e.Action, e.Detail, e.Prev = 7, demarc.ActionMemberAdd, "intruder@example.com as owner", e.Hash
			h.Exec(t, s, `INSERT INTO audit_events (org_id, seq, at, actor_member, actor_token, action, object, before_hash, after_hash, detail, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				org, e.Seq, e.Time.UnixMicro(), string(e.Actor.Member), string(e.Actor.Token), string(e.Action), e.Object, string(e.Before), string(e.After), e.Detail, e.Prev, e.ComputeHash())
		}, []problem{{7, demarc.TamperInserted}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, events := fresh(t)
			tc.tamper(t, a.org.ID, events)
			r, err := s.Verify(c, a.org.ID)
			must(t, err)
			var got []problem
			for _, p := range r.Problems {
				got = append(got, problem{p.Seq, p.Kind})
				if p.Message == "" {
					t.Errorf("problem %+v has no message", p)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("Verify found %v, want %v; report: %v", got, tc.want, r.Problems)
			}
		})
	}
}
