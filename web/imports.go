package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/server"
)

// The library's import tab: an outside file (an OSCAL catalog, profile
// or leveraged plan, an Azure baseline workbook, a Prowler mapping) run
// through the API's importers into a provider document of the
// organisation, previewed first if the person wants to see what would be
// stored.

func init() {
	addUpload("/library/import", func(u *UI) actionFunc { return importFile })
}

// importKindInfo is one importer the tab offers.
type importKindInfo struct {
	ID, Label, Help string
	// IDParam is the API's query parameter that the form's identifier
	// field fills: the framework's id or the service's.
	IDParam string
	// Models says the importer takes a service model.
	Models bool
}

// importKinds are the importers, as the API names them.
var importKinds = []importKindInfo{
	{ID: "oscal-catalog", Label: "OSCAL catalog", IDParam: "id",
		Help: "A catalog of controls (JSON or YAML), such as NIST SP 800-53, becomes a framework of the organisation."},
	{ID: "oscal-profile", Label: "OSCAL profile (a baseline)", IDParam: "id",
		Help: "A baseline resolved into a framework. A profile that names its catalog by address, as NIST's and FedRAMP's do, needs the catalog chosen beside it."},
	{ID: "oscal-ssp", Label: "OSCAL leveraged system security plan", IDParam: "service", Models: true,
		Help: "A provider's plan, saying what it provides and what it leaves to customers, becomes a service systems can use."},
	{ID: "azure-baseline", Label: "Azure security baseline workbook (XLSX)", IDParam: "service", Models: true,
		Help: "Microsoft's security baseline of one Azure service becomes that service's statement."},
	{ID: "prowler", Label: "Prowler compliance mapping (JSON)", IDParam: "id",
		Help: "A Prowler compliance framework becomes a framework of the organisation."},
}

// importModels are the service models an importer may be told.
var importModels = []string{"iaas", "caas", "paas", "faas", "saas", "on-prem"}

// carryLimit bounds the files a form carries to its next submission,
// so that a preview or a refusal does not make the person choose them
// again; larger files must be chosen again.
const carryLimit = 8 << 20

// importData is the import tab.
type importData struct {
	Tabs    []libraryTab
	Kinds   []importKindInfo
	Models  []string
	Form    *importForm
	Preview *importPreview
	Done    *importDone
}

// importForm is the import form as sent, kept whole when the API refuses
// it or when it was a preview.
type importForm struct {
	Kind, Name, ID, Model string
	Replace               bool
	// ETag is the version of the document to replace, as the API gave it.
	ETag string
	// File and Catalog are the files of the last submission, carried to
	// the next.
	File, Catalog *carriedFile
	Error         *apiError
	// Bad names the field a refusal is about: kind, file, catalog, name,
	// id or model.
	Bad string
	// Existing is the document that has the name, offered for replacing
	// after the API said the name is taken.
	Existing *demarc.Document
	// Stale says that the document changed since it was offered.
	Stale string
	// Dropped names a file too large to carry, to be chosen again.
	Dropped string
}

// carriedFile is a file carried in the page, encoded.
type carriedFile struct {
	Name string
	Data string // base64
	Size int
}

// Kilobytes is the file's size for people.
func (c *carriedFile) Kilobytes() string {
	return strconv.FormatFloat(float64(c.Size)/1024, 'f', 1, 64) + " KiB"
}

// importPreview is what an import would store.
type importPreview struct {
	Result     *server.ImportResult
	Frameworks []importedFramework
	Services   []importedService
	// Head is the start of the library file, Lines its length.
	Head  string
	Lines int
}

// importDone is what an import stored, with where to use it.
type importDone struct {
	Doc        *server.DocumentView
	Href       string
	Frameworks []importedFramework
	Services   []importedService
	Systems    []demarc.Document
}

// importedFramework is a framework a library file defines.
type importedFramework struct {
	ID       demarc.FrameworkID
	Title    string
	Controls int
	Href     string
}

// importedService is a service a library file defines.
type importedService struct {
	ID    demarc.ServiceID
	Title string
	Model demarc.Model
	Href  string
}

