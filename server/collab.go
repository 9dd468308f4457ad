package server

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
)

// PublishRequest publishes a version of a provider document; 0 means the
// current one.
type PublishRequest struct {
	Version int `json:"version"`
}

// Published is a publication after publishing, with what moved for its
// subscribers since the version offered before (nil for a first
// publication).
type Published struct {
	Publication demarc.Publication `json:"publication"`
	Moved       *StatementDiff     `json:"moved,omitempty"`
}

// StatementDiff is what moved between two versions of a provider
// statement: for every service, which areas change owner or parties, and
// which controls of the framework change owner.
type StatementDiff struct {
	From int           `json:"from"`
	To   int           `json:"to"`
	Diff *analyze.Diff `json:"diff"`
}

func (s *Server) publish(c *call) (*reply, error) {
	d, err := c.document(demarc.DocProvider)
	if err != nil {
		return nil, err
	}
	var req PublishRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Version < 0 {
		return nil, demarc.Errorf(demarc.EInvalid, "version must be 1 or more, or 0 for the current one")
	}
	ctx := c.r.Context()
	var before *demarc.Publication
	pubs, _, err := s.store.Publications(ctx, c.org.ID, demarc.PublicationFilter{Owner: c.org.ID, Page: demarc.Page{Limit: demarc.MaxPageSize}})
	if err != nil {
		return nil, err
	}
	for i := range pubs {
		if pubs[i].Document == d.ID {
			before = &pubs[i]
		}
	}
	pub, err := s.store.Publish(ctx, c.actor, c.org.ID, d.ID, req.Version)
	if err != nil {
		return nil, err
	}
	s.views.forget("")
	out := Published{Publication: *pub}
	if before != nil && before.Version != pub.Version {
		if out.Moved, err = s.statementDiff(ctx, c.org.ID, pub.ID, before.Version, pub.Version, ""); err != nil {
			return nil, err
		}
	}
	return created(out, publicationTag(pub), fmt.Sprintf("/api/v1/orgs/%s/publications/%s", c.r.PathValue("org"), pub.ID)), nil
}

// shown returns p as viewer may see it: who in the publisher's
// organisation published it is the publisher's business.
func shown(p demarc.Publication, viewer demarc.OrgID) demarc.Publication {
	if p.Org != viewer {
		p.PublishedBy = ""
	}
	return p
}

func publicationTag(p *demarc.Publication) string {
	return valueTag(string(p.ID), strconv.Itoa(p.Version), p.Withdrawn.UTC().Format(time.RFC3339Nano))
}

// statementDiff compares two published versions of a publication as org
// sees them. Each service of the statement becomes a component of a
// made-up system, resolved under each version, and the core diff says
// what moved; services added or removed are components added or removed.
func (s *Server) statementDiff(ctx context.Context, org demarc.OrgID, pub demarc.PublicationID, from, to int, fwID string) (*StatementDiff, error) {
	a, err := s.store.PublishedRevision(ctx, org, pub, from)
	if err != nil {
		return nil, err
	}
	b, err := s.store.PublishedRevision(ctx, org, pub, to)
	if err != nil {
		return nil, err
	}
	key := "statement|" + string(a.Hash) + "|" + string(b.Hash) + "|" + fwID
	if rp, ok := s.views.answers.get(key); ok {
		return rp.value.(*StatementDiff), nil
	}
	if fwID == "" {
		fwID = defaultFramework
	}
	fw, err := frameworkIn(s.base, fwID)
	if err != nil {
		return nil, err
	}
	ra, err := statementResolution(a)
	if err != nil {
		return nil, err
	}
	rb, err := statementResolution(b)
	if err != nil {
		return nil, err
	}
	d := &StatementDiff{From: a.Version, To: b.Version, Diff: analyze.Compare(ra, rb, fw)}
	s.views.answers.put(key, &reply{value: d}, 64<<10)
	return d, nil
}

// statementResolution resolves a made-up system with one component per
// service of a provider statement, under the built-in library extended by
// the statement.
func statementResolution(rev *demarc.Revision) (*resolve.Resolution, error) {
	f, err := library.ParseFile(rev.Name, rev.Content)
	if err != nil {
		return nil, err
	}
	lib, err := library.Extend(f)
	if err != nil {
		return nil, err
	}
	sys := &demarc.System{Name: fmt.Sprintf("%s version %d", rev.Name, rev.Version)}
	for _, p := range f.Providers {
		for _, svc := range p.Services {
			sys.Components = append(sys.Components, demarc.Component{Name: string(svc.ID), Service: svc.ID})
		}
	}
	sort.Slice(sys.Components, func(i, j int) bool { return sys.Components[i].Name < sys.Components[j].Name })
	return resolve.New(lib).Resolve(sys)
}

