package server

import (
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

// logout ends the session.
func (s *Server) logout(c *call) (*reply, error) {
	s.sessions.end(c.w)
	return noContent(), nil
}

// redirect answers 303 See Other.
func redirect(to string) *reply { return &reply{status: http.StatusSeeOther, location: to} }
