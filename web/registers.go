package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/systemfile"
)

// Attestation registers: the reports and certificates (SOC 2, ISO 27001,
// PCI DSS AoC …) an organisation holds from its providers, with their
// periods, scopes and the controls they hand back to the customer.
// Systems name registers in attestation_files; the dashboard warns when
// an attestation expires. Here a register is listed, read, edited (a
// renewed report recorded), compared across versions and deleted.

func init() {
	addPage("/attestations", func(u *UI) pageFunc { return registersPage })
	addAction("/attestations", func(u *UI) actionFunc { return createRegister })
	addPage("/attestations/{doc}", func(u *UI) pageFunc { return registerPage })
	addAction("/attestations/{doc}", func(u *UI) actionFunc { return replaceRegister })
	addAction("/attestations/{doc}/delete", func(u *UI) actionFunc { return deleteRegister })
}

// registerDocs are the organisation's attestation registers, as the
// shared document form edits them.
var registerDocs = &docKind{api: "attestations", page: "attestations", noun: "register", ID: "register",
	Label: "Register (YAML: <code>attestations:</code>, one entry per report or certificate)", Add: "Add the register"}

// expiringDays is how far ahead an attestation counts as expiring: the
// dashboard's default horizon, so that both pages agree.
const expiringDays = 90

// registerTemplate is the example a new register starts from: every
// field of an attestation, the optional ones said so.
const registerTemplate = `# One entry per report or certificate you hold from a provider.
attestations:
  - id: example-soc2-2025           # your name for this report; unique in the register
    provider: aws                   # the provider's id in the library
    type: soc2-type2                # soc1-type2, soc2-type1, soc2-type2, iso-27001, iso-27017, iso-27018,
                                    # fedramp-low, fedramp-moderate, fedramp-high, pci-dss-aoc, hipaa-baa, c5, csa-star
    issuer: Example Audit LLP       # optional
    period: {from: 2025-04-01, to: 2026-03-31}
    expires: 2027-03-31             # optional; without it the report is relied on for 12 months after its period
    bridge_letters:                 # optional; each extends the report through its date
      - {issued: 2026-05-15, through: 2026-06-30}
    services: [aws/s3, aws/lambda]  # in scope; "aws/*" covers every service of the provider
    frameworks: [soc2]              # optional; when empty, those the type implies
    document: SOC 2 Type II report  # optional; where the report is kept
    cuecs:                          # optional: what the report expects the customer to do
      - id: example-cuec-1
        text: Customers create and remove their own users and grant them least privilege.
        areas: [identity.account-lifecycle, identity.privileged-access]
`

// expiry is how an attestation stands at a day.
type expiry struct {
	Through demarc.Date
	// DaysLeft is negative once the attestation has expired.
	DaysLeft int
	// State is "expired", "expiring" (within expiringDays) or "current".
	State string
}

// expiryOf judges an attestation at today, as the overview does: it
// holds through its last valid day.
func expiryOf(a *demarc.Attestation, today demarc.Date) expiry {
	e := expiry{Through: a.ValidThrough(), State: "current"}
	e.DaysLeft = int(e.Through.Sub(today.Time).Round(24*time.Hour) / (24 * time.Hour))
	switch {
	case e.Through.Before(today.Time):
		e.State = "expired"
	case !e.Through.After(today.AddDate(0, 0, expiringDays)):
		e.State = "expiring"
	}
	return e
}

// Words says when the attestation ran out or runs out.
func (e expiry) Words() string {
	switch {
	case e.DaysLeft < 0:
		return fmt.Sprintf("expired %d day%s ago", -e.DaysLeft, plural(-e.DaysLeft))
	case e.DaysLeft == 0:
		return "expires today"
	}
	return fmt.Sprintf("%d day%s left", e.DaysLeft, plural(e.DaysLeft))
}

// systemLink is a system that names a register.
type systemLink struct {
	Name string
	Href string
}

