package server

import (
	"context"
	"time"

	"github.com/demarc-io/demarc"
)

// Me is who the caller is and which organisations it may act for.
type Me struct {
	// Via is how the caller authenticated: token, session or local.
	Via     string `json:"via"`
	Subject string `json:"subject,omitempty"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	// CSRFToken must accompany every change made with the session cookie,
	// in the X-CSRF-Token header.
	CSRFToken   string        `json:"csrf_token,omitempty"`
	Token       *demarc.Token `json:"token,omitempty"`
	Memberships []Membership  `json:"memberships"`
}

// Membership is an organisation and the caller's member record in it.
type Membership struct {
	Org    demarc.Org    `json:"org"`
	Member demarc.Member `json:"member"`
}

func (s *Server) me(c *call) (*reply, error) {
	ctx := c.r.Context()
	id := c.id
	me := Me{Via: id.via, Memberships: []Membership{}}
	var members []demarc.Member
	switch id.via {
	case viaToken:
		me.Token, me.Email, me.Name = id.token, id.member.Email, id.member.Name
		members = []demarc.Member{*id.member}
	case viaSession:
		me.Subject, me.Email, me.Name, me.CSRFToken = id.session.Subject, id.session.Email, id.session.Name, id.session.CSRF
		var err error
		if members, err = s.store.MembershipsBySubject(ctx, id.session.Subject); err != nil {
			return nil, err
		}
	case viaLocal:
		var err error
		if members, err = s.localMembers(ctx); err != nil {
			return nil, err
		}
	}
	for _, m := range members {
		o, err := s.store.Org(ctx, m.Org)
		if err != nil {
			return nil, err
		}
		me.Memberships = append(me.Memberships, Membership{Org: *o, Member: m})
	}
	return ok(me), nil
}

// localMembers is the first owner of every organisation: who the user of
// a --local server is.
func (s *Server) localMembers(ctx context.Context) ([]demarc.Member, error) {
	if s.cfg.Orgs == nil {
		return nil, nil
	}
	orgs, err := s.cfg.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	var out []demarc.Member
	for _, o := range orgs {
		m, err := s.firstOwner(ctx, o)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, nil
}

// OrgRequest creates an organisation.
type OrgRequest struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Owner is the first owner. Signed-in callers and token callers
	// become the owner themselves and may leave it out.
	Owner *demarc.MemberInput `json:"owner,omitempty"`
}

// OrgCreated is a new organisation, its owner, and — when a token made
// it — a token for the new owner, shown this once.
type OrgCreated struct {
	Org   demarc.Org    `json:"org"`
	Owner demarc.Member `json:"owner"`
	Token *NewToken     `json:"token,omitempty"`
}

func (s *Server) createOrg(c *call) (*reply, error) {
	var req OrgRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	owner := demarc.MemberInput{Role: demarc.RoleOwner}
	switch c.id.via {
	case viaToken:
		m := c.id.member
		owner.Email, owner.Name, owner.Subject = m.Email, m.Name, m.Subject
	case viaSession:
		sess := c.id.session
		owner.Email, owner.Name, owner.Subject = sess.Email, sess.Name, sess.Subject
		if owner.Name == "" {
			owner.Name = sess.Email
		}
	}
	if req.Owner != nil {
		if c.id.via != viaLocal {
			return nil, errorf(EBadRequest, "owner: you become the owner of the organisations you create; leave owner out")
		}
		owner = *req.Owner
		owner.Role = demarc.RoleOwner
	}
	switch {
	case owner.Email == "" && c.id.via == viaLocal:
		return nil, errorf(EBadRequest, "owner: the first owner needs an e-mail address; give owner.email")
	case owner.Email == "":
		return nil, demarc.Errorf(demarc.EInvalid, "your sign-in carries no e-mail address, which the owner needs; have the identity provider release the email claim")
	}
	ctx := c.r.Context()
	in := demarc.OrgInput{Slug: req.Slug, Name: req.Name}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	org, m, err := s.store.CreateOrg(ctx, demarc.Actor{}, in, owner)
	if err != nil {
		return nil, err
	}
	out := OrgCreated{Org: *org, Owner: *m}
	if c.id.via == viaToken {
		tok, err := s.issueToken(ctx, demarc.Actor{Member: m.ID}, org.ID, m.ID, "created with "+string(c.id.token.ID), time.Time{})
		if err != nil {
			return nil, err
		}
		out.Token = tok
	}
	return created(out, versionTag(org.Version), "/api/v1/orgs/"+org.Slug), nil
}

func (s *Server) getOrg(c *call) (*reply, error) {
	return tagged(c.org, versionTag(c.org.Version)), nil
}

// OrgPatch changes an organisation; absent fields keep their value.
type OrgPatch struct {
	Slug *string `json:"slug,omitempty"`
	Name *string `json:"name,omitempty"`
}

func (s *Server) updateOrg(c *call) (*reply, error) {
	version, err := matchVersion(c.r)
	if err != nil {
		return nil, err
	}
	var p OrgPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	in := demarc.OrgInput{Slug: c.org.Slug, Name: c.org.Name}
	if p.Slug != nil {
		in.Slug = *p.Slug
	}
	if p.Name != nil {
		in.Name = *p.Name
	}
	org, err := s.store.UpdateOrg(c.r.Context(), c.actor, c.org.ID, version, in)
	if err != nil {
		return nil, err
	}
	s.views.forget("")
	return tagged(org, versionTag(org.Version)), nil
}

func (s *Server) listMembers(c *call) (*reply, error) {
	q := c.query()
	page := q.page()
	if q.err != nil {
		return nil, q.err
	}
	ms, next, err := s.store.Members(c.r.Context(), c.org.ID, page)
	if err != nil {
		return nil, err
	}
	return ok(pageOf(ms, next)), nil
}

// pathMember returns the member the path's {member} names.
func (c *call) pathMember() (*demarc.Member, error) {
	id, err := pathID(c.r, "member", "mem")
	if err != nil {
		return nil, err
	}
	return c.s.store.Member(c.r.Context(), c.org.ID, demarc.MemberID(id))
}

func (s *Server) getMember(c *call) (*reply, error) {
	m, err := c.pathMember()
	if err != nil {
		return nil, err
	}
	return tagged(m, versionTag(m.Version)), nil
}

// mayManage checks the rule above the role table: only an owner may make
// an owner or change or remove one.
func (c *call) mayManage(target *demarc.Member, newRole demarc.Role) error {
	if c.role() == demarc.RoleOwner {
		return nil
	}
	if target != nil && target.Role == demarc.RoleOwner || newRole == demarc.RoleOwner {
		return errorf(EForbidden, "only an owner may make an owner, or change or remove one")
	}
	return nil
}

func (s *Server) addMember(c *call) (*reply, error) {
	var in demarc.MemberInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := c.mayManage(nil, in.Role); err != nil {
		return nil, err
	}
	m, err := s.store.AddMember(c.r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		return nil, err
	}
	return created(m, versionTag(m.Version), c.r.URL.Path+"/"+string(m.ID)), nil
}

// MemberPatch changes a member; absent fields keep their value.
type MemberPatch struct {
	Email   *string      `json:"email,omitempty"`
	Name    *string      `json:"name,omitempty"`
	Subject *string      `json:"subject,omitempty"`
	Role    *demarc.Role `json:"role,omitempty"`
}

func (s *Server) updateMember(c *call) (*reply, error) {
	m, err := c.pathMember()
	if err != nil {
		return nil, err
	}
	version, err := matchVersion(c.r)
	if err != nil {
		return nil, err
	}
	var p MemberPatch
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	in := demarc.MemberInput{Email: m.Email, Name: m.Name, Subject: m.Subject, Role: m.Role}
	if p.Email != nil {
		in.Email = *p.Email
	}
	if p.Name != nil {
		in.Name = *p.Name
	}
	if p.Subject != nil {
		in.Subject = *p.Subject
	}
	if p.Role != nil {
		in.Role = *p.Role
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := c.mayManage(m, in.Role); err != nil {
		return nil, err
	}
	out, err := s.store.UpdateMember(c.r.Context(), c.actor, c.org.ID, m.ID, version, in)
	if err != nil {
		return nil, err
	}
	s.auth.forget(c.org.ID)
	return tagged(out, versionTag(out.Version)), nil
}

func (s *Server) removeMember(c *call) (*reply, error) {
	m, err := c.pathMember()
	if err != nil {
		return nil, err
	}
	version, err := matchVersion(c.r)
	if err != nil {
		return nil, err
	}
	if err := c.mayManage(m, ""); err != nil {
		return nil, err
	}
	if err := s.store.RemoveMember(c.r.Context(), c.actor, c.org.ID, m.ID, version); err != nil {
		return nil, err
	}
	s.auth.forget(c.org.ID)
	return noContent(), nil
}

// TokenRequest makes an API token.
type TokenRequest struct {
	Name string `json:"name"`
	// Member is whose token it is; empty means the caller's own. Only
	// admins and owners make tokens for others, and only owners for
	// owners.
	Member demarc.MemberID `json:"member,omitempty"`
	// Expires is when the token stops working; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// NewToken is a token as made: the secret is shown this once and never
// again, anywhere.
type NewToken struct {
	demarc.Token
	Secret string `json:"secret"`
}

func tokenTag(t *demarc.Token) string {
	return valueTag(string(t.ID), t.Revoked.UTC().Format(time.RFC3339Nano))
}

// isAdmin reports whether the caller manages the organisation.
func (c *call) isAdmin() bool { return hasRole(admins, c.role()) }

func (s *Server) listTokens(c *call) (*reply, error) {
	q := c.query()
	member := demarc.MemberID(q.str("member"))
	page := q.page()
	if q.err != nil {
		return nil, q.err
	}
	if !c.isAdmin() {
		if member != "" && member != c.member.ID {
			return nil, errorf(EForbidden, "only admins and owners may list other members' tokens")
		}
		member = c.member.ID
	}
	toks, err := s.store.Tokens(c.r.Context(), c.org.ID, member)
	if err != nil {
		return nil, err
	}
	// The store lists every token: page here, newest first as it lists.
	toks, next, err := pageByID(toks, page, "tok", true, func(t demarc.Token) string { return string(t.ID) })
	if err != nil {
		return nil, err
	}
	return ok(pageOf(toks, next)), nil
}

func (s *Server) createToken(c *call) (*reply, error) {
	var req TokenRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	if req.Member == "" {
		req.Member = c.member.ID
	}
	if req.Member != c.member.ID {
		if !c.isAdmin() {
			return nil, errorf(EForbidden, "only admins and owners may make tokens for other members")
		}
		m, err := s.store.Member(ctx, c.org.ID, req.Member)
		if err != nil {
			return nil, err
		}
		if err := c.mayManage(m, ""); err != nil {
			return nil, err
		}
	}
	if !req.Expires.IsZero() && !req.Expires.After(s.now()) {
		return nil, demarc.Errorf(demarc.EInvalid, "expires: %s is in the past", req.Expires.Format(time.RFC3339))
	}
	tok, err := s.issueToken(ctx, c.actor, c.org.ID, req.Member, req.Name, req.Expires)
	if err != nil {
		return nil, err
	}
	return created(tok, tokenTag(&tok.Token), c.r.URL.Path+"/"+string(tok.ID)), nil
}

// issueToken makes a secret and stores its hash.
func (s *Server) issueToken(ctx context.Context, by demarc.Actor, org demarc.OrgID, member demarc.MemberID, name string, expires time.Time) (*NewToken, error) {
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		return nil, err
	}
	tok, err := s.store.CreateToken(ctx, by, org, demarc.TokenInput{Member: member, Name: name, Hash: hash, Hint: hint, Expires: expires})
	if err != nil {
		return nil, err
	}
	return &NewToken{Token: *tok, Secret: secret}, nil
}

// pathToken returns the token the path names, which a member who is not
// an admin may see only if it is their own.
func (c *call) pathToken() (*demarc.Token, error) {
	id, err := pathID(c.r, "token", "tok")
	if err != nil {
		return nil, err
	}
	toks, err := c.s.store.Tokens(c.r.Context(), c.org.ID, "")
	if err != nil {
		return nil, err
	}
	for i := range toks {
		if string(toks[i].ID) != id {
			continue
		}
		if toks[i].Member != c.member.ID && !c.isAdmin() {
			return nil, errorf(EForbidden, "only admins and owners may see or revoke other members' tokens")
		}
		return &toks[i], nil
	}
	return nil, demarc.Errorf(demarc.ENotFound, "token %s not found", id)
}

func (s *Server) getToken(c *call) (*reply, error) {
	t, err := c.pathToken()
	if err != nil {
		return nil, err
	}
	return tagged(t, tokenTag(t)), nil
}

func (s *Server) revokeToken(c *call) (*reply, error) {
	t, err := c.pathToken()
	if err != nil {
		return nil, err
	}
	if err := matchValue(c.r, tokenTag(t)); err != nil {
		return nil, err
	}
	if err := s.store.RevokeToken(c.r.Context(), c.actor, c.org.ID, t.ID); err != nil {
		return nil, err
	}
	s.auth.forget(c.org.ID)
	return noContent(), nil
}
