package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type ctxKey int

const infoKey ctxKey = 0

// requestInfo is what the access log reports about a request beyond
// the request itself; handlers fill it in.
type requestInfo struct {
	id     string
	caller *caller
}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(infoKey).(*requestInfo)
	if ri == nil {
		return &requestInfo{}
	}
	return ri
}

// requestID returns the id of the request ctx belongs to, or "".
func requestID(ctx context.Context) string { return info(ctx).id }

// newRequestID returns 16 random characters.
func newRequestID() string { return rand.Text()[:16] }

// validRequestID accepts a client's X-Request-Id when it is short and
// plain, so that it can be logged safely.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// outer wraps every request: a request id, security headers, panic
// recovery, metrics and the access log.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		ri := &requestInfo{id: id}
		ctx := context.WithValue(r.Context(), infoKey, ri)
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w}
		s.securityHeaders(rec.Header())
		rec.Header().Set("X-Request-Id", id)
		s.metrics.inFlight.Add(1)
		defer func() {
			s.metrics.inFlight.Add(-1)
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic serving request", slog.String("request_id", id), slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				if rec.status == 0 {
					writeJSONStatus(rec, http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "internal error; the server log has the details"}})
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.observe(pattern, status, elapsed)
			s.accessLog(r, ri, pattern, status, rec.bytes, elapsed)
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) accessLog(r *http.Request, ri *requestInfo, pattern string, status, size int, elapsed time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("request_id", ri.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", pattern),
		slog.Int("status", status),
		slog.Int("bytes", size),
		slog.Float64("ms", float64(elapsed.Microseconds())/1000),
		slog.String("remote", r.RemoteAddr),
	}
	if c := ri.caller; c != nil && c.org != nil {
		attrs = append(attrs, slog.String("org", string(c.org.ID)), slog.String("actor", c.actor.String()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// securityHeaders are sent with every response. The API serves JSON and
// downloads only, so the content security policy allows nothing to run.
func (s *Server) securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, no-cache")
	if s.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}
