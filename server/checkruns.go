package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/snapshot"
)

// A system's check runs are the versions of one document of kind
// check-run, named by the system's document id: version n is run n. The
// store never rewrites a version, so a recorded run cannot change, and
// every run is an audit event whose after-hash is the run's content hash.
// The content is the run record as gzip-compressed JSON: reports list
// every resource with the values each check read, which compresses well.

// checkFormatNames are the formats a run's report comes in.
var checkFormatNames = []string{"json", "yaml", "sarif", "junit", "markdown", "table"}

// checkMedia are their content types.
var checkMedia = map[render.Format]string{
	render.JSON:     "application/json",
	render.YAML:     "application/yaml",
	check.SARIF:     "application/sarif+json",
	check.JUnit:     "application/xml; charset=utf-8",
	render.Markdown: "text/markdown; charset=utf-8",
	render.Table:    "text/plain; charset=utf-8",
}

// CheckRunInfo describes a recorded check run.
type CheckRunInfo struct {
	// Run numbers the system's runs from 1.
	Run    int               `json:"run"`
	System demarc.DocumentID `json:"system"`
	// Hash is the content hash of the stored run, which the audit trail
	// records.
	Hash      demarc.ContentHash `json:"hash"`
	Created   time.Time          `json:"created"`
	CreatedBy demarc.MemberID    `json:"created_by,omitempty"`
	// Summary says what was checked and what came of it.
	Summary string `json:"summary"`
}

// CheckEvidence is a run's evidence record: what was checked, with what,
// when and by whom, the verdict on every control and the findings, and
// the audit event that recorded the run.
type CheckEvidence struct {
	Run        int                `json:"run"`
	System     demarc.DocumentRef `json:"system"`
	Framework  demarc.FrameworkID `json:"framework"`
	Recorded   time.Time          `json:"recorded"`
	RecordedBy demarc.MemberID    `json:"recorded_by,omitempty"`
	// Hash is the content hash of the stored run.
	Hash demarc.ContentHash `json:"hash"`
	// AuditEvent is the event of the organisation's audit trail that
	// recorded the run, with Hash as its after-hash.
	AuditEvent *EventRef             `json:"audit_event,omitempty"`
	Evidence   check.Evidence        `json:"evidence"`
	Summary    check.Summary         `json:"summary"`
	Controls   []check.ControlStatus `json:"controls"`
	Findings   []check.Finding       `json:"findings"`
}

// EventRef names an audit event.
type EventRef struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

// checkRecord is a run as stored.
type checkRecord struct {
	System    demarc.DocumentRef `json:"system"`
	Framework demarc.FrameworkID `json:"framework"`
	Report    *check.Report      `json:"report"`
}

// runChecks checks uploaded configuration against a version of the
// system, as 'demarc check' does, and records the run.
func (s *Server) runChecks(c *call) (*reply, error) {
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	q := c.query()
	version, fwID := q.integer("version", 0, 1<<30), q.str("framework")
	builtin := q.str("builtin") == "" || q.boolean("builtin")
	if q.err != nil {
		return nil, q.err
	}
	configs, policies, err := c.checkUploads()
	if err != nil {
		return nil, err
	}
	sv, err := s.views.systemAt(c.r.Context(), c.org.ID, doc, version)
	if err != nil {
		return nil, err
	}
	fw, err := sv.framework(fwID)
	if err != nil {
		return nil, err
	}
	set, err := checkPolicies(builtin, policies, sv.basis.lib)
	if err != nil {
		return nil, err
	}
	rec, name, err := s.checkReport(c, sv, fw, set, configs)
	if err != nil {
		return nil, err
	}
	content, err := encodeRecord(*rec)
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%s version %d, %s: %s; %s", name, rec.System.Version, fw.ID, rec.Report.SummaryLine(), rec.Report.ControlLine())
	rev, err := s.recordRun(c, doc.ID, content, note)
	if err != nil {
		return nil, err
	}
	return created(runInfo(doc.ID, rev), "", c.r.URL.Path+"/"+itoa(rev.Version)), nil
}

