package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// This file holds what the analysis pages (gaps, incidents, telemetry,
// risk, diff, compare, library) share: filters read from the query and
// checked against the values they may take, the framework and date the
// analysis is judged by, and links to the explanations behind a row.

// choice is one value a filter may take.
type choice struct {
	Value string
	Label string
	Count int // rows with this value, shown beside the label when set
}

// filter is one narrowing of a page's table, read from a query
// parameter.
type filter struct {
	Name  string // query parameter
	Label string
	Value string
	// Any is the label of the empty choice, e.g. "any".
	Any     string
	Choices []choice
}

// Selected says whether a choice is the filter's value, for templates.
func (f *filter) Selected(c choice) bool { return f.Value == c.Value }

// filters are a page's filters and what was wrong with the values asked
// for. A value that matches none of a filter's choices is reported and
// ignored, on every page alike, so that nobody takes an unfiltered
// table for a filtered one.
type filters struct {
	List  []*filter
	Notes []string
}

// add reads one filter from the query, checking its value against the
// choices.
func (fs *filters) add(v *view, name, label string, choices []choice) *filter {
	f := &filter{Name: name, Label: label, Value: strings.TrimSpace(v.Query(name)), Any: "any", Choices: choices}
	if f.Value != "" && !slices.ContainsFunc(choices, func(c choice) bool { return c.Value == f.Value }) {
		fs.Notes = append(fs.Notes, fmt.Sprintf("Filter %s: %q is not one of %s; it was ignored.", strings.ToLower(label), f.Value, choiceList(choices)))
		f.Value = ""
	}
	fs.List = append(fs.List, f)
	return f
}

// note records a problem with the page's query that is not a filter's.
func (fs *filters) note(format string, args ...any) {
	fs.Notes = append(fs.Notes, fmt.Sprintf(format, args...))
}

// choiceList names the values a filter takes, for messages.
func choiceList(cs []choice) string {
	if len(cs) == 0 {
		return "any value (there is nothing to filter)"
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Value
	}
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	return strings.Join(names, ", ")
}

// settle answers for the filters' notes: the page is shown with them and
// status 400, and an export is refused, since a file cannot carry the
// warning that a filter was ignored.
func (fs *filters) settle(v *view) error {
	if len(fs.Notes) == 0 {
		return nil
	}
	if v.Query("export") != "" {
		return &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest, Message: strings.Join(fs.Notes, " ")}
	}
	v.status = http.StatusBadRequest
	return nil
}

// choicesOf makes choices from plain values, in their order.
func choicesOf[T ~string](values ...T) []choice {
	out := make([]choice, len(values))
	for i, s := range values {
		out[i] = choice{Value: string(s), Label: string(s)}
	}
	return out
}

// tally counts values into choices, sorted by value, for the facets that
// come from the data itself (components, parties).
type tally map[string]int

func (t tally) add(values ...string) {
	for _, s := range values {
		if s != "" {
			t[s]++
		}
	}
}

func (t tally) choices() []choice {
	out := make([]choice, 0, len(t))
	for s, n := range t {
		out = append(out, choice{Value: s, Label: s, Count: n})
	}
	slices.SortFunc(out, func(a, b choice) int { return strings.Compare(a.Value, b.Value) })
	return out
}

// judged is what an analysis is judged by: the framework its controls
// come from and the day attestations are checked at.
type judged struct {
	Framework  string
	AsOf       string
	Frameworks []server.LibraryItem
	// Dated says the analysis depends on the day (attestations expire),
	// so the form asks for one.
	Dated bool
}

// judgedBy reads the framework and, for an analysis that is dated, the
// as_of parameter, and lists the frameworks for the picker.
func (v *view) judgedBy(dated bool) (*judged, error) {
	fws, err := v.frameworks()
	if err != nil {
		return nil, err
	}
	j := &judged{Framework: v.Query("framework"), Frameworks: fws, Dated: dated}
	if dated {
		j.AsOf = v.Query("as_of")
	}
	return j, nil
}

// query is the API query of the analysis.
func (j *judged) query() url.Values {
	q := url.Values{}
	if j.Framework != "" {
		q.Set("framework", j.Framework)
	}
	if j.AsOf != "" {
		q.Set("as_of", j.AsOf)
	}
	return q
}

// analysis reads one of the system's analyses into out. A query the API
// refuses (400: an unknown framework, a malformed date) comes back as
// its message, for the page to show beside the form, with the page's
// status set; other errors are returned. An export with such a query is
// refused with the API's error.
func (v *view) analysis(route string, q url.Values, out any) (string, error) {
	_, err := v.get(v.API("systems", escape(string(v.System.ID)), route), q, out)
	var ae *apiError
	if err == nil || !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || v.Query("export") != "" {
		return "", err
	}
	v.status = ae.Status
	return ae.Message, nil
}

// explainHref links a control or area to the explanation of its owner on
// the view's system.
func (v *view) explainHref(target, framework, component string) string {
	q := url.Values{}
	if framework != "" {
		q.Set("framework", framework)
	}
	if component != "" {
		q.Set("component", component)
	}
	h := v.SystemBase() + "explain/" + url.PathEscape(target)
	if len(q) > 0 {
		h += "?" + q.Encode()
	}
	if component != "" {
		h += "#focus"
	}
	return h
}

// ref is a link in a list of links within one cell.
type ref struct {
	Text string
	Href string
}

// areaRefs links areas to their explanations.
func (v *view) areaRefs(areas []demarc.AreaID, framework, component string) []ref {
	out := make([]ref, len(areas))
	for i, a := range areas {
		out[i] = ref{Text: string(a), Href: v.explainHref(string(a), framework, component)}
	}
	return out
}

// controlRefs links controls to their explanations under framework.
func (v *view) controlRefs(ids []demarc.ControlID, framework string) []ref {
	out := make([]ref, len(ids))
	for i, id := range ids {
		out[i] = ref{Text: string(id), Href: v.explainHref(string(id), framework, "")}
	}
	return out
}

// exportHref is the page's address with a table chosen for export.
func exportHref(v *view, tableName, format string) string {
	u := *v.r.URL
	q := u.Query()
	q.Set("table", tableName)
	q.Set("export", format)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// joinIDs joins typed ids for a table cell.
func joinIDs[T ~string](ids []T) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

// settle fills in the framework and day the API chose when the query
// named none, so that the picker shows them and links carry them.
func (j *judged) settle(framework string, asOf demarc.Date) {
	if j.Framework == "" {
		j.Framework = framework
	}
	if j.AsOf == "" && !asOf.IsZero() {
		j.AsOf = asOf.Format(demarc.DateLayout)
	}
}
