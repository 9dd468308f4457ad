package server

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/demarc-io/demarc"
)

// How a caller proved who it is.
const (
	viaToken   = "token"
	viaSession = "session"
	viaLocal   = "local"
)

// identity is who is calling, before the organisation of the request is
// known: a member through an API token (bound to one organisation), a
// person signed in through OIDC (a member of any number), or the single
// user of a --local server.
type identity struct {
	via     string
	token   *demarc.Token
	member  *demarc.Member // token's member
	session *session
}

// key names the identity for rate limiting.
func (id *identity) key() string {
	switch id.via {
	case viaToken:
		return "token:" + string(id.token.ID)
	case viaSession:
		return "subject:" + id.session.Subject
	}
	return "local"
}

// caller is an identity acting for one organisation with one role.
type caller struct {
	id     *identity
	org    *demarc.Org
	member *demarc.Member
	actor  demarc.Actor
}

func (c *caller) role() demarc.Role { return c.member.Role }

// Role sets, for the route table.
var (
	readers  = []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin, demarc.RoleEditor, demarc.RoleViewer, demarc.RoleAuditor}
	editors  = []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin, demarc.RoleEditor}
	admins   = []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin}
	owners   = []demarc.Role{demarc.RoleOwner}
	auditors = []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin, demarc.RoleAuditor}
	// signers may sign a matrix off for their organisation.
	signers = []demarc.Role{demarc.RoleOwner, demarc.RoleAdmin}
)

func hasRole(roles []demarc.Role, r demarc.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// authCache remembers authenticated tokens for a short while, so that the
// hot path does not read the store on every request. Any change in an
// organisation (a revoked token, a removed member, a new role) drops its
// entries at once, on every replica, through the store's change feed; the
// time limit only bounds how long an expired token could live on.
type authCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[demarc.TokenHash]authEntry
	touched map[demarc.TokenID]time.Time
	gen     map[demarc.OrgID]uint64
	epoch   uint64
}

type authEntry struct {
	token  demarc.Token
	member demarc.Member
	at     time.Time
}

func newAuthCache(ttl time.Duration) *authCache {
	return &authCache{ttl: ttl, entries: map[demarc.TokenHash]authEntry{}, touched: map[demarc.TokenID]time.Time{}, gen: map[demarc.OrgID]uint64{}}
}

func (a *authCache) get(h demarc.TokenHash, now time.Time) (authEntry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[h]
	if !ok || now.Sub(e.at) > a.ttl {
		return authEntry{}, false
	}
	return e, true
}

// stamp returns the generation to hand back to put: a fill started before
// a change must not be stored after it.
func (a *authCache) stamp() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.epoch
}

func (a *authCache) put(h demarc.TokenHash, e authEntry, stamp uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stamp != a.epoch {
		return
	}
	if len(a.entries) > 10000 {
		clear(a.entries)
	}
	a.entries[h] = e
}

// forget drops the entries of org, or every entry when org is empty.
func (a *authCache) forget(org demarc.OrgID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.epoch++
	for h, e := range a.entries {
		if org == "" || e.token.Org == org {
			delete(a.entries, h)
		}
	}
}

// touch reports whether the token's last use should be written now: at
// most once a minute per token.
func (a *authCache) touch(id demarc.TokenID, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.touched[id]) < time.Minute {
		return false
	}
	if len(a.touched) > 10000 {
		clear(a.touched)
	}
	a.touched[id] = now
	return true
}

// identify finds who is calling. It returns nil, nil when the request
// carries no credentials.
func (s *Server) identify(r *http.Request) (*identity, error) {
	if s.cfg.Local {
		return &identity{via: viaLocal}, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		return s.tokenIdentity(r.Context(), h)
	}
	sess, err := s.sessions.read(r)
	if err != nil || sess == nil {
		return nil, err
	}
	if err := s.checkSignedIn(r.Context(), sess); err != nil {
		return nil, err
	}
	if unsafeMethod(r.Method) {
		if err := s.sessions.checkCSRF(r, sess); err != nil {
			return nil, err
		}
	}
	return &identity{via: viaSession, session: sess}, nil
}

