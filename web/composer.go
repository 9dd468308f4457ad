package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// The composer: a system built from the service catalogue in a form, or
// typed as YAML, saved through the API as a new document or a new
// version of one.
func init() {
	addPage("/systems/new", func(u *UI) pageFunc { return u.composeNew })
	addPage("/systems/{id}/edit", func(u *UI) pageFunc { return u.composeEdit })
	for _, path := range []string{"/systems/new", "/systems/{id}/edit"} {
		pageRoutes = append(pageRoutes, pageRoute{method: "POST", path: path, handle: func(u *UI) http.HandlerFunc { return u.composeAction }})
	}
}

// composeAction is u.action for the composer, except that a form whose
// token has expired (the browser signed in again, or the cookie was
// cleared) comes back with everything typed and a fresh token instead
// of being lost. Showing a form changes nothing, and a page of another
// site cannot read the answer; a form that says it comes from another
// site is refused outright.
func (u *UI) composeAction(w http.ResponseWriter, r *http.Request) {
	if !u.readForm(w, r) {
		return
	}
	expired := u.checkForm(r)
	if expired != nil && !fromThisSite(r) {
		u.fail(w, r, expired)
		return
	}
	v := u.open(w, r)
	if v == nil {
		return
	}
	var to string
	var err error
	if expired != nil {
		err = u.composeExpired(v, expired)
	} else {
		to, err = u.composeSubmit(v)
	}
	u.finish(v, to, err)
}

// fromThisSite says whether a browser that names where a form came from
// names this server (or names nothing).
func fromThisSite(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	p, err := url.Parse(o)
	return err == nil && p.Host == r.Host
}

// composeExpired shows the form as sent, with why nothing was done.
func (u *UI) composeExpired(v *view, why error) error {
	d, err := v.composeRead()
	if err != nil {
		return err
	}
	d.Message = "Nothing was saved: " + why.Error() + ". Everything you typed is kept below; send it again."
	return v.composeRender(d, http.StatusForbidden)
}

// composeData is the composer page: the form, the YAML, and what the
// API said about them.
type composeData struct {
	Form *systemForm
	// YAML is the "Edit as YAML" text: the stored document when the page
	// opens, then whatever the user typed.
	YAML string
	// Mode is where a save came from, "form" or "yaml"; problems are
	// placed beside the form's fields or beside the YAML.
	Mode string
	New  bool
	// DocID, DocName and Version are the stored document the form was
	// loaded from; Follows says its name follows the system's own.
	DocID   string
	DocName string
	Follows bool
	Version int
	Note    string

	// Message is what went wrong; Notice what went right (a check).
	Message  string
	Notice   string
	Problems []demarc.Problem
	// Listing is the document that was checked, line by line, with the
	// lines that have problems marked.
	Listing  []listingLine
	Conflict *composeConflict
	// Comments says the stored file has comments, which saving from the
	// form drops; FormBlocked why the file cannot be shown in the form.
	Comments    bool
	FormBlocked string
	PrefillRow  int

	Search      catalogueSearch
	Catalogue   []catalogueRow
	Shown       int
	Services    []server.LibraryItem
	Providers   []string
	Models      []string
	Frameworks  []server.LibraryItem
	Areas       []server.LibraryItem
	Enums       schemaEnums
	Sections    []formSection
	fieldErrors map[string][]string
}

// composeConflict is the version someone else saved first.
type composeConflict struct {
	Version int
	By      string
	When    time.Time
	Content string
}

// catalogueSearch narrows the service catalogue.
type catalogueSearch struct{ Q, Provider, Model string }

// catalogueRow is one service of the catalogue; rows the search leaves
// out stay on the page, hidden, for the script to filter again.
type catalogueRow struct {
	server.LibraryItem
	Hidden bool
}

