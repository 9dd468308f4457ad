package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// Organisation settings: the organisation's name and short name, its
// members and their roles. Who may change what is the API's rule (owners
// rename, admins manage members, only owners touch owners); the page
// hides the forms a role cannot use and shows the API's refusal when one
// is sent anyway.
func init() {
	addPage("/settings", func(u *UI) pageFunc { return settingsPage })
	addAction("/settings/org", func(u *UI) actionFunc { return orgRename })
	addAction("/settings/members", func(u *UI) actionFunc { return memberAdd })
	addAction("/settings/members/{member}/role", func(u *UI) actionFunc { return memberRole })
	addAction("/settings/members/{member}/remove", func(u *UI) actionFunc { return memberRemove })
}

// settingsData is the settings page.
type settingsData struct {
	// Tab names the settings tab shown.
	Tab     string
	Org     demarc.Org
	Rename  orgForm
	Members []memberRow
	// Next is the cursor of the next page of members.
	Next string
	Add  memberForm
	// Invite is the sign-in link that accepts an invitation.
	Invite string
	// Invited is the member just added, to say whom to send the link.
	Invited *demarc.Member
	// Edit is a row's form as sent and refused; it is shown on the row.
	Edit *memberEdit
	// Message is a refusal that belongs to no row shown.
	Message string
	// Choices are the roles the caller may give.
	Choices []demarc.Role
}

// orgForm renames the organisation; kept as typed when refused.
type orgForm struct {
	Name, Slug, ETag string
	Error            *apiError
	// Field is the field the refusal is about.
	Field string
	// Stale says that someone else renamed the organisation first.
	Stale string
}

// memberForm adds a member; kept as typed when refused.
type memberForm struct {
	Email, Name string
	Role        demarc.Role
	Error       *apiError
	Field       string
}

// memberEdit is a change of one member's role, or its removal, that the
// API refused.
type memberEdit struct {
	Member demarc.MemberID
	Role   demarc.Role
	Error  *apiError
	Stale  string
	ETag   string
}

// memberRow is one member with the forms that change it.
type memberRow struct {
	demarc.Member
	ETag string
	// Chosen is the role the change form selects.
	Chosen demarc.Role
	// Manage says the caller may change or remove this member.
	Manage bool
	You    bool
	Error  *apiError
	Stale  string
}

// Linked says whether the member has signed in through the identity
// provider, which links the invitation to a sign-in.
func (m memberRow) Linked() bool { return m.Subject != "" }

// Offered says whether a role is among the choices the forms offer, so
// that a form sent with another role keeps it, marked, rather than
// silently showing the first choice.
func (d *settingsData) Offered(r demarc.Role) bool { return slices.Contains(d.Choices, r) }

// ManagesOrg says the caller's role may manage members, publish and
// subscribe: owner or admin.
func (v *view) ManagesOrg() bool { return v.Role == demarc.RoleOwner || v.Role == demarc.RoleAdmin }

// OwnsOrg says the caller is an owner, who alone renames the
// organisation and makes or changes owners.
func (v *view) OwnsOrg() bool { return v.Role == demarc.RoleOwner }

// self is the caller's member record in the view's organisation.
func (v *view) self() demarc.Member {
	for _, m := range v.Me.Memberships {
		if m.Org.ID == v.Org.ID {
			return m.Member
		}
	}
	return demarc.Member{}
}

// inviteLink is the address an invited person opens to sign in: the
// first sign-in through the identity provider links them to their
// invitation by e-mail.
func (v *view) inviteLink() string {
	scheme := "http"
	if v.r.TLS != nil || v.u.cfg.Secure {
		scheme = "https"
	}
	return scheme + "://" + v.r.Host + "/signin?org=" + url.QueryEscape(v.Org.Slug)
}

