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
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/server"
)

// Publishing: a provider organisation publishes versions of its own
// provider statements to every organisation on the server; customers
// subscribe, build systems on them, and are told what moved when a new
// version comes out, until they acknowledge it.
func init() {
	addPage("/publications", func(u *UI) pageFunc { return publicationsPage })
	addAction("/publications", func(u *UI) actionFunc { return publishAction })
	addPage("/publications/{pub}", func(u *UI) pageFunc { return publicationPage })
	addAction("/publications/{pub}/withdraw", func(u *UI) actionFunc { return withdrawAction })
	addAction("/publications/{pub}/subscribe", func(u *UI) actionFunc { return subscribeAction })
	addPage("/subscriptions", func(u *UI) pageFunc { return subscriptionsPage })
	addPage("/subscriptions/{sub}", func(u *UI) pageFunc { return subscriptionPage })
	addAction("/subscriptions/{sub}/acknowledge", func(u *UI) actionFunc { return acknowledgeAction })
	addAction("/subscriptions/{sub}/unsubscribe", func(u *UI) actionFunc { return unsubscribeAction })
}

// publicationsData is the publications page: the publish form, the
// organisation's own publications, and those other organisations offer.
type publicationsData struct {
	Tab string
	// Statements are the organisation's provider statements, to publish.
	Statements []demarc.Document
	Publish    publishForm
	Own        []pubRow
	Others     []pubRow
	// Next is the cursor of the next page of publications.
	Next string
	// Message is a refused withdrawal or subscription.
	Message string
}

// HasStatement says whether id is one of the statements listed.
func (d *publicationsData) HasStatement(id string) bool {
	return slices.ContainsFunc(d.Statements, func(s demarc.Document) bool { return string(s.ID) == id })
}

// publishForm publishes a statement; kept as chosen when refused.
type publishForm struct {
	Statement string
	// Version is the statement's version to publish; empty for the
	// current one.
	Version string
	Error   *apiError
	Field   string
}

// pubRow is one publication in a list.
type pubRow struct {
	demarc.Publication
	Href string
	// ETag is what a withdrawal names (own publications).
	ETag        string
	Subscribers int
	// Subscription is the organisation's subscription to it, if any.
	Subscription *demarc.Subscription
	SubHref      string
}

// Offered says whether the publication still takes new subscribers.
func (p pubRow) Offered() bool { return p.Withdrawn.IsZero() }

func publicationsPage(v *view) error {
	d := &publicationsData{}
	if err := d.load(v); err != nil {
		return err
	}
	if v.Query("withdrawn") != "" {
		v.Flash = "The publication was withdrawn: no one new can subscribe; subscribers keep what was published, and their sign-offs on it go stale."
	}
	return nil
}

// load reads the organisation's statements, its publications and a page
// of those of other organisations.
func (d *publicationsData) load(v *view) error {
	d.Tab = "publications"
	stmts, err := v.documents("providers")
	if err != nil {
		return err
	}
	d.Statements = stmts
	subs, err := v.subscriptionsByPublication()
	if err != nil {
		return err
	}
	if err := d.loadOwn(v); err != nil {
		return err
	}
	q := url.Values{}
	if c := v.Query("cursor"); c != "" {
		q.Set("cursor", c)
	}
	var list server.List[demarc.Publication]
	if _, err := v.get(v.API("publications"), q, &list); err != nil {
		return err
	}
	for _, p := range list.Items {
		if p.Org == v.Org.ID {
			continue
		}
		row := pubRow{Publication: p, Href: v.pubHref(p.ID)}
		if s, ok := subs[p.ID]; ok {
			row.Subscription, row.SubHref = &s, v.OrgBase()+"subscriptions/"+url.PathEscape(string(s.ID))
		}
		d.Others = append(d.Others, row)
	}
	d.Next = list.Next
	v.Title, v.Section, v.template, v.Data = "Publications", "publishing", "publications", d
	v.Table = offeredTable(v.Org.Slug, d.Others)
	return nil
}

