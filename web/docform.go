package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The organisation's versioned YAML documents other than systems —
// provider statements, attestation registers — are edited the same way:
// a name and the YAML in one form, a new version on every save, the
// API's refusal shown beside the fields with everything typed kept, and
// a save that lost a race with someone else's (412) said so plainly.

// docKind is one collection of such documents: where the API keeps them,
// where their pages are, and how the form words them.
type docKind struct {
	// api is the API collection, e.g. "attestations".
	api string
	// page is the UI path of one document's page below the
	// organisation, without the id, e.g. "attestations".
	page string
	// noun names one document in messages, e.g. "register".
	noun string
	// ID prefixes the form's element ids, e.g. "register-form".
	ID string
	// Label labels the content box.
	Label template.HTML
	// Add labels the button that adds a new document.
	Add string
}

// docForm is the form that adds or replaces a document of a kind, kept
// whole when the API refuses it so that nothing typed is lost.
type docForm struct {
	Kind *docKind
	// Doc is the document replaced; empty for a new one.
	Doc     string
	Version int
	ETag    string
	Name    string
	Content string
	Note    string
	Error   *apiError
	// Stale says that someone else saved the document since the form
	// was loaded.
	Stale string
}

// Action is where the form posts: the collection for a new document,
// the document's page for a new version.
func (f *docForm) Action(v *view) string {
	if f.Doc == "" {
		return v.OrgBase() + f.Kind.page
	}
	return f.Kind.href(v, f.Doc)
}

// Invalid says whether the API refused the input named ("name" or
// "content"), to mark that field for assistive technology.
func (f *docForm) Invalid(field string) bool {
	if f.Error == nil {
		return false
	}
	switch field {
	case "name":
		return f.Error.Status == http.StatusConflict
	case "content":
		return f.Error.Status == http.StatusUnprocessableEntity
	}
	return false
}

// href is the UI path of one document's page.
func (k *docKind) href(v *view, doc string) string {
	return v.OrgBase() + k.page + "/" + url.PathEscape(doc)
}

// apiPath is the API path of one document, or of the collection when doc
// is empty.
func (k *docKind) apiPath(v *view, doc string) string {
	if doc == "" {
		return v.API(k.api)
	}
	return v.API(k.api, escape(doc))
}

// newDocForm is the empty form for a new document, starting from an
// example of the format.
func newDocForm(k *docKind, example string) *docForm {
	return &docForm{Kind: k, Content: example}
}

// storedForm is the form that replaces a stored document, filled with
// its current content and version.
func storedForm(k *docKind, doc *server.DocumentView, etag string) *docForm {
	return &docForm{Kind: k, Doc: string(doc.ID), Version: doc.Version, ETag: etag, Name: doc.Name, Content: doc.Content}
}

// readDocForm reads the form as submitted; the document replaced is the
// one the path's {doc} names, if any.
func readDocForm(v *view, k *docKind) *docForm {
	r := v.r
	return &docForm{Kind: k, Doc: r.PathValue("doc"), ETag: r.PostFormValue("etag"), Name: r.PostFormValue("name"),
		Content: r.PostFormValue("content"), Note: r.PostFormValue("note")}
}

// save sends the form to the API: a new document, or a new version of
// f.Doc under If-Match. It returns the document's page on success, and
// "" with no error when the API refused the input, which the form then
// carries for the page to show again (with v.status set to the API's).
// Any other failure is an error.
func (f *docForm) save(v *view) (string, error) {
	method, etag := http.MethodPost, ""
	if f.Doc != "" {
		method, etag = http.MethodPut, f.ETag
	}
	out := &server.DocumentView{}
	_, err := v.send(method, f.Kind.apiPath(v, f.Doc), server.DocumentRequest{Name: f.Name, Content: f.Content, Note: f.Note}, etag, out)
	if err == nil {
		return f.Kind.href(v, string(out.ID)) + "?saved=1", nil
	}
	if !f.refused(v, err) {
		return "", err
	}
	if f.Error.Status == http.StatusPreconditionFailed && f.Doc != "" {
		return "", f.restale(v)
	}
	return "", nil
}

