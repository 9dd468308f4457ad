package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// views caches what requests read most: organisations, document
// metadata, each organisation's basis (its library and registers) and
// analysis answers.
//
// Answers and resolved systems are keyed by the content they were
// computed from (content hashes and versions), so they are never stale,
// only unused. What is keyed by name or id — organisations, documents,
// bases — is dropped by forget when the store's change feed reports a
// change; a fill that began before a change is not stored after it
// (stamps), so a slow reader cannot put stale data back.
type views struct {
	s *Server

	mu    sync.Mutex
	epoch uint64
	gens  map[demarc.OrgID]uint64
	orgs  map[string]*demarc.Org
	docs  map[docKey]*demarc.Document
	bases map[demarc.OrgID]*basis

	libs    *lru[string, *orgLibrary]
	parsed  *lru[demarc.ContentHash, any] // parsed documents by content
	systems *lru[string, *systemView]
	answers *lru[string, *reply]
}

type docKey struct {
	org demarc.OrgID
	id  demarc.DocumentID
}

func newViews(s *Server) *views {
	return &views{s: s, gens: map[demarc.OrgID]uint64{}, orgs: map[string]*demarc.Org{}, docs: map[docKey]*demarc.Document{},
		bases: map[demarc.OrgID]*basis{}, libs: newLRU[string, *orgLibrary](64, 0), parsed: newLRU[demarc.ContentHash, any](4096, 64<<20), systems: newLRU[string, *systemView](1024, 0),
		answers: newLRU[string, *reply](4096, 256<<20)}
}

// stamp marks the state a fill starts from.
type stamp struct{ epoch, gen uint64 }

func (v *views) stampFor(org demarc.OrgID) stamp {
	v.mu.Lock()
	defer v.mu.Unlock()
	return stamp{v.epoch, v.gens[org]}
}

// current reports, with v.mu held, whether nothing of org changed since st.
func (v *views) current(org demarc.OrgID, st stamp) bool {
	return st.epoch == v.epoch && st.gen == v.gens[org]
}

// forget drops what is cached about org, or about every organisation
// when org is empty.
func (v *views) forget(org demarc.OrgID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if org == "" {
		v.epoch++
		clear(v.orgs)
		clear(v.docs)
		clear(v.bases)
		return
	}
	v.gens[org]++
	for k, o := range v.orgs {
		if o.ID == org {
			delete(v.orgs, k)
		}
	}
	for k := range v.docs {
		if k.org == org {
			delete(v.docs, k)
		}
	}
	delete(v.bases, org)
}

// org finds an organisation by id or slug.
func (v *views) org(ctx context.Context, ref string) (*demarc.Org, error) {
	v.mu.Lock()
	o, ok := v.orgs[ref]
	st := stamp{v.epoch, 0}
	v.mu.Unlock()
	if ok {
		return o, nil
	}
	o, err := v.s.lookupOrg(ctx, ref)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if st.epoch == v.epoch && len(v.orgs) < 10000 {
		v.orgs[ref] = o
	}
	v.mu.Unlock()
	return o, nil
}

// document returns a live document's metadata.
func (v *views) document(ctx context.Context, org demarc.OrgID, id demarc.DocumentID) (*demarc.Document, error) {
	k := docKey{org, id}
	v.mu.Lock()
	d, ok := v.docs[k]
	v.mu.Unlock()
	if ok {
		v.s.metrics.cacheHits.Add(1)
		return d, nil
	}
	st := v.stampFor(org)
	d, err := v.s.store.Document(ctx, org, id)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.current(org, st) && len(v.docs) < 100000 {
		v.docs[k] = d
	}
	v.mu.Unlock()
	return d, nil
}

// basis is everything of an organisation a system can draw on besides
// itself: its library — the built-in one extended by the provider
// statements it subscribes to and its own provider documents — and its
// attestation registers by name.
type basis struct {
	*orgLibrary
	key       string
	registers map[string]register
}

// orgLibrary is an organisation's library and the engine over it.
type orgLibrary struct {
	lib       *library.Library
	engine    *resolve.Engine
	providers map[demarc.ProviderID]source
	// err is set when the provider statements do not build a library;
	// every analysis then fails with it.
	err error
}

// source says where a provider's statement came from.
type source struct {
	Document    *demarc.DocumentRef    `json:"document,omitempty"`
	Publication *demarc.PublicationRef `json:"publication,omitempty"`
	Name        string                 `json:"name"`
}

// register is one attestation register document, parsed.
type register struct {
	ref          demarc.DocumentRef
	attestations []demarc.Attestation
	err          error
}

// basisInputs are the records a basis is built from.
type basisInputs struct {
	providers []demarc.Document
	registers []demarc.Document
	subs      []demarc.Subscription
}

// libraryKey names the library the inputs build; registers do not change
// it, so editing a register does not rebuild the engine.
func (in *basisInputs) libraryKey(org demarc.OrgID) string {
	if len(in.subs) == 0 && len(in.providers) == 0 {
		return "builtin"
	}
	var b strings.Builder
	b.WriteString(string(org) + "|")
	for _, s := range in.subs {
		fmt.Fprintf(&b, "p:%s:%d;", s.Publication, s.Published)
	}
	for _, d := range in.providers {
		fmt.Fprintf(&b, "d:%s:%d;", d.ID, d.Version)
	}
	return b.String()
}

func (in *basisInputs) registersKey() string {
	var b strings.Builder
	for _, d := range in.registers {
		fmt.Fprintf(&b, "r:%s:%d;", d.ID, d.Version)
	}
	return b.String()
}