// previewLines is how much of a previewed library file the page shows.
const previewLines = 200

// importTab shows the import tab: the form, or what an import stored.
func importTab(v *view, lib *libraryData, form *importForm) (*importData, error) {
	d := &importData{Tabs: lib.Tabs, Kinds: importKinds, Models: importModels, Form: form}
	v.template, v.Data = "libimport", d
	if d.Form == nil {
		d.Form = &importForm{Kind: v.Query("kind")}
	}
	if doc := v.Query("imported"); doc != "" {
		done, err := importedDoc(v, doc)
		if err != nil {
			return nil, err
		}
		d.Done = done
		v.Flash = fmt.Sprintf("Imported %s as version %d.", done.Doc.Name, done.Doc.Version)
	}
	return d, nil
}

// importedDoc reads a stored import and lists what it defines.
func importedDoc(v *view, id string) (*importDone, error) {
	doc := &server.DocumentView{}
	if _, err := v.get(v.API("providers", escape(id)), nil, doc); err != nil {
		return nil, err
	}
	fws, svcs, err := definedIn(v, doc.Name, doc.Content)
	if err != nil {
		return nil, err
	}
	systems, err := v.systemDocuments()
	if err != nil {
		return nil, err
	}
	return &importDone{Doc: doc, Href: v.OrgBase() + "library/statements/" + url.PathEscape(string(doc.ID)), Frameworks: fws, Services: svcs, Systems: systems}, nil
}

// definedIn lists the frameworks, with their controls in force, and the
// services a library file defines.
func definedIn(v *view, name, content string) ([]importedFramework, []importedService, error) {
	f, err := library.ParseFile(name, []byte(content))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the imported library file %s: %w", name, err)
	}
	var fws []importedFramework
	for _, fw := range f.Frameworks {
		n := 0
		for _, c := range fw.Controls {
			if !c.Withdrawn {
				n++
			}
		}
		fws = append(fws, importedFramework{ID: fw.ID, Title: fw.Title, Controls: n, Href: entryHref(v, string(fw.ID))})
	}
	var svcs []importedService
	for _, p := range f.Providers {
		for _, s := range p.Services {
			svcs = append(svcs, importedService{ID: s.ID, Title: s.Title, Model: s.Model, Href: entryHref(v, string(s.ID))})
		}
	}
	return fws, svcs, nil
}

// MatrixHref is a system's matrix under a framework.
func (f importedFramework) MatrixHref(v *view, system demarc.DocumentID) string {
	return v.OrgBase() + "systems/" + url.PathEscape(string(system)) + "/?framework=" + url.QueryEscape(string(f.ID))
}

// importFile sends the chosen file to the API's importer: a preview
// shows what would be stored, an import goes to what was stored. A
// refusal shows the form again with the API's problems, the files kept.
func importFile(v *view) (string, error) {
	lib, err := openLibrary(v, "import")
	if err != nil {
		return "", err
	}
	f, file, catalog, err := importFormOf(v)
	if err != nil {
		return "", err
	}
	d, err := importTab(v, lib, f)
	if err != nil {
		return "", err
	}
	if err := f.reoffer(v); err != nil {
		return "", err
	}
	if msg := f.check(file, catalog); msg != "" {
		f.Error = &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid, Message: msg}
		v.status = f.Error.Status
		return "", nil
	}
	dryRun := v.r.PostFormValue("do") == "preview"
	a, err := v.importCall(f, file, catalog, dryRun)
	if err == nil {
		res := &server.ImportResult{}
		if err := json.Unmarshal(a.body, res); err != nil {
			return "", fmt.Errorf("reading the import's answer: %w", err)
		}
		if !dryRun && res.Document != nil {
			return v.OrgBase() + "library?tab=import&imported=" + url.QueryEscape(string(res.Document.ID)), nil
		}
		d.Preview, err = previewOf(v, res)
		return "", err
	}
	ae, ok := uploadRefusal(err)
	if !ok {
		return "", err
	}
	f.Error, v.status = ae, ae.Status
	return "", f.refused(v, ae)
}

