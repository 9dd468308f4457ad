package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// Sign-offs: every party to a matrix — the customer and the publishers of
// the provider statements it was computed from — signs that exact matrix;
// a change to anything it was computed from makes the sign-off stale.
func init() {
	addPage("/signoffs", func(u *UI) pageFunc { return u.signoffsPage })
	addAction("/signoffs", func(u *UI) actionFunc { return u.requestSignoff })
	addPage("/signoffs/{signoff}", func(u *UI) pageFunc { return u.signoffPage })
	addAction("/signoffs/{signoff}/sign", func(u *UI) actionFunc { return u.signSignoff })
	pageRoutes = append(pageRoutes, pageRoute{method: "GET", path: "/signoffs/{signoff}/matrix", handle: func(u *UI) http.HandlerFunc { return u.signoffMatrix }})
}

// signoffStates are the states a sign-off can be in, for the filter.
var signoffStates = []demarc.SignoffState{demarc.SignoffPending, demarc.SignoffComplete, demarc.SignoffStale}

// signoffsData is the list of sign-offs with the request form.
type signoffsData struct {
	Rows       []signoffRow
	Systems    []demarc.Document
	Frameworks []server.LibraryItem
	States     []demarc.SignoffState
	System     string
	State      string
	Next       string
	TableID    string
	// The request form as the user filled it, and what the API said.
	Request  signoffRequestForm
	Message  string
	Problems []demarc.Problem
}

// HasSystem says whether id is one of the systems listed.
func (d *signoffsData) HasSystem(id string) bool {
	return slices.ContainsFunc(d.Systems, func(s demarc.Document) bool { return string(s.ID) == id })
}

// HasFramework says whether id is one of the frameworks listed.
func (d *signoffsData) HasFramework(id string) bool {
	return slices.ContainsFunc(d.Frameworks, func(f server.LibraryItem) bool { return f.ID == id })
}

// signoffRequestForm asks for a sign-off of a system's matrix.
type signoffRequestForm struct{ System, Framework string }

// signoffRow is one sign-off with its parties named.
type signoffRow struct {
	server.SignoffView
	SystemName  string
	Href        string
	RequestedBy string
	Parties     []signoffParty
}

// signoffParty is one party and whether, and by whom, it signed.
type signoffParty struct {
	Org    demarc.OrgID
	Name   string
	You    bool
	Signed bool
	By     string
	Role   demarc.Role
	When   time.Time
}

func (u *UI) signoffsPage(v *view) error {
	d := &signoffsData{System: v.Query("system"), State: v.Query("state"), States: signoffStates, Request: signoffRequestForm{System: v.Query("system")}}
	return v.signoffsRender(d)
}

// signoffsRender reads the sign-offs and what the request form offers.
func (v *view) signoffsRender(d *signoffsData) error {
	q := url.Values{}
	if d.System != "" {
		q.Set("system", d.System)
	}
	if c := v.Query("cursor"); c != "" {
		q.Set("cursor", c)
	}
	var list server.List[server.SignoffView]
	if _, err := v.get(v.API("signoffs"), q, &list); err != nil {
		return err
	}
	systems, err := v.systemDocuments()
	if err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	look, err := v.signoffLookup(systems)
	if err != nil {
		return err
	}
	d.Systems, d.Frameworks, d.Next = systems, fws, list.Next
	for _, so := range list.Items {
		if d.State != "" && string(so.State) != d.State {
			continue
		}
		d.Rows = append(d.Rows, look.row(v, so))
	}
	v.Title, v.Section, v.template = "Sign-offs", "signoffs", "signoffs"
	v.Table = signoffTable(v.Org.Slug, d.Rows)
	d.TableID = "table-" + v.Table.Name
	v.Data = d
	return nil
}

// signoffLookup names what sign-offs refer to by id: documents,
// parties, members.
type signoffLookup struct {
	systems map[demarc.DocumentID]string
	parties map[demarc.OrgID]string
	members map[demarc.MemberID]string
}