// listingLine is one line of a checked document.
type listingLine struct {
	N    int
	Text string
	Bad  bool
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// formField is one input of a row, described so that one template draws
// every kind of row.
type formField struct {
	Name, ID, Label, Value, Help string
	// Kind is "text", "select" or "textarea"; List names a datalist.
	Kind    string
	List    string
	Options []option
	Errors  []string
	// Role marks inputs the script keeps in step: "component-name",
	// "runs-on", "component", "service".
	Role      string
	Autofocus bool
	// More puts the field under the row's "more fields", open when any
	// of them has a value or a problem.
	More bool
}

// formRow is one row of a list: the fields most rows need, and the
// others behind "more fields".
type formRow struct {
	Index    int
	Legend   string
	Fields   []formField
	More     []formField
	MoreOpen bool
	Errors   []string
	Class    string
}

// formSection is one list of the form: components, teams, overrides or
// assumptions.
type formSection struct {
	List, Title, Help, Add string
	Rows                   []formRow
	Errors                 []string
}

func (u *UI) composeNew(v *view) error {
	if err := mayCompose(v); err != nil {
		return err
	}
	d := &composeData{New: true, Mode: "form", Form: &systemForm{}, PrefillRow: -1}
	d.prefill(v.Query("area"))
	d.YAML, _, _ = d.Form.document()
	v.Crumbs = []crumb{{Label: "Systems", Href: v.OrgBase()}, {Label: "New system"}}
	return v.composeRender(d, http.StatusOK)
}

func (u *UI) composeEdit(v *view) error {
	if err := mayCompose(v); err != nil {
		return err
	}
	doc, err := v.openSystem()
	if err != nil {
		return err
	}
	d := &composeData{Mode: "form", DocID: string(doc.ID), DocName: doc.Name, Version: doc.Version, YAML: doc.Content, PrefillRow: -1}
	f, comments, why := formFromYAML(doc.Content)
	if why != "" {
		d.Mode, d.FormBlocked, d.Form = "yaml", why, &systemForm{}
	} else {
		d.Form, d.Comments = f, comments
	}
	d.Follows = doc.Name == systemNameOf(doc.Content)
	v.Crumbs = append(v.Crumbs, crumb{Label: "Edit"})
	// Show what is wrong with the stored version right away: a system
	// that no longer passes (its library moved on) opens here to be fixed.
	if err := d.check(v, doc.Content, nil); err != nil {
		return err
	}
	d.Notice = ""
	if d.Message != "" {
		d.Message = fmt.Sprintf("Version %d as stored does not pass the checks; fix the problems shown and save.", doc.Version)
	}
	d.prefill(v.Query("area"))
	return v.composeRender(d, http.StatusOK)
}

// mayCompose refuses the composer to roles that may not change systems,
// rather than offer a form the API would refuse.
func mayCompose(v *view) error {
	if v.CanEdit() {
		return nil
	}
	return &apiError{Status: http.StatusForbidden, Code: server.EForbidden,
		Message: "your role (" + string(v.Role) + ") may read systems but not change them; an editor, admin or owner can"}
}

// prefill adds a team row responsible for an area, for the gaps page's
// "assign a team".
func (d *composeData) prefill(area string) {
	area = strings.TrimSpace(area)
	if area == "" || d.FormBlocked != "" {
		return
	}
	d.PrefillRow = len(d.Form.Teams)
	d.Form.Teams = append(d.Form.Teams, teamRow{Responsible: area})
}

// composeSubmit handles every button of the composer: save, check,
// switch between form and YAML, more rows, catalogue search and add.
func (u *UI) composeSubmit(v *view) (string, error) {
	d, err := v.composeRead()
	if err != nil {
		return "", err
	}
	op := v.r.PostForm.Get("op")
	if add := strings.TrimSpace(v.r.PostForm.Get("add")); add != "" {
		d.addService(add)
		op = "add"
	}
	if d.FormBlocked != "" && slices.Contains([]string{"save", "check", "to-yaml"}, op) {
		op = "from-yaml" // the form is not in use until the YAML loads into it
	}
	next, err := d.run(v, op)
	if err != nil || next != "" {
		return next, err
	}
	return "", v.composeRender(d, v.status)
}

// composeRead reads the composer's form as sent.
func (v *view) composeRead() (*composeData, error) {
	d := &composeData{New: v.r.PathValue("id") == "", PrefillRow: -1}
	if !d.New {
		doc, err := v.openSystem()
		if err != nil {
			return nil, err
		}
		d.DocID = string(doc.ID)
		v.Crumbs = append(v.Crumbs, crumb{Label: "Edit"})
	} else {
		v.Crumbs = []crumb{{Label: "Systems", Href: v.OrgBase()}, {Label: "New system"}}
	}
	form := v.r.PostForm
	d.Form = readSystemForm(form)
	d.YAML = strings.ReplaceAll(form.Get("yaml"), "\r\n", "\n")
	d.Form.Extra = strings.ReplaceAll(d.Form.Extra, "\r\n", "\n")
	d.Version, _ = strconv.Atoi(form.Get("version"))
	d.DocName, d.Follows = form.Get("doc_name"), form.Get("doc_follows") == "1"
	d.Note = strings.TrimSpace(form.Get("note"))
	d.FormBlocked = form.Get("blocked")
	d.Comments = form.Get("comments") == "1"
	d.Search = catalogueSearch{Q: strings.TrimSpace(form.Get("cat_q")), Provider: form.Get("cat_provider"), Model: form.Get("cat_model")}
	d.Mode = "form"
	if op := form.Get("op"); op == "save-yaml" || op == "check-yaml" {
		d.Mode = "yaml"
	}
	return d, nil
}

// run does what the pressed button asks; it returns where to go after a
// save.
func (d *composeData) run(v *view, op string) (string, error) {
	switch op {
	case "save", "save-yaml", "check", "check-yaml":
		if op == "save-yaml" || op == "check-yaml" {
			d.Mode = "yaml"
		}
		content, rows, ok := d.content(v)
		if !ok {
			return "", nil
		}
		if strings.HasPrefix(op, "check") {
			return "", d.check(v, content, rows)
		}
		return d.save(v, content, rows)
	case "to-yaml":
		content, _, ok := d.content(v)
		if ok {
			d.YAML, d.Mode = content, "yaml"
			d.Notice = "The YAML below now holds what the form shows. Save it from there, or keep using the form."
		}
	case "from-yaml":
		d.fromYAML(v)
	case "more-components":
		d.Form.Components = append(d.Form.Components, make([]componentRow, 3)...)
	case "more-teams":
		d.Form.Teams = append(d.Form.Teams, teamRow{})
	case "more-overrides":
		d.Form.Overrides = append(d.Form.Overrides, overrideRow{})
	case "more-assumptions":
		d.Form.Assumptions = append(d.Form.Assumptions, assumptionRow{})
	}
	return "", nil
}

// content is the document to check or save: the YAML as typed, or the
// one the form builds. It shows the form's own problems and returns
// false when the form cannot be written as a document.
func (d *composeData) content(v *view) (string, rowMap, bool) {
	if d.Mode == "yaml" {
		return d.YAML, nil, true
	}
	content, rows, bad := d.Form.document()
	if len(bad) == 0 {
		return content, rows, true
	}
	v.status = http.StatusUnprocessableEntity
	d.Message = "The form has problems; nothing was saved."
	for _, b := range bad {
		d.addError(b.Key, b.Message)
		d.Problems = append(d.Problems, demarc.Problem{Field: keyLabel(b.Key), Message: b.Message})
	}
	return "", nil, false
}

// keyLabel names a form input for people: "overrides.2.duties" is
// "override 3, duties".
func keyLabel(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return key
	}
	i, err := strconv.Atoi(parts[1])
	if err != nil {
		return key
	}
	return strings.TrimSuffix(parts[0], "s") + " " + strconv.Itoa(i+1) + ", " + parts[2]
}