// loadOwn reads the organisation's own publications with their ETags and
// subscriber counts.
func (d *publicationsData) loadOwn(v *view) error {
	q := url.Values{"owner": {string(v.Org.ID)}, "limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 20 {
		var list server.List[demarc.Publication]
		if _, err := v.get(v.API("publications"), q, &list); err != nil {
			return err
		}
		for _, p := range list.Items {
			row := pubRow{Publication: p, Href: v.pubHref(p.ID)}
			etag, err := v.get(v.API("publications", escape(string(p.ID))), nil, nil)
			if err != nil {
				return err
			}
			var subs server.List[demarc.Subscription]
			if _, err := v.get(v.API("publications", escape(string(p.ID)), "subscribers"), nil, &subs); err != nil {
				return err
			}
			row.ETag, row.Subscribers = etag, len(subs.Items)
			d.Own = append(d.Own, row)
		}
		if list.Next == "" {
			break
		}
		q.Set("cursor", list.Next)
	}
	return nil
}

// pubHref is the UI path of a publication.
func (v *view) pubHref(id demarc.PublicationID) string {
	return v.OrgBase() + "publications/" + url.PathEscape(string(id))
}

// subscriptionsByPublication is the organisation's subscriptions, every
// page of them, by publication.
func (v *view) subscriptionsByPublication() (map[demarc.PublicationID]demarc.Subscription, error) {
	out := map[demarc.PublicationID]demarc.Subscription{}
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 20 {
		var list server.List[demarc.Subscription]
		if _, err := v.get(v.API("subscriptions"), q, &list); err != nil {
			return nil, err
		}
		for _, s := range list.Items {
			out[s.Publication] = s
		}
		if list.Next == "" {
			break
		}
		q.Set("cursor", list.Next)
	}
	return out, nil
}

// offeredTable is the publications of other organisations, for CSV and
// XLSX.
func offeredTable(org string, rows []pubRow) *table {
	t := &table{Name: org + "-publications", Columns: []string{"Publisher", "Statement", "Version", "Published", "State", "Subscribed"}}
	for _, p := range rows {
		state, subscribed := "offered", "no"
		if !p.Offered() {
			state = "withdrawn"
		}
		if p.Subscription != nil {
			subscribed = fmt.Sprintf("yes, acknowledged v%d", p.Subscription.Acknowledged)
		}
		t.add("", text(p.OrgSlug), link(p.Name, p.Href), text("v"+strconv.Itoa(p.Version)), text(stamp(p.Published)), text(state), text(subscribed))
	}
	return t
}

// publishAction publishes a version of one of the organisation's
// statements.
func publishAction(v *view) (string, error) {
	form := v.r.PostForm
	f := publishForm{Statement: strings.TrimSpace(form.Get("statement")), Version: strings.TrimSpace(form.Get("version"))}
	req := server.PublishRequest{}
	switch {
	case f.Statement == "":
		f.Error, f.Field = &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid, Message: "statement: choose the provider statement to publish"}, "statement"
		return "", v.publicationsRefused(f)
	case f.Version != "":
		n, err := strconv.Atoi(f.Version)
		if err != nil || n < 1 {
			f.Error, f.Field = &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid,
				Message: fmt.Sprintf("version: %q is not a version; expected a whole number from 1, or nothing for the current version", f.Version)}, "version"
			return "", v.publicationsRefused(f)
		}
		req.Version = n
	}
	var out server.Published
	_, err := v.send(http.MethodPost, v.API("providers", escape(f.Statement), "publish"), req, "", &out)
	if err == nil {
		return v.pubHref(out.Publication.ID) + "?published=" + strconv.Itoa(out.Publication.Version), nil
	}
	ae, ok := refusal(err)
	if !ok {
		ae = notFound(err) // the statement chosen is gone
	}
	if ae == nil {
		return "", err
	}
	f.Error, f.Field = ae, fieldOf(ae, "version", "version", "statement")
	if ae.Status == http.StatusNotFound {
		f.Field = "statement"
	}
	return "", v.publicationsRefused(f)
}

// notFound returns the API's 404, which a form naming a record that is
// gone shows beside the field.
func notFound(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return ae
	}
	return nil
}

