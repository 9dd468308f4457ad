package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
)

// writeJSONStatus writes v as the JSON body with status. Encoding cannot
// fail for the server's own types; if it does, the client gets a 500.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error; the server log has the details"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) // a failed write means the client has gone
}

// marshal encodes v as compact JSON with a final newline, leaving <, >
// and & as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reply is what a handler answers: a value to encode as JSON, or bytes of
// a given content type, with a status and the representation's ETag.
type reply struct {
	status      int
	value       any
	body        []byte
	contentType string
	etag        string
	location    string
	filename    string // Content-Disposition attachment name
	noETag      bool   // a live reading, such as metrics
	// gz is body compressed with gzip, made once for cached answers and
	// sent to clients that accept it.
	gz []byte
}

// ok answers 200 with v, tagged by the hash of its encoding.
func ok(v any) *reply { return &reply{status: http.StatusOK, value: v} }

// tagged answers 200 with v under etag, e.g. a version tag.
func tagged(v any, etag string) *reply { return &reply{status: http.StatusOK, value: v, etag: etag} }

// created answers 201 with v at location.
func created(v any, etag, location string) *reply {
	return &reply{status: http.StatusCreated, value: v, etag: etag, location: location}
}

// noContent answers 204.
func noContent() *reply { return &reply{status: http.StatusNoContent} }

// raw answers 200 with bytes of a content type.
func raw(body []byte, contentType string) *reply {
	return &reply{status: http.StatusOK, body: body, contentType: contentType}
}

// write sends the reply. Reads carry an ETag and answer a matching
// If-None-Match with 304.
func (rp *reply) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if rp.status == http.StatusNoContent {
		w.WriteHeader(rp.status)
		return
	}
	if rp.value == nil && rp.body == nil {
		if rp.location != "" {
			h.Set("Location", rp.location)
		}
		w.WriteHeader(rp.status)
		return
	}
	body, ctype := rp.body, rp.contentType
	if body == nil {
		var err error
		if body, err = marshal(rp.value); err != nil {
			writeJSONStatus(w, http.StatusInternalServerError, nil)
			return
		}
		ctype = "application/json"
	}
	etag := rp.etag
	if etag == "" && rp.status == http.StatusOK && !rp.noETag {
		etag = hashTag(body)
	}
	if etag != "" {
		h.Set("ETag", etag)
	}
	if rp.location != "" {
		h.Set("Location", rp.location)
	}
	if rp.filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+rp.filename+`"`)
	}
	if rp.gz != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if r.Method == http.MethodGet && rp.status == http.StatusOK && etag != "" && noneMatch(r.Header.Get("If-None-Match"), etag, gzipTag(etag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if rp.gz != nil && acceptsGzip(r) {
		body = rp.gz
		h.Set("Content-Encoding", "gzip")
		h.Set("ETag", gzipTag(etag))
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rp.status)
	if r.Method != http.MethodHead {
		w.Write(body) // a failed write means the client has gone
	}
}

// hashTag is a strong ETag over a representation's bytes.
func hashTag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"h` + hex.EncodeToString(sum[:12]) + `"`
}

// versionTag is the ETag of a record at version: updates send it back in
// If-Match and the store applies them only at that version.
func versionTag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// valueTag is the ETag of a record without a version number: the hash of
// the fields that an update or delete must not overlook.
func valueTag(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return `"r` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// noneMatch reports whether an If-None-Match header matches one of the
// tags of the representations (weak comparison, as RFC 9110 asks for
// If-None-Match).
func noneMatch(header string, etags ...string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" {
			return true
		}
		for _, etag := range etags {
			if t == strings.TrimPrefix(etag, "W/") {
				return true
			}
		}
	}
	return false
}

// gzipTag is the ETag of the gzip-encoded form of a representation: a
// different representation, so a different strong tag.
func gzipTag(etag string) string {
	if !strings.HasSuffix(etag, `"`) {
		return etag
	}
	return strings.TrimSuffix(etag, `"`) + `-gz"`
}

// acceptsGzip reports whether the client takes gzip-encoded answers.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimSpace(params), "=")
		if strings.TrimSpace(k) != "q" {
			return true
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q > 0
	}
	return false
}

// compress gzips b.
func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

// ifMatch returns the entity tags of the request's If-Match header. A
// missing header is 428: every update and delete must say which version
// it was made against, so that no editor overwrites another's change
// unseen. "*" is refused for the same reason.
func ifMatch(r *http.Request) ([]string, error) {
	header := r.Header.Get("If-Match")
	if strings.TrimSpace(header) == "" {
		return nil, errorf(EPreconditionRequired, "this change needs an If-Match header with the ETag of the version it was made against; read the resource first")
	}
	var tags []string
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return nil, errorf(EPreconditionRequired, `If-Match: * would overwrite changes unseen; send the ETag of the version you read`)
		}
		if t != "" {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

// matchVersion returns the version the request's If-Match names, for a
// store update that is conditional on it. A tag that is no version tag
// names no current version: 412.
func matchVersion(r *http.Request) (int, error) {
	tags, err := ifMatch(r)
	if err != nil {
		return 0, err
	}
	for _, t := range tags {
		if v, ok := parseVersionTag(t); ok {
			if len(tags) > 1 {
				return 0, errorf(EBadRequest, "If-Match must name one version")
			}
			return v, nil
		}
	}
	return 0, &demarc.Error{Code: demarc.EConflict, Message: "If-Match " + r.Header.Get("If-Match") + " does not name the current version; read the resource again", Err: demarc.ErrVersionMismatch}
}

func parseVersionTag(t string) (int, bool) {
	s, ok := strings.CutPrefix(t, `"v`)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, `"`)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || strconv.Itoa(v) != s {
		return 0, false
	}
	return v, true
}

// matchValue checks If-Match against a record's current valueTag.
func matchValue(r *http.Request, current string) error {
	tags, err := ifMatch(r)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t == current {
			return nil
		}
	}
	return &demarc.Error{Code: demarc.EConflict, Message: "the resource changed since it was read (If-Match " + r.Header.Get("If-Match") + ", current " + current + "); read it again", Err: demarc.ErrVersionMismatch}
}

// List is one page of a collection. Next is the cursor of the following
// page, empty after the last.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func pageOf[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, Next: next}
}

func itoa(n int) string { return strconv.Itoa(n) }