// fromYAML loads the YAML text into the form, or says why it cannot.
func (d *composeData) fromYAML(v *view) {
	f, comments, why := formFromYAML(d.YAML)
	if why != "" {
		v.status = http.StatusUnprocessableEntity
		d.Mode, d.FormBlocked = "yaml", why
		d.Message = "The YAML cannot be shown in the form: " + why + ". Fix it below, or save it as YAML."
		d.addError("yaml", why)
		return
	}
	d.Form, d.Comments, d.FormBlocked = f, comments, ""
	d.Notice = "The form now shows the YAML."
}

// check has the API validate a document without storing it.
func (d *composeData) check(v *view, content string, rows rowMap) error {
	var out server.Validation
	_, err := v.send(http.MethodPost, v.API("systems", "validate"), server.DocumentRequest{Name: d.DocName, Content: content}, "", &out)
	if err != nil {
		return d.refused(v, err, content, rows)
	}
	d.Notice = fmt.Sprintf("The system %s is valid, with %d components. It is not saved yet.", out.System, out.Components)
	return nil
}

// save stores the document: a new one, or a new version of the one the
// form was loaded from, guarded by that version.
func (d *composeData) save(v *view, content string, rows rowMap) (string, error) {
	name := d.Form.Name
	if d.Mode == "yaml" {
		name = systemNameOf(content)
	}
	if d.New && name == "" {
		// A document needs a name to be stored; have the content checked
		// so that every problem shows, the missing name among them.
		if err := d.check(v, content, rows); err != nil {
			return "", err
		}
		d.Notice = ""
		v.status = http.StatusUnprocessableEntity
		if len(d.Problems) == 0 {
			d.Message = "The system needs a name; nothing was saved."
			d.addError(d.nameKey(), "is required: every system needs a name")
		}
		return "", nil
	}
	req := server.DocumentRequest{Name: name, Content: content, Note: d.Note}
	if !d.New && !d.Follows {
		req.Name = "" // the stored name stays
	}
	var out server.DocumentView
	var err error
	if d.New {
		_, err = v.send(http.MethodPost, v.API("systems"), req, "", &out)
	} else {
		_, err = v.send(http.MethodPut, v.API("systems", escape(d.DocID)), req, `"v`+strconv.Itoa(d.Version)+`"`, &out)
	}
	if err != nil {
		return "", d.refused(v, err, content, rows)
	}
	return v.OrgBase() + "systems/" + url.PathEscape(string(out.ID)) + "/", nil
}

