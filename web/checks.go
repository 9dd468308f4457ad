package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/server"
)

// Configuration checks: a system's customer part verified against real
// configuration. The page uploads files to the API's check runs and
// lists the runs; a run's page shows its verdicts, findings, downloads
// and, for those who may read it, its evidence record.

func init() {
	addPage("/systems/{id}/checks", func(u *UI) pageFunc { return checksPage })
	addUpload("/systems/{id}/checks", func(u *UI) actionFunc { return runChecks })
	addPage("/systems/{id}/checks/{run}", func(u *UI) pageFunc { return checkRunPage })
	pageRoutes = append(pageRoutes, pageRoute{method: "GET", path: "/systems/{id}/checks/{run}/download/{format}",
		handle: func(u *UI) http.HandlerFunc { return u.checkDownload }})
}

// runsPerPage is how many runs the list shows at once; each needs its
// report read for its counts.
const runsPerPage = 10

// checksData is the checks page: the upload form and the runs so far.
type checksData struct {
	Form       *checkForm
	Frameworks []server.LibraryItem
	// Older and Newer page through the runs; empty at either end.
	Older, Newer string
}

// checkForm is the upload form, with the API's refusal when it had one.
type checkForm struct {
	Framework string
	// Builtin is "true" to run the built-in policies beside the uploaded
	// ones, "false" for the uploaded ones alone.
	Builtin string
	// Sent names the files of a refused upload, which the browser does not
	// keep for the next try.
	Sent  []string
	Error *apiError
}

func checksPage(v *view) error {
	return showChecks(v, &checkForm{Framework: v.Query("framework"), Builtin: "true"})
}

// showChecks fills the checks page with the form as given.
func showChecks(v *view, form *checkForm) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	fws, err := v.frameworks()
	if err != nil {
		return err
	}
	d := &checksData{Form: form, Frameworks: fws}
	v.Title, v.Section, v.template, v.Data = v.System.Name+" — checks", "checks", "checks", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Checks"})
	return d.listRuns(v)
}

// listRuns reads one page of runs, newest first, with each run's report
// for its counts.
func (d *checksData) listRuns(v *view) error {
	q := url.Values{"limit": {strconv.Itoa(runsPerPage)}}
	cursor := v.Query("cursor")
	if cursor != "" {
		q.Set("cursor", cursor)
		d.Newer = v.SystemBase() + "checks"
	}
	var l server.List[server.CheckRunInfo]
	if _, err := v.get(v.runsPath(), q, &l); err != nil {
		return err
	}
	if l.Next != "" {
		d.Older = v.SystemBase() + "checks?cursor=" + url.QueryEscape(l.Next)
	}
	names, err := v.memberNames()
	if err != nil {
		return err
	}
	t := &table{Name: v.System.Name + "-check-runs", Columns: []string{"Run", "Recorded", "By", "Framework", "Inputs",
		"Failing controls", "Indeterminate controls", "Verified controls", "Fail", "Indeterminate", "Pass"}}
	for _, info := range l.Items {
		r, err := v.checkReport(info.Run)
		if err != nil {
			return err
		}
		s := r.Summary
		class := ""
		if s.Controls[check.ControlFailing] > 0 {
			class = "verdict-row-failing"
		}
		t.add(class, cell{Text: strconv.Itoa(info.Run), Href: v.runHref(info.Run), Mono: true}, text(runStamp(info.Created)),
			text(memberName(names, info.CreatedBy)), text(string(r.Framework)), text(strconv.Itoa(len(r.Evidence.Inputs))),
			text(strconv.Itoa(s.Controls[check.ControlFailing])), text(strconv.Itoa(s.Controls[check.ControlIndeterminate])),
			text(strconv.Itoa(s.Controls[check.ControlVerified])), text(strconv.Itoa(s.Results[check.Fail])),
			text(strconv.Itoa(s.Results[check.Indeterminate])), text(strconv.Itoa(s.Results[check.Pass])))
	}
	v.Table = t
	return nil
}

// runStamp formats a moment for tables, in UTC as the API gives it.
func runStamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// runsPath is the API path of the view's system's check runs.
func (v *view) runsPath(parts ...string) string {
	return v.API(append([]string{"systems", escape(string(v.System.ID)), "checks"}, parts...)...)
}

