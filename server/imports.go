package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/azurebaseline"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/prowler"
)

// importParams are the query parameters every import takes.
var importParams = []param{
	{name: "name", doc: "the document's name (default: the id of the framework or service the import makes)"},
	{name: "filename", doc: "the file's name, from which ids are derived as the command line derives them from the file's path (default: a multipart part's file name, else upload)"},
	{name: "dry_run", typ: "boolean", doc: "answer what would be stored, and store nothing"},
	{name: "replace", typ: "boolean", doc: "store a new version of the provider document of that name, which If-Match must name; without it an existing name is a conflict"},
}

// Content types of uploads.
var (
	jsonTypes      = []string{"application/json"}
	structuredType = []string{"application/json", "application/yaml", "application/x-yaml", "text/yaml"}
	xlsxTypes      = []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}
	modelNames     = []string{"on-prem", "iaas", "caas", "paas", "faas", "saas"}
)

// importKind is one importer the API offers: the command line's
// 'demarc import KIND' over an uploaded file.
type importKind struct {
	kind   string // the path segment
	id     string // the operation id
	sum    string
	doc    string
	media  []string // content types the body may have
	params []param  // the importer's own options
	parts  []param  // the files of a multipart body, when it takes one
	// names is the option that names what the importer otherwise
	// derives from the file's name (the framework id, the service), for
	// a request that sends neither.
	names string
	// run turns the upload into a library file, with the organisation's
	// library lib to map onto.
	run func(q *query, up *importUpload, lib *library.Library) (*imported, error)
}

// importUpload is the file to import and, for a profile, the catalog
// that stands in for its imports.
type importUpload struct {
	upload
	catalog *upload
	// named says the request gave the file's name.
	named bool
}

// imported is what an importer made.
type imported struct {
	name     string // the default document name
	content  []byte // a library file
	warnings []string
}

// ImportResult says what an import stored, or with dry_run would store.
type ImportResult struct {
	Kind string `json:"kind"`
	// Action is "create", or "replace" for a new version of the document
	// of that name.
	Action string `json:"action"`
	DryRun bool   `json:"dry_run,omitempty"`
	// Document is the stored document; absent on a dry run.
	Document *demarc.Document `json:"document,omitempty"`
	Name     string           `json:"name"`
	// Frameworks and Services are what the library file defines.
	Frameworks []demarc.FrameworkID `json:"frameworks,omitempty"`
	Services   []demarc.ServiceID   `json:"services,omitempty"`
	// Content is the library file, on a dry run.
	Content string `json:"content,omitempty"`
	// Warnings say what a user should know: controls mapped through their
	// parents, rows or requirements left out, defects of the document.
	Warnings []string `json:"warnings,omitempty"`
}

func importKinds() []*importKind {
	oscalParams := []param{
		{name: "id", doc: "framework id to give the import (default: from the file name)"},
		{name: "areas_from", doc: "library framework whose controls lend their areas by id (default nist-800-53-r5)"},
		{name: "strict", typ: "boolean", doc: "fail when a control maps to no area, instead of leaving it out with a warning"},
	}
	return []*importKind{
		{kind: "oscal-catalog", id: "importOSCALCatalog", sum: "Import an OSCAL catalog as a framework of the organisation", media: structuredType,
			doc:    "The catalog (JSON or YAML, checked against the official schema of its OSCAL version) becomes a provider document holding one framework.",
			params: oscalParams, names: "id", run: importOSCAL(oscal.Catalog)},
		{kind: "oscal-profile", id: "importOSCALProfile", sum: "Resolve an OSCAL profile (a baseline) into a framework of the organisation", media: append(append([]string{}, structuredType...), "multipart/form-data"),
			doc: "Imports are resolved from the profile's back-matter; nothing is fetched or read from the server's disk. A profile that names its catalog " +
				"by address (FedRAMP's and NIST's baselines do) needs the catalog: send multipart/form-data with the parts profile and catalog.",
			params: oscalParams, parts: []param{{name: "profile", doc: "the profile"}, {name: "catalog", doc: "the catalog that stands in for imports outside the profile"}},
			names: "id", run: importOSCAL(oscal.Profile)},
		{kind: "oscal-ssp", id: "importOSCALSSP", sum: "Import a provider's leveraged OSCAL security plan as a service systems can use", media: structuredType,
			params: []param{
				{name: "provider", doc: "the provider's library id (default: from the plan)"},
				{name: "service", doc: "the service's id, provider/name or just name (default: from the plan)"},
				{name: "model", enum: modelNames, doc: "the service model (default: the plan's cloud-service-model)"},
				{name: "title", doc: "the service's title (default: the plan's system name)"},
				{name: "strict", typ: "boolean", doc: "fail on any defect instead of importing what is sound"}},
			run: importSSP},
		{kind: "azure-baseline", id: "importAzureBaseline", sum: "Import Microsoft's Azure security baseline workbook of one service as its statement", media: xlsxTypes,
			params: []param{
				{name: "service", doc: "service id, azure/… (default: from the file name)"},
				{name: "model", enum: modelNames[1:], doc: "service model (default: from the Security Profile)"},
				{name: "skip_bad", typ: "boolean", doc: "import the rows that can be read; report the others"}},
			names: "service", run: importAzure},
		{kind: "prowler", id: "importProwler", sum: "Import a Prowler compliance mapping as a framework of the organisation", media: jsonTypes,
			params: []param{
				{name: "id", doc: "framework id (default: from the file's framework, version and provider)"},
				{name: "title", doc: "framework title (default: the file's name)"},
				{name: "match", doc: "built-in framework whose control ids the requirement ids are, or none"},
				{name: "skip_bad", typ: "boolean", doc: "import the requirements that can be read; report the others"}},
			run: importProwler},
	}
}