// registerDoc is a register with its content parsed.
type registerDoc struct {
	server.DocumentView
	Attestations []demarc.Attestation
	// Err is why the content does not parse; registers the API stored
	// always did, but the format may have grown stricter since.
	Err error
}

// registers reads every register of the organisation with its content.
func (v *view) registers() ([]registerDoc, error) {
	docs, err := v.documents(registerDocs.api)
	if err != nil {
		return nil, err
	}
	out := make([]registerDoc, len(docs))
	for i, d := range docs {
		r := &out[i]
		if _, err := v.get(registerDocs.apiPath(v, string(d.ID)), nil, &r.DocumentView); err != nil {
			return nil, err
		}
		r.Attestations, r.Err = systemfile.ParseRegister(r.Name, []byte(r.Content))
	}
	return out, nil
}

// registerUsers names, per register name, the systems whose
// attestation_files name it.
func (v *view) registerUsers() (map[string][]systemLink, error) {
	docs, err := v.systemDocuments()
	if err != nil {
		return nil, err
	}
	out := map[string][]systemLink{}
	for _, d := range docs {
		files, err := v.attestationFiles(d.ID)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			out[f] = append(out[f], systemLink{Name: d.Name, Href: v.OrgBase() + "systems/" + url.PathEscape(string(d.ID)) + "/"})
		}
	}
	return out, nil
}

// attestationFiles are the register names a system's current content
// lists; a system whose YAML does not read names none.
func (v *view) attestationFiles(id demarc.DocumentID) ([]string, error) {
	doc := &server.DocumentView{}
	if _, err := v.get(v.API("systems", escape(string(id))), nil, doc); err != nil {
		return nil, err
	}
	var top struct {
		Files []string `yaml:"attestation_files"`
	}
	if yaml.Unmarshal([]byte(doc.Content), &top) != nil {
		return nil, nil
	}
	return top.Files, nil
}

// registerRow is one register of the list.
type registerRow struct {
	registerDoc
	Href  string
	Count int
	// Earliest is the soonest expiry among the attestations.
	Earliest          expiry
	Expired, Expiring int
	NamedBy           []systemLink
}

// State sums the register up: "invalid", "empty", or the state of its
// soonest expiry.
func (r *registerRow) State() string {
	switch {
	case r.Err != nil:
		return "invalid"
	case r.Count == 0:
		return "empty"
	}
	return r.Earliest.State
}

// registersData is the list of registers with the form for a new one.
type registersData struct {
	Rows    []registerRow
	Form    *docForm
	Days    int
	TableID string
}

func registersPage(v *view) error {
	if name := v.Query("deleted"); name != "" {
		v.Flash = "Deleted the register " + name + ". Its versions stay in the history and the audit trail."
	}
	return showRegisters(v, nil)
}

// showRegisters lists the registers, with the form for a new one as
// submitted when given.
func showRegisters(v *view, form *docForm) error {
	regs, err := v.registers()
	if err != nil {
		return err
	}
	users, err := v.registerUsers()
	if err != nil {
		return err
	}
	if form == nil {
		form = newDocForm(registerDocs, registerTemplate)
	}
	d := &registersData{Form: form, Days: expiringDays}
	today := demarc.Today()
	for _, r := range regs {
		d.Rows = append(d.Rows, registerRowOf(v, r, users[r.Name], today))
	}
	v.Title, v.Section, v.template, v.Data = "Attestation registers", "attestations", "registers", d
	v.Crumbs = []crumb{{Label: "Attestations"}}
	v.Table = registersTable(v.Org.Slug, d.Rows)
	d.TableID = "table-" + v.Table.Name
	return nil
}

// registerRowOf sums one register up at today.
func registerRowOf(v *view, r registerDoc, users []systemLink, today demarc.Date) registerRow {
	row := registerRow{registerDoc: r, Href: registerDocs.href(v, string(r.ID)), Count: len(r.Attestations), NamedBy: users}
	for i := range r.Attestations {
		e := expiryOf(&r.Attestations[i], today)
		switch e.State {
		case "expired":
			row.Expired++
		case "expiring":
			row.Expiring++
		}
		if i == 0 || e.Through.Before(row.Earliest.Through.Time) {
			row.Earliest = e
		}
	}
	return row
}