// checkSignedIn refuses a session that was signed out, on this replica
// or any other. It asks the store on every request rather than caching
// the answer: a sign-out writes no audit event, so the change feed would
// not tell other replicas, and the look-up is one indexed query beside
// the memberships look-up the request makes anyway.
func (s *Server) checkSignedIn(ctx context.Context, sess *session) error {
	revoked, err := s.store.SessionRevoked(ctx, demarc.SessionID(sess.ID), sess.Subject, sess.Issued)
	if demarc.ErrorCode(err) == demarc.EInvalid {
		// A subject the store cannot record could never be signed out.
		return errorf(EUnauthorized, "this session cannot be checked (%v); sign in again at /auth/login", err)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "cannot check whether a session was signed out", "error", err.Error())
		return errorf(EUnavailable, "cannot check whether this session was signed out: the store does not answer; try again")
	}
	if revoked {
		return errorf(EUnauthorized, "this session was signed out; sign in again at /auth/login")
	}
	return nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// tokenIdentity authenticates an "Authorization: Bearer dmc_…" header.
func (s *Server) tokenIdentity(ctx context.Context, header string) (*identity, error) {
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return nil, errorf(EUnauthorized, "the Authorization header must be \"Bearer <token>\"")
	}
	if !strings.HasPrefix(secret, demarc.TokenPrefix) || len(secret) > 200 {
		return nil, errorf(EUnauthorized, "the token is not valid")
	}
	hash := demarc.HashToken(secret)
	now := s.now()
	e, ok := s.auth.get(hash, now)
	if !ok {
		stamp := s.auth.stamp()
		tok, member, err := s.store.Authenticate(ctx, hash)
		switch {
		case demarc.ErrorCode(err) == demarc.ENotFound:
			return nil, errorf(EUnauthorized, "the token is not valid: unknown, revoked or expired")
		case err != nil:
			return nil, err
		}
		e = authEntry{token: *tok, member: *member, at: now}
		s.auth.put(hash, e, stamp)
	}
	if !e.token.Live(now) {
		return nil, errorf(EUnauthorized, "the token is not valid: unknown, revoked or expired")
	}
	if s.auth.touch(e.token.ID, now) {
		if err := s.store.TouchToken(ctx, e.token.Org, e.token.ID, now); err != nil {
			s.log.WarnContext(ctx, "cannot record token use", "token", e.token.ID, "error", err.Error())
		}
	}
	return &identity{via: viaToken, token: &e.token, member: &e.member}, nil
}

// actFor resolves the identity's membership of org. An organisation the
// identity does not belong to is reported exactly like one that does not
// exist, so that ids reveal nothing across tenants.
func (s *Server) actFor(ctx context.Context, id *identity, org *demarc.Org, ref string) (*caller, error) {
	notFound := demarc.Errorf(demarc.ENotFound, "organisation %s not found", ref)
	switch id.via {
	case viaToken:
		if id.token.Org != org.ID {
			return nil, notFound
		}
		return &caller{id: id, org: org, member: id.member, actor: demarc.Actor{Member: id.member.ID, Token: id.token.ID}}, nil
	case viaSession:
		ms, err := s.memberships(ctx, id.session.Subject)
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if ms[i].Org == org.ID {
				return &caller{id: id, org: org, member: &ms[i], actor: demarc.Actor{Member: ms[i].ID}}, nil
			}
		}
		return nil, notFound
	}
	owner, err := s.firstOwner(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	return &caller{id: id, org: org, member: owner, actor: demarc.Actor{Member: owner.ID}}, nil
}

// memberships lists the memberships of a signed-in subject.
func (s *Server) memberships(ctx context.Context, subject string) ([]demarc.Member, error) {
	return s.store.MembershipsBySubject(ctx, subject)
}

// firstOwner is the member a --local server acts as: the organisation's
// first owner.
func (s *Server) firstOwner(ctx context.Context, org demarc.OrgID) (*demarc.Member, error) {
	page := demarc.Page{Limit: demarc.MaxPageSize}
	for {
		ms, next, err := s.store.Members(ctx, org, page)
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if ms[i].Role == demarc.RoleOwner {
				return &ms[i], nil
			}
		}
		if next == "" {
			return nil, demarc.Errorf(demarc.EInternal, "organisation %s has no owner", org)
		}
		page.After = next
	}
}

// clientIP is the address a request came from, for limiting failed
// sign-ins. Proxies' headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// lookupOrg finds the organisation a path names, by id ("org_…") or by
// slug.
func (s *Server) lookupOrg(ctx context.Context, ref string) (*demarc.Org, error) {
	if strings.HasPrefix(ref, "org_") {
		if !validID(ref, "org") {
			return nil, demarc.Errorf(demarc.ENotFound, "organisation %s not found", ref)
		}
		return s.store.Org(ctx, demarc.OrgID(ref))
	}
	if demarc.ValidSlug(ref) != nil {
		return nil, demarc.Errorf(demarc.ENotFound, "organisation %q not found", ref)
	}
	return s.store.OrgBySlug(ctx, ref)
}