// checkReport checks the configuration files with the policies and
// builds the report for the system and framework, with the system's
// document name and digest as the CLI records its file. Every file must
// read: one that does not fails the run, naming it.
func (s *Server) checkReport(c *call, sv *systemView, fw *demarc.Framework, set *check.PolicySet, configs []snapshot.File) (*checkRecord, string, error) {
	ctx := c.r.Context()
	read := func(ctx context.Context, fn func(*demarc.Snapshot) error) error {
		return snapshot.ReadFiles(ctx, configs, fn)
	}
	run, err := check.Execute(ctx, check.NewEngine(set, check.Options{}), read, check.Progress{})
	if err != nil {
		return nil, "", err
	}
	if bad := append(append(demarc.Problems{}, run.Problems...), run.Skipped...); len(bad) > 0 {
		return nil, "", problemsError("", fmt.Sprintf("%d problem(s) with the uploaded configuration; nothing was checked or recorded", len(bad)), bad)
	}
	if len(run.Inputs) == 0 {
		return nil, "", run.NothingRead(nil, "in the request")
	}
	sysRev, err := s.store.Revision(ctx, c.org.ID, sv.rev.Document, sv.rev.Version)
	if err != nil {
		return nil, "", err
	}
	report := check.BuildReport(sv.res, fw, set.Policies(), run.Collector, check.ReportOptions{
		Tool: check.CurrentTool(), System: check.SystemInput(sysRev.Name, sysRev.Content), Inputs: run.Inputs,
		PolicySources: set.Sources, Now: s.now().UTC(),
	})
	rec := &checkRecord{System: demarc.DocumentRef{ID: sv.rev.Document, Version: sv.rev.Version}, Framework: fw.ID, Report: report}
	return rec, sysRev.Name, nil
}

// checkUploads reads the multipart body: config files, as the snapshot
// reader takes them, and policy files.
func (c *call) checkUploads() ([]snapshot.File, []check.PolicyFile, error) {
	if _, err := c.mediaType([]string{"multipart/form-data"}); err != nil {
		return nil, nil, err
	}
	if err := c.readUploadBody("multipart/form-data with config files"); err != nil {
		return nil, nil, err
	}
	files, err := c.formFiles(map[string]int{"config": maxUploadFiles, "policy": maxUploadFiles})
	if err != nil {
		return nil, nil, err
	}
	var configs []snapshot.File
	var policies []check.PolicyFile
	for _, f := range files {
		if f.field == "policy" {
			policies = append(policies, check.PolicyFile{Name: f.name, Data: f.data})
			continue
		}
		configs = append(configs, snapshot.File{Name: f.name, Data: f.data})
	}
	if len(configs) == 0 {
		return nil, nil, errorf(EBadRequest, "the body has no config part; send each configuration file as a part named config, with its file name")
	}
	return configs, policies, nil
}

// checkPolicies is the built-in policy pack, unless builtin is false,
// with the uploaded policies, whose areas must be in the organisation's
// library. A policy that does not load fails the request, naming its
// file and line.
func checkPolicies(builtin bool, files []check.PolicyFile, lib *library.Library) (*check.PolicySet, error) {
	set := &check.PolicySet{}
	if builtin {
		var err error
		if set, err = check.Builtin(); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		if !builtin {
			return nil, errorf(EBadRequest, "builtin=false leaves no policies; send policy files as parts named policy")
		}
		return set, nil
	}
	extra, problems := check.ParseFiles(files, check.LoadOptions{KnownArea: func(a demarc.AreaID) bool { return lib.Area(a) != nil }})
	if len(problems) > 0 {
		return nil, problemsError("", fmt.Sprintf("%d problem(s) in the uploaded policies; nothing was checked or recorded", len(problems)), problems)
	}
	return set.Merge(extra), nil
}

