package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// Forms that carry files (configuration to check, a catalog to import)
// are larger than other forms: they may send as much as the API takes in
// one upload, 32 MiB, and the form's own fields beside.

// uploadLimit bounds a form with files.
const uploadLimit = 33 << 20

// uploadMemory is how much of an upload's files is held in memory; the
// rest waits in temporary files, removed when the request ends.
const uploadMemory = 8 << 20

// addUpload registers a form that carries files: like addAction, with the
// larger limit.
func addUpload(path string, fn func(u *UI) actionFunc) {
	pageRoutes = append(pageRoutes, pageRoute{method: "POST", path: path, handle: func(u *UI) http.HandlerFunc { return u.upload(fn(u)) }})
}

// upload reads a multipart form up to uploadLimit, then hands it to the
// ordinary form handling, which finds it parsed. A form over the limit
// is refused with 413 before anything reaches the API.
func (u *UI) upload(fn actionFunc) http.HandlerFunc {
	act := u.action(fn)
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, uploadLimit)
			err := r.ParseMultipartForm(uploadMemory)
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
			if err != nil {
				u.fail(w, r, uploadError(err))
				return
			}
		}
		act(w, r)
	}
}

// uploadError says why a multipart form could not be read.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: server.ETooLarge,
			Message: fmt.Sprintf("the upload is larger than %d MiB, the most one form may send; send fewer or smaller files at once", uploadLimit>>20)}
	}
	return &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest, Message: fmt.Sprintf("the form could not be read: %v", err)}
}

// filePart is a file to send on to the API as one part of a multipart
// body.
type filePart struct {
	field string // the API's part name
	name  string
	data  []byte
}

// formFiles reads the files the browser sent in a form field, in the
// order chosen. A file input left empty sends no file.
func formFiles(r *http.Request, field, as string) ([]filePart, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []filePart
	for _, fh := range r.MultipartForm.File[field] {
		data, err := readFormFile(fh)
		if err != nil {
			return nil, err
		}
		out = append(out, filePart{field: as, name: fh.Filename, data: data})
	}
	return out, nil
}

func readFormFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("reading the uploaded file %s: %w", fh.Filename, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading the uploaded file %s: %w", fh.Filename, err)
	}
	return data, nil
}

// multipartBody builds the multipart/form-data body the API reads files
// from, and its content type.
func multipartBody(parts []filePart) ([]byte, string, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		pw, err := w.CreateFormFile(p.field, p.name)
		if err != nil {
			return nil, "", err
		}
		if _, err := pw.Write(p.data); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

// fileNames lists the names of files, for saying what was sent.
func fileNames(parts []filePart) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name
	}
	return out
}

// uploadRefusal is the API's refusal of an upload, for the form to show again:
// the errors a person can correct (a bad file, a taken name, a stale
// version, a wrong option). Any other error fails the page.
func uploadRefusal(err error) (*apiError, bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return nil, false
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusPreconditionRequired:
		return ae, true
	}
	return nil, false
}

// Lead is what a refusal says first: the API's summary of its problems
// when it has one, else its message.
func (e *apiError) Lead() string {
	lead, _ := e.split()
	return lead
}

// Details are the refusal's problems to list, each with its file and
// line.
func (e *apiError) Details() []demarc.Problem {
	_, rest := e.split()
	return rest
}

// split parts a refusal into its lead and the problems to list. The API
// puts a summary without a place first when it lists several problems.
func (e *apiError) split() (string, []demarc.Problem) {
	ps := e.Problems
	switch {
	case len(ps) > 1 && ps[0].Pos.Line == 0 && ps[0].Field == "":
		return ps[0].String(), ps[1:]
	case len(ps) > 0:
		return "Please correct:", ps
	}
	return e.Message, nil
}
