package web

import (
	"fmt"
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
	addAction("/library/statements/{doc}/delete", func(u *UI) actionFunc { return deleteStatement })
}

// statementDocs are the organisation's provider statements, as the
// shared document form edits them.
var statementDocs = &docKind{api: "providers", page: "library/statements", noun: "statement", ID: "statement",
	Label: "Statement (YAML: <code>providers:</code> with their services)", Add: "Add the statement"}

// statementData is one statement's page.
type statementData struct {
	Doc *server.DocumentView
	// Entries are the providers and services the statement adds to the
	// library.
	Entries []server.LibraryItem
	Form    *docForm
	// ETag is the version the delete form deletes; DeleteError why the
	// last attempt did not.
	ETag        string
	DeleteError string
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
	if name := v.Query("deleted"); name != "" {
		v.Flash = "Deleted the statement " + name + ". Its versions stay in the history and the audit trail."
	}
	if d.Form == nil {
		d.Form = newDocForm(statementDocs, statementTemplate)
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

// deleteStatement deletes a statement. The API refuses while systems use
// its services, or while it is published (withdraw it first).
func deleteStatement(v *view) (string, error) {
	to, refused, err := deleteDocument(v, statementDocs, v.OrgBase()+"library?tab=statements&")
	if refused != "" {
		if err := showStatement(v, nil); err != nil {
			return "", err
		}
		v.Data.(*statementData).DeleteError = refused
		return "", nil
	}
	return to, err
}

// showStatement shows a statement with the form that replaces it: the
// form as submitted when given, else the stored content.
func showStatement(v *view, form *docForm) error {
	doc := &server.DocumentView{}
	etag, err := v.get(statementDocs.apiPath(v, v.r.PathValue("doc")), nil, doc)
	if err != nil {
		return err
	}
	d := &statementData{Doc: doc, Form: form, ETag: etag}
	if form == nil {
		d.Form = storedForm(statementDocs, doc, etag)
		savedFlash(v, doc)
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

func createStatement(v *view) (string, error) {
	f := readDocForm(v, statementDocs)
	if to, err := f.save(v); to != "" || err != nil {
		return to, err
	}
	d, err := openLibrary(v, "statements")
	if err != nil {
		return "", err
	}
	d.Form = f
	return "", d.statementsTab(v)
}

func replaceStatement(v *view) (string, error) {
	f := readDocForm(v, statementDocs)
	if to, err := f.save(v); to != "" || err != nil {
		return to, err
	}
	return "", showStatement(v, f)
}