func (s *Server) listPublications(c *call) (*reply, error) {
	q := c.query()
	owner, page := q.str("owner"), q.page()
	if q.err != nil {
		return nil, q.err
	}
	f := demarc.PublicationFilter{Page: page}
	if owner != "" {
		o, err := s.views.org(c.r.Context(), owner)
		if err != nil {
			return nil, errorf(EBadRequest, "query parameter owner: no organisation %q", owner)
		}
		f.Owner = o.ID
	}
	pubs, next, err := s.store.Publications(c.r.Context(), c.org.ID, f)
	if err != nil {
		return nil, err
	}
	for i := range pubs {
		pubs[i] = shown(pubs[i], c.org.ID)
	}
	return ok(pageOf(pubs, next)), nil
}

func (c *call) pathPublication() (*demarc.Publication, error) {
	id, err := pathID(c.r, "pub", "pub")
	if err != nil {
		return nil, err
	}
	return c.s.store.Publication(c.r.Context(), c.org.ID, demarc.PublicationID(id))
}

func (s *Server) getPublication(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	return tagged(shown(*p, c.org.ID), publicationTag(p)), nil
}

func (s *Server) withdraw(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	if p.Org != c.org.ID {
		return nil, errorf(EForbidden, "only the publisher may withdraw a publication")
	}
	if err := matchValue(c.r, publicationTag(p)); err != nil {
		return nil, err
	}
	if err := s.store.Withdraw(c.r.Context(), c.actor, c.org.ID, p.ID); err != nil {
		return nil, err
	}
	s.views.forget("")
	return noContent(), nil
}

func (s *Server) publicationVersions(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	vs, err := s.store.PublicationVersions(c.r.Context(), c.org.ID, p.ID)
	if err != nil {
		return nil, err
	}
	if p.Org != c.org.ID {
		for i := range vs {
			vs[i].PublishedBy = ""
		}
	}
	return ok(pageOf(vs, "")), nil
}

func (s *Server) publicationVersion(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	v, err := pathVersion(c.r, "version")
	if err != nil {
		return nil, err
	}
	rev, err := s.store.PublishedRevision(c.r.Context(), c.org.ID, p.ID, v)
	if err != nil {
		return nil, err
	}
	if rev.Org != c.org.ID {
		rev.Author = ""
	}
	return ok(RevisionView{Revision: *rev, Content: string(rev.Content)}), nil
}

func (s *Server) publicationDiff(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	q := c.query()
	from, to, fw := q.integer("from", 0, 1<<30), q.integer("to", 0, 1<<30), q.str("framework")
	if q.err != nil {
		return nil, q.err
	}
	if to == 0 {
		to = p.Version
	}
	if from == 0 {
		vs, err := s.store.PublicationVersions(c.r.Context(), c.org.ID, p.ID)
		if err != nil {
			return nil, err
		}
		from = to
		for _, v := range vs { // newest first
			if v.Version < to {
				from = v.Version
				break
			}
		}
	}
	d, err := s.statementDiff(c.r.Context(), c.org.ID, p.ID, from, to, fw)
	if err != nil {
		return nil, err
	}
	return ok(d), nil
}

func (s *Server) subscribers(c *call) (*reply, error) {
	p, err := c.pathPublication()
	if err != nil {
		return nil, err
	}
	if p.Org != c.org.ID {
		return nil, errorf(EForbidden, "only the publisher may list a publication's subscribers")
	}
	subs, err := s.store.Subscribers(c.r.Context(), c.org.ID, p.ID)
	if err != nil {
		return nil, err
	}
	for i := range subs {
		subs[i].CreatedBy = "" // who subscribed is the subscriber's business
	}
	return ok(pageOf(subs, "")), nil
}

// SubscribeRequest subscribes to a publication.
type SubscribeRequest struct {
	Publication demarc.PublicationID `json:"publication"`
}

func subscriptionTag(s *demarc.Subscription) string {
	return valueTag(string(s.ID), strconv.Itoa(s.Acknowledged))
}

