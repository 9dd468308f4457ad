package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// API tokens: every member makes and revokes their own; admins and
// owners see everyone's and make tokens for others. A token's secret is
// shown once, on the page that answers its creation, and never again:
// it is in no address, no later page and no log.
func init() {
	addPage("/settings/tokens", func(u *UI) pageFunc { return tokensPage })
	addAction("/settings/tokens", func(u *UI) actionFunc { return tokenCreate })
	addAction("/settings/tokens/{token}/revoke", func(u *UI) actionFunc { return tokenRevoke })
}

// tokensData is the API tokens page.
type tokensData struct {
	Tab  string
	Rows []tokenRow
	Next string
	// Member filters the list: empty for the caller's own tokens, "all"
	// for everyone's, or a member's id (the last two for admins).
	Member string
	// Members are whose tokens an admin may list or make.
	Members []demarc.Member
	Create  tokenForm
	// Message is a refused revocation.
	Message string
	Self    demarc.MemberID
}

// tokenForm makes a token; kept as typed when refused.
type tokenForm struct {
	Name string
	// Expires is the last day the token works, as YYYY-MM-DD.
	Expires string
	Member  string
	Error   *apiError
	Field   string
}

// tokenRow is one token's record.
type tokenRow struct {
	demarc.Token
	MemberName string
	ETag       string
	// State is live, expired or revoked.
	State string
	// ThisSignIn marks the token this browser signed in with.
	ThisSignIn bool
}

// tokenCreated is the page that shows a new token's secret, once.
type tokenCreated struct {
	Tab        string
	Token      server.NewToken
	MemberName string
	Back       string
}

// Suffix is the query that keeps the list's filter across its forms.
func (d *tokensData) Suffix() string {
	if d.Member == "" {
		return ""
	}
	return "?member=" + url.QueryEscape(d.Member)
}

func tokensPage(v *view) error {
	d := &tokensData{Member: v.Query("member")}
	if err := d.load(v); err != nil {
		return err
	}
	if v.Query("revoked") != "" {
		v.Flash = "The token was revoked: it no longer works."
	}
	return nil
}

// load reads a page of tokens and, for admins, the members.
func (d *tokensData) load(v *view) error {
	self := v.self()
	d.Self, d.Tab = self.ID, "tokens"
	names := map[demarc.MemberID]string{self.ID: displayName(self)}
	if v.ManagesOrg() {
		ms, err := v.allMembers()
		if err != nil {
			return err
		}
		d.Members = ms
		for _, m := range ms {
			names[m.ID] = displayName(m)
		}
	} else {
		d.Member = ""
	}
	if d.Create.Member == "" {
		d.Create.Member = string(self.ID)
	}
	q := url.Values{}
	switch d.Member {
	case "":
		q.Set("member", string(self.ID))
	case "all":
	default:
		q.Set("member", d.Member)
	}
	if c := v.Query("cursor"); c != "" {
		q.Set("cursor", c)
	}
	var list server.List[demarc.Token]
	if _, err := v.get(v.API("tokens"), q, &list); err != nil {
		return err
	}
	now := time.Now()
	for _, t := range list.Items {
		row, err := v.tokenRow(t, names, now)
		if err != nil {
			return err
		}
		d.Rows = append(d.Rows, row)
	}
	d.Next = list.Next
	v.Title, v.Section, v.template, v.Data = "API tokens", "settings", "tokens", d
	v.Crumbs = []crumb{{Label: "Settings", Href: v.OrgBase() + "settings"}, {Label: "API tokens"}}
	v.Table = tokenTable(v.Org.Slug, d.Rows)
	return nil
}

// tokenRow describes a token; a live one gets the ETag its revocation
// must name, read now, so that the revoke button acts on the token as
// shown.
func (v *view) tokenRow(t demarc.Token, names map[demarc.MemberID]string, now time.Time) (tokenRow, error) {
	r := tokenRow{Token: t, MemberName: names[t.Member], State: "live", ThisSignIn: v.Me.Token != nil && v.Me.Token.ID == t.ID}
	if r.MemberName == "" {
		r.MemberName = string(t.Member)
	}
	switch {
	case !t.Revoked.IsZero():
		r.State = "revoked"
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		r.State = "expired"
	default:
		etag, err := v.get(v.API("tokens", escape(string(t.ID))), nil, nil)
		if err != nil {
			return r, err
		}
		r.ETag = etag
	}
	return r, nil
}

