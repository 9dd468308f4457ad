package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// Limits of the HTTP client. Analyses of large systems and workbook
// exports take seconds on the server, so the wait for an answer is long;
// a server that does not accept the connection at all is given up on
// quickly.
const (
	dialTimeout     = 10 * time.Second
	answerTimeout   = 3 * time.Minute
	maxAnswer       = 256 << 20 // the largest answer read
	rateLimitWaits  = 3         // retries after 429 Too Many Requests
	maxRetryAfter   = 10 * time.Second
	maxErrorSnippet = 200 // bytes of a non-JSON error body shown
)

// client talks to a demarc server's HTTP API.
type client struct {
	base  *url.URL // scheme://host[:port][/prefix], no trailing slash
	token string   // "" for a server that needs none (serve --local)
	agent string
	http  *http.Client
	// org is the organisation (slug or id) requests are made in; empty
	// until orgRef finds it.
	org string
}

// remoteError is a failure of a request to the server, with the exit code
// it deserves: exitInvalid for what the user can fix (a 4xx answer),
// exitInternal for a server that fails or cannot be reached.
type remoteError struct {
	msg    string
	exit   int
	status int    // HTTP status; 0 when no answer came
	code   string // the server's error code, if it sent one
	// problems are the defects the server found in a document sent.
	problems []demarc.Problem
}

func (e *remoteError) Error() string { return e.msg }

// newClient checks the server URL and makes a client for it. Plain http is
// refused to any host but this machine unless insecure is set: the token
// would cross the network readable by anyone on the way.
func newClient(rawURL, token string, insecure bool) (*client, error) {
	u, err := parseServerURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		return nil, usageError{fmt.Errorf("refusing plain http to %s: the token would cross the network unencrypted; use https, or --insecure on a network you trust", u.Host)}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = dialTimeout
	tr.ResponseHeaderTimeout = answerTimeout
	return &client{base: u, token: token, agent: "demarc/" + cliVersion(), http: &http.Client{Transport: tr, Timeout: answerTimeout + time.Minute}}, nil
}

// parseServerURL accepts http(s)://host[:port][/prefix] and nothing else:
// credentials in the URL would end up in shell histories and logs.
func parseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		shown := tokenLike.ReplaceAllString(raw, "[token]") // a token pasted in the wrong place
		return nil, usageError{fmt.Errorf("server %q: expected a URL such as https://demarc.example.com", shown)}
	}
	switch {
	case u.User != nil:
		return nil, usageError{errors.New("the server URL must not hold credentials; give the token with demarc login, $DEMARC_TOKEN or --token")}
	case u.RawQuery != "" || u.Fragment != "":
		return nil, usageError{fmt.Errorf("server %s: expected no query or fragment", u.Redacted())}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// serverKey is the form of a server URL two settings are compared in.
func serverKey(raw string) string {
	u, err := parseServerURL(raw)
	if err != nil {
		return strings.TrimSpace(raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host + u.Path)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cliVersion is this build's version for the User-Agent header.
func cliVersion() string {
	return strings.Trim(toolInfo().Version, "()")
}

// String is the server's address, as shown in messages.
func (c *client) String() string { return c.base.String() }

// request is one call to the API.
type request struct {
	method string
	path   string // from the API root, escaped, e.g. /api/v1/me
	query  url.Values
	body   any // encoded as JSON when not nil
	// raw is sent as it is, with Content-Type contentType, when body is
	// nil: a file upload.
	raw         []byte
	contentType string
	// ifMatch is sent as If-Match: the version an update is based on.
	ifMatch string
}

// answer is a successful response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends the request and reads the answer. Any status but 2xx becomes a
// *remoteError; a 429 is retried after the pause the server asks for.
func (c *client) do(ctx context.Context, r request) (*answer, error) {
	payload, contentType := r.raw, r.contentType
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		contentType = "application/json"
	}
	for attempt := 0; ; attempt++ {
		res, err := c.send(ctx, r, payload, contentType)
		if err != nil {
			return nil, err
		}
		if res.status == http.StatusTooManyRequests && attempt < rateLimitWaits {
			if err := sleep(ctx, retryAfter(res.header)); err != nil {
				return nil, err
			}
			continue
		}
		if res.status < 200 || res.status > 299 {
			return nil, c.failure(res)
		}
		return res, nil
	}
}

func (c *client) send(ctx context.Context, r request, payload []byte, contentType string) (*answer, error) {
	// r.path is escaped already, segment by segment.
	target := c.base.String() + r.path
	if q := r.query.Encode(); q != "" {
		target += "?" + q
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("make request: %w", err)
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "application/json, */*")
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s broke off its answer: %v", c, err)}
	}
	if len(data) > maxAnswer {
		return nil, &remoteError{exit: exitInternal, msg: fmt.Sprintf("the answer from %s is larger than %d MB", c, maxAnswer>>20)}
	}
	return &answer{status: res.StatusCode, header: res.Header, body: data}, nil
}

// unreachable explains a request that got no answer. The message names
// the server, never the request's headers.
func (c *client) unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var dns *net.DNSError
	var ue *url.Error
	why := err.Error()
	if errors.As(err, &ue) {
		why = ue.Err.Error()
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused; is 'demarc serve' running there?"
	case errors.As(err, &dns):
		why = "no such host " + dns.Name
	case errors.Is(err, os.ErrDeadlineExceeded) || (ue != nil && ue.Timeout()):
		why = "no answer in time"
	}
	return &remoteError{exit: exitInternal, msg: fmt.Sprintf("cannot reach the server at %s: %s", c, why)}
}