// refused shows the API's refusal beside the fields, keeping everything
// the user typed. Errors a form cannot help with are returned, for the
// error page.
func (d *composeData) refused(v *view, err error, content string, rows rowMap) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
	default:
		return err
	}
	v.status = ae.Status
	d.Message, d.Problems = ae.Message+" — nothing was saved.", ae.Problems
	if n := len(ae.Problems); n > 0 {
		d.Message = fmt.Sprintf("The system has %d problem%s; nothing was saved.", n, plural(n))
	}
	for _, p := range ae.Problems {
		d.placeProblem(p, rows)
	}
	switch {
	case ae.Status == http.StatusPreconditionFailed:
		return d.conflict(v)
	case ae.Status == http.StatusConflict:
		d.addError(d.nameKey(), ae.Message)
	case len(ae.Problems) == 0 && strings.HasPrefix(ae.Message, "name: "):
		d.addError(d.nameKey(), strings.TrimPrefix(ae.Message, "name: "))
	case len(ae.Problems) == 0 && d.Mode == "yaml":
		d.addError("yaml", ae.Message)
	}
	d.Listing = listing(content, ae.Problems)
	return nil
}

// nameKey is where a problem with the name shows.
func (d *composeData) nameKey() string {
	if d.Mode == "yaml" {
		return "yaml"
	}
	return "name"
}

