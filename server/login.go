package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
)

// loginTTL bounds how long a browser may take at the identity provider.
const loginTTL = 10 * time.Minute

// login sends the browser to the identity provider. ?return= is the
// local path to come back to; ?org= names the organisation whose
// invitation (a member added by e-mail) the person is accepting.
func (s *Server) login(c *call) (*reply, error) {
	if s.oidc == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "sign-in is not configured on this server (start it with --oidc-issuer)")
	}
	q := c.query()
	st := &loginState{State: randomString(), Nonce: randomString(), Verifier: randomString(),
		Return: safeReturn(q.str("return")), Org: q.str("org"), Expires: s.now().Add(loginTTL)}
	if err := q.err; err != nil {
		return nil, err
	}
	target, err := s.oidc.authURL(c.r.Context(), st)
	if err != nil {
		return nil, &demarc.Error{Code: EUnavailable, Message: "the identity provider cannot be reached", Err: err}
	}
	v, err := s.sessions.seal("login", st)
	if err != nil {
		return nil, err
	}
	http.SetCookie(c.w, &http.Cookie{Name: loginCookie, Value: v, Path: "/auth", HttpOnly: true, Secure: s.sessions.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(loginTTL / time.Second)})
	return redirect(target), nil
}

// safeReturn keeps a return path on this server: a path, never a URL or
// a protocol-relative "//host".
func safeReturn(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

// callback completes a sign-in: it checks that the browser is the one
// that started it (state), trades the code for an ID token, verifies the
// token (signature, issuer, audience, expiry, nonce), links the person to
// the member an administrator invited when this is their first sign-in,
// and starts a session.
func (s *Server) callback(c *call) (*reply, error) {
	if s.oidc == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "sign-in is not configured on this server (start it with --oidc-issuer)")
	}
	q := c.query()
	code, state, idpErr := q.str("code"), q.str("state"), q.str("error")
	if q.err != nil {
		return nil, q.err
	}
	var st loginState
	ck, err := c.r.Cookie(loginCookie)
	if err != nil || !s.sessions.open("login", ck.Value, &st) || !s.now().Before(st.Expires) {
		return nil, errorf(EBadRequest, "this sign-in was not started here or took too long; start again at /auth/login")
	}
	http.SetCookie(c.w, &http.Cookie{Name: loginCookie, Value: "", Path: "/auth", HttpOnly: true, Secure: s.sessions.secure, MaxAge: -1})
	if subtle.ConstantTimeCompare([]byte(state), []byte(st.State)) != 1 {
		return nil, errorf(EBadRequest, "the sign-in state does not match; start again at /auth/login")
	}
	if idpErr != "" {
		return nil, errorf(EUnauthorized, "the identity provider refused the sign-in: %s", idpErr)
	}
	if code == "" {
		return nil, errorf(EBadRequest, "the identity provider sent no code")
	}
	ctx := c.r.Context()
	raw, err := s.oidc.exchange(ctx, code, st.Verifier)
	if err != nil {
		s.metrics.authFailures.Add(1)
		return nil, &demarc.Error{Code: EUnauthorized, Message: "sign-in failed", Err: err}
	}
	claims, err := s.oidc.verify(ctx, raw, st.Nonce)
	if err != nil {
		s.metrics.authFailures.Add(1)
		return nil, &demarc.Error{Code: EUnauthorized, Message: "sign-in failed", Err: err}
	}
	subject := claims.Issuer + "|" + claims.Subject
	if err := s.linkInvitation(c, &st, claims, subject); err != nil {
		return nil, err
	}
	if err := s.sessions.start(c.w, subject, claims.Email, claims.Name); err != nil {
		return nil, err
	}
	return redirect(st.Return), nil
}

// linkInvitation records the person's login subject on the member an
// administrator added with their e-mail address, the first time they sign
// in for that organisation. Only a verified e-mail address links, and
// only to a member no one has linked yet.
func (s *Server) linkInvitation(c *call, st *loginState, claims *idClaims, subject string) error {
	if st.Org == "" || claims.Email == "" || !claims.EmailVerified {
		return nil
	}
	ctx := c.r.Context()
	ms, err := s.store.MembershipsBySubject(ctx, subject)
	if err != nil {
		return err
	}
	org, err := s.lookupOrg(ctx, st.Org)
	if demarc.ErrorCode(err) == demarc.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Org == org.ID {
			return nil
		}
	}
	m, err := s.store.MemberByEmail(ctx, org.ID, claims.Email)
	if demarc.ErrorCode(err) == demarc.ENotFound || err == nil && m.Subject != "" {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.store.UpdateMember(ctx, demarc.Actor{Member: m.ID}, org.ID, m.ID, m.Version,
		demarc.MemberInput{Email: m.Email, Name: m.Name, Subject: subject, Role: m.Role})
	return err
}

// logout signs the caller out: it records the session as ended in the
// store, so that every replica refuses a copy of the cookie at once, then
// clears the cookie. ?everywhere=true ends every session of the person
// instead, on every browser. A live session must send its CSRF token,
// so that another site cannot sign anyone out. When the store cannot
// record the sign-out the answer is 503 and the cookie stays: the person
// must know that they are still signed in. With no live session there is
// nothing to end on the server and the cookie is just cleared; API tokens
// are not sessions, and are revoked through their own route.
func (s *Server) logout(c *call) (*reply, error) {
	q := c.query()
	everywhere := q.boolean("everywhere")
	if q.err != nil {
		return nil, q.err
	}
	ctx := c.r.Context()
	sess, err := s.sessions.read(c.r)
	if err == nil && sess != nil {
		err = s.checkSignedIn(ctx, sess)
	}
	switch {
	case demarc.ErrorCode(err) == EUnavailable:
		return nil, err
	case err != nil || sess == nil:
		s.sessions.end(c.w)
		if everywhere {
			return nil, errorf(EUnauthorized, "signing out everywhere needs a live session: sign in at /auth/login, then sign out everywhere")
		}
		return noContent(), nil
	}
	if err := s.sessions.checkCSRF(c.r, sess); err != nil {
		return nil, err
	}
	if err := s.endSession(ctx, sess, everywhere); err != nil {
		return nil, err
	}
	s.sessions.end(c.w)
	return noContent(), nil
}

// endSession records in the store that sess, or every session of its
// subject, is over, then purges the records of sessions that have expired
// anyway, at most once per purgeInterval on each replica.
func (s *Server) endSession(ctx context.Context, sess *session, everywhere bool) error {
	now := s.now()
	var err error
	if everywhere {
		// The cut-off must fall after the session making the request,
		// even on a clock that has not moved since it was issued.
		before := now
		if !before.After(sess.Issued) {
			before = sess.Issued.Add(time.Microsecond)
		}
		err = s.store.RevokeSubjectSessions(ctx, sess.Subject, before, before.Add(s.sessions.ttl))
	} else {
		err = s.store.RevokeSession(ctx, demarc.SessionID(sess.ID), sess.Expires)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "cannot record a sign-out", "everywhere", everywhere, "error", err.Error())
		return errorf(EUnavailable, "sign-out failed: the server could not record it, so the session is still valid; try again")
	}
	if s.sessions.purgeDue(now) {
		if n, err := s.store.PurgeSessions(ctx, now); err != nil {
			s.log.WarnContext(ctx, "cannot purge expired sign-outs", "error", err.Error())
		} else if n > 0 {
			s.log.InfoContext(ctx, "purged expired sign-outs", "records", n)
		}
	}
	return nil
}

// redirect answers 303 See Other.
func redirect(to string) *reply { return &reply{status: http.StatusSeeOther, location: to} }