// runHref is the UI path of one run.
func (v *view) runHref(run int) string { return v.SystemBase() + "checks/" + strconv.Itoa(run) }

// checkReport reads a run's report.
func (v *view) checkReport(run int) (*check.Report, error) {
	r := &check.Report{}
	if _, err := v.get(v.runsPath(strconv.Itoa(run)), url.Values{"format": {"json"}}, r); err != nil {
		return nil, err
	}
	return r, nil
}

// runChecks sends the chosen files to the API as a check run and goes to
// the run's page; a refusal (a file that does not read, a policy that
// does not load) shows the form again with the problems, file and line.
func runChecks(v *view) (string, error) {
	form := v.r.PostForm
	f := &checkForm{Framework: strings.TrimSpace(form.Get("framework")), Builtin: form.Get("builtin")}
	if f.Builtin != "false" {
		f.Builtin = "true"
	}
	configs, err := formFiles(v.r, "config", "config")
	if err != nil {
		return "", err
	}
	policies, err := formFiles(v.r, "policy", "policy")
	if err != nil {
		return "", err
	}
	f.Sent = append(fileNames(configs), fileNames(policies)...)
	if len(configs) == 0 {
		f.Error = &apiError{Status: http.StatusUnprocessableEntity, Code: demarc.EInvalid,
			Message: "Choose at least one configuration file to check: a Terraform plan or state, .tf files, a CloudFormation template, Kubernetes manifests or an inventory export."}
		v.status = f.Error.Status
		return "", showChecks(v, f)
	}
	body, ctype, err := multipartBody(append(configs, policies...))
	if err != nil {
		return "", err
	}
	q := url.Values{"builtin": {f.Builtin}}
	if f.Framework != "" {
		q.Set("framework", f.Framework)
	}
	id := escape(v.r.PathValue("id"))
	a, err := v.call(http.MethodPost, v.API("systems", id, "checks"), q, bytes.NewReader(body), ctype, nil)
	if err == nil {
		var info server.CheckRunInfo
		if err := json.Unmarshal(a.body, &info); err != nil {
			return "", fmt.Errorf("reading the recorded run: %w", err)
		}
		return v.OrgBase() + "systems/" + id + "/checks/" + strconv.Itoa(info.Run), nil
	}
	ae, ok := uploadRefusal(err)
	if !ok {
		return "", err
	}
	f.Error, v.status = ae, ae.Status
	return "", showChecks(v, f)
}

// runData is one run's page.
type runData struct {
	Run    int
	Info   *server.CheckRunInfo
	By     string
	Report *check.Report
	// States are the control verdicts with their counts, worst first.
	States []stateCount
	// Results count the results per status.
	Results struct{ Fail, Indeterminate, Pass, NotApplicable int }
	Filters *filters
	// Controls, Findings and Inputs are the page's tables; Inputs only
	// for those who may read the evidence.
	Controls, Findings, Inputs *runTable
	Evidence                   *server.CheckEvidence
	// Downloads are the report's formats.
	Downloads []runDownload
}

// stateCount is one control verdict's count, linking to the controls
// with it.
type stateCount struct {
	State check.ControlState
	Label string
	Count int
	Href  string
}

// runTable is one of a page's several tables with its export links.
type runTable struct {
	T         *table
	CSV, XLSX string
}

// runDownload is one format of a run's report.
type runDownload struct{ Label, Href string }

// checkDownloads are the formats a run's report downloads in, with their
// file name endings.
var checkDownloads = []struct{ format, label, ext string }{
	{"sarif", "SARIF", "sarif"},
	{"junit", "JUnit", "xml"},
	{"json", "JSON", "json"},
	{"yaml", "YAML", "yaml"},
	{"markdown", "Markdown", "md"},
	{"table", "Text", "txt"},
}

// stateLabels say the control verdicts for people.
var stateLabels = map[check.ControlState]string{
	check.ControlFailing:       "failing",
	check.ControlIndeterminate: "indeterminate",
	check.ControlVerified:      "verified",
	check.ControlManual:        "needs manual evidence",
	check.ControlNotApplicable: "not applicable",
}

