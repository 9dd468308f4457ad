package server

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
)

// Overview is an organisation's dashboard: every live system summed up,
// and totals across them.
type Overview struct {
	// AsOf is the day attestations and gaps are judged at.
	AsOf demarc.Date `json:"as_of"`
	// Days is how far ahead an attestation's expiry is listed.
	Days    int              `json:"days"`
	Totals  OverviewTotals   `json:"totals"`
	Systems []SystemOverview `json:"systems"`
}

// OverviewTotals adds the systems up. Owners counts controls, each
// system's under the framework it was judged against.
type OverviewTotals struct {
	Systems int `json:"systems"`
	// Invalid counts the systems listed with an error.
	Invalid              int            `json:"invalid"`
	Owners               demarc.Summary `json:"owners"`
	Gaps                 GapCounts      `json:"gaps"`
	AttestationsExpired  int            `json:"attestations_expired"`
	AttestationsExpiring int            `json:"attestations_expiring"`
	SignoffsStale        int            `json:"signoffs_stale"`
	SignoffsPending      int            `json:"signoffs_pending"`
}

// GapCounts counts open gaps by severity.
type GapCounts struct {
	High   int `json:"high"`
	Medium int `json:"medium"`
	Low    int `json:"low"`
}

func (g *GapCounts) add(o GapCounts) {
	g.High += o.High
	g.Medium += o.Medium
	g.Low += o.Low
}

// SystemOverview sums one system up. A system that does not parse, or
// whose organisation's provider statements do not fit together, has
// Error set and no analysis; its sign-offs are still listed.
type SystemOverview struct {
	ID        demarc.DocumentID `json:"id"`
	Name      string            `json:"name"`
	Version   int               `json:"version"`
	UpdatedAt time.Time         `json:"updated_at"`
	// System is the system's own name, from its content.
	System    string             `json:"system,omitempty"`
	Framework demarc.FrameworkID `json:"framework,omitempty"`
	Controls  int                `json:"controls,omitempty"`
	// Owners is the matrix summary: controls per owner.
	Owners demarc.Summary `json:"owners,omitempty"`
	Gaps   *GapCounts     `json:"gaps,omitempty"`
	// Attestations are those the system relies on that have expired or
	// expire within the overview's days, soonest first.
	Attestations []AttestationDue `json:"attestations"`
	Signoffs     []SignoffDue     `json:"signoffs"`
	Error        *ErrorDetail     `json:"error,omitempty"`
}

// AttestationDue is an attestation that has expired or soon will.
type AttestationDue struct {
	ID           string                 `json:"id"`
	Provider     demarc.ProviderID      `json:"provider"`
	Type         demarc.AttestationType `json:"type"`
	ValidThrough demarc.Date            `json:"valid_through"`
	// DaysLeft is negative once the attestation has expired.
	DaysLeft int  `json:"days_left"`
	Expired  bool `json:"expired"`
}

// SignoffDue is a system's newest sign-off for a framework that is stale
// or still awaits signatures.
type SignoffDue struct {
	ID        demarc.SignoffID    `json:"id"`
	Framework demarc.FrameworkID  `json:"framework"`
	Version   int                 `json:"version"`
	State     demarc.SignoffState `json:"state"`
	Created   time.Time           `json:"created"`
	// Stale and StaleReason say when and why the matrix went out of date.
	Stale       time.Time `json:"stale,omitzero"`
	StaleReason string    `json:"stale_reason,omitempty"`
	// Awaiting lists the parties that have not signed.
	Awaiting []demarc.OrgID `json:"awaiting"`
}

// systemSummary is the part of a system's overview computed from its
// content, cached like analysis answers.
type systemSummary struct {
	system       string
	framework    demarc.FrameworkID
	controls     int
	owners       demarc.Summary
	gaps         GapCounts
	attestations []AttestationDue
	err          error
}