// publicationsRefused shows the publications page again with the publish
// form as chosen and why it was refused.
func (v *view) publicationsRefused(f publishForm) error {
	d := &publicationsData{Publish: f}
	if err := d.load(v); err != nil {
		return err
	}
	v.status = f.Error.Status
	return nil
}

// withdrawAction stops offering a publication.
func withdrawAction(v *view) (string, error) {
	id := v.r.PathValue("pub")
	_, err := v.send(http.MethodDelete, v.API("publications", escape(id)), nil, v.r.PostFormValue("etag"), nil)
	if err == nil {
		return v.OrgBase() + "publications?withdrawn=1", nil
	}
	return "", v.publicationsMessage(err, "nothing was withdrawn", "The publication changed after you opened this page (a new version, or withdrawn already); the list below is current.")
}

// subscribeAction subscribes the organisation to a publication.
func subscribeAction(v *view) (string, error) {
	var sub demarc.Subscription
	_, err := v.send(http.MethodPost, v.API("subscriptions"), server.SubscribeRequest{Publication: demarc.PublicationID(v.r.PathValue("pub"))}, "", &sub)
	if err == nil {
		return v.OrgBase() + "subscriptions/" + url.PathEscape(string(sub.ID)) + "?subscribed=1", nil
	}
	return "", v.publicationsMessage(err, "no subscription was made", "")
}

// publicationsMessage shows the publications page again with the API's
// refusal of a row's button.
func (v *view) publicationsMessage(err error, outcome, stale string) error {
	ae, ok := refusal(err)
	if !ok {
		return err
	}
	d := &publicationsData{Message: ae.Message + " — " + outcome + "."}
	if ae.Status == http.StatusPreconditionFailed && stale != "" {
		d.Message = stale
	}
	if err := d.load(v); err != nil {
		return err
	}
	v.status = ae.Status
	return nil
}

// publicationData is one publication: its versions, its subscribers
// (for the publisher), and what moved between two versions.
type publicationData struct {
	Tab  string
	Pub  demarc.Publication
	ETag string
	Own  bool
	// Versions are newest first, with the note saved with each.
	Versions     []versionRow
	Subscribers  []demarc.Subscription
	Subscription *demarc.Subscription
	SubHref      string
	Changes      *changesView
}

// versionRow is one published version.
type versionRow struct {
	demarc.PublishedVersion
	Note string
}

// changesView is what moved between two versions of a statement, laid
// out for a page, with the form that picks the versions.
type changesView struct {
	From, To   int
	Framework  string
	Frameworks []server.LibraryItem
	Diff       *analyze.Diff
	Parties    []partyMove
	Moves      []move
	Error      *apiError
}

// Empty says nothing moved.
func (c *changesView) Empty() bool {
	return c.Diff == nil || len(c.Diff.Areas) == 0 && len(c.Diff.Controls) == 0 && len(c.Diff.Components.Added) == 0 && len(c.Diff.Components.Removed) == 0
}

func publicationPage(v *view) error {
	id := v.r.PathValue("pub")
	d := &publicationData{Tab: "publications"}
	etag, err := v.get(v.API("publications", escape(id)), nil, &d.Pub)
	if err != nil {
		return err
	}
	d.ETag, d.Own = etag, d.Pub.Org == v.Org.ID
	if err := d.loadVersions(v); err != nil {
		return err
	}
	if d.Own {
		var subs server.List[demarc.Subscription]
		if _, err := v.get(v.API("publications", escape(id), "subscribers"), nil, &subs); err != nil {
			return err
		}
		d.Subscribers = subs.Items
	} else {
		subs, err := v.subscriptionsByPublication()
		if err != nil {
			return err
		}
		if s, ok := subs[d.Pub.ID]; ok {
			d.Subscription, d.SubHref = &s, v.OrgBase()+"subscriptions/"+url.PathEscape(string(s.ID))
		}
	}
	v.Title, v.Section, v.template, v.Data = d.Pub.Name+" — publication", "publishing", "publication", d
	v.Crumbs = []crumb{{Label: "Publications", Href: v.OrgBase() + "publications"}, {Label: d.Pub.Name}}
	switch n := v.Query("published"); {
	case n == "1":
		v.Flash = "Published version 1 of " + d.Pub.Name + ": every organisation on this server can subscribe to it now."
	case n != "":
		v.Flash = "Published version " + n + " of " + d.Pub.Name + ". Subscribers see it as news until they acknowledge it."
	}
	return d.loadChanges(v)
}