func (v *view) signoffLookup(docs []demarc.Document) (*signoffLookup, error) {
	l := &signoffLookup{systems: map[demarc.DocumentID]string{}}
	for _, s := range docs {
		l.systems[s.ID] = s.Name
	}
	var err error
	if l.parties, err = v.partyNames(); err != nil {
		return nil, err
	}
	if l.members, err = v.memberNames(); err != nil {
		return nil, err
	}
	return l, nil
}

// row names a sign-off's system, requester and parties.
func (l *signoffLookup) row(v *view, so server.SignoffView) signoffRow {
	r := signoffRow{SignoffView: so, Href: v.OrgBase() + "signoffs/" + url.PathEscape(string(so.ID))}
	r.SystemName = l.systems[so.System.ID]
	if r.SystemName == "" {
		r.SystemName = string(so.System.ID)
		if so.Org != v.Org.ID {
			r.SystemName = "a system of " + partyName(l.parties, so.Org)
		}
	}
	if so.Org == v.Org.ID {
		r.RequestedBy = memberName(l.members, so.RequestedBy)
	}
	for _, p := range so.Parties {
		sp := signoffParty{Org: p, Name: partyName(l.parties, p), You: p == v.Org.ID}
		for _, sig := range so.Signatures {
			if sig.Org == p {
				sp.Signed, sp.By, sp.Role, sp.When = true, sig.Name, sig.Role, sig.Signed
				if sp.By == "" {
					sp.By = sig.Email
				}
			}
		}
		r.Parties = append(r.Parties, sp)
	}
	return r
}

// PartiesText says where each party stands, one a line.
func (r signoffRow) PartiesText() string {
	var lines []string
	for _, p := range r.Parties {
		if p.Signed {
			lines = append(lines, p.Name+": signed by "+p.By+" ("+string(p.Role)+") "+p.When.UTC().Format("2006-01-02 15:04"))
		} else {
			lines = append(lines, p.Name+": awaiting")
		}
	}
	return strings.Join(lines, "\n")
}

// ShortHash is the start of the matrix hash, enough to compare by eye.
func (r signoffRow) ShortHash() string { return shortHash(string(r.MatrixHash)) }

// shortHash shortens a content hash such as "sha256:9f86d0…" to its
// first twelve hex digits.
func shortHash(h string) string {
	_, hex, ok := strings.Cut(h, ":")
	if !ok {
		hex = h
	}
	if len(hex) > 12 {
		return hex[:12] + "…"
	}
	return hex
}

// signoffTable is the sign-offs for CSV and XLSX.
func signoffTable(org string, rows []signoffRow) *table {
	t := &table{Name: org + "-signoffs", Columns: []string{"Sign-off", "System", "Framework", "Version", "Matrix hash", "Requested by", "Requested", "Parties", "State", "Why stale"}}
	for _, r := range rows {
		t.add("", cell{Text: string(r.ID), Href: r.Href, Mono: true}, text(r.SystemName), text(string(r.Framework)), text("v"+strconv.Itoa(r.System.Version)),
			cell{Text: string(r.MatrixHash), Mono: true}, text(r.RequestedBy), text(r.Created.UTC().Format("2006-01-02 15:04")), text(r.PartiesText()),
			text(string(r.State)), text(r.StaleReason))
	}
	return t
}

// systemDocuments lists the organisation's systems, every page of them.
func (v *view) systemDocuments() ([]demarc.Document, error) { return v.documents("systems") }