func checkRunPage(v *view) error {
	if _, err := v.openSystem(); err != nil {
		return err
	}
	run, err := runNumber(v.r.PathValue("run"))
	if err != nil {
		return err
	}
	r, err := v.checkReport(run)
	if err != nil {
		return err
	}
	d := &runData{Run: run, Report: r, Filters: &filters{}}
	rs := r.Summary.Results
	d.Results.Fail, d.Results.Indeterminate, d.Results.Pass, d.Results.NotApplicable = rs[check.Fail], rs[check.Indeterminate], rs[check.Pass], rs[check.NotApplicable]
	v.Title, v.Section, v.template, v.Data = fmt.Sprintf("Check run %d — %s", run, v.System.Name), "checks", "checkrun", d
	v.Crumbs = append(v.Crumbs, crumb{Label: "Checks", Href: v.SystemBase() + "checks"}, crumb{Label: "Run " + strconv.Itoa(run)})
	if err := d.recorded(v); err != nil {
		return err
	}
	for _, f := range checkDownloads {
		d.Downloads = append(d.Downloads, runDownload{Label: f.label, Href: v.runHref(run) + "/download/" + f.format})
	}
	if err := d.controlTable(v); err != nil {
		return err
	}
	d.findingTable(v)
	if v.CanAudit() {
		if err := d.evidence(v); err != nil {
			return err
		}
	}
	return d.pickTable(v)
}

// runNumber reads the run number of the path; anything else cannot be a
// run.
func runNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, &apiError{Status: http.StatusNotFound, Code: demarc.ENotFound, Message: fmt.Sprintf("no check run %q: runs are numbered from 1", s)}
	}
	return n, nil
}

// recorded finds when and by whom the run was recorded, in the list of
// runs, newest first.
func (d *runData) recorded(v *view) error {
	q := url.Values{"limit": {strconv.Itoa(demarc.MaxPageSize)}}
	for range 100 {
		var l server.List[server.CheckRunInfo]
		if _, err := v.get(v.runsPath(), q, &l); err != nil {
			return err
		}
		for i := range l.Items {
			if l.Items[i].Run == d.Run {
				d.Info = &l.Items[i]
			}
		}
		if d.Info != nil || l.Next == "" {
			break
		}
		q.Set("cursor", l.Next)
	}
	if d.Info == nil {
		return nil
	}
	names, err := v.memberNames()
	if err != nil {
		return err
	}
	d.By = memberName(names, d.Info.CreatedBy)
	return nil
}

// controlTable lists the verdict on every control, narrowed to one
// verdict when asked.
func (d *runData) controlTable(v *view) error {
	choices := make([]choice, 0, len(check.ControlStates))
	for _, s := range check.ControlStates {
		n := d.Report.Summary.Controls[s]
		choices = append(choices, choice{Value: string(s), Label: stateLabels[s], Count: n})
		d.States = append(d.States, stateCount{State: s, Label: stateLabels[s], Count: n, Href: withQuery(v, "state", string(s)) + "#controls-h"})
	}
	state := d.Filters.add(v, "state", "Verdict", choices)
	if err := d.Filters.settle(v); err != nil {
		return err
	}
	fw := string(d.Report.Framework)
	t := &table{Name: fmt.Sprintf("%s-check-%d-controls", v.System.Name, d.Run),
		Columns: []string{"Control", "Title", "Owner", "Verdict", "Checked areas", "Areas needing manual evidence", "Findings", "Note"}}
	for _, c := range d.Report.Controls {
		if state.Value != "" && string(c.State) != state.Value {
			continue
		}
		t.add("verdict-row-"+string(c.State), cell{Text: string(c.ID), Href: v.explainHref(string(c.ID), fw, ""), Mono: true}, text(c.Title),
			ownerCell(c.Owner), text(stateLabels[c.State]), text(joinIDs(c.CheckedAreas)), text(joinIDs(c.ManualAreas)), text(failingText(c.Failing)), text(c.Note))
	}
	d.Controls = runTableOf(v, t, "controls")
	return nil
}