// allMembers lists the organisation's members, every page of them.
func (v *view) allMembers() ([]demarc.Member, error) {
	var out []demarc.Member
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 20 {
		var l server.List[demarc.Member]
		if _, err := v.get(v.API("members"), q, &l); err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	return out, nil
}

// displayName is a member as people know them.
func displayName(m demarc.Member) string {
	if m.Name == "" {
		return m.Email
	}
	return m.Name + " <" + m.Email + ">"
}

// tokenTable is the tokens for CSV and XLSX: records only, never a
// secret.
func tokenTable(org string, rows []tokenRow) *table {
	t := &table{Name: org + "-tokens", Columns: []string{"Token", "Name", "Member", "Starts with", "Created", "Expires", "Last used", "State"}}
	for _, r := range rows {
		t.add("", cell{Text: string(r.ID), Mono: true}, text(r.Name), text(r.MemberName), cell{Text: r.Hint, Mono: true},
			text(stamp(r.Created)), text(stamp(r.Expires)), text(stamp(r.LastUsed)), text(r.State))
	}
	return t
}

// stamp is a time for a table, empty when unset.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// tokenCreate makes a token and answers with its secret, on this page
// only: the answer is not cached and the address carries nothing.
func tokenCreate(v *view) (string, error) {
	form := v.r.PostForm
	f := tokenForm{Name: strings.TrimSpace(form.Get("name")), Expires: strings.TrimSpace(form.Get("expires")), Member: strings.TrimSpace(form.Get("member"))}
	req := server.TokenRequest{Name: f.Name, Member: demarc.MemberID(f.Member)}
	if f.Expires != "" {
		day, err := time.Parse(time.DateOnly, f.Expires)
		if err != nil {
			f.Error = &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid,
				Message: fmt.Sprintf("expires: %q is not a date; expected YYYY-MM-DD, e.g. 2027-01-31, or nothing for a token that does not expire", f.Expires)}
			f.Field = "expires"
			return "", v.tokensRefused(f)
		}
		req.Expires = day.AddDate(0, 0, 1) // the token works through that whole day, UTC
	}
	var tok server.NewToken
	_, err := v.send(http.MethodPost, v.API("tokens"), req, "", &tok)
	if err != nil {
		ae, ok := refusal(err)
		if !ok {
			return "", err
		}
		f.Error, f.Field = ae, fieldOf(ae, "name", "name", "expires", "member")
		return "", v.tokensRefused(f)
	}
	d := &tokenCreated{Tab: "tokens", Token: tok, MemberName: "you", Back: v.OrgBase() + "settings/tokens"}
	if tok.Member != v.self().ID {
		var m demarc.Member
		if _, err := v.get(v.API("members", escape(string(tok.Member))), nil, &m); err != nil {
			return "", err
		}
		d.MemberName = displayName(m)
	}
	v.w.Header().Set("Cache-Control", "no-store")
	v.Title, v.Section, v.template, v.Data, v.status = "New API token", "settings", "tokencreated", d, http.StatusCreated
	v.Crumbs = []crumb{{Label: "Settings", Href: v.OrgBase() + "settings"}, {Label: "API tokens", Href: d.Back}, {Label: "New token"}}
	return "", nil
}

// tokensRefused shows the tokens page again with the form as typed and
// the reason it was refused.
func (v *view) tokensRefused(f tokenForm) error {
	d := &tokensData{Member: v.Query("member"), Create: f}
	if err := d.load(v); err != nil {
		return err
	}
	v.status = f.Error.Status
	return nil
}

// tokenRevoke revokes a token as the list showed it.
func tokenRevoke(v *view) (string, error) {
	id := v.r.PathValue("token")
	d := &tokensData{Member: v.Query("member")}
	_, err := v.send(http.MethodDelete, v.API("tokens", escape(id)), nil, v.r.PostFormValue("etag"), nil)
	if err == nil {
		return v.OrgBase() + "settings/tokens?revoked=1" + strings.Replace(d.Suffix(), "?", "&", 1), nil
	}
	ae, ok := refusal(err)
	if !ok {
		return "", err
	}
	d.Message = ae.Message + " — nothing was revoked."
	if ae.Status == http.StatusPreconditionFailed {
		var cur demarc.Token
		if _, err := v.get(v.API("tokens", escape(id)), nil, &cur); err != nil {
			return "", err
		}
		d.Message = "The token " + cur.Name + " changed after you opened this page"
		if !cur.Revoked.IsZero() {
			d.Message += ": someone revoked it at " + stamp(cur.Revoked)
		}
		d.Message += ". The list below is current."
	}
	if err := d.load(v); err != nil {
		return "", err
	}
	v.status = ae.Status
	return "", nil
}