func (s *Server) overview(c *call) (*reply, error) {
	q := c.query()
	days := q.integer("days", 90, 3650)
	fwID := q.str("framework")
	asOf := q.date("as_of")
	if q.err != nil {
		return nil, q.err
	}
	if asOf.IsZero() {
		asOf = demarc.Today()
	}
	ctx := c.r.Context()
	b, err := s.views.basis(ctx, c.org.ID)
	if err != nil {
		return nil, err
	}
	if fwID != "" {
		if _, err := frameworkIn(b.lib, fwID); err != nil {
			return nil, err
		}
	}
	docs, err := allDocuments(ctx, s.store, c.org.ID, demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
	signoffs, err := s.dueSignoffs(ctx, c.org.ID)
	if err != nil {
		return nil, err
	}
	out := &Overview{AsOf: asOf, Days: days, Totals: OverviewTotals{Owners: demarc.Summary{}}, Systems: make([]SystemOverview, 0, len(docs))}
	for i := range docs {
		d := &docs[i]
		sum, err := s.summarize(ctx, c.org.ID, b, d, fwID, asOf, days)
		if err != nil {
			return nil, err
		}
		out.add(systemOverview(d, sum, signoffs[d.ID]))
	}
	return ok(out), nil
}

// add lists a system and counts it in the totals.
func (o *Overview) add(so SystemOverview) {
	t := &o.Totals
	t.Systems++
	if so.Error != nil {
		t.Invalid++
	}
	for owner, n := range so.Owners {
		t.Owners[owner] += n
	}
	if so.Gaps != nil {
		t.Gaps.add(*so.Gaps)
	}
	for _, a := range so.Attestations {
		if a.Expired {
			t.AttestationsExpired++
		} else {
			t.AttestationsExpiring++
		}
	}
	for _, sd := range so.Signoffs {
		if sd.State == demarc.SignoffStale {
			t.SignoffsStale++
		} else {
			t.SignoffsPending++
		}
	}
	o.Systems = append(o.Systems, so)
}

func systemOverview(d *demarc.Document, sum *systemSummary, due []SignoffDue) SystemOverview {
	so := SystemOverview{ID: d.ID, Name: d.Name, Version: d.Version, UpdatedAt: d.Updated, Attestations: []AttestationDue{}, Signoffs: due}
	if so.Signoffs == nil {
		so.Signoffs = []SignoffDue{}
	}
	if sum.err != nil {
		_, detail := classify(sum.err)
		so.Error = &detail
		return so
	}
	gaps := sum.gaps
	so.System, so.Framework, so.Controls, so.Owners, so.Gaps = sum.system, sum.framework, sum.controls, sum.owners, &gaps
	so.Attestations = append(so.Attestations, sum.attestations...)
	return so
}

// summarize returns the content-derived part of a system's overview,
// from the cached resolution and, after the first time, from the answer
// cache. A system that does not parse gives a summary with its error;
// only a failure to read the store is an error.
func (s *Server) summarize(ctx context.Context, org demarc.OrgID, b *basis, d *demarc.Document, fwID string, asOf demarc.Date, days int) (*systemSummary, error) {
	if b.err != nil {
		return &systemSummary{err: b.err}, nil
	}
	sv, err := s.views.systemAt(ctx, org, d, 0)
	switch {
	case sv == nil && err != nil:
		return nil, err
	case err != nil:
		return &systemSummary{err: err}, nil
	}
	key := fmt.Sprintf("overview|%s|%s|%s|%d", sv.key, fwID, asOf, days)
	if rp, ok := s.views.answers.get(key); ok {
		s.metrics.cacheHits.Add(1)
		return rp.value.(*systemSummary), nil
	}
	s.metrics.cacheMisses.Add(1)
	fw, err := sv.framework(fwID)
	if err != nil {
		return &systemSummary{err: err}, nil
	}
	sum := &systemSummary{system: sv.sys.Name, framework: fw.ID, owners: demarc.Summary{}}
	for _, owner := range sv.res.Owners(fw) {
		sum.owners[owner]++
		sum.controls++
	}
	for _, g := range analyze.New(sv.res, fw, analyze.Options{AsOf: asOf}).Gaps() {
		switch g.Severity {
		case demarc.SeverityHigh:
			sum.gaps.High++
		case demarc.SeverityMedium:
			sum.gaps.Medium++
		case demarc.SeverityLow:
			sum.gaps.Low++
		}
	}
	sum.attestations = attestationsDue(sv.sys.Attestations, asOf, days)
	s.views.answers.put(key, &reply{value: sum}, int64(512+128*len(sum.attestations)))
	return sum, nil
}

// attestationsDue lists the attestations that have expired at asOf or
// expire within days of it, soonest first.
func attestationsDue(list []demarc.Attestation, asOf demarc.Date, days int) []AttestationDue {
	horizon := asOf.AddDate(0, 0, days)
	var out []AttestationDue
	for i := range list {
		at := &list[i]
		through := at.ValidThrough()
		if through.After(horizon) {
			continue
		}
		out = append(out, AttestationDue{ID: at.ID, Provider: at.Provider, Type: at.Type, ValidThrough: through,
			DaysLeft: daysBetween(asOf, through), Expired: through.Before(asOf.Time)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ValidThrough.Before(out[j].ValidThrough.Time) })
	return out
}

// daysBetween counts the days from a to b, negative when b is earlier.
func daysBetween(a, b demarc.Date) int {
	return int(b.Sub(a.Time).Round(24*time.Hour) / (24 * time.Hour))
}

// dueCache is an organisation's due sign-offs and the sequence number of
// its audit trail they are current at.
type dueCache struct {
	seq int64
	due map[demarc.DocumentID][]SignoffDue
}

// dueSignoffs returns, per system of org, the sign-offs that need
// attention. Listing sign-offs costs the store more the more there are,
// so the list is cached; every change to a sign-off of org (a request, a
// signature, staleness) appends an event to org's audit trail, so the
// cached list is current while no event follows the one it was made at —
// which one indexed read tells, on every replica, right after the write.
func (s *Server) dueSignoffs(ctx context.Context, org demarc.OrgID) (map[demarc.DocumentID][]SignoffDue, error) {
	key := "signoffs-due|" + string(org)
	var from int64
	if rp, ok := s.views.answers.get(key); ok {
		dc := rp.value.(*dueCache)
		newer, err := s.store.Events(ctx, org, demarc.EventFilter{After: dc.seq, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(newer) == 0 {
			s.metrics.cacheHits.Add(1)
			return dc.due, nil
		}
		from = dc.seq
	}
	s.metrics.cacheMisses.Add(1)
	// The head is read first: an event between it and the listing makes
	// the next request list again, never keeps a stale list.
	seq, err := s.auditHead(ctx, org, from)
	if err != nil {
		return nil, err
	}
	due, err := s.listDueSignoffs(ctx, org)
	if err != nil {
		return nil, err
	}
	s.views.answers.put(key, &reply{value: &dueCache{seq: seq, due: due}}, int64(256+256*len(due)))
	return due, nil
}

// auditHead returns the sequence number of org's last audit event,
// reading on from an earlier one.
func (s *Server) auditHead(ctx context.Context, org demarc.OrgID, from int64) (int64, error) {
	for {
		evs, err := s.store.Events(ctx, org, demarc.EventFilter{After: from, Limit: demarc.MaxPageSize})
		if err != nil {
			return 0, err
		}
		if len(evs) > 0 {
			from = evs[len(evs)-1].Seq
		}
		if len(evs) < demarc.MaxPageSize {
			return from, nil
		}
	}
}

// listDueSignoffs lists, per system of org, the newest sign-off of each
// framework when it is stale or still awaits signatures. A sign-off
// superseded by a newer one for the same framework needs no one's
// attention. Sign-offs of other organisations' systems that org is a
// party to are left out: they are not org's systems.
func (s *Server) listDueSignoffs(ctx context.Context, org demarc.OrgID) (map[demarc.DocumentID][]SignoffDue, error) {
	out := map[demarc.DocumentID][]SignoffDue{}
	seen := map[string]bool{}
	page := demarc.Page{Limit: demarc.MaxPageSize}
	for {
		sos, next, err := s.store.Signoffs(ctx, org, demarc.SignoffFilter{Page: page})
		if err != nil {
			return nil, err
		}
		for i := range sos { // newest first
			so := &sos[i]
			k := string(so.System.ID) + "|" + string(so.Framework)
			if so.Org != org || seen[k] {
				continue
			}
			seen[k] = true
			if state := so.State(); state != demarc.SignoffComplete {
				out[so.System.ID] = append(out[so.System.ID], signoffDue(so, state))
			}
		}
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

func signoffDue(so *demarc.Signoff, state demarc.SignoffState) SignoffDue {
	sd := SignoffDue{ID: so.ID, Framework: so.Framework, Version: so.System.Version, State: state, Created: so.Created,
		Stale: so.Stale, StaleReason: so.StaleReason, Awaiting: []demarc.OrgID{}}
	for _, p := range so.Parties {
		if !so.SignedBy(p) {
			sd.Awaiting = append(sd.Awaiting, p)
		}
	}
	return sd
}