// refused keeps the API's refusal of the form's content (422), name
// (409) or version (412, 428) on the form, to show it again with the
// status; it reports false for any other error, which fails the page.
func (f *docForm) refused(v *view, err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Status {
	case http.StatusUnprocessableEntity, http.StatusConflict, http.StatusPreconditionFailed, http.StatusBadRequest, http.StatusPreconditionRequired:
		f.Error, v.status = ae, ae.Status
		return true
	}
	return false
}

// restale reads the version someone else saved, to say so, and takes its
// ETag so that saving again replaces it knowingly; the text typed stays.
func (f *docForm) restale(v *view) error {
	cur := &server.DocumentView{}
	etag, err := v.get(f.Kind.apiPath(v, f.Doc), nil, cur)
	if err != nil {
		return err
	}
	f.Stale = fmt.Sprintf("Someone else saved version %d of this %s after you opened it. Your text is kept below; saving again replaces their version with yours.", cur.Version, f.Kind.noun)
	f.ETag, f.Version = etag, cur.Version
	return nil
}

// savedFlash is the message after a save that redirected with ?saved=1.
func savedFlash(v *view, doc *server.DocumentView) {
	if v.Query("saved") != "" {
		v.Flash = fmt.Sprintf("Saved version %d of %s.", doc.Version, doc.Name)
	}
}

// docVersion is one version of a document, for the versions list.
type docVersion struct {
	demarc.Revision
	Author string
	Href   string
}

// docVersions lists every version of a document, newest first, with
// their authors named.
func docVersions(v *view, k *docKind, doc string) ([]docVersion, error) {
	var revs []demarc.Revision
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 20 { // at most 10,000 versions
		var l server.List[demarc.Revision]
		if _, err := v.get(k.apiPath(v, doc)+"/versions", q, &l); err != nil {
			return nil, err
		}
		revs = append(revs, l.Items...)
		if l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	slices.SortFunc(revs, func(a, b demarc.Revision) int { return b.Version - a.Version })
	names, err := v.memberNames()
	if err != nil {
		return nil, err
	}
	out := make([]docVersion, len(revs))
	for i, r := range revs {
		out[i] = docVersion{Revision: r, Author: memberName(names, r.Author), Href: k.href(v, doc) + "?version=" + strconv.Itoa(r.Version)}
	}
	return out, nil
}

// docRevision reads one version of a document with its content.
func docRevision(v *view, k *docKind, doc string, version int) (*server.RevisionView, error) {
	rev := &server.RevisionView{}
	if _, err := v.get(k.apiPath(v, doc)+"/versions/"+strconv.Itoa(version), nil, rev); err != nil {
		return nil, err
	}
	return rev, nil
}

// versionParam reads a version number from the query; absent is 0. A
// value that is not a positive number is a 400 naming the parameter.
func versionParam(v *view, name string) (int, error) {
	s := v.Query(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest,
			Message: fmt.Sprintf("%s %q: expected a version number (1, 2, …)", name, s)}
	}
	return n, nil
}

// deleteDocument deletes the document the path's {doc} names at the
// version the page showed, and returns where to go next. When the API
// refuses — a system still relies on it (409), someone saved a newer
// version (412), the page sent no version — it returns the message to
// show on the page instead, with the answer's status set on the view.
func deleteDocument(v *view, k *docKind, done string) (to, refused string, err error) {
	id := v.r.PathValue("doc")
	doc := &server.DocumentView{}
	if _, err := v.get(k.apiPath(v, id), nil, doc); err != nil {
		return "", "", err
	}
	_, err = v.send(http.MethodDelete, k.apiPath(v, id), nil, v.r.PostFormValue("etag"), nil)
	var ae *apiError
	switch {
	case err == nil:
		return done + "deleted=" + url.QueryEscape(doc.Name), "", nil
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		v.status = ae.Status
		return "", fmt.Sprintf("Not deleted: someone saved version %d after you opened the page. Look at it below, then delete again if you still mean to.", doc.Version), nil
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionRequired || ae.Status == http.StatusBadRequest):
		v.status = ae.Status
		return "", "Not deleted: " + ae.Message, nil
	}
	return "", "", err
}