// importDocument runs an importer over the uploaded file and stores the
// library file it makes as a provider document of the organisation,
// which its library then loads.
func (s *Server) importDocument(k *importKind) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		q := c.query()
		name, dryRun, replace := q.str("name"), q.boolean("dry_run"), q.boolean("replace")
		if q.err != nil {
			return nil, q.err
		}
		up, err := c.importUpload(k)
		if err != nil {
			return nil, err
		}
		out, err := s.runImport(c, k, up)
		if err != nil {
			return nil, err
		}
		p, err := s.planImport(c, k, up, out, name, replace)
		if err != nil {
			return nil, err
		}
		if dryRun {
			p.res.DryRun, p.res.Content = true, string(out.content)
			return ok(p.res), nil
		}
		return s.storeImport(c, p)
	}
}

// runImport runs the importer with the organisation's library, after
// checking that the request names what the file's name would.
func (s *Server) runImport(c *call, k *importKind, up *importUpload) (*imported, error) {
	q := c.query()
	if k.names != "" && !up.named && q.str(k.names) == "" {
		return nil, errorf(EBadRequest, "the request names no file to derive the %s from: give the query parameter %s, or the file's name with filename", k.names, k.names)
	}
	b, err := s.views.basis(c.r.Context(), c.org.ID)
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	return k.run(q, up, b.lib)
}

// importPlan is what an import will store, checked.
type importPlan struct {
	in       demarc.DocumentInput
	existing *demarc.Document // the document replaced, if any
	version  int              // its version, as If-Match named it
	res      ImportResult
}

// planImport checks what an import would store: a valid document, a
// library file that fits the organisation's others, and a name that is
// free or that the request may replace.
func (s *Server) planImport(c *call, k *importKind, up *importUpload, out *imported, name string, replace bool) (*importPlan, error) {
	if name == "" {
		name = out.name
	}
	p := &importPlan{in: demarc.DocumentInput{Kind: demarc.DocProvider, Name: name, Content: out.content, Note: fmt.Sprintf("imported from %s (%s)", up.name, k.kind)}}
	if err := p.in.Validate(); err != nil {
		return nil, err
	}
	f, err := library.ParseFile(name, out.content)
	if err != nil {
		return nil, err
	}
	if p.existing, p.version, err = c.importTarget(name, replace); err != nil {
		return nil, err
	}
	var self demarc.DocumentID
	p.res = ImportResult{Kind: k.kind, Action: "create", Name: name, Warnings: out.warnings}
	if p.existing != nil {
		self, p.res.Action = p.existing.ID, "replace"
	}
	if err := s.checkExtends(c.r.Context(), c.org.ID, self, f); err != nil {
		return nil, err
	}
	p.res.Frameworks, p.res.Services = definitions(f)
	return p, nil
}

// importUpload reads the body: the file, or for a multipart profile its
// parts.
func (c *call) importUpload(k *importKind) (*importUpload, error) {
	mt, err := c.mediaType(k.media)
	if err != nil {
		return nil, err
	}
	if err := c.readUploadBody("the file to import"); err != nil {
		return nil, err
	}
	up := &importUpload{upload: upload{name: "upload" + extension(mt), data: c.body}}
	if mt == "multipart/form-data" {
		if err := c.profileParts(up); err != nil {
			return nil, err
		}
	}
	if n := c.query().str("filename"); n != "" {
		if up.name, err = uploadName(n); err != nil {
			return nil, errorf(EBadRequest, "query parameter filename: %q %v", n, err)
		}
		up.named = true
	}
	return up, nil
}

