package server

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/demarc-io/demarc"
)

// route is one operation of the API. The table of routes drives the
// router, the access checks and the OpenAPI document.
type route struct {
	method string
	path   string // a ServeMux pattern path: /api/v1/orgs/{org}/…
	id     string // OpenAPI operationId
	tag    string
	sum    string // one-line summary
	doc    string // longer description, optional

	// roles may call the route as members of the organisation in the
	// path. public routes need no credentials; identified ones need any
	// valid credentials but no organisation.
	roles      []demarc.Role
	public     bool
	identified bool

	params []param // query parameters, checked and documented
	body   any     // request body type (JSON), nil for none
	// upload lists the media types of a body that is a file, or files,
	// rather than JSON; the handler reads and checks it itself. parts
	// name the files of a multipart/form-data upload.
	upload []string
	parts  []param
	// lateWrite makes the handler take its turn to write (writeTurn)
	// only around its store writes, so that reading an upload and
	// computing on it do not hold up other writers.
	lateWrite bool
	// bodyLimit overrides the server's MaxBody for this route.
	bodyLimit int64
	ifMatch   bool // update or delete: If-Match required
	status    int  // success status; 0 means 200
	resp      any  // response body type, nil for none
	// media lists other content types the route can answer with, by
	// query parameter value (e.g. format=csv → text/csv).
	media []string

	handle func(*call) (*reply, error)
}

// param is a query parameter.
type param struct {
	name string
	doc  string
	typ  string   // "string" (default), "integer", "boolean", "date"
	enum []string // allowed values, if fixed
}

// call is one request being answered.
type call struct {
	s  *Server
	rt *route
	w  http.ResponseWriter
	r  *http.Request
	*caller
	q    *query
	body []byte // the request body, once read
}

// query returns the request's query parameters, checked against the
// route's list.
func (c *call) query() *query {
	if c.q == nil {
		names := make([]string, len(c.rt.params))
		for i, p := range c.rt.params {
			names[i] = p.name
		}
		c.q = newQuery(c.r, names...)
	}
	return c.q
}

// readBody reads the whole request body, up to the route's limit.
func (c *call) readBody() error {
	if c.body != nil {
		return nil
	}
	data, err := io.ReadAll(c.r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(ETooLarge, "the request body is larger than %d bytes", tooBig.Limit)
		}
		return errorf(EBadRequest, "cannot read the request body: %v", err)
	}
	c.body = data
	return nil
}

// decode reads the JSON body into dst: one JSON object of dst's shape
// with no unknown fields. Every failure is a 4xx error that says where
// the body went wrong: 415 for a body that is not JSON, 413 for one over
// the limit, 400 otherwise.
func (c *call) decode(dst any) error {
	if err := requireJSON(c.r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if err := c.readBody(); err != nil {
		return err
	}
	return decodeBody(c.body, dst)
}

// endpoint wraps a route's handler with authentication, the tenant and
// role checks, rate limiting and the body limit.
func (s *Server) endpoint(rt *route) http.Handler {
	limit := rt.bodyLimit
	if limit == 0 {
		limit = s.cfg.MaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		c := &call{s: s, rt: rt, w: w, r: r}
		rp, err := s.serve(c)
		if err != nil {
			s.writeError(w, c.r, err)
			return
		}
		if rt.status != 0 && rp.status == http.StatusOK {
			rp.status = rt.status
		}
		rp.write(w, c.r)
	})
}

func (s *Server) serve(c *call) (*reply, error) {
	rt := c.rt
	if rt.public {
		return rt.handle(c)
	}
	id, err := s.identify(c.r)
	if err == nil && id == nil {
		err = errorf(EUnauthorized, "authentication required: send Authorization: Bearer <token>, or sign in at /auth/login")
	}
	if err != nil {
		if demarc.ErrorCode(err) == EUnauthorized {
			s.metrics.authFailures.Add(1)
			if !s.failures.allow(clientIP(c.r)) {
				s.metrics.rateLimited.Add(1)
				return nil, errorf(ERateLimited, "too many requests with bad credentials from this address; wait a moment")
			}
		}
		return nil, err
	}
	if !s.limits.allow(id.key()) {
		s.metrics.rateLimited.Add(1)
		return nil, errorf(ERateLimited, "rate limit exceeded (%g requests per second, bursts of %d); wait a moment", s.cfg.RateLimit.PerSecond, s.cfg.RateLimit.Burst)
	}
	c.caller = &caller{id: id}
	if !rt.identified {
		ref := c.r.PathValue("org")
		org, err := s.views.org(c.r.Context(), ref)
		if err != nil {
			return nil, err
		}
		if c.caller, err = s.actFor(c.r.Context(), id, org, ref); err != nil {
			return nil, err
		}
		if !hasRole(rt.roles, c.role()) {
			return nil, errorf(EForbidden, "a member with role %s may not %s; this needs one of: %s", c.role(), strings.ToLower(rt.sum), roleList(rt.roles))
		}
	}
	info(c.r.Context()).caller = c.caller
	if s.writes != nil && unsafeMethod(c.r.Method) && !rt.lateWrite {
		// Read the body before queueing, so that a slow client holds
		// up no one else's change.
		if err := c.readBody(); err != nil {
			return nil, err
		}
		done, err := c.writeTurn()
		if err != nil {
			return nil, err
		}
		defer done()
	}
	return rt.handle(c)
}

// writeTurn waits for the request's turn to change the store, when the
// server bounds concurrent writers, and returns the function that ends
// the turn.
func (c *call) writeTurn() (func(), error) {
	if c.s.writes == nil {
		return func() {}, nil
	}
	select {
	case c.s.writes <- struct{}{}:
		return func() { <-c.s.writes }, nil
	case <-c.r.Context().Done():
		return nil, errorf(EUnavailable, "the request was cancelled while waiting to write")
	}
}

func roleList(roles []demarc.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