// loadVersions lists the versions published, each with the note saved
// with that version of the statement.
func (d *publicationData) loadVersions(v *view) error {
	base := v.API("publications", escape(string(d.Pub.ID)), "versions")
	var list server.List[demarc.PublishedVersion]
	if _, err := v.get(base, nil, &list); err != nil {
		return err
	}
	for i, pv := range list.Items {
		row := versionRow{PublishedVersion: pv}
		if i < 50 { // notes of the newest fifty; older ones rarely matter
			var rev server.RevisionView
			if _, err := v.get(base+"/"+strconv.Itoa(pv.Version), nil, &rev); err != nil {
				return err
			}
			row.Note = rev.Note
		}
		d.Versions = append(d.Versions, row)
	}
	return nil
}

// loadChanges compares the versions the query picks, by default the
// newest with the one before.
func (d *publicationData) loadChanges(v *view) error {
	c := &changesView{Framework: v.Query("framework"), To: d.Pub.Version}
	if len(d.Versions) > 1 {
		c.From = d.Versions[1].Version
	}
	c.From, c.To = queryInt(v, "from", c.From), queryInt(v, "to", c.To)
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	c.Frameworks = fws
	d.Changes = c
	v.Table = changesTable(v, d.Pub.Name+"-changes", nil)
	if c.From == 0 {
		return nil
	}
	q := url.Values{"from": {strconv.Itoa(c.From)}, "to": {strconv.Itoa(c.To)}}
	if c.Framework != "" {
		q.Set("framework", c.Framework)
	}
	var sd server.StatementDiff
	if _, err := v.get(v.API("publications", escape(string(d.Pub.ID)), "diff"), q, &sd); err != nil {
		ae, ok := refusal(err)
		if !ok {
			ae = notFound(err) // a version never published
		}
		if ae == nil {
			return err
		}
		c.Error, v.status = ae, ae.Status
		return nil
	}
	c.set(&sd)
	v.Table = changesTable(v, d.Pub.Name+"-changes", sd.Diff)
	return nil
}

// Summary says how much moved, in words.
func (c *changesView) Summary() string { return movedText(c.Diff) }

// movedText says how many area assignments and controls a diff moves.
func movedText(d *analyze.Diff) string {
	if d == nil || len(d.Areas) == 0 && len(d.Controls) == 0 {
		return "Nothing changes owner"
	}
	return countOf(len(d.Areas), "area assignment") + " and " + countOf(len(d.Controls), "control") + " change"
}

// countOf is "1 control", "2 controls".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// set lays out a statement diff.
func (c *changesView) set(sd *server.StatementDiff) {
	c.From, c.To, c.Diff = sd.From, sd.To, sd.Diff
	if sd.Diff != nil {
		c.Parties, c.Moves = partyMoves(sd.Diff.Moves)
	}
}