// placeProblem puts a problem beside its field: in the form, the row's
// input; in YAML mode, beside the text with its line.
func (d *composeData) placeProblem(p demarc.Problem, rows rowMap) {
	msg := p.Message
	if p.Pos.Line > 0 {
		msg = "line " + strconv.Itoa(p.Pos.Line) + ": " + msg
	}
	if d.Mode == "yaml" {
		if p.Field != "" {
			msg = p.Field + ": " + msg
		}
		d.addError("yaml", msg)
		return
	}
	key := fieldKey(p.Field, rows)
	if missing := missingFields(p.Message); len(missing) > 0 {
		// "missing required field" is reported on the item that lacks it;
		// show it at the input that is empty.
		if k := fieldKey(joinField(p.Field, missing[0]), rows); k != "" {
			key = k
		}
	}
	if key == "" {
		key = "other"
		if p.Field != "" {
			msg = p.Field + ": " + msg
		}
	}
	d.addError(key, msg)
}

// missingPattern finds the fields a schema problem says are missing.
var missingPattern = regexp.MustCompile(`missing required fields? ((?:"[a-z_]+"(?:, )?)+)`)

// missingFields lists the fields a "missing required field" problem
// names, or none.
func missingFields(msg string) []string {
	m := missingPattern.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	var out []string
	for _, q := range strings.Split(m[1], ", ") {
		out = append(out, strings.Trim(q, `"`))
	}
	return out
}

// joinField is a field path below another, e.g. overrides[0].reason.
func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// conflict explains a 412: someone saved a newer version first. The
// form keeps the user's input and now names that version, so that
// saving again deliberately replaces it.
func (d *composeData) conflict(v *view) error {
	cur := &server.DocumentView{}
	if _, err := v.get(v.API("systems", escape(d.DocID)), nil, cur); err != nil {
		return err
	}
	names, err := v.memberNames()
	if err != nil {
		return err
	}
	d.Conflict = &composeConflict{Version: cur.Version, By: memberName(names, cur.UpdatedBy), When: cur.Updated, Content: cur.Content}
	d.Message = fmt.Sprintf("Someone else saved version %d of this system while you were editing version %d; your changes are kept below and nothing of yours was saved. "+
		"Compare with version %d, then save again to store yours as the next version.", cur.Version, d.Version, cur.Version)
	d.Problems = nil
	d.Version = cur.Version
	return nil
}

func (d *composeData) addError(key, msg string) {
	if d.fieldErrors == nil {
		d.fieldErrors = map[string][]string{}
	}
	d.fieldErrors[key] = append(d.fieldErrors[key], msg)
}

// Err returns the problems shown beside the input key, e.g. "name",
// "yaml", "components".
func (d *composeData) Err(key string) []string { return d.fieldErrors[key] }

// HasErrors says whether any problem is placed at all.
func (d *composeData) HasErrors() bool { return len(d.fieldErrors) > 0 }

// listing numbers the lines of a document and marks those with problems.
func listing(content string, ps []demarc.Problem) []listingLine {
	if content == "" || len(ps) == 0 {
		return nil
	}
	bad := map[int]bool{}
	for _, p := range ps {
		bad[p.Pos.Line] = true
	}
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	out := make([]listingLine, len(lines))
	for i, l := range lines {
		out[i] = listingLine{N: i + 1, Text: l, Bad: bad[i+1]}
	}
	return out
}

// addService puts a catalogue service into the first empty component
// row, or a new one, named after the service.
func (d *composeData) addService(id string) {
	name := id
	if _, short, ok := strings.Cut(id, "/"); ok {
		name = short
	}
	name = d.uniqueName(name)
	for i := range d.Form.Components {
		if blank(d.Form.Components[i].fields()) {
			d.Form.Components[i].Name, d.Form.Components[i].Service = name, id
			return
		}
	}
	d.Form.Components = append(d.Form.Components, componentRow{Name: name, Service: id})
}

// uniqueName is name, or name-2, name-3 … when a component has it.
func (d *composeData) uniqueName(name string) string {
	taken := map[string]bool{}
	for _, c := range d.Form.Components {
		taken[c.Name] = true
	}
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		if n := name + "-" + strconv.Itoa(i); !taken[n] {
			return n
		}
	}
}