// importFormOf reads the form: its fields, and each file chosen now or
// carried from the last submission.
func importFormOf(v *view) (*importForm, *filePart, *filePart, error) {
	form := v.r.PostForm
	f := &importForm{Kind: form.Get("kind"), Name: strings.TrimSpace(form.Get("name")), ID: strings.TrimSpace(form.Get("id")),
		Model: form.Get("model"), Replace: form.Get("replace") == "yes", ETag: form.Get("etag")}
	file, err := chosenFile(v, "file")
	if err != nil {
		return nil, nil, nil, err
	}
	catalog, err := chosenFile(v, "catalog")
	if err != nil {
		return nil, nil, nil, err
	}
	if f.Kind != "oscal-profile" && catalog != nil && !chosenNow(v.r, "catalog") {
		catalog = nil // carried from a profile, before the kind changed
	}
	f.File = f.carry(file)
	f.Catalog = f.carry(catalog)
	return f, file, catalog, nil
}

// chosenNow says whether the browser sent a file in the field, rather
// than one carried in the form.
func chosenNow(r *http.Request, field string) bool {
	return r.MultipartForm != nil && len(r.MultipartForm.File[field]) > 0
}

// chosenFile is the file of a field: the one chosen now, else the one
// carried in the form; nil when neither.
func chosenFile(v *view, field string) (*filePart, error) {
	files, err := formFiles(v.r, field, field)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		return &files[0], nil
	}
	name, enc := v.r.PostFormValue(field+"_name"), v.r.PostFormValue(field+"_data")
	if name == "" || enc == "" {
		return nil, nil
	}
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest, Message: "the file kept in the form is damaged; choose " + name + " again"}
	}
	return &filePart{field: field, name: name, data: data}, nil
}

// carry keeps a file for the next submission when it is small enough.
func (f *importForm) carry(p *filePart) *carriedFile {
	if p == nil {
		return nil
	}
	total := len(p.data)
	if f.File != nil {
		total += f.File.Size
	}
	if total > carryLimit {
		f.Dropped = p.name
		return nil
	}
	return &carriedFile{Name: p.name, Data: base64.StdEncoding.EncodeToString(p.data), Size: len(p.data)}
}

// check finds what the form lacks before the API is asked.
func (f *importForm) check(file, catalog *filePart) string {
	k := importKindOf(f.Kind)
	switch {
	case k == nil:
		f.Bad = "kind"
		return "Choose what kind of file to import."
	case file == nil:
		f.Bad = "file"
		return "Choose the file to import."
	case catalog != nil && f.Kind != "oscal-profile":
		f.Bad = "catalog"
		return "A catalog goes beside an OSCAL profile only; remove it or import the catalog itself as an OSCAL catalog."
	case f.Model != "" && !k.Models:
		f.Bad = "model"
		return "A service model is for an OSCAL plan or an Azure baseline only; " + k.Label + " defines a framework."
	}
	return ""
}

func importKindOf(id string) *importKindInfo {
	i := slices.IndexFunc(importKinds, func(k importKindInfo) bool { return k.ID == id })
	if i < 0 {
		return nil
	}
	return &importKinds[i]
}

// importCall sends the import to the API: the file as the body, or a
// profile with its catalog as a multipart body.
func (v *view) importCall(f *importForm, file, catalog *filePart, dryRun bool) (*answer, error) {
	k := importKindOf(f.Kind)
	q := url.Values{}
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("name", f.Name)
	set(k.IDParam, f.ID)
	set("model", f.Model)
	if dryRun {
		q.Set("dry_run", "true")
	}
	h := http.Header{}
	if f.Replace {
		q.Set("replace", "true")
		if f.ETag != "" {
			h.Set("If-Match", f.ETag)
		}
	}
	var body []byte
	var ctype string
	if catalog != nil {
		var err error
		body, ctype, err = multipartBody([]filePart{{field: "profile", name: file.name, data: file.data}, {field: "catalog", name: catalog.name, data: catalog.data}})
		if err != nil {
			return nil, err
		}
	} else {
		body, ctype = file.data, importMedia(f.Kind, file)
		q.Set("filename", file.name)
	}
	return v.call(http.MethodPost, v.API("imports", f.Kind), q, bytes.NewReader(body), ctype, h)
}