func settingsPage(v *view) error {
	d := &settingsData{Add: memberForm{Role: demarc.RoleViewer}}
	if err := d.load(v); err != nil {
		return err
	}
	switch {
	case v.Query("renamed") != "":
		v.Flash = "Saved: the organisation is now " + d.Org.Name + " (" + d.Org.Slug + ")."
	case v.Query("removed") != "":
		v.Flash = "The member was removed; their API tokens stopped working with them."
	case v.Query("changed") != "":
		for _, m := range d.Members {
			if string(m.ID) == v.Query("changed") {
				v.Flash = "Saved: " + m.Email + " is now " + string(m.Role) + "."
			}
		}
	case v.Query("invited") != "":
		m := &demarc.Member{}
		if _, err := v.get(v.API("members", escape(v.Query("invited"))), nil, m); err == nil {
			d.Invited = m
		}
	}
	return nil
}

// load reads the organisation and a page of its members and fills the
// page; forms already filled (refused) are kept.
func (d *settingsData) load(v *view) error {
	etag, err := v.get(v.API(), nil, &d.Org)
	if err != nil {
		return err
	}
	if d.Rename.ETag == "" {
		d.Rename = orgForm{Name: d.Org.Name, Slug: d.Org.Slug, ETag: etag}
	}
	q := url.Values{}
	if c := v.Query("cursor"); c != "" {
		q.Set("cursor", c)
	}
	var list server.List[demarc.Member]
	if _, err := v.get(v.API("members"), q, &list); err != nil {
		return err
	}
	self := v.self()
	for _, m := range list.Items {
		row := memberRow{Member: m, ETag: memberTag(m.Version), Chosen: m.Role, You: m.ID == self.ID,
			Manage: v.ManagesOrg() && (v.OwnsOrg() || m.Role != demarc.RoleOwner)}
		d.Members = append(d.Members, row)
	}
	d.applyEdit()
	d.Tab, d.Next, d.Invite, d.Choices = "members", list.Next, v.inviteLink(), v.RoleChoices()
	v.Title, v.Section, v.template, v.Data = "Settings", "settings", "settings", d
	v.Table = memberTable(v.Org.Slug, d.Members)
	return nil
}

// applyEdit puts a refused row form back on its row, or above the table
// when the member is not on this page.
func (d *settingsData) applyEdit() {
	e := d.Edit
	if e == nil {
		return
	}
	for i := range d.Members {
		if d.Members[i].ID == e.Member {
			r := &d.Members[i]
			r.Error, r.Stale = e.Error, e.Stale
			if e.Role != "" {
				r.Chosen = e.Role
			}
			if e.ETag != "" {
				r.ETag = e.ETag
			}
			return
		}
	}
	if e.Error != nil {
		d.Message = e.Error.Message
	}
}

// memberTag is the ETag of a member's version, which the API's If-Match
// takes.
func memberTag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// memberTable is the members for CSV and XLSX.
func memberTable(org string, rows []memberRow) *table {
	t := &table{Name: org + "-members", Columns: []string{"E-mail", "Name", "Role", "Linked sign-in", "Member since"}}
	for _, m := range rows {
		linked := "no"
		if m.Linked() {
			linked = "yes"
		}
		t.add("", text(m.Email), text(m.Name), text(string(m.Role)), text(linked), text(m.Created.UTC().Format("2006-01-02")))
	}
	return t
}

// refusal returns the API's refusal of a form that the page shows again
// beside the form: bad input, a conflict, a stale version. Other errors
// (403, 404, 500) fail the page.
func refusal(err error) (*apiError, bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return nil, false
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired, http.StatusUnprocessableEntity:
		return ae, true
	}
	return nil, false
}

// fieldOf names the form field an API message is about: the API starts
// a field's message with "field: ". A conflict is about fallback, the
// field that must be unique.
func fieldOf(ae *apiError, fallback string, fields ...string) string {
	for _, f := range fields {
		if strings.HasPrefix(ae.Message, f+": ") || strings.Contains(ae.Message, ": "+f+": ") {
			return f
		}
	}
	if ae.Status == http.StatusConflict {
		return fallback
	}
	return ""
}