// recordRun stores a run as the next version of the system's check-run
// document, creating it for the first run, in the request's turn to
// write. A run recorded at the same moment by another replica moves the
// version on: the store refuses the stale write and this one retries.
func (s *Server) recordRun(c *call, system demarc.DocumentID, content []byte, note string) (*demarc.Revision, error) {
	in := demarc.DocumentInput{Kind: demarc.DocCheckRun, Name: string(system), Content: content, Note: note}
	if len(content) > demarc.MaxDocumentSize {
		return nil, errorf(ETooLarge, "the run's record is %d bytes compressed; at most %d can be stored: check fewer files at once", len(content), demarc.MaxDocumentSize)
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	done, err := c.writeTurn()
	if err != nil {
		return nil, err
	}
	defer done()
	ctx := c.r.Context()
	for range 5 {
		var rev *demarc.Revision
		d, err := s.store.DocumentByName(ctx, c.org.ID, demarc.DocCheckRun, string(system))
		switch {
		case demarc.ErrorCode(err) == demarc.ENotFound:
			rev, err = s.store.CreateDocument(ctx, c.actor, c.org.ID, in)
		case err == nil:
			rev, err = s.store.UpdateDocument(ctx, c.actor, c.org.ID, d.ID, d.Version, in)
		}
		if demarc.ErrorCode(err) == demarc.EConflict {
			continue
		}
		return rev, err
	}
	return nil, errorf(EUnavailable, "other check runs of this system were being recorded at the same time; send the run again")
}

func (s *Server) listCheckRuns(c *call) (*reply, error) {
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	q := c.query()
	page := q.page()
	if q.err != nil {
		return nil, q.err
	}
	ctx := c.r.Context()
	runs, err := s.store.DocumentByName(ctx, c.org.ID, demarc.DocCheckRun, string(doc.ID))
	if demarc.ErrorCode(err) == demarc.ENotFound {
		if page.After != "" {
			return nil, errorf(EBadRequest, "query parameter cursor is not a cursor this server returned")
		}
		return ok(pageOf([]CheckRunInfo{}, "")), nil
	}
	if err != nil {
		return nil, err
	}
	revs, next, err := s.store.Revisions(ctx, c.org.ID, runs.ID, page)
	if err != nil {
		return nil, err
	}
	items := make([]CheckRunInfo, len(revs))
	for i := range revs {
		items[i] = runInfo(doc.ID, &revs[i])
	}
	return ok(pageOf(items, next)), nil
}

func runInfo(system demarc.DocumentID, rev *demarc.Revision) CheckRunInfo {
	return CheckRunInfo{Run: rev.Version, System: system, Hash: rev.Hash, Created: rev.Created, CreatedBy: rev.Author, Summary: rev.Note}
}

// checkRun returns the run the path names, with its record.
func (c *call) checkRun() (*demarc.Revision, *checkRecord, error) {
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, nil, err
	}
	n, err := pathVersion(c.r, "run")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.r.Context()
	missing := demarc.Errorf(demarc.ENotFound, "system %s has no check run %d", doc.ID, n)
	runs, err := c.s.store.DocumentByName(ctx, c.org.ID, demarc.DocCheckRun, string(doc.ID))
	if demarc.ErrorCode(err) == demarc.ENotFound {
		return nil, nil, missing
	}
	if err != nil {
		return nil, nil, err
	}
	rev, err := c.s.store.Revision(ctx, c.org.ID, runs.ID, n)
	if demarc.ErrorCode(err) == demarc.ENotFound {
		return nil, nil, missing
	}
	if err != nil {
		return nil, nil, err
	}
	rec, err := decodeRecord(rev.Content)
	if err != nil {
		return nil, nil, fmt.Errorf("check run %d of %s: %w", n, doc.ID, err)
	}
	return rev, rec, nil
}

func (s *Server) getCheckRun(c *call) (*reply, error) {
	q := c.query()
	f := render.Format(q.oneOf("format", "json", checkFormatNames...))
	if q.err != nil {
		return nil, q.err
	}
	_, rec, err := c.checkRun()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := check.Write(&buf, rec.Report, f, render.Options{Width: 120}); err != nil {
		return nil, err
	}
	return raw(buf.Bytes(), checkMedia[f]), nil
}

func (s *Server) getCheckEvidence(c *call) (*reply, error) {
	rev, rec, err := c.checkRun()
	if err != nil {
		return nil, err
	}
	r := rec.Report
	ev := CheckEvidence{Run: rev.Version, System: rec.System, Framework: rec.Framework, Recorded: rev.Created, RecordedBy: rev.Author, Hash: rev.Hash,
		Evidence: r.Evidence, Summary: r.Summary, Controls: r.Controls, Findings: r.Findings}
	if ev.AuditEvent, err = s.recordingEvent(c.r.Context(), c.org.ID, rev); err != nil {
		return nil, err
	}
	return ok(ev), nil
}

// recordingEvent finds the audit event that recorded a run: the event on
// its document whose after-hash is the run's hash. It is nil only if the
// trail lacks it, which verifying the trail reports.
func (s *Server) recordingEvent(ctx context.Context, org demarc.OrgID, rev *demarc.Revision) (*EventRef, error) {
	f := demarc.EventFilter{Object: "document/" + string(rev.Document), Limit: demarc.MaxPageSize}
	for {
		events, err := s.store.Events(ctx, org, f)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if e.After == rev.Hash {
				return &EventRef{Seq: e.Seq, Hash: e.Hash, Time: e.Time}, nil
			}
		}
		if len(events) < f.Limit {
			return nil, nil
		}
		f.After = events[len(events)-1].Seq
	}
}

// encodeRecord makes a run's stored content.
func encodeRecord(rec checkRecord) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return nil, fmt.Errorf("encode check run: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode check run: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeRecord reads a run's stored content. A record that does not
// decode is a defect of the store, an internal error.
func decodeRecord(content []byte) (*checkRecord, error) {
	zr, err := gzip.NewReader(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("decode check run: %w", err)
	}
	// Numbers stay as written: a value a check read renders the same
	// from the record as it did when the run was made.
	dec := json.NewDecoder(zr)
	dec.UseNumber()
	var rec checkRecord
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("decode check run: %w", err)
	}
	if rec.Report == nil {
		return nil, fmt.Errorf("decode check run: no report")
	}
	return &rec, nil
}