// importMedia is the content type a file goes to its importer with: a
// workbook, or JSON or YAML by the file's name or, failing that, its
// first character.
func importMedia(kind string, file *filePart) string {
	switch kind {
	case "azure-baseline":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "prowler":
		return "application/json"
	}
	switch strings.ToLower(path.Ext(file.name)) {
	case ".json":
		return "application/json"
	case ".yaml", ".yml":
		return "application/yaml"
	}
	if s := strings.TrimSpace(string(file.data[:min(len(file.data), 64)])); strings.HasPrefix(s, "{") {
		return "application/json"
	}
	return "application/yaml"
}

// refused prepares the form for the API's refusal: a taken name offers
// to replace the document that has it; a stale version takes the new
// one, saying so.
func (f *importForm) refused(v *view, ae *apiError) error {
	switch ae.Status {
	case http.StatusConflict:
		f.Bad = "name"
		if f.Replace {
			return nil // replace named a document that is not there
		}
		return f.offerReplace(v, ae)
	case http.StatusPreconditionFailed, http.StatusPreconditionRequired:
		f.Bad = "name"
		return f.restale(v)
	case http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
		f.Bad = "file"
	}
	return nil
}

// offerReplace finds the document whose name the API said is taken (its
// message quotes the name) and offers to store a new version of it.
func (f *importForm) offerReplace(v *view, ae *apiError) error {
	docs, err := v.documents("providers")
	if err != nil {
		return err
	}
	var found *demarc.Document
	for i := range docs {
		if strings.Contains(ae.Message, strconv.Quote(docs[i].Name)) && (found == nil || len(docs[i].Name) > len(found.Name)) {
			found = &docs[i]
		}
	}
	if found == nil {
		return nil
	}
	etag, err := v.get(v.API("providers", escape(string(found.ID))), nil, &server.DocumentView{})
	if err != nil {
		return err
	}
	f.Existing, f.ETag, f.Name = found, etag, found.Name
	return nil
}

// reoffer finds again the document a submission offered to replace, so
// that the offer stays on the form whatever the API answers now.
func (f *importForm) reoffer(v *view) error {
	if f.ETag == "" || f.Name == "" {
		return nil
	}
	docs, err := v.documents("providers")
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(docs, func(d demarc.Document) bool { return d.Name == f.Name }); i >= 0 {
		f.Existing = &docs[i]
	}
	return nil
}

// restale reads the document to replace again: someone stored a version
// after it was offered, which the next submission replaces knowingly.
func (f *importForm) restale(v *view) error {
	docs, err := v.documents("providers")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(docs, func(d demarc.Document) bool { return d.Name == f.Name })
	if i < 0 {
		f.Replace, f.ETag = false, ""
		f.Stale = fmt.Sprintf("There is no longer a document named %s to replace; importing now creates it.", f.Name)
		return nil
	}
	cur := &server.DocumentView{}
	etag, err := v.get(v.API("providers", escape(string(docs[i].ID))), nil, cur)
	if err != nil {
		return err
	}
	f.Existing, f.ETag = &cur.Document, etag
	f.Stale = fmt.Sprintf("Someone stored version %d of %s after it was offered to you. Your choices are kept; importing again replaces that version.", cur.Version, cur.Name)
	return nil
}

// previewOf is what a dry run says would be stored.
func previewOf(v *view, res *server.ImportResult) (*importPreview, error) {
	fws, svcs, err := definedIn(v, res.Name, res.Content)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(res.Content, "\n"), "\n")
	head := lines[:min(len(lines), previewLines)]
	return &importPreview{Result: res, Frameworks: fws, Services: svcs, Head: strings.Join(head, "\n"), Lines: len(lines)}, nil
}
