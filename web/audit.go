package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The audit trail: every change of the organisation, hash-chained, with
// whether the chain still verifies.
func init() {
	addPage("/audit", func(u *UI) pageFunc { return u.auditPage })
}

// auditActions are the actions an event can record, for the filter.
var auditActions = []demarc.Action{
	demarc.ActionOrgCreate, demarc.ActionOrgUpdate, demarc.ActionMemberAdd, demarc.ActionMemberUpdate, demarc.ActionMemberRemove,
	demarc.ActionTokenCreate, demarc.ActionTokenRevoke, demarc.ActionDocumentCreate, demarc.ActionDocumentUpdate, demarc.ActionDocumentDelete,
	demarc.ActionPublish, demarc.ActionWithdraw, demarc.ActionSubscribe, demarc.ActionSubscriptionNews, demarc.ActionSubscriptionReview,
	demarc.ActionUnsubscribe, demarc.ActionSignoffRequest, demarc.ActionSignoffSign, demarc.ActionSignoffStale,
}

// auditPageSize is how many events a page shows.
const auditPageSize = 100

// auditExportLimit bounds an export, which reads every page.
const auditExportLimit = 100000

// auditData is the audit page.
type auditData struct {
	Verify  server.Verification
	Action  string
	Object  string
	After   string
	Actions []demarc.Action
	// Next is the sequence number the next page starts after.
	Next     string
	NextURL  string
	FirstURL string
	Shown    *table
	Count    int
	// Truncated says an export stopped at auditExportLimit events.
	Truncated bool
}

func (u *UI) auditPage(v *view) error {
	d := &auditData{Action: v.Query("action"), Object: strings.TrimSpace(v.Query("object")), After: v.Query("after"), Actions: auditActions}
	if _, err := v.get(v.API("audit", "verify"), nil, &d.Verify); err != nil {
		return err
	}
	events, next, err := v.auditEvents(d)
	if err != nil {
		return err
	}
	names, err := v.memberNames()
	if err != nil {
		return err
	}
	tampered := map[int64]bool{}
	for _, p := range d.Verify.Problems {
		tampered[p.Seq] = true
	}
	d.Next, d.Count = next, len(events)
	name := v.Org.Slug + "-audit"
	v.Table, d.Shown = auditTable(name, events, names, tampered, false), auditTable(name, events, names, tampered, true)
	if d.Truncated {
		// The name says the download stops short; the next one can
		// start after its last event.
		v.Table.Name += "-first-" + strconv.Itoa(len(events)) + "-events"
	}
	auditLinkObjects(d.Shown, v, d)
	if next != "" {
		d.NextURL = d.url(v, next)
	}
	if d.After != "" {
		d.FirstURL = d.url(v, "")
	}
	v.Title, v.Section, v.template = "Audit trail", "audit", "audit"
	v.Data = d
	return nil
}

// auditEvents reads a page of events, or for an export every page up
// to auditExportLimit; it returns where the next page starts.
func (v *view) auditEvents(d *auditData) ([]demarc.Event, string, error) {
	q := url.Values{}
	if d.Action != "" {
		q.Set("action", d.Action)
	}
	if d.Object != "" {
		q.Set("object", d.Object)
	}
	if d.After != "" {
		q.Set("after", d.After)
	}
	export := v.Query("export") != ""
	limit := auditPageSize
	if export {
		limit = demarc.MaxPageSize
	}
	q.Set("limit", strconv.Itoa(limit))
	var out []demarc.Event
	for {
		var l server.List[demarc.Event]
		if _, err := v.get(v.API("audit", "events"), q, &l); err != nil {
			return nil, "", err
		}
		out = append(out, l.Items...)
		if !export || l.Next == "" {
			return out, l.Next, nil
		}
		if len(out) >= auditExportLimit {
			d.Truncated = true
			return out, l.Next, nil
		}
		q.Set("after", l.Next)
	}
}

// url is the audit page with the view's filters, starting after seq.
func (d *auditData) url(v *view, after string) string {
	q := url.Values{}
	if d.Action != "" {
		q.Set("action", d.Action)
	}
	if d.Object != "" {
		q.Set("object", d.Object)
	}
	if after != "" {
		q.Set("after", after)
	}
	u := v.OrgBase() + "audit"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// auditTable lists events; short shortens the hashes for the page, the
// export keeps them whole.
func auditTable(name string, events []demarc.Event, names map[demarc.MemberID]string, tampered map[int64]bool, short bool) *table {
	t := &table{Name: name, Columns: []string{"Seq", "Time", "Actor", "Action", "Object", "Before → after", "Detail", "Hash"}}
	hash := func(s string) string {
		if short {
			return shortHash(s)
		}
		return s
	}
	for _, e := range events {
		class := ""
		if tampered[e.Seq] {
			class = "tampered"
		}
		change := ""
		if e.Before != "" || e.After != "" {
			change = orDash(hash(string(e.Before))) + " → " + orDash(hash(string(e.After)))
		}
		t.add(class, cell{Text: strconv.FormatInt(e.Seq, 10), Mono: true}, text(e.Time.UTC().Format("2006-01-02 15:04:05")), text(actorName(e.Actor, names)),
			cell{Text: string(e.Action), Mono: true}, cell{Text: e.Object, Mono: true}, cell{Text: change, Mono: true}, text(e.Detail), cell{Text: hash(e.Hash), Mono: true})
	}
	return t
}

// auditLinkObjects makes each object cell narrow the trail to that
// object.
func auditLinkObjects(t *table, v *view, d *auditData) {
	for i := range t.Rows {
		c := &t.Rows[i].Cells[4]
		if c.Text != "" {
			f := &auditData{Action: d.Action, Object: c.Text}
			c.Href = f.url(v, "")
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// actorName says who acted: a member by name, through which token, or
// the system itself.
func actorName(a demarc.Actor, names map[demarc.MemberID]string) string {
	switch {
	case a.Member == "" && a.Token == "":
		return "system"
	case a.Token != "":
		return memberName(names, a.Member) + " (token " + string(a.Token) + ")"
	}
	return memberName(names, a.Member)
}
