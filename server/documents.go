package server

import (
	"context"
	"fmt"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/systemfile"
)

// docKinds maps the collection in the path to the kind of document.
var docKinds = []struct {
	path string
	kind demarc.DocKind
	one  string // singular, for messages and operation ids
}{
	{"systems", demarc.DocSystem, "system"},
	{"attestations", demarc.DocAttestations, "attestation register"},
	{"providers", demarc.DocProvider, "provider statement"},
}

// DocumentRequest creates or replaces a document.
type DocumentRequest struct {
	// Name is unique among the organisation's live documents of the
	// kind. On replace, empty keeps the current name.
	Name string `json:"name"`
	// Content is the document: a system file, an attestation register or
	// a library file with providers, as YAML (or JSON).
	Content string `json:"content"`
	// Note says why the change was made.
	Note string `json:"note,omitempty"`
}

// DocumentView is a document's current metadata and, when one document
// is read, its content.
type DocumentView struct {
	demarc.Document
	Content string `json:"content,omitempty"`
}

// RevisionView is one version of a document.
type RevisionView struct {
	demarc.Revision
	Content string `json:"content,omitempty"`
}

// document returns the live document of kind the path's {id} names. A
// document of another kind is not found, as under another path.
func (c *call) document(kind demarc.DocKind) (*demarc.Document, error) {
	id, err := pathID(c.r, "id", "doc")
	if err != nil {
		return nil, err
	}
	d, err := c.s.views.document(c.r.Context(), c.org.ID, demarc.DocumentID(id))
	if err == nil && d.Kind != kind {
		err = demarc.Errorf(demarc.ENotFound, "document %s not found", id)
	}
	return d, err
}

func (s *Server) listDocuments(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		q := c.query()
		f := demarc.DocumentFilter{Kind: kind, Deleted: q.boolean("deleted"), Page: q.page()}
		if q.err != nil {
			return nil, q.err
		}
		docs, next, err := s.store.Documents(c.r.Context(), c.org.ID, f)
		if err != nil {
			return nil, err
		}
		return ok(pageOf(docs, next)), nil
	}
}

func (s *Server) getDocument(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		d, err := c.document(kind)
		if err != nil {
			return nil, err
		}
		rev, err := s.store.Revision(c.r.Context(), c.org.ID, d.ID, d.Version)
		if err != nil {
			return nil, err
		}
		return tagged(DocumentView{Document: *d, Content: string(rev.Content)}, versionTag(d.Version)), nil
	}
}

func (s *Server) createDocument(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		var req DocumentRequest
		if err := c.decode(&req); err != nil {
			return nil, err
		}
		in := demarc.DocumentInput{Kind: kind, Name: req.Name, Content: []byte(req.Content), Note: req.Note}
		if err := in.Validate(); err != nil {
			return nil, err
		}
		ctx := c.r.Context()
		if err := s.checkContent(ctx, c.org.ID, kind, "", in.Name, in.Content); err != nil {
			return nil, err
		}
		rev, err := s.store.CreateDocument(ctx, c.actor, c.org.ID, in)
		if err != nil {
			return nil, err
		}
		s.views.forget(c.org.ID)
		d := documentOf(rev)
		return created(DocumentView{Document: d}, versionTag(d.Version), c.r.URL.Path+"/"+string(d.ID)), nil
	}
}

// documentOf is a new document's metadata from its first revision.
func documentOf(rev *demarc.Revision) demarc.Document {
	return demarc.Document{ID: rev.Document, Org: rev.Org, Kind: rev.Kind, Name: rev.Name, Version: rev.Version, Hash: rev.Hash,
		Size: rev.Size, Created: rev.Created, CreatedBy: rev.Author, Updated: rev.Created, UpdatedBy: rev.Author}
}

func (s *Server) updateDocument(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		ctx := c.r.Context()
		d, err := c.document(kind)
		if err != nil {
			return nil, err
		}
		version, err := matchVersion(c.r)
		if err != nil {
			return nil, err
		}
		var req DocumentRequest
		if err := c.decode(&req); err != nil {
			return nil, err
		}
		if req.Name == "" {
			req.Name = d.Name
		}
		in := demarc.DocumentInput{Kind: kind, Name: req.Name, Content: []byte(req.Content), Note: req.Note}
		if err := in.Validate(); err != nil {
			return nil, err
		}
		if err := s.checkContent(ctx, c.org.ID, kind, d.ID, in.Name, in.Content); err != nil {
			return nil, err
		}
		if kind == demarc.DocAttestations && in.Name != d.Name {
			if err := s.checkRegisterUnused(ctx, c.org.ID, d, "rename"); err != nil {
				return nil, err
			}
		}
		rev, err := s.store.UpdateDocument(ctx, c.actor, c.org.ID, d.ID, version, in)
		if err != nil {
			return nil, err
		}
		s.views.forget(c.org.ID)
		out, err := s.store.Document(ctx, c.org.ID, rev.Document)
		if err != nil {
			return nil, err
		}
		return tagged(DocumentView{Document: *out}, versionTag(out.Version)), nil
	}
}