func (s *Server) listSubscriptions(c *call) (*reply, error) {
	q := c.query()
	page := q.page()
	if q.err != nil {
		return nil, q.err
	}
	subs, err := s.store.Subscriptions(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	// The store lists every subscription: page here, oldest first as it
	// lists.
	subs, next, err := pageByID(subs, page, "sub", false, func(x demarc.Subscription) string { return string(x.ID) })
	if err != nil {
		return nil, err
	}
	return ok(pageOf(subs, next)), nil
}

func (s *Server) subscribe(c *call) (*reply, error) {
	var req SubscribeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if !validID(string(req.Publication), "pub") {
		return nil, demarc.Errorf(demarc.ENotFound, "publication %q not found", req.Publication)
	}
	sub, err := s.store.Subscribe(c.r.Context(), c.actor, c.org.ID, req.Publication)
	if err != nil {
		return nil, err
	}
	s.views.forget(c.org.ID)
	return created(sub, subscriptionTag(sub), c.r.URL.Path+"/"+string(sub.ID)), nil
}

func (c *call) pathSubscription() (*demarc.Subscription, error) {
	id, err := pathID(c.r, "sub", "sub")
	if err != nil {
		return nil, err
	}
	return c.s.store.Subscription(c.r.Context(), c.org.ID, demarc.SubscriptionID(id))
}

func (s *Server) getSubscription(c *call) (*reply, error) {
	sub, err := c.pathSubscription()
	if err != nil {
		return nil, err
	}
	return tagged(sub, subscriptionTag(sub)), nil
}

// AcknowledgeRequest records that the subscriber reviewed the
// publication up to Version; 0 means the current one.
type AcknowledgeRequest struct {
	Version int `json:"version"`
}

func (s *Server) acknowledge(c *call) (*reply, error) {
	sub, err := c.pathSubscription()
	if err != nil {
		return nil, err
	}
	var req AcknowledgeRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.Version == 0 {
		req.Version = sub.Published
	}
	out, err := s.store.Acknowledge(c.r.Context(), c.actor, c.org.ID, sub.ID, req.Version)
	if err != nil {
		return nil, err
	}
	return tagged(out, subscriptionTag(out)), nil
}

func (s *Server) unsubscribe(c *call) (*reply, error) {
	sub, err := c.pathSubscription()
	if err != nil {
		return nil, err
	}
	if err := matchValue(c.r, subscriptionTag(sub)); err != nil {
		return nil, err
	}
	if err := s.store.Unsubscribe(c.r.Context(), c.actor, c.org.ID, sub.ID); err != nil {
		return nil, err
	}
	s.views.forget(c.org.ID)
	return noContent(), nil
}

// subscriptionChanges is the news of a subscription: what moved between
// the version the subscriber acknowledged and the one now published.
func (s *Server) subscriptionChanges(c *call) (*reply, error) {
	sub, err := c.pathSubscription()
	if err != nil {
		return nil, err
	}
	fw := c.query().str("framework")
	if err := c.query().err; err != nil {
		return nil, err
	}
	d, err := s.statementDiff(c.r.Context(), c.org.ID, sub.Publication, sub.Acknowledged, sub.Published, fw)
	if err != nil {
		return nil, err
	}
	return ok(d), nil
}

// SignoffRequest asks the parties to sign the system's current matrix
// for a framework off.
type SignoffRequest struct {
	// Framework defaults to the system's first, else nist-800-53-r5.
	Framework string `json:"framework,omitempty"`
}

// SignoffView is a sign-off and where it stands.
type SignoffView struct {
	demarc.Signoff
	State demarc.SignoffState `json:"state"`
}

func signoffView(so *demarc.Signoff) SignoffView { return SignoffView{Signoff: *so, State: so.State()} }

func (s *Server) requestSignoff(c *call) (*reply, error) {
	var req SignoffRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	sv, err := s.views.systemAt(ctx, c.org.ID, doc, doc.Version)
	if err != nil {
		return nil, err
	}
	fw, err := sv.framework(req.Framework)
	if err != nil {
		return nil, demarc.Errorf(demarc.EInvalid, "framework: %q is not a framework of the library (see /library/frameworks)", req.Framework)
	}
	var matrix bytes.Buffer
	if err := render.Matrix(&matrix, sv.res.Matrix(fw), render.JSON, render.Options{}); err != nil {
		return nil, err
	}
	in := demarc.SignoffInput{System: demarc.DocumentRef{ID: doc.ID, Version: sv.rev.Version}, Framework: fw.ID, Matrix: matrix.Bytes()}
	in.Documents, in.Publications = sv.basisUsed()
	so, err := s.store.RequestSignoff(ctx, c.actor, c.org.ID, in)
	if err != nil {
		return nil, err
	}
	return created(signoffView(so), "", fmt.Sprintf("/api/v1/orgs/%s/signoffs/%s", c.r.PathValue("org"), so.ID)), nil
}

// basisUsed lists the documents and publications besides the system that
// its matrix was computed from: the attestation registers it names and
// the statements of the providers of the services it uses.
func (sv *systemView) basisUsed() ([]demarc.DocumentRef, []demarc.PublicationRef) {
	docs := append([]demarc.DocumentRef{}, sv.registers...)
	var pubs []demarc.PublicationRef
	seen := map[string]bool{}
	for _, comp := range sv.sys.Components {
		providers := []demarc.ProviderID{comp.Provider}
		if svc := sv.basis.lib.Service(comp.Service); svc != nil {
			providers = append(providers, svc.Provider)
		}
		for _, p := range providers {
			src, ok := sv.basis.providers[p]
			switch {
			case !ok:
			case src.Document != nil && !seen[string(src.Document.ID)]:
				seen[string(src.Document.ID)] = true
				docs = append(docs, *src.Document)
			case src.Publication != nil && !seen[string(src.Publication.ID)]:
				seen[string(src.Publication.ID)] = true
				pubs = append(pubs, *src.Publication)
			}
		}
	}
	return docs, pubs
}

func (s *Server) listSignoffs(c *call) (*reply, error) {
	q := c.query()
	f := demarc.SignoffFilter{System: demarc.DocumentID(q.str("system")), Page: q.page()}
	if q.err != nil {
		return nil, q.err
	}
	sos, next, err := s.store.Signoffs(c.r.Context(), c.org.ID, f)
	if err != nil {
		return nil, err
	}
	views := make([]SignoffView, len(sos))
	for i := range sos {
		views[i] = signoffView(&sos[i])
	}
	return ok(pageOf(views, next)), nil
}

func (c *call) pathSignoff() (demarc.SignoffID, error) {
	id, err := pathID(c.r, "signoff", "so")
	return demarc.SignoffID(id), err
}

func (s *Server) getSignoff(c *call) (*reply, error) {
	id, err := c.pathSignoff()
	if err != nil {
		return nil, err
	}
	so, err := s.store.Signoff(c.r.Context(), c.org.ID, id)
	if err != nil {
		return nil, err
	}
	return ok(signoffView(so)), nil
}

func (s *Server) signoffMatrix(c *call) (*reply, error) {
	id, err := c.pathSignoff()
	if err != nil {
		return nil, err
	}
	m, err := s.store.SignoffMatrix(c.r.Context(), c.org.ID, id)
	if err != nil {
		return nil, err
	}
	return raw(m, "application/json"), nil
}

// SignRequest signs a sign-off. MatrixHash must be the hash of the
// matrix the signer reviewed (the sign-off's matrix_hash).
type SignRequest struct {
	MatrixHash demarc.ContentHash `json:"matrix_hash"`
}

func (s *Server) sign(c *call) (*reply, error) {
	id, err := c.pathSignoff()
	if err != nil {
		return nil, err
	}
	var req SignRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if req.MatrixHash == "" {
		return nil, demarc.Errorf(demarc.EInvalid, "matrix_hash is required: the hash of the matrix you reviewed")
	}
	so, err := s.store.Sign(c.r.Context(), c.actor, c.org.ID, id, req.MatrixHash)
	if err != nil {
		return nil, err
	}
	return ok(signoffView(so)), nil
}

func (s *Server) events(c *call) (*reply, error) {
	q := c.query()
	f := demarc.EventFilter{After: int64(q.integer("after", 0, 1<<62)), Limit: q.integer("limit", 0, demarc.MaxPageSize),
		Action: demarc.Action(q.str("action")), Object: q.str("object")}
	if q.err != nil {
		return nil, q.err
	}
	evs, err := s.store.Events(c.r.Context(), c.org.ID, f)
	if err != nil {
		return nil, err
	}
	next := ""
	limit := f.Limit
	if limit == 0 {
		limit = demarc.DefaultPageSize
	}
	if len(evs) == limit {
		next = strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	return ok(pageOf(evs, next)), nil
}

// Verification is the outcome of checking an organisation's audit chain.
type Verification struct {
	demarc.AuditReport
	OK bool `json:"ok"`
}

func (s *Server) verify(c *call) (*reply, error) {
	r, err := s.store.Verify(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	return ok(Verification{AuditReport: *r, OK: r.OK()}), nil
}