// registersTable is the list as rows for CSV and XLSX.
func registersTable(org string, rows []registerRow) *table {
	t := &table{Name: org + "-attestation-registers", Columns: []string{"Register", "Version", "Updated", "Attestations", "Earliest expiry", "State",
		"Expired", "Expiring", "Named by"}}
	for _, r := range rows {
		earliest, state := "", r.State()
		if r.Count > 0 {
			earliest = r.Earliest.Through.String()
		}
		if r.Err != nil {
			state += ": " + r.Err.Error()
		}
		var names []string
		for _, s := range r.NamedBy {
			names = append(names, s.Name)
		}
		t.add("", link(r.Name, r.Href), text("v"+strconv.Itoa(r.Version)), text(r.Updated.UTC().Format("2006-01-02 15:04")), text(strconv.Itoa(r.Count)),
			text(earliest), text(state), text(strconv.Itoa(r.Expired)), text(strconv.Itoa(r.Expiring)), text(strings.Join(names, "; ")))
	}
	return t
}

func createRegister(v *view) (string, error) {
	f := readDocForm(v, registerDocs)
	if to, err := f.save(v); to != "" || err != nil {
		return to, err
	}
	return "", showRegisters(v, f)
}

// attestationRow is one attestation of a register, for the page.
type attestationRow struct {
	demarc.Attestation
	Anchor string
	Expiry expiry
	// Frameworks are those the attestation states, or else those its
	// type implies (Implied set).
	Frameworks []demarc.FrameworkID
	Implied    bool
}

// PeriodText is the span the report's testing covered.
func (a attestationRow) PeriodText() string {
	if a.Period.From.Equal(a.Period.To.Time) {
		return a.Period.From.String()
	}
	return a.Period.From.String() + " – " + a.Period.To.String()
}

// attestationRows lays a register's attestations out at today.
func attestationRows(list []demarc.Attestation, today demarc.Date) []attestationRow {
	out := make([]attestationRow, len(list))
	seen := map[string]bool{}
	for i, a := range list {
		r := attestationRow{Attestation: a, Expiry: expiryOf(&list[i], today), Frameworks: a.Frameworks}
		if len(r.Frameworks) == 0 {
			r.Frameworks, r.Implied = demarc.ImpliedFrameworks[a.Type], true
		}
		r.Anchor = attestationAnchor(a.ID)
		for n := 2; seen[r.Anchor]; n++ {
			r.Anchor = attestationAnchor(a.ID) + "-" + strconv.Itoa(n)
		}
		seen[r.Anchor] = true
		out[i] = r
	}
	return out
}

// attestationAnchor is the element id of an attestation's row, for
// links from the dashboard.
func attestationAnchor(id string) string { return "att-" + fileName(id) }

// attestationTable is a register's attestations as rows for CSV and
// XLSX.
func attestationTable(name string, rows []attestationRow) *table {
	t := &table{Name: name, Columns: []string{"Attestation", "Provider", "Type", "Frameworks", "Issuer", "Services", "Period", "Bridge letters",
		"Valid through", "State", "CUECs", "Document"}}
	for _, r := range rows {
		fws := joinIDs(r.Frameworks)
		if r.Implied && fws != "" {
			fws += " (implied by the type)"
		}
		var bridges, cuecs []string
		for _, b := range r.BridgeLetters {
			bridges = append(bridges, "issued "+b.Issued.String()+", through "+b.Through.String())
		}
		for _, c := range r.CUECs {
			cuecs = append(cuecs, c.ID+": "+c.Text+" ("+joinIDs(c.Areas)+")")
		}
		t.add("", cell{Text: r.ID, Mono: true}, text(string(r.Provider)), text(string(r.Type)), text(fws), text(r.Issuer), text(strings.Join(r.Services, ", ")),
			text(r.PeriodText()), text(strings.Join(bridges, "\n")), text(r.Expiry.Through.String()), text(r.Expiry.State+" ("+r.Expiry.Words()+")"),
			text(strings.Join(cuecs, "\n")), text(r.Document))
	}
	return t
}

