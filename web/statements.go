package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The organisation's own provider statements: library files of providers
// and services (custom services, a SaaS vendor's own statement) that the
// organisation's library adds to the built-in one.

func init() {
	addPage("/library/statements/{doc}", func(u *UI) pageFunc { return statementPage })
	addAction("/library/statements", func(u *UI) actionFunc { return createStatement })
	addAction("/library/statements/{doc}", func(u *UI) actionFunc { return replaceStatement })
}

// statementForm is the form that adds or replaces a statement, kept
// whole when the API refuses it so that nothing typed is lost.
type statementForm struct {
	// Doc is the statement replaced; empty for a new one.
	Doc     string
	Version int
	ETag    string
	Name    string
	Content string
	Note    string
	Error   *apiError
	// Stale says that someone else saved the statement since the form
	// was loaded.
	Stale string
}

// Action is where the form posts.
func (f *statementForm) Action(v *view) string {
	if f.Doc == "" {
		return v.OrgBase() + "library/statements"
	}
	return v.OrgBase() + "library/statements/" + url.PathEscape(f.Doc)
}

// statementData is one statement's page.
type statementData struct {
	Doc *server.DocumentView
	// Entries are the providers and services the statement adds to the
	// library.
	Entries []server.LibraryItem
	Form    *statementForm
}

// statementTemplate is the example a new statement starts from.
const statementTemplate = `providers:
  - id: example-co
    title: Example Co
    kind: saas
    services:
      - id: example-co/app
        title: Example App
        model: saas
        category: collaboration
        overrides:
          - area: data.backup
            owner: shared
            sharing: dependent
            provider: Backs up tenant data daily and keeps copies for 30 days.
            customer: Exports what it must keep longer.
`

// statementsTab lists the organisation's statements and offers the form
// for a new one.
func (d *libraryData) statementsTab(v *view) error {
	var l server.List[demarc.Document]
	q := url.Values{"limit": {"500"}}
	if _, err := v.get(v.API("providers"), q, &l); err != nil {
		return err
	}
	d.Statements = l.Items
	if d.Form == nil {
		d.Form = &statementForm{Content: statementTemplate}
	}
	v.Table = &table{Name: "provider-statements", Columns: []string{"Statement", "Version", "Updated"}}
	for _, doc := range l.Items {
		v.Table.add("", link(doc.Name, v.OrgBase()+"library/statements/"+url.PathEscape(string(doc.ID))), text(fmt.Sprint(doc.Version)), text(doc.Updated.UTC().Format("2006-01-02 15:04")))
	}
	return nil
}

func statementPage(v *view) error {
	return showStatement(v, nil)
}

// showStatement shows a statement with the form that replaces it: the
// form as submitted when given, else the stored content.
func showStatement(v *view, form *statementForm) error {
	doc := &server.DocumentView{}
	etag, err := v.get(v.API("providers", escape(v.r.PathValue("doc"))), nil, doc)
	if err != nil {
		return err
	}
	d := &statementData{Doc: doc, Form: form}
	if form == nil {
		d.Form = &statementForm{Doc: string(doc.ID), Version: doc.Version, ETag: etag, Name: doc.Name}
		d.Form.Content = doc.Content
		if v.Query("saved") != "" {
			v.Flash = fmt.Sprintf("Saved version %d of %s.", doc.Version, doc.Name)
		}
	}
	entries, err := statementEntries(v, doc.ID)
	if err != nil {
		return err
	}
	d.Entries = entries
	v.Title, v.Section, v.template, v.Data = doc.Name+" — provider statement", "library", "statement", d
	v.Crumbs = []crumb{{Label: "Library", Href: v.OrgBase() + "library"}, {Label: "Your statements", Href: v.OrgBase() + "library?tab=statements"}, {Label: doc.Name}}
	return nil
}

// statementEntries lists the providers and services the library has from
// one statement document.
func statementEntries(v *view, doc demarc.DocumentID) ([]server.LibraryItem, error) {
	var out []server.LibraryItem
	for _, kind := range []string{"providers", "services"} {
		var l server.List[server.LibraryItem]
		if _, err := v.get(v.API("library", kind), nil, &l); err != nil {
			return nil, err
		}
		for _, it := range l.Items {
			if it.Source != nil && it.Source.Document != nil && it.Source.Document.ID == doc {
				out = append(out, it)
			}
		}
	}
	return out, nil
}

// formOf reads the statement form as submitted.
func formOf(v *view) *statementForm {
	r := v.r
	return &statementForm{Doc: r.PathValue("doc"), ETag: r.PostFormValue("etag"), Name: r.PostFormValue("name"),
		Content: r.PostFormValue("content"), Note: r.PostFormValue("note")}
}

func createStatement(v *view) (string, error) {
	f := formOf(v)
	f.Doc = ""
	out := &server.DocumentView{}
	_, err := v.send(http.MethodPost, v.API("providers"), server.DocumentRequest{Name: f.Name, Content: f.Content, Note: f.Note}, "", out)
	if err == nil {
		return v.OrgBase() + "library/statements/" + url.PathEscape(string(out.ID)) + "?saved=1", nil
	}
	if !f.refused(v, err) {
		return "", err
	}
	d, err := openLibrary(v, "statements")
	if err != nil {
		return "", err
	}
	d.Form = f
	return "", d.statementsTab(v)
}

func replaceStatement(v *view) (string, error) {
	f := formOf(v)
	out := &server.DocumentView{}
	_, err := v.send(http.MethodPut, v.API("providers", escape(f.Doc)), server.DocumentRequest{Name: f.Name, Content: f.Content, Note: f.Note}, f.ETag, out)
	if err == nil {
		return v.OrgBase() + "library/statements/" + url.PathEscape(string(out.ID)) + "?saved=1", nil
	}
	if !f.refused(v, err) {
		return "", err
	}
	if f.Error != nil && f.Error.Status == http.StatusPreconditionFailed {
		if err := f.restale(v); err != nil {
			return "", err
		}
	}
	return "", showStatement(v, f)
}

// refused keeps the API's refusal of the form's content (422), name
// (409) or version (412) on the form, to show it again with the status;
// it reports false for any other error, which fails the page.
func (f *statementForm) refused(v *view, err error) bool {
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
func (f *statementForm) restale(v *view) error {
	cur := &server.DocumentView{}
	etag, err := v.get(v.API("providers", escape(f.Doc)), nil, cur)
	if err != nil {
		return err
	}
	f.Stale = fmt.Sprintf("Someone else saved version %d of this statement after you opened it. Your text is kept below; saving again replaces their version with yours.", cur.Version)
	f.ETag, f.Version = etag, cur.Version
	return nil
}
