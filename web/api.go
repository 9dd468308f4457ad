package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/demarc-io/demarc"
)

// apiError is an error answer of the API, kept whole so that a form can
// show each problem beside its field.
type apiError struct {
	Status   int
	Code     string
	Message  string
	Problems []demarc.Problem
}

func (e *apiError) Error() string { return e.Message }

// answer is a response of the API.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// capture is a ResponseWriter that keeps the response in memory.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(p)
}

// client calls the API for one browser request, with its credentials.
type client struct {
	u     *UI
	ctx   context.Context
	creds credentials
}

// call sends one request to the API. An error answer (4xx, 5xx) is
// returned as *apiError.
func (c *client) call(method, path string, q url.Values, body io.Reader, contentType string, header http.Header) (*answer, error) {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	r, err := http.NewRequestWithContext(c.ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Accept-Encoding", "identity")
	c.creds.apply(r)
	rec := &capture{header: http.Header{}}
	c.u.cfg.API.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	a := &answer{status: rec.status, header: rec.header, body: rec.body.Bytes()}
	if a.status >= 400 {
		return a, decodeError(a)
	}
	return a, nil
}

// decodeError reads the API's {"error": {...}} body.
func decodeError(a *answer) error {
	var b struct {
		Error struct {
			Code     string           `json:"code"`
			Message  string           `json:"message"`
			Problems []demarc.Problem `json:"problems"`
		} `json:"error"`
	}
	e := &apiError{Status: a.status}
	if json.Unmarshal(a.body, &b) == nil && b.Error.Message != "" {
		e.Code, e.Message, e.Problems = b.Error.Code, b.Error.Message, b.Error.Problems
	} else {
		e.Message = fmt.Sprintf("the server answered %d %s", a.status, http.StatusText(a.status))
	}
	return e
}

// get reads a JSON resource into out and returns its ETag.
func (c *client) get(path string, q url.Values, out any) (string, error) {
	a, err := c.call(http.MethodGet, path, q, nil, "", nil)
	if err != nil {
		return "", err
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return a.header.Get("ETag"), nil
}

// send writes in as JSON with method; etag, when set, goes in If-Match.
// The answer is decoded into out when both are present.
func (c *client) send(method, path string, in any, etag string, out any) (*answer, error) {
	var body io.Reader
	ctype := ""
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body, ctype = bytes.NewReader(data), "application/json"
	}
	h := http.Header{}
	if etag != "" {
		h.Set("If-Match", etag)
	}
	a, err := c.call(method, path, nil, body, ctype, h)
	if err != nil {
		return a, err
	}
	if out != nil && len(a.body) > 0 {
		if err := json.Unmarshal(a.body, out); err != nil {
			return a, fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
		}
	}
	return a, nil
}

// orgPath is the API path of an organisation's resource.
func orgPath(org string, parts ...string) string {
	p := "/api/v1/orgs/" + url.PathEscape(org)
	for _, s := range parts {
		p += "/" + strings.TrimPrefix(s, "/")
	}
	return p
}

// escape escapes one path segment.
func escape(s string) string { return url.PathEscape(s) }