// registerData is one register's page: the version shown, its
// attestations, the systems that name it, its history, and the forms
// that change it.
type registerData struct {
	Doc *server.DocumentView
	// Shown is the version whose content and attestations the page
	// shows; Old says it is not the current one.
	Shown        *server.RevisionView
	Old          bool
	Attestations []attestationRow
	// Problem is why the shown content does not parse.
	Problem  string
	NamedBy  []systemLink
	Versions []docVersion
	Compare  *registerCompare
	Form     *docForm
	Delete   *deleteForm
	Days     int
	TableID  string
}

// registerCompare is "what changed" between two versions.
type registerCompare struct {
	From, To int
	Diff     *lineDiff
}

// deleteForm deletes a register; it asks again when systems name it.
type deleteForm struct {
	ETag string
	// Message is why the last attempt did not delete.
	Message string
}

func registerPage(v *view) error { return showRegister(v, nil, nil) }

// showRegister shows a register; form and del, when given, are forms as
// submitted that did not succeed.
func showRegister(v *view, form *docForm, del *deleteForm) error {
	id := v.r.PathValue("doc")
	doc := &server.DocumentView{}
	etag, err := v.get(registerDocs.apiPath(v, id), nil, doc)
	if err != nil {
		return err
	}
	d := &registerData{Doc: doc, Form: form, Delete: del, Days: expiringDays}
	if err := d.show(v, etag); err != nil {
		return err
	}
	if d.Versions, err = docVersions(v, registerDocs, string(doc.ID)); err != nil {
		return err
	}
	if d.Compare, err = compareVersions(v, string(doc.ID)); err != nil {
		return err
	}
	users, err := v.registerUsers()
	if err != nil {
		return err
	}
	d.NamedBy = users[doc.Name]
	if d.Delete == nil {
		d.Delete = &deleteForm{}
	}
	d.Delete.ETag = etag
	if form == nil {
		savedFlash(v, doc)
	}
	v.Title, v.Section, v.template, v.Data = doc.Name+" — attestation register", "attestations", "register", d
	v.Crumbs = []crumb{{Label: "Attestations", Href: v.OrgBase() + "attestations"}, {Label: doc.Name}}
	v.Table = attestationTable(fileName(doc.Name)+"-v"+strconv.Itoa(d.Shown.Version), d.Attestations)
	d.TableID = "table-" + v.Table.Name
	return nil
}

// show reads the version the query asks for (the current one by
// default), lays its attestations out, and fills the edit form: with the
// current content, or with an older version's to restore it.
func (d *registerData) show(v *view, etag string) error {
	n, err := versionParam(v, "version")
	if err != nil {
		return err
	}
	if n == 0 || n == d.Doc.Version {
		d.Shown = &server.RevisionView{Revision: demarc.Revision{Document: d.Doc.ID, Name: d.Doc.Name, Version: d.Doc.Version, Hash: d.Doc.Hash,
			Author: d.Doc.UpdatedBy, Created: d.Doc.Updated}, Content: d.Doc.Content}
	} else if d.Shown, err = docRevision(v, registerDocs, string(d.Doc.ID), n); err != nil {
		return err
	}
	d.Old = d.Shown.Version != d.Doc.Version
	list, err := systemfile.ParseRegister(d.Shown.Name, []byte(d.Shown.Content))
	if err != nil {
		d.Problem = err.Error()
	}
	d.Attestations = attestationRows(list, demarc.Today())
	if d.Form == nil {
		d.Form = storedForm(registerDocs, d.Doc, etag)
		if d.Old {
			d.Form.Content = d.Shown.Content
			d.Form.Note = "Restore version " + strconv.Itoa(d.Shown.Version)
		}
	}
	return nil
}