// failure turns an error answer into a message a user can act on.
func (c *client) failure(res *answer) error {
	var eb server.ErrorBody
	msg := ""
	if json.Unmarshal(res.body, &eb) == nil && eb.Error.Message != "" {
		msg = eb.Error.Message
		if len(eb.Error.Problems) > 0 {
			msg = demarc.Problems(eb.Error.Problems).Error()
		}
	} else {
		msg = snippet(res.body)
	}
	e := &remoteError{status: res.status, code: eb.Error.Code, problems: eb.Error.Problems, exit: exitInvalid}
	switch {
	case res.status == http.StatusUnauthorized && c.token == "":
		e.msg = fmt.Sprintf("the server at %s needs a token: run 'demarc login --server %s' and paste one, or set DEMARC_TOKEN", c, c)
	case res.status == http.StatusUnauthorized:
		e.msg = fmt.Sprintf("the token is not valid for the server at %s (mistyped, expired, revoked, or made for another server); run 'demarc login --server %s' with a valid one", c, c)
	case res.status == http.StatusForbidden:
		e.msg = "the server refused: " + msg
	case res.status == http.StatusTooManyRequests:
		e.exit, e.msg = exitInternal, fmt.Sprintf("the server at %s is rate-limiting this token; try again shortly", c)
	case res.status >= 500:
		e.exit, e.msg = exitInternal, fmt.Sprintf("the server at %s failed (HTTP %d): %s", c, res.status, msg)
	default:
		e.msg = msg
	}
	e.msg = c.scrub(e.msg)
	return e
}

// scrub removes the token from a message, should a server ever echo it.
func (c *client) scrub(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[token]")
}

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxErrorSnippet {
		s = s[:maxErrorSnippet] + "…"
	}
	if s == "" {
		return "no details"
	}
	return s
}

func retryAfter(h http.Header) time.Duration {
	d := time.Second
	if n, err := strconv.Atoi(h.Get("Retry-After")); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	}
	return min(d, maxRetryAfter)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get reads a path and returns the answer's body.
func (c *client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q})
	if err != nil {
		return nil, err
	}
	return res.body, nil
}

// getJSON reads a path and decodes its JSON answer into v.
func (c *client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	body, err := c.get(ctx, path, q)
	if err != nil {
		return err
	}
	return c.decode(body, v)
}

func (c *client) decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s answered with something that is not the JSON expected: %v", c, err)}
	}
	return nil
}

// me says who the token belongs to and in which organisations.
func (c *client) me(ctx context.Context) (*server.Me, error) {
	var me server.Me
	if err := c.getJSON(ctx, "/api/v1/me", nil, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// orgRef returns the organisation requests are made in: the one
// configured, else the only one the caller belongs to.
func (c *client) orgRef(ctx context.Context) (string, error) {
	if c.org != "" {
		return c.org, nil
	}
	me, err := c.me(ctx)
	if err != nil {
		return "", err
	}
	org, err := onlyOrg(me, c)
	if err != nil {
		return "", err
	}
	c.org = org.Slug
	return c.org, nil
}

// onlyOrg is the caller's one organisation; several or none is an error
// that says how to choose.
func onlyOrg(me *server.Me, c *client) (*demarc.Org, error) {
	switch len(me.Memberships) {
	case 1:
		return &me.Memberships[0].Org, nil
	case 0:
		return nil, &remoteError{exit: exitInvalid, msg: fmt.Sprintf("the caller belongs to no organisation on %s", c)}
	}
	var slugs []string
	for _, m := range me.Memberships {
		slugs = append(slugs, m.Org.Slug)
	}
	return nil, usageError{fmt.Errorf("the server at %s lists several organisations (%s); choose one with --org, $DEMARC_ORG or org: in the config file", c, strings.Join(slugs, ", "))}
}

// orgPath is the API path of the organisation, plus rest.
func (c *client) orgPath(ctx context.Context, rest string) (string, error) {
	org, err := c.orgRef(ctx)
	if err != nil {
		return "", err
	}
	return "/api/v1/orgs/" + url.PathEscape(org) + rest, nil
}