// profileParts takes the profile and its stand-in catalog from a
// multipart body.
func (c *call) profileParts(up *importUpload) error {
	files, err := c.formFiles(map[string]int{"profile": 1, "catalog": 1})
	if err != nil {
		return err
	}
	up.data = nil
	for _, f := range files {
		if f.field == "catalog" {
			up.catalog = &upload{name: f.name, data: f.data}
			continue
		}
		up.upload, up.named = f.upload, true
	}
	if up.data == nil {
		return errorf(EBadRequest, "the multipart body has no part profile; expected the profile, and optionally its catalog")
	}
	return nil
}

// extension is the file name ending an upload of media type mt is read
// as when the request names no file.
func extension(mt string) string {
	switch {
	case strings.Contains(mt, "json"):
		return ".json"
	case strings.Contains(mt, "yaml"):
		return ".yaml"
	case mt == "multipart/form-data":
		return ""
	}
	return ".xlsx"
}

// importTarget finds the provider document an import would replace, and
// checks the request's right to: a name that is taken is a conflict
// unless replace is set, and then If-Match must name the document's
// current version, as for any update. With replace and no such document
// the import creates it, and If-Match, which can match nothing, fails.
func (c *call) importTarget(name string, replace bool) (*demarc.Document, int, error) {
	d, err := c.s.store.DocumentByName(c.r.Context(), c.org.ID, demarc.DocProvider, name)
	switch {
	case demarc.ErrorCode(err) == demarc.ENotFound:
		if replace && c.r.Header.Get("If-Match") != "" {
			return nil, 0, &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
				Message: fmt.Sprintf("If-Match names a version, but there is no provider document named %q to replace; leave If-Match out to create it", name)}
		}
		return nil, 0, nil
	case err != nil:
		return nil, 0, err
	case !replace:
		return nil, 0, demarc.Errorf(demarc.EConflict, "a provider document named %q already exists (%s, version %d); pass replace=true with If-Match: %s to store a new version of it, or choose another name",
			name, d.ID, d.Version, versionTag(d.Version))
	}
	version, err := matchVersion(c.r)
	if err != nil {
		return nil, 0, err
	}
	if version != d.Version {
		return nil, 0, &demarc.Error{Code: demarc.EConflict, Err: demarc.ErrVersionMismatch,
			Message: fmt.Sprintf("provider document %q is at version %d, not %d: read it again", name, d.Version, version)}
	}
	return d, version, nil
}

// storeImport creates the document, or stores a new version of the one
// it replaces, in the request's turn to write: 201 with the new document,
// 200 with a new version.
func (s *Server) storeImport(c *call, p *importPlan) (*reply, error) {
	done, err := c.writeTurn()
	if err != nil {
		return nil, err
	}
	defer done()
	ctx := c.r.Context()
	var rev *demarc.Revision
	if p.existing == nil {
		rev, err = s.store.CreateDocument(ctx, c.actor, c.org.ID, p.in)
	} else {
		rev, err = s.store.UpdateDocument(ctx, c.actor, c.org.ID, p.existing.ID, p.version, p.in)
	}
	if err != nil {
		return nil, err
	}
	s.views.forget(c.org.ID)
	if p.res.Document, err = s.store.Document(context.WithoutCancel(ctx), c.org.ID, rev.Document); err != nil {
		return nil, err
	}
	tag := versionTag(p.res.Document.Version)
	if p.existing != nil {
		return tagged(p.res, tag), nil
	}
	return created(p.res, tag, apiPath+"/orgs/"+c.r.PathValue("org")+"/providers/"+string(rev.Document)), nil
}

// definitions lists the frameworks and services a library file defines.
func definitions(f *library.File) ([]demarc.FrameworkID, []demarc.ServiceID) {
	var fws []demarc.FrameworkID
	var svcs []demarc.ServiceID
	for _, fw := range f.Frameworks {
		fws = append(fws, fw.ID)
	}
	for _, p := range f.Providers {
		for _, sv := range p.Services {
			svcs = append(svcs, sv.ID)
		}
	}
	return fws, svcs
}

// importOSCAL imports a catalog or a profile as 'demarc import
// oscal-catalog' and 'oscal-profile' do.
func importOSCAL(model oscal.Model) func(*query, *importUpload, *library.Library) (*imported, error) {
	return func(q *query, up *importUpload, lib *library.Library) (*imported, error) {
		opts := oscal.ImportOptions{ID: demarc.FrameworkID(q.str("id")), AreasFrom: demarc.FrameworkID(q.str("areas_from")), Strict: q.boolean("strict"), Model: model}
		if q.err != nil {
			return nil, q.err
		}
		if up.catalog != nil {
			opts.Catalog, opts.CatalogData = up.catalog.name, up.catalog.data
		}
		fw, warnings, err := oscal.ImportFrameworkData(up.name, up.data, lib, opts)
		if err != nil {
			return nil, err
		}
		header := fmt.Sprintf("demarc library file: framework %s, imported from the OSCAL %s %s.", fw.ID, model, path.Base(up.name))
		var buf bytes.Buffer
		if err := oscal.WriteLibrary(&buf, fw, header); err != nil {
			return nil, err
		}
		return &imported{name: string(fw.ID), content: buf.Bytes(), warnings: warnings}, nil
	}
}