// basis returns org's current basis.
func (v *views) basis(ctx context.Context, org demarc.OrgID) (*basis, error) {
	v.mu.Lock()
	b, ok := v.bases[org]
	v.mu.Unlock()
	if ok {
		return b, nil
	}
	st := v.stampFor(org)
	in, err := v.inputs(ctx, org)
	if err != nil {
		return nil, err
	}
	libKey := in.libraryKey(org)
	ol, ok := v.libs.get(libKey)
	if !ok {
		if ol, err = v.buildLibrary(ctx, org, in); err != nil {
			return nil, err
		}
		v.libs.put(libKey, ol, 1)
	}
	b = &basis{orgLibrary: ol, key: libKey + "|" + in.registersKey(), registers: map[string]register{}}
	for _, d := range in.registers {
		reg, err := v.register(ctx, org, d)
		if err != nil {
			return nil, err
		}
		b.registers[d.Name] = reg
	}
	v.mu.Lock()
	if v.current(org, st) {
		v.bases[org] = b
	}
	v.mu.Unlock()
	return b, nil
}

func (v *views) inputs(ctx context.Context, org demarc.OrgID) (*basisInputs, error) {
	in := &basisInputs{}
	var err error
	if in.providers, err = allDocuments(ctx, v.s.store, org, demarc.DocProvider); err != nil {
		return nil, err
	}
	if in.registers, err = allDocuments(ctx, v.s.store, org, demarc.DocAttestations); err != nil {
		return nil, err
	}
	if in.subs, err = v.s.store.Subscriptions(ctx, org); err != nil {
		return nil, err
	}
	sort.Slice(in.subs, func(i, j int) bool { return in.subs[i].Publication < in.subs[j].Publication })
	return in, nil
}

func allDocuments(ctx context.Context, st demarc.DocumentStore, org demarc.OrgID, kind demarc.DocKind) ([]demarc.Document, error) {
	var all []demarc.Document
	page := demarc.Page{Limit: demarc.MaxPageSize}
	for {
		docs, next, err := st.Documents(ctx, org, demarc.DocumentFilter{Kind: kind, Page: page})
		if err != nil {
			return nil, err
		}
		all = append(all, docs...)
		if next == "" {
			return all, nil
		}
		page.After = next
	}
}

// buildLibrary reads and parses the statements. Subscribed statements
// come first and the organisation's own documents last, so that its own
// statement of a provider replaces a subscribed one. With neither, the
// organisation shares the built-in library and its engine.
func (v *views) buildLibrary(ctx context.Context, org demarc.OrgID, in *basisInputs) (*orgLibrary, error) {
	if len(in.subs) == 0 && len(in.providers) == 0 {
		return &orgLibrary{lib: v.s.base, engine: v.s.baseEngine, providers: map[demarc.ProviderID]source{}}, nil
	}
	ol := &orgLibrary{providers: map[demarc.ProviderID]source{}}
	var files []*library.File
	for _, sub := range in.subs {
		rev, err := v.s.store.PublishedRevision(ctx, org, sub.Publication, sub.Published)
		if err != nil {
			return nil, err
		}
		f, err := library.ParseFile("publication "+sub.Name, rev.Content)
		if err != nil {
			ol.err = fmt.Errorf("subscribed provider statement %s (version %d): %w", sub.Name, sub.Published, err)
			continue
		}
		files = append(files, f)
		for _, p := range f.Providers {
			ol.providers[p.ID] = source{Publication: &demarc.PublicationRef{ID: sub.Publication, Version: sub.Published}, Name: sub.Name}
		}
	}
	for _, d := range in.providers {
		f, err := v.providerFile(ctx, org, d)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		files = append(files, f)
		for _, p := range f.Providers {
			ol.providers[p.ID] = source{Document: &demarc.DocumentRef{ID: d.ID, Version: d.Version}, Name: d.Name}
		}
	}
	ol.lib, ol.engine = v.s.base, v.s.baseEngine
	lib, err := library.Extend(files...)
	if err != nil {
		if ol.err == nil {
			ol.err = fmt.Errorf("the organisation's provider statements do not fit together: %w", err)
		}
		return ol, nil
	}
	ol.lib, ol.engine = lib, resolve.New(lib)
	return ol, nil
}

// providerFile parses a provider document, once per content.
func (v *views) providerFile(ctx context.Context, org demarc.OrgID, d demarc.Document) (*library.File, error) {
	if p, ok := v.parsed.get(d.Hash); ok {
		f, _ := p.(*library.File)
		return f, nil
	}
	rev, err := v.s.store.Revision(ctx, org, d.ID, d.Version)
	if err != nil {
		return nil, err
	}
	f, err := library.ParseFile(d.Name, rev.Content)
	if err != nil {
		f = nil // refused when written; a document stored before a stricter check is skipped
	}
	v.parsed.put(d.Hash, f, int64(len(rev.Content)))
	return f, nil
}

// register parses an attestation register document, once per content and
// name (the name appears in its error messages).
func (v *views) register(ctx context.Context, org demarc.OrgID, d demarc.Document) (register, error) {
	key := demarc.ContentHash(string(d.Hash) + "|" + d.Name)
	reg := register{ref: demarc.DocumentRef{ID: d.ID, Version: d.Version}}
	if p, ok := v.parsed.get(key); ok {
		r := p.(register)
		reg.attestations, reg.err = r.attestations, r.err
		return reg, nil
	}
	rev, err := v.s.store.Revision(ctx, org, d.ID, d.Version)
	if err != nil {
		return reg, err
	}
	reg.attestations, reg.err = systemfile.ParseRegister(d.Name, rev.Content)
	v.parsed.put(key, reg, int64(len(rev.Content)))
	return reg, nil
}