// compareVersions is the line diff the query's from and to ask for; nil
// when they ask for none.
func compareVersions(v *view, doc string) (*registerCompare, error) {
	from, err := versionParam(v, "from")
	if err != nil {
		return nil, err
	}
	to, err := versionParam(v, "to")
	if err != nil {
		return nil, err
	}
	if from == 0 && to == 0 {
		return nil, nil
	}
	if from == 0 || to == 0 {
		return nil, &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest, Message: "to compare versions, give both from and to"}
	}
	a, err := docRevision(v, registerDocs, doc, from)
	if err != nil {
		return nil, err
	}
	b, err := docRevision(v, registerDocs, doc, to)
	if err != nil {
		return nil, err
	}
	return &registerCompare{From: from, To: to, Diff: diffLines(a.Content, b.Content)}, nil
}

// PrevVersion is the version before the newest, the default "from" of
// the comparison.
func (d *registerData) PrevVersion() int { return max(d.Doc.Version-1, 1) }

// CompareFrom and CompareTo are the comparison's versions, as asked or
// by default the last change.
func (d *registerData) CompareFrom() int {
	if d.Compare != nil {
		return d.Compare.From
	}
	return d.PrevVersion()
}

// CompareTo is the newer version of the comparison.
func (d *registerData) CompareTo() int {
	if d.Compare != nil {
		return d.Compare.To
	}
	return d.Doc.Version
}

func replaceRegister(v *view) (string, error) {
	f := readDocForm(v, registerDocs)
	if to, err := f.save(v); to != "" || err != nil {
		return to, err
	}
	return "", showRegister(v, f, nil)
}

// deleteRegister deletes a register. The API refuses while systems name
// it (409, naming them); the page says so rather than offer the button.
func deleteRegister(v *view) (string, error) {
	to, refused, err := deleteDocument(v, registerDocs, v.OrgBase()+"attestations?")
	if refused != "" {
		return "", showRegister(v, nil, &deleteForm{Message: refused})
	}
	return to, err
}

// systemNames joins the systems' names for a sentence.
func systemNames(list []systemLink) string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// linkAttestations links each attestation due on the dashboard to the
// register that holds it: the one register with its id, or, when several
// have it, the one the system names.
func (v *view) linkAttestations(rows []dashboardRow) error {
	due := false
	for _, r := range rows {
		due = due || len(r.Attestations) > 0
	}
	if !due {
		return nil
	}
	regs, err := v.registers()
	if err != nil {
		return err
	}
	holders := map[string][]*registerDoc{}
	for i := range regs {
		for _, a := range regs[i].Attestations {
			holders[a.ID] = append(holders[a.ID], &regs[i])
		}
	}
	for i := range rows {
		if err := v.linkRow(&rows[i], holders); err != nil {
			return err
		}
	}
	return nil
}

// linkRow links one system's attestations due; the system's own
// register names are read only when an id is in several registers.
func (v *view) linkRow(r *dashboardRow, holders map[string][]*registerDoc) error {
	var files []string
	for i := range r.Attestations {
		a := &r.Attestations[i]
		list := holders[a.ID]
		if len(list) == 0 {
			continue // inline in the system file
		}
		reg := list[0]
		if len(list) > 1 {
			if files == nil {
				var err error
				if files, err = v.attestationFiles(r.ID); err != nil {
					return err
				}
			}
			reg = namedIn(list, files)
		}
		a.Href = registerDocs.href(v, string(reg.ID)) + "#" + attestationAnchor(a.ID)
	}
	return nil
}

// namedIn is the first register of list that files names, or the first
// of list.
func namedIn(list []*registerDoc, files []string) *registerDoc {
	for _, r := range list {
		for _, f := range files {
			if r.Name == f {
				return r
			}
		}
	}
	return list[0]
}