// queryInt reads a whole number from the query, or returns def.
func queryInt(v *view, name string, def int) int {
	if n, err := strconv.Atoi(v.Query(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// changesTable lists what moved: areas per service, then controls.
func changesTable(v *view, name string, d *analyze.Diff) *table {
	t := &table{Name: name, Columns: []string{"Change", "Area or control", "Description", "Service", "From", "To", "Who does the work"}}
	if d == nil {
		return t
	}
	for _, a := range d.Areas {
		t.add("", text("area"), cell{Text: string(a.Area), Href: entryHref(v, string(a.Area)), Mono: true}, text(a.Summary), cell{Text: a.Component, Mono: true},
			ownerCell(a.From), ownerCell(a.To), text(movesText(a.FromParts, a.ToParts)))
	}
	for _, c := range d.Controls {
		t.add("", text("control"), cell{Text: string(c.ID), Mono: true}, text(c.Title), text(""), ownerCell(c.From), ownerCell(c.To), text(""))
	}
	for _, s := range d.Components.Added {
		t.add("", text("service added"), text(""), text(""), cell{Text: s, Mono: true}, text(""), text(""), text(""))
	}
	for _, s := range d.Components.Removed {
		t.add("", text("service removed"), text(""), text(""), cell{Text: s, Mono: true}, text(""), text(""), text(""))
	}
	return t
}

// subscriptionsData is the organisation's subscriptions.
type subscriptionsData struct {
	Tab  string
	Rows []subRow
	Next string
}

// subRow is one subscription with its news.
type subRow struct {
	demarc.Subscription
	Href      string
	Publisher string
	// Moved summarises what moved since the version acknowledged.
	Moved string
}

// News says a version newer than the one acknowledged is published.
func (s subRow) News() bool { return s.Published > s.Acknowledged }

func subscriptionsPage(v *view) error {
	d := &subscriptionsData{Tab: "subscriptions"}
	q := url.Values{}
	if c := v.Query("cursor"); c != "" {
		q.Set("cursor", c)
	}
	var list server.List[demarc.Subscription]
	if _, err := v.get(v.API("subscriptions"), q, &list); err != nil {
		return err
	}
	for _, s := range list.Items {
		row, err := v.subRow(s)
		if err != nil {
			return err
		}
		d.Rows = append(d.Rows, row)
	}
	d.Next = list.Next
	v.Title, v.Section, v.template, v.Data = "Subscriptions", "publishing", "subscriptions", d
	if v.Query("unsubscribed") != "" {
		v.Flash = "The subscription ended: its services are no longer in your library."
	}
	v.Table = subscriptionTable(v.Org.Slug, d.Rows)
	return nil
}

// subRow names a subscription's publisher and, when there is news,
// counts what moved.
func (v *view) subRow(s demarc.Subscription) (subRow, error) {
	r := subRow{Subscription: s, Href: v.OrgBase() + "subscriptions/" + url.PathEscape(string(s.ID)), Publisher: string(s.Provider)}
	var p demarc.Publication
	_, err := v.get(v.API("publications", escape(string(s.Publication))), nil, &p)
	switch {
	case err == nil && p.OrgSlug != "":
		r.Publisher = p.OrgSlug
	case err != nil && notFound(err) == nil:
		return r, err
	} // not found: the publisher stays named by its id
	if !r.News() {
		return r, nil
	}
	var sd server.StatementDiff
	if _, err := v.get(v.API("subscriptions", escape(string(s.ID)), "changes"), nil, &sd); err != nil {
		return r, err
	}
	r.Moved = movedText(sd.Diff)
	return r, nil
}

// subscriptionTable is the subscriptions for CSV and XLSX.
func subscriptionTable(org string, rows []subRow) *table {
	t := &table{Name: org + "-subscriptions", Columns: []string{"Statement", "Publisher", "Published", "Acknowledged", "News", "Withdrawn", "Since"}}
	for _, r := range rows {
		news, withdrawn := "", ""
		if r.News() {
			news = fmt.Sprintf("v%d is out: %s", r.Published, r.Moved)
		}
		if r.Withdrawn {
			withdrawn = "withdrawn"
		}
		t.add("", link(r.Name, r.Href), text(r.Publisher), text("v"+strconv.Itoa(r.Published)), text("v"+strconv.Itoa(r.Acknowledged)),
			text(news), text(withdrawn), text(stamp(r.Created)))
	}
	return t
}

// subscriptionData is one subscription with the news: what moved from
// the version acknowledged to the one published.
type subscriptionData struct {
	Tab     string
	Sub     subRow
	ETag    string
	PubHref string
	Changes *changesView
	Message string
}

func subscriptionPage(v *view) error { return v.subscriptionRender(&subscriptionData{}) }

// subscriptionRender reads the subscription and its news.
func (v *view) subscriptionRender(d *subscriptionData) error {
	id := v.r.PathValue("sub")
	var s demarc.Subscription
	etag, err := v.get(v.API("subscriptions", escape(id)), nil, &s)
	if err != nil {
		return err
	}
	if d.Sub, err = v.subRow(s); err != nil {
		return err
	}
	d.Tab, d.ETag, d.PubHref = "subscriptions", etag, v.pubHref(s.Publication)
	c := &changesView{Framework: v.Query("framework"), From: s.Acknowledged, To: s.Published}
	if c.Frameworks, err = v.frameworks(); err != nil {
		return err
	}
	d.Changes = c
	v.Table = changesTable(v, s.Name+"-news", nil)
	if d.Sub.News() {
		q := url.Values{}
		if c.Framework != "" {
			q.Set("framework", c.Framework)
		}
		var sd server.StatementDiff
		if _, err := v.get(v.API("subscriptions", escape(id), "changes"), q, &sd); err != nil {
			ae, ok := refusal(err)
			if !ok {
				return err
			}
			c.Error = ae
		} else {
			c.set(&sd)
			d.Sub.Moved = movedText(sd.Diff) // as judged by the framework chosen
			v.Table = changesTable(v, s.Name+"-news", sd.Diff)
		}
	}
	v.Title, v.Section, v.template, v.Data = s.Name+" — subscription", "publishing", "subscription", d
	v.Crumbs = []crumb{{Label: "Subscriptions", Href: v.OrgBase() + "subscriptions"}, {Label: s.Name}}
	switch {
	case v.Query("subscribed") != "":
		v.Flash = "Subscribed to " + s.Name + ": its services are in your library now, and systems can use them."
	case v.Query("acknowledged") != "":
		v.Flash = "Acknowledged version " + v.Query("acknowledged") + "."
	}
	return nil
}

// acknowledgeAction records that the version the page showed was
// reviewed: the page sends that version, so a newer one published
// meanwhile stays news.
func acknowledgeAction(v *view) (string, error) {
	id := v.r.PathValue("sub")
	version, err := strconv.Atoi(v.r.PostFormValue("version"))
	if err != nil || version < 1 {
		return "", v.subscriptionRefused(&apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid,
			Message: fmt.Sprintf("version: %q is not a version; reload the page and acknowledge again", v.r.PostFormValue("version"))})
	}
	var out demarc.Subscription
	_, err = v.send(http.MethodPost, v.API("subscriptions", escape(id), "acknowledge"), server.AcknowledgeRequest{Version: version}, "", &out)
	if err == nil {
		return v.OrgBase() + "subscriptions/" + url.PathEscape(id) + "?acknowledged=" + strconv.Itoa(out.Acknowledged), nil
	}
	return "", v.subscriptionRefused(err)
}

// unsubscribeAction ends a subscription as the page showed it.
func unsubscribeAction(v *view) (string, error) {
	id := v.r.PathValue("sub")
	_, err := v.send(http.MethodDelete, v.API("subscriptions", escape(id)), nil, v.r.PostFormValue("etag"), nil)
	if err == nil {
		return v.OrgBase() + "subscriptions?unsubscribed=1", nil
	}
	return "", v.subscriptionRefused(err)
}

// subscriptionRefused shows the subscription again with the API's
// refusal.
func (v *view) subscriptionRefused(err error) error {
	ae, ok := refusal(err)
	if !ok {
		return err
	}
	d := &subscriptionData{Message: ae.Message + " — nothing was changed."}
	if ae.Status == http.StatusPreconditionFailed {
		d.Message = "The subscription changed after you opened this page (someone acknowledged a version); review it below and try again."
	}
	if err := v.subscriptionRender(d); err != nil {
		return err
	}
	v.status = ae.Status
	return nil
}

// MovedAreas counts the area assignments that change, per service.
func (c *changesView) MovedAreas() []serviceMoves {
	if c.Diff == nil {
		return nil
	}
	by := map[string]int{}
	for _, a := range c.Diff.Areas {
		by[a.Component]++
	}
	var out []serviceMoves
	for s, n := range by {
		out = append(out, serviceMoves{Service: s, Count: n})
	}
	slices.SortFunc(out, func(a, b serviceMoves) int { return strings.Compare(a.Service, b.Service) })
	return out
}

// serviceMoves is how many areas change on one service.
type serviceMoves struct {
	Service string
	Count   int
}