func (s *Server) deleteDocument(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		d, err := c.document(kind)
		if err != nil {
			return nil, err
		}
		version, err := matchVersion(c.r)
		if err != nil {
			return nil, err
		}
		if err := s.checkUnused(c.r.Context(), c.org.ID, kind, d); err != nil {
			return nil, err
		}
		if err := s.store.DeleteDocument(c.r.Context(), c.actor, c.org.ID, d.ID, version); err != nil {
			return nil, err
		}
		s.views.forget(c.org.ID)
		return noContent(), nil
	}
}

// revision returns a version of a document of kind, deleted documents
// included: their history stays readable.
func (c *call) revision(kind demarc.DocKind, version int) (*demarc.Revision, error) {
	id, err := pathID(c.r, "id", "doc")
	if err != nil {
		return nil, err
	}
	rev, err := c.s.store.Revision(c.r.Context(), c.org.ID, demarc.DocumentID(id), version)
	if err == nil && rev.Kind != kind {
		err = demarc.Errorf(demarc.ENotFound, "document %s not found", id)
	}
	return rev, err
}

func (s *Server) listVersions(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		q := c.query()
		page := q.page()
		if q.err != nil {
			return nil, q.err
		}
		rev, err := c.revision(kind, 0)
		if err != nil {
			return nil, err
		}
		revs, next, err := s.store.Revisions(c.r.Context(), c.org.ID, rev.Document, page)
		if err != nil {
			return nil, err
		}
		return ok(pageOf(revs, next)), nil
	}
}

func (s *Server) getVersion(kind demarc.DocKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		v, err := pathVersion(c.r, "version")
		if err != nil {
			return nil, err
		}
		rev, err := c.revision(kind, v)
		if err != nil {
			return nil, err
		}
		return ok(RevisionView{Revision: *rev, Content: string(rev.Content)}), nil
	}
}

// checkContent refuses a document that would not work: a system that does
// not parse or names what the organisation's library lacks, an
// attestation register that does not parse, a provider statement that is
// not a library file of providers or does not fit with the others.
func (s *Server) checkContent(ctx context.Context, org demarc.OrgID, kind demarc.DocKind, self demarc.DocumentID, name string, content []byte) error {
	switch kind {
	case demarc.DocSystem:
		b, err := s.views.basis(ctx, org)
		if err != nil {
			return err
		}
		if b.err != nil {
			return b.err
		}
		_, _, err = parseSystem(b, name, content)
		return err
	case demarc.DocAttestations:
		_, err := systemfile.ParseRegister(name, content)
		return err
	}
	return s.checkProvider(ctx, org, self, name, content)
}

// checkProvider parses a provider document and builds the organisation's
// library with it in place of its current version.
func (s *Server) checkProvider(ctx context.Context, org demarc.OrgID, self demarc.DocumentID, name string, content []byte) error {
	f, err := providerOnly(name, content)
	if err != nil {
		return err
	}
	return s.checkExtends(ctx, org, self, f)
}

// checkExtends builds the organisation's library with f in place of the
// current version of the provider document self (none when empty), and
// returns what stops it from building.
func (s *Server) checkExtends(ctx context.Context, org demarc.OrgID, self demarc.DocumentID, f *library.File) error {
	in, err := s.views.inputs(ctx, org)
	if err != nil {
		return err
	}
	var files []*library.File
	for _, sub := range in.subs {
		rev, err := s.store.PublishedRevision(ctx, org, sub.Publication, sub.Published)
		if err != nil {
			return err
		}
		if pf, err := library.ParseFile("publication "+sub.Name, rev.Content); err == nil {
			files = append(files, pf)
		}
	}
	for _, d := range in.providers {
		if d.ID == self {
			continue
		}
		pf, err := s.views.providerFile(ctx, org, d)
		if err != nil {
			return err
		}
		if pf != nil {
			files = append(files, pf)
		}
	}
	if _, err := library.Extend(append(files, f)...); err != nil {
		return err
	}
	return nil
}

// providerOnly parses a provider document: a library file that holds
// providers and their services, and nothing else.
func providerOnly(name string, content []byte) (*library.File, error) {
	f, err := library.ParseFile(name, content)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, x := range []struct {
		what string
		n    int
	}{{"areas", len(f.Areas)}, {"models", len(f.Models)}, {"frameworks", len(f.Frameworks)},
		{"incidents", len(f.Incidents)}, {"regulations", len(f.Regulations)}, {"features", len(f.Features)}} {
		if x.n > 0 {
			extra = append(extra, x.what)
		}
	}
	switch {
	case len(extra) > 0:
		return nil, demarc.Problems{{Pos: demarc.Position{File: name}, Field: extra[0], Message: fmt.Sprintf("a provider statement holds providers only, not %s", extra[0])}}.Err()
	case len(f.Providers) == 0:
		return nil, demarc.Problems{{Pos: demarc.Position{File: name}, Field: "providers", Message: "a provider statement needs at least one provider"}}.Err()
	}
	return f, nil
}