// composeRender reads what the form offers — services, frameworks,
// areas — and renders the composer.
func (v *view) composeRender(d *composeData, status int) error {
	var services, areas server.List[server.LibraryItem]
	if _, err := v.get(v.API("library", "services"), nil, &services); err != nil {
		return err
	}
	if _, err := v.get(v.API("library", "areas"), nil, &areas); err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	d.Services, d.Areas, d.Frameworks, d.Enums = services.Items, areas.Items, fws, systemEnums()
	d.Providers, d.Models = facets(services.Items)
	d.Catalogue, d.Shown = d.Search.rows(services.Items)
	d.Form.pad()
	d.Sections = d.sections()
	if status == 0 {
		status = http.StatusOK
	}
	v.status, v.template, v.Data = status, "composer", d
	if d.New {
		v.Title, v.Section = "New system", "dashboard"
	} else {
		v.Title, v.Section = "Edit "+v.System.Name, "edit"
	}
	return nil
}

// pad leaves empty rows at the end of each list to type into.
func (f *systemForm) pad() {
	if len(f.Components) == 0 {
		f.Components = make([]componentRow, 3)
	} else if !blank(f.Components[len(f.Components)-1].fields()) {
		f.Components = append(f.Components, componentRow{})
	}
	if n := len(f.Teams); n == 0 || !blank(f.Teams[n-1].fields()) {
		f.Teams = append(f.Teams, teamRow{})
	}
	if n := len(f.Overrides); n == 0 || !blank(f.Overrides[n-1].fields()) {
		f.Overrides = append(f.Overrides, overrideRow{})
	}
	if n := len(f.Assumptions); n == 0 || !blank(f.Assumptions[n-1].fields()) {
		f.Assumptions = append(f.Assumptions, assumptionRow{})
	}
}

// facets lists the providers and models of the catalogue.
func facets(items []server.LibraryItem) (providers, models []string) {
	for _, it := range items {
		if it.Provider != "" && !slices.Contains(providers, it.Provider) {
			providers = append(providers, it.Provider)
		}
		if it.Model != "" && !slices.Contains(models, it.Model) {
			models = append(models, it.Model)
		}
	}
	slices.Sort(providers)
	slices.Sort(models)
	return providers, models
}

// rows marks the services that do not match the search hidden: a
// service matches when it has the provider and model chosen and every
// word typed in its id, title, provider, model or category.
func (s catalogueSearch) rows(items []server.LibraryItem) ([]catalogueRow, int) {
	words := strings.Fields(strings.ToLower(s.Q))
	out := make([]catalogueRow, len(items))
	shown := 0
	for i, it := range items {
		hay := strings.ToLower(it.ID + " " + it.Title + " " + it.Provider + " " + it.Model + " " + it.Category)
		match := (s.Provider == "" || it.Provider == s.Provider) && (s.Model == "" || it.Model == s.Model) && allIn(words, hay)
		out[i] = catalogueRow{LibraryItem: it, Hidden: !match}
		if match {
			shown++
		}
	}
	return out, shown
}