// failingText says which results fail a control, one a line.
func failingText(refs []check.FindingRef) string {
	lines := make([]string, len(refs))
	for i, f := range refs {
		s := f.Policy + " on " + f.Resource
		if f.Setting != "" {
			s += " (" + f.Setting + ")"
		}
		if p := f.Pos.String(); p != "" {
			s += " at " + p
		}
		lines[i] = s
	}
	return strings.Join(lines, "\n")
}

// findingTable lists the failing and indeterminate results, worst first,
// with where each is and what to do.
func (d *runData) findingTable(v *view) {
	t := &table{Name: fmt.Sprintf("%s-check-%d-findings", v.System.Name, d.Run),
		Columns: []string{"Severity", "Result", "Resource", "Where", "Policy", "Message", "Remediation", "Type", "Areas"}}
	for _, f := range d.Report.Findings {
		msg := f.Message
		if f.Reason != "" {
			msg += "\n" + f.Reason
		}
		t.add("sev-row-"+string(f.Severity), text(string(f.Severity)), text(string(f.Status)), cell{Text: f.Resource, Mono: true},
			cell{Text: f.Pos.String(), Mono: true}, text(f.Title+"\n"+f.Policy), text(msg), text(f.Remediation), text(f.Type), text(joinIDs(f.Areas)))
	}
	d.Findings = runTableOf(v, t, "findings")
}

// evidence reads the run's evidence record and lists the digests of what
// was checked.
func (d *runData) evidence(v *view) error {
	ev := &server.CheckEvidence{}
	if _, err := v.get(v.runsPath(strconv.Itoa(d.Run), "evidence"), nil, ev); err != nil {
		return err
	}
	d.Evidence = ev
	t := &table{Name: fmt.Sprintf("%s-check-%d-evidence", v.System.Name, d.Run), Columns: []string{"Kind", "File", "Format", "Resources", "SHA-256"}}
	if s := ev.Evidence.System; s != nil {
		t.add("", text("system"), text(s.File), text(s.Format), text(""), cell{Text: s.SHA256, Mono: true})
	}
	for _, in := range ev.Evidence.Inputs {
		t.add("", text("configuration"), text(in.File), text(in.Format), text(strconv.Itoa(in.Resources)), cell{Text: in.SHA256, Mono: true})
	}
	for _, p := range ev.Evidence.Policies {
		t.add("", text("policy"), text(p.File), text(""), text(""), cell{Text: p.SHA256, Mono: true})
	}
	d.Inputs = runTableOf(v, t, "evidence")
	return nil
}

// runTableOf makes a table view with its export links.
func runTableOf(v *view, t *table, name string) *runTable {
	return &runTable{T: t, CSV: exportHref(v, name, "csv"), XLSX: exportHref(v, name, "xlsx")}
}

// pickTable chooses the table ?export downloads: ?table= names it.
func (d *runData) pickTable(v *view) error {
	switch v.Query("table") {
	case "", "controls":
		v.Table = d.Controls.T
	case "findings":
		v.Table = d.Findings.T
	case "evidence":
		if d.Inputs == nil {
			return &apiError{Status: http.StatusForbidden, Code: server.EForbidden, Message: "the evidence record is for owners, admins and auditors"}
		}
		v.Table = d.Inputs.T
	default:
		return &apiError{Status: http.StatusBadRequest, Code: server.EBadRequest,
			Message: fmt.Sprintf("table %q: expected controls, findings or evidence", v.Query("table"))}
	}
	return nil
}

// checkDownload passes a run's report through to the browser as a file,
// in one of the API's formats.
func (u *UI) checkDownload(w http.ResponseWriter, r *http.Request) {
	v := u.open(w, r)
	if v == nil {
		return
	}
	format, ext := r.PathValue("format"), ""
	for _, f := range checkDownloads {
		if f.format == format {
			ext = f.ext
		}
	}
	if ext == "" {
		u.notFound(w, r)
		return
	}
	doc, err := v.openSystem()
	if err != nil {
		u.fail(w, r, err)
		return
	}
	run, err := runNumber(r.PathValue("run"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	a, err := v.call(http.MethodGet, v.runsPath(strconv.Itoa(run)), url.Values{"format": {format}}, nil, "", nil)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	attach(w, a.header.Get("Content-Type"), fmt.Sprintf("%s-check-%d.%s", fileName(doc.Name), run, ext), a.body)
}