// orgRename renames the organisation (owners only, by the API's rule).
func orgRename(v *view) (string, error) {
	form := v.r.PostForm
	f := orgForm{Name: strings.TrimSpace(form.Get("name")), Slug: strings.TrimSpace(form.Get("slug")), ETag: form.Get("etag")}
	var out demarc.Org
	_, err := v.send(http.MethodPatch, v.API(), server.OrgPatch{Name: &f.Name, Slug: &f.Slug}, f.ETag, &out)
	if err == nil {
		return "/o/" + url.PathEscape(out.Slug) + "/settings?renamed=1", nil
	}
	ae, ok := refusal(err)
	if !ok {
		return "", err
	}
	f.Error, f.Field = ae, fieldOf(ae, "slug", "name", "slug")
	if ae.Status == http.StatusPreconditionFailed {
		var cur demarc.Org
		etag, err := v.get(v.API(), nil, &cur)
		if err != nil {
			return "", err
		}
		f.ETag = etag
		f.Stale = fmt.Sprintf("Someone else changed the organisation after you opened this page: it is now %s (%s). Your values are kept below; save again to apply them.", cur.Name, cur.Slug)
	}
	d := &settingsData{Rename: f, Add: memberForm{Role: demarc.RoleViewer}}
	v.status = ae.Status
	return "", d.load(v)
}

// memberAdd invites a member: the member record exists at once (API
// tokens can be made for it); a person links it on first sign-in.
func memberAdd(v *view) (string, error) {
	form := v.r.PostForm
	f := memberForm{Email: strings.TrimSpace(form.Get("email")), Name: strings.TrimSpace(form.Get("name")), Role: demarc.Role(strings.TrimSpace(form.Get("role")))}
	var m demarc.Member
	_, err := v.send(http.MethodPost, v.API("members"), demarc.MemberInput{Email: f.Email, Name: f.Name, Role: f.Role}, "", &m)
	if err == nil {
		return v.OrgBase() + "settings?invited=" + url.QueryEscape(string(m.ID)) + "#members", nil
	}
	ae, ok := refusal(err)
	if !ok {
		return "", err
	}
	f.Error, f.Field = ae, fieldOf(ae, "email", "email", "name", "role")
	d := &settingsData{Add: f}
	v.status = ae.Status
	return "", d.load(v)
}

// memberRole changes a member's role against the version the page
// showed.
func memberRole(v *view) (string, error) {
	id := v.r.PathValue("member")
	role := demarc.Role(strings.TrimSpace(v.r.PostFormValue("role")))
	var out demarc.Member
	_, err := v.send(http.MethodPatch, v.API("members", escape(id)), server.MemberPatch{Role: &role}, v.r.PostFormValue("etag"), &out)
	if err == nil {
		return v.OrgBase() + "settings?changed=" + url.QueryEscape(string(out.ID)) + "#members", nil
	}
	return "", v.memberRefused(id, role, err, "change their role again to apply your choice")
}

// memberRemove removes a member and, with it, the member's tokens.
func memberRemove(v *view) (string, error) {
	id := v.r.PathValue("member")
	_, err := v.send(http.MethodDelete, v.API("members", escape(id)), nil, v.r.PostFormValue("etag"), nil)
	if err == nil {
		return v.OrgBase() + "settings?removed=1#members", nil
	}
	return "", v.memberRefused(id, "", err, "remove them again if you still mean to")
}

// memberRefused shows the settings page again with the API's refusal on
// the member's row; a stale version is re-read so that the row says what
// changed and a second try applies to the current version.
func (v *view) memberRefused(id string, role demarc.Role, err error, retry string) error {
	ae, ok := refusal(err)
	if !ok {
		return err
	}
	e := &memberEdit{Member: demarc.MemberID(id), Role: role, Error: ae}
	if ae.Status == http.StatusPreconditionFailed {
		var cur demarc.Member
		if _, err := v.get(v.API("members", escape(id)), nil, &cur); err != nil {
			return err
		}
		e.ETag = memberTag(cur.Version)
		e.Stale = fmt.Sprintf("Someone else changed %s after you opened this page (role now %s); %s.", cur.Email, cur.Role, retry)
	}
	d := &settingsData{Add: memberForm{Role: demarc.RoleViewer}, Edit: e}
	v.status = ae.Status
	return d.load(v)
}

// RoleChoices are the roles a form offers the caller: only owners make
// owners.
func (v *view) RoleChoices() []demarc.Role {
	if v.OwnsOrg() {
		return demarc.Roles
	}
	return slices.DeleteFunc(slices.Clone(demarc.Roles), func(r demarc.Role) bool { return r == demarc.RoleOwner })
}