func allIn(words []string, hay string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// HasFramework says whether the form has the framework checked.
func (f *systemForm) HasFramework(id string) bool { return slices.Contains(f.Frameworks, id) }

// HasFeature says whether the form requires a feature of every
// component.
func (f *systemForm) HasFeature(key string) bool { return slices.Contains(f.Requires, key) }

// ClassOptions are the choices of data classification.
func (d *composeData) ClassOptions() []option {
	return choices("(not set)", d.Enums.Classifications, d.Form.Classification)
}

// FrameworkChoices are the library's frameworks, those in scope
// checked; a framework the library lacks stays, checked, so that it is
// not lost (the check then says it is unknown).
func (d *composeData) FrameworkChoices() []option {
	var out []option
	for _, fw := range d.Frameworks {
		out = append(out, option{Value: fw.ID, Label: fw.Title + " (" + fw.ID + ")", Selected: d.Form.HasFramework(fw.ID)})
	}
	for _, id := range d.Form.Frameworks {
		if !slices.ContainsFunc(d.Frameworks, func(fw server.LibraryItem) bool { return fw.ID == id }) {
			out = append(out, option{Value: id, Label: id + " (unknown)", Selected: true})
		}
	}
	return out
}

// FeatureChoices are the security features a system can require.
func (d *composeData) FeatureChoices() []option {
	var out []option
	for _, k := range d.Enums.Features {
		out = append(out, option{Value: k, Label: k, Selected: d.Form.HasFeature(k)})
	}
	for _, k := range d.Form.Requires {
		if !slices.Contains(d.Enums.Features, k) {
			out = append(out, option{Value: k, Label: k + " (unknown)", Selected: true})
		}
	}
	return out
}

// componentNames lists the names the form's components have.
func (f *systemForm) componentNames() []string {
	var out []string
	for _, c := range f.Components {
		if c.Name != "" && !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// selected says whether a select has a value chosen.
func selected(opts []option) bool {
	for _, o := range opts {
		if o.Selected && o.Value != "" {
			return true
		}
	}
	return false
}

// choices makes the options of a select: an empty choice, the values,
// and the current value even when it is not among them, so that what
// the user had is never lost.
func choices(empty string, values []string, current string) []option {
	out := []option{{Value: "", Label: empty, Selected: current == ""}}
	found := current == ""
	for _, val := range values {
		out = append(out, option{Value: val, Label: val, Selected: val == current})
		found = found || val == current
	}
	if !found {
		out = append(out, option{Value: current, Label: current + " (unknown)", Selected: true})
	}
	return out
}

// sections lays the form's lists out as rows of fields.
func (d *composeData) sections() []formSection {
	f := d.Form
	names := f.componentNames()
	comps := formSection{List: "components", Title: "Components", Add: "More component rows",
		Help: "Each component uses one service of the catalogue. A component that runs on another takes the layers below its own boundary from it.", Errors: d.Err("components")}
	for i, c := range f.Components {
		others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == c.Name })
		comps.Rows = append(comps.Rows, d.row("components", i, "Component", []formField{
			{Name: "name", Label: "Name", Value: c.Name, Role: "component-name", Help: "letters, digits, . _ -"},
			{Name: "service", Label: "Service", Value: c.Service, List: "service-list", Role: "service", Help: "e.g. aws/lambda; pick from the catalogue"},
			{Name: "runs_on", Label: "Runs on", Kind: "select", Options: choices("(nothing: runs on its provider)", others, c.RunsOn), Role: "runs-on"},
			{Name: "provider", Label: "Provider", Value: c.Provider, Help: "only for generic/* services", More: true},
			{Name: "operated_by", Label: "Operated by", Value: c.OperatedBy, Help: "a vendor who runs it for you", More: true},
			{Name: "requires", Label: "Requires features", Value: c.Requires, Help: "comma-separated, e.g. customer-managed-keys", More: true},
			{Name: "description", Label: "Description", Value: c.Description, Kind: "textarea", More: true},
		}))
	}
	teams := formSection{List: "teams", Title: "Teams", Add: "More team rows",
		Help: "Customer teams and the areas they take, as RACI. List area ids such as data.backup, or prefixes such as os.*, separated by commas.", Errors: d.Err("teams")}
	for i, t := range f.Teams {
		r := d.row("teams", i, "Team", []formField{
			{Name: "name", Label: "Name", Value: t.Name, Autofocus: i == d.PrefillRow},
			{Name: "contact", Label: "Contact", Value: t.Contact},
			{Name: "responsible", Label: "Responsible for", Value: t.Responsible, List: "area-list"},
			{Name: "accountable", Label: "Accountable for", Value: t.Accountable, List: "area-list"},
			{Name: "consulted", Label: "Consulted on", Value: t.Consulted, List: "area-list", More: true},
			{Name: "informed", Label: "Informed of", Value: t.Informed, List: "area-list", More: true},
			{Name: "cuecs", Label: "CUECs taken", Value: t.CUECs, Help: "ids of complementary controls from the attestations", More: true},
		})
		if i == d.PrefillRow {
			r.Class += " prefilled"
		}
		teams.Rows = append(teams.Rows, r)
	}
	overrides := formSection{List: "overrides", Title: "Overrides", Add: "More override rows",
		Help: "Move an area to another party, for one component or all, for a stated reason such as a contract.", Errors: d.Err("overrides")}
	for i, o := range f.Overrides {
		overrides.Rows = append(overrides.Rows, d.row("overrides", i, "Override", []formField{
			{Name: "area", Label: "Area", Value: o.Area, List: "area-list"},
			{Name: "component", Label: "Component", Kind: "select", Options: choices("(all components)", names, o.Component), Role: "component"},
			{Name: "owner", Label: "Owner", Kind: "select", Options: choices("(choose)", d.Enums.Owners, o.Owner)},
			{Name: "sharing", Label: "Sharing", Kind: "select", Options: choices("(not shared)", d.Enums.Sharings, o.Sharing), Help: "for owner shared", More: true},
			{Name: "provider", Label: "Provider's part", Value: o.Provider, Help: "for owner shared", More: true},
			{Name: "customer", Label: "Customer's part", Value: o.Customer, Help: "for owner shared", More: true},
			{Name: "party", Label: "Third party", Value: o.Party, Help: "for owner third-party", More: true},
			{Name: "duties", Label: "Duties", Value: o.Duties, Help: "optional, e.g. implement=provider, configure=customer", More: true},
			{Name: "reason", Label: "Reason", Value: o.Reason},
			{Name: "reference", Label: "Reference", Value: o.Reference, Help: "e.g. MSA §4.2", More: true},
			{Name: "note", Label: "Note", Value: o.Note, More: true},
		}))
	}
	assumptions := formSection{List: "assumptions", Title: "Assumptions", Add: "More assumption rows",
		Help: "What the team believes a party does. Resolution ignores them; gap analysis compares them with the resolved owner.", Errors: d.Err("assumptions")}
	for i, a := range f.Assumptions {
		assumptions.Rows = append(assumptions.Rows, d.row("assumptions", i, "Assumption", []formField{
			{Name: "area", Label: "Area", Value: a.Area, List: "area-list"},
			{Name: "component", Label: "Component", Kind: "select", Options: choices("(all components)", names, a.Component), Role: "component"},
			{Name: "owner", Label: "Believed owner", Kind: "select", Options: choices("(choose)", d.Enums.Owners, a.Owner)},
			{Name: "note", Label: "Note", Value: a.Note},
		}))
	}
	return []formSection{comps, teams, overrides, assumptions}
}

// row fills in the names, ids and problems of a row's fields.
func (d *composeData) row(list string, i int, legend string, fields []formField) formRow {
	key := list + "." + strconv.Itoa(i)
	r := formRow{Index: i, Legend: legend + " " + strconv.Itoa(i+1), Errors: d.Err(key), Class: "row"}
	for j := range fields {
		fl := &fields[j]
		field := fl.Name
		fl.Name = key + "." + field
		fl.ID = list + "-" + strconv.Itoa(i) + "-" + field
		fl.Errors = d.Err(fl.Name)
		if fl.Kind == "" {
			fl.Kind = "text"
		}
		if len(fl.Errors) > 0 {
			r.Class += " bad"
		}
		if fl.More {
			r.More = append(r.More, *fl)
			r.MoreOpen = r.MoreOpen || fl.Value != "" || len(fl.Errors) > 0 || selected(fl.Options)
		} else {
			r.Fields = append(r.Fields, *fl)
		}
	}
	if len(r.Errors) > 0 {
		r.Class += " bad"
	}
	return r
}
