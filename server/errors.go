package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/demarc-io/demarc"
)

// Error codes the server adds to demarc's own (EInvalid, ENotFound,
// EConflict, EInternal) for failures that only HTTP has.
const (
	EBadRequest           = "bad_request"            // the request itself is malformed
	EUnauthorized         = "unauthorized"           // no valid credentials
	EForbidden            = "forbidden"              // the caller's role may not do this
	EPreconditionFailed   = "precondition_failed"    // If-Match names a version that is no longer current
	EPreconditionRequired = "precondition_required"  // an update without If-Match
	ETooLarge             = "too_large"              // the body exceeds the limit
	EUnsupportedMedia     = "unsupported_media_type" // the body is not JSON
	ERateLimited          = "rate_limited"           // too many requests for this token
	EMethodNotAllowed     = "method_not_allowed"     // the path exists, the method does not
	EUnavailable          = "unavailable"            // the store cannot serve requests
)

// statusOf is the one table from error codes to HTTP statuses. A code
// missing from it is a defect and answers 500.
var statusOf = map[string]int{
	demarc.EInvalid:       http.StatusUnprocessableEntity,
	EBadRequest:           http.StatusBadRequest,
	EUnauthorized:         http.StatusUnauthorized,
	EForbidden:            http.StatusForbidden,
	demarc.ENotFound:      http.StatusNotFound,
	EMethodNotAllowed:     http.StatusMethodNotAllowed,
	demarc.EConflict:      http.StatusConflict,
	EPreconditionFailed:   http.StatusPreconditionFailed,
	ETooLarge:             http.StatusRequestEntityTooLarge,
	EUnsupportedMedia:     http.StatusUnsupportedMediaType,
	EPreconditionRequired: http.StatusPreconditionRequired,
	ERateLimited:          http.StatusTooManyRequests,
	demarc.EInternal:      http.StatusInternalServerError,
	EUnavailable:          http.StatusServiceUnavailable,
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a machine code from statusOf's table
// and a message safe to show a user. Problems lists every defect of an
// invalid document, with line and field.
type ErrorDetail struct {
	Code     string           `json:"code"`
	Message  string           `json:"message"`
	Problems []demarc.Problem `json:"problems,omitempty"`
}

// classify returns the code, HTTP status and detail of err. A version
// mismatch, which stores report as a conflict, is a failed precondition:
// the client's copy is stale.
func classify(err error) (int, ErrorDetail) {
	code := demarc.ErrorCode(err)
	if code == demarc.EConflict && errors.Is(err, demarc.ErrVersionMismatch) {
		code = EPreconditionFailed
	}
	status, ok := statusOf[code]
	if !ok {
		code, status = demarc.EInternal, http.StatusInternalServerError
	}
	d := ErrorDetail{Code: code, Message: err.Error()}
	if status == http.StatusInternalServerError {
		d.Message = "internal error; the server log has the details"
	}
	var ps demarc.Problems
	if errors.As(err, &ps) {
		d.Problems = ps
		if len(ps) > 0 {
			d.Message = problemsMessage(ps)
		}
	}
	return status, d
}

// problemsMessage summarises a list of problems in one line.
func problemsMessage(ps demarc.Problems) string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	return ps[0].String() + " (and " + itoa(len(ps)-1) + " more problems; see problems)"
}

// writeError answers with err's status and body. Only internal errors are
// logged: everything else is the client's business and already in the
// access log as a status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, d := classify(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	switch d.Code {
	case EUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="demarc"`)
	case ERateLimited:
		w.Header().Set("Retry-After", "1")
	}
	writeJSONStatus(w, status, ErrorBody{Error: d})
}

// errorf returns a *demarc.Error with a server code.
func errorf(code, format string, args ...any) error {
	return demarc.Errorf(code, format, args...)
}