// importSSP imports a leveraged plan as 'demarc import oscal-ssp' does.
func importSSP(q *query, up *importUpload, lib *library.Library) (*imported, error) {
	opts := ssp.ImportOptions{Provider: demarc.ProviderID(q.str("provider")), Service: q.str("service"),
		Model: demarc.Model(q.oneOf("model", "", modelNames...)), Title: q.str("title")}
	strict := q.boolean("strict")
	if q.err != nil {
		return nil, q.err
	}
	doc, err := ssp.Read(up.name, up.data)
	if err != nil {
		return nil, err
	}
	st, err := ssp.Import(lib, doc, opts)
	switch {
	case errors.Is(err, ssp.ErrNoModel):
		return nil, demarc.Errorf(demarc.EInvalid, "%v; pass it with the query parameter model", err)
	case err != nil:
		return nil, problemsError(up.name, err.Error(), defectProblems(doc.Defects))
	case strict && len(st.Defects) > 0:
		return nil, problemsError(up.name, fmt.Sprintf("%s has %d defects and strict is set: nothing stored", doc.Name, len(st.Defects)), defectProblems(st.Defects))
	}
	var buf bytes.Buffer
	if err := st.WriteYAML(&buf); err != nil {
		return nil, err
	}
	warnings := append([]string{}, st.Notes...)
	for _, d := range st.Defects {
		warnings = append(warnings, d.String())
	}
	return &imported{name: string(st.Provider.Services[0].ID), content: buf.Bytes(), warnings: warnings}, nil
}

// defectProblems lists a plan's defects as problems: where (the document
// and the JSON path) and what was expected.
func defectProblems(ds []ssp.Defect) demarc.Problems {
	ps := make(demarc.Problems, len(ds))
	for i, d := range ds {
		msg := "expected " + d.Expected
		if d.Value != "" {
			msg = "found " + d.Value + "; " + msg
		}
		ps[i] = demarc.Problem{Pos: demarc.Position{File: d.Document}, Field: d.Path, Message: msg}
	}
	return ps
}

// importAzure imports one baseline workbook as 'demarc import
// azure-baseline' does.
func importAzure(q *query, up *importUpload, lib *library.Library) (*imported, error) {
	opts := azurebaseline.Options{Service: demarc.ServiceID(q.str("service")), Model: demarc.Model(q.oneOf("model", "", modelNames[1:]...))}
	skipBad := q.boolean("skip_bad")
	if q.err != nil {
		return nil, q.err
	}
	wb, err := azurebaseline.Read(up.name, bytes.NewReader(up.data))
	if err != nil {
		return nil, err
	}
	if len(wb.Problems) > 0 && !skipBad {
		return nil, problemsError(up.name, fmt.Sprintf("%d row(s) could not be read (skip_bad=true imports the rest)", len(wb.Problems)), wb.Problems)
	}
	st, err := azurebaseline.NewStatement(wb, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := azurebaseline.WriteLibrary(&buf, []*azurebaseline.Statement{st}); err != nil {
		return nil, err
	}
	warnings := []string{st.Summary()}
	for _, p := range wb.Problems {
		warnings = append(warnings, "row left out: "+p.String())
	}
	return &imported{name: string(st.Service.ID), content: buf.Bytes(), warnings: append(warnings, st.Warnings()...)}, nil
}

// importProwler imports a compliance mapping as 'demarc import prowler'
// does.
func importProwler(q *query, up *importUpload, lib *library.Library) (*imported, error) {
	fo := prowler.FrameworkOptions{ID: demarc.FrameworkID(q.str("id")), Title: q.str("title")}
	mo := prowler.MapOptions{Match: demarc.FrameworkID(q.str("match"))}
	skipBad := q.boolean("skip_bad")
	if fo.ID != "" && !prowler.ValidID(fo.ID) {
		q.fail("query parameter id: %q: expected lower-case letters, digits and . & ( ) _ -", fo.ID)
	}
	if q.err != nil {
		return nil, q.err
	}
	m, err := prowler.Parse(up.name, up.data)
	if err != nil {
		return nil, err
	}
	if len(m.Problems) > 0 && !skipBad {
		return nil, problemsError(up.name, fmt.Sprintf("%d requirement(s) could not be read (skip_bad=true imports the rest)", len(m.Problems)), m.Problems)
	}
	imp, err := prowler.Import(m, lib, mo, fo)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := imp.WriteLibrary(&buf); err != nil {
		return nil, err
	}
	warnings := append(imp.Summary(), imp.Warnings()...)
	return &imported{name: string(imp.Framework.ID), content: buf.Bytes(), warnings: warnings}, nil
}