// documents lists the organisation's documents of a kind ("systems",
// "attestations", "providers"), by name, up to ten pages.
func (v *view) documents(kind string) ([]demarc.Document, error) {
	var out []demarc.Document
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for {
		var l server.List[demarc.Document]
		if _, err := v.get(v.API(kind), q, &l); err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.Next == "" || len(out) >= 10*demarc.MaxPageSize {
			break
		}
		q.Set("cursor", l.Next)
	}
	slices.SortFunc(out, func(a, b demarc.Document) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// memberNames names the organisation's members by id, for "who".
func (v *view) memberNames() (map[demarc.MemberID]string, error) {
	out := map[demarc.MemberID]string{}
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 20 {
		var l server.List[demarc.Member]
		if _, err := v.get(v.API("members"), q, &l); err != nil {
			return nil, err
		}
		for _, m := range l.Items {
			name := m.Name
			if name == "" {
				name = m.Email
			}
			out[m.ID] = name
		}
		if l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	return out, nil
}

// memberName is a member's name, or its id when it is no longer a
// member.
func memberName(names map[demarc.MemberID]string, id demarc.MemberID) string {
	if n, ok := names[id]; ok {
		return n
	}
	return string(id)
}

// requestSignoff asks the parties to sign a system's current matrix.
func (u *UI) requestSignoff(v *view) (string, error) {
	form := v.r.PostForm
	d := &signoffsData{States: signoffStates, Request: signoffRequestForm{System: strings.TrimSpace(form.Get("system")), Framework: strings.TrimSpace(form.Get("framework"))}}
	if d.Request.System == "" {
		d.Message = "Choose the system whose matrix is to be signed off."
		d.Problems = []demarc.Problem{{Field: "system", Message: "is required"}}
		return "", v.signoffsRefused(d, http.StatusUnprocessableEntity)
	}
	var so server.SignoffView
	_, err := v.send(http.MethodPost, v.API("systems", escape(d.Request.System), "signoffs"), server.SignoffRequest{Framework: d.Request.Framework}, "", &so)
	var ae *apiError
	switch {
	case err == nil:
		return v.OrgBase() + "signoffs/" + url.PathEscape(string(so.ID)), nil
	case errors.As(err, &ae) && slices.Contains([]int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}, ae.Status):
		d.Message, d.Problems = ae.Message+" — no sign-off was requested.", ae.Problems
		if ae.Status == http.StatusConflict {
			d.Message = "The matrix is already out of date (" + ae.Message + "); reload and request again — no sign-off was requested."
		}
		return "", v.signoffsRefused(d, ae.Status)
	}
	return "", err
}

// signoffsRefused shows the list again with the request form as filled
// and the reason it was refused.
func (v *view) signoffsRefused(d *signoffsData, status int) error {
	if err := v.signoffsRender(d); err != nil {
		return err
	}
	v.status = status
	return nil
}

// signoffData is one sign-off in full, with the matrix it fixes.
type signoffData struct {
	Row        signoffRow
	Matrix     *demarc.Matrix
	Owners     []ownerCount
	Total      int
	WithGaps   int
	Documents  []signoffDoc
	CanSign    bool
	SignedByUs bool
	MayRole    bool
	Confirmed  bool
	Message    string
	MatrixURL  string
}

// signoffDoc is a document the matrix was computed from.
type signoffDoc struct {
	ID      string
	Version int
	Name    string
	Href    string
}

func (u *UI) signoffPage(v *view) error { return v.signoffRender(&signoffData{}) }

// signoffRender reads the sign-off and its matrix and fills the page.
func (v *view) signoffRender(d *signoffData) error {
	id := v.r.PathValue("signoff")
	var so server.SignoffView
	if _, err := v.get(v.API("signoffs", escape(id)), nil, &so); err != nil {
		return err
	}
	m := &demarc.Matrix{}
	if _, err := v.get(v.API("signoffs", escape(id), "matrix"), nil, m); err != nil {
		return err
	}
	var docs []demarc.Document
	if so.Org == v.Org.ID {
		for _, kind := range []string{"systems", "attestations", "providers"} {
			list, err := v.documents(kind)
			if err != nil {
				return err
			}
			docs = append(docs, list...)
		}
	}
	look, err := v.signoffLookup(docs)
	if err != nil {
		return err
	}
	d.Row = look.row(v, so)
	if d.Row.SystemName == string(so.System.ID) || strings.HasPrefix(d.Row.SystemName, "a system of ") {
		d.Row.SystemName = m.System + " (" + d.Row.SystemName + ")"
	}
	d.Matrix, d.MatrixURL = m, d.Row.Href+"/matrix"
	d.Owners, d.Total = summarize(m.Summary)
	for _, c := range m.Controls {
		if len(c.Gaps) > 0 {
			d.WithGaps++
		}
	}
	for _, doc := range so.Documents {
		sd := signoffDoc{ID: string(doc.ID), Version: doc.Version, Name: look.systems[doc.ID]}
		if so.Org == v.Org.ID && doc.ID == so.System.ID {
			sd.Href = v.OrgBase() + "systems/" + url.PathEscape(string(doc.ID)) + "/"
		}
		d.Documents = append(d.Documents, sd)
	}
	d.SignedByUs = so.SignedBy(v.Org.ID)
	d.MayRole = v.Role == demarc.RoleOwner || v.Role == demarc.RoleAdmin
	d.CanSign = d.MayRole && !d.SignedByUs && so.State == demarc.SignoffPending && slices.Contains(so.Parties, v.Org.ID)
	v.Title, v.Section, v.template = "Sign-off of "+d.Row.SystemName, "signoffs", "signoff"
	v.Crumbs = []crumb{{Label: "Sign-offs", Href: v.OrgBase() + "signoffs"}, {Label: string(so.ID)}}
	v.Table = signoffControls(string(so.ID), m)
	v.Data = d
	return nil
}

// signoffControls is the matrix's controls, for the page and export.
func signoffControls(name string, m *demarc.Matrix) *table {
	t := &table{Name: name + "-matrix", Columns: []string{"Control", "Title", "Family", "Owner", "Provider does", "Customer does", "Gaps"}}
	for i := range m.Controls {
		c := &m.Controls[i]
		class := ""
		if len(c.Gaps) > 0 {
			class = "has-gap"
		}
		t.add(class, cell{Text: string(c.ID), Mono: true}, text(c.Title), text(c.Family), ownerCell(c.Owner),
			text(partsText(c.Provider, c.ThirdParty)), text(partsText(c.Customer)), text(partsText(c.Gaps)))
	}
	return t
}

// signSignoff signs the matrix the signer reviewed, named by its hash.
func (u *UI) signSignoff(v *view) (string, error) {
	form := v.r.PostForm
	d := &signoffData{Confirmed: form.Get("confirm") == "yes"}
	hash := strings.TrimSpace(form.Get("matrix_hash"))
	if !d.Confirmed {
		d.Message = "Tick the box to confirm that you reviewed the matrix; nothing was signed."
		return "", v.signoffRefused(d, http.StatusUnprocessableEntity)
	}
	id := v.r.PathValue("signoff")
	_, err := v.send(http.MethodPost, v.API("signoffs", escape(id), "sign"), server.SignRequest{MatrixHash: demarc.ContentHash(hash)}, "", nil)
	var ae *apiError
	switch {
	case err == nil:
		return v.OrgBase() + "signoffs/" + url.PathEscape(id), nil
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		d.Message = "The matrix you reviewed is not the one this sign-off fixes (" + ae.Message + "); review the matrix below and sign again — nothing was signed."
		return "", v.signoffRefused(d, ae.Status)
	case errors.As(err, &ae) && slices.Contains([]int{http.StatusConflict, http.StatusUnprocessableEntity}, ae.Status):
		d.Message = ae.Message + " — nothing was signed."
		return "", v.signoffRefused(d, ae.Status)
	}
	return "", err
}

// signoffRefused shows the sign-off again with why signing failed.
func (v *view) signoffRefused(d *signoffData, status int) error {
	if err := v.signoffRender(d); err != nil {
		return err
	}
	v.status = status
	return nil
}

// signoffMatrix downloads the matrix a sign-off fixes, byte for byte as
// the parties sign it, so that its hash can be checked.
func (u *UI) signoffMatrix(w http.ResponseWriter, r *http.Request) {
	v := u.open(w, r)
	if v == nil {
		return
	}
	id := r.PathValue("signoff")
	a, err := v.call(http.MethodGet, v.API("signoffs", escape(id), "matrix"), nil, nil, "", nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	attach(w, "application/json", fileName(id+"-matrix")+".json", a.body)
}
