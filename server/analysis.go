package server

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/fedramp"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/report"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// defaultFramework is used when neither the request nor the system names
// one, as on the command line.
const defaultFramework = "nist-800-53-r5"

// systemView is one version of a system, parsed against its
// organisation's basis and resolved.
type systemView struct {
	key   string
	rev   demarc.Revision // without content
	sys   *demarc.System
	res   *resolve.Resolution
	basis *basis
	// registers are the attestation register documents the system's
	// attestation_files named.
	registers []demarc.DocumentRef
	err       error
}

// parseSystem parses a system document against a basis: the schema, the
// attestation registers it names (documents of the organisation, by
// name), and every reference checked against the library.
func parseSystem(b *basis, name string, content []byte) (*demarc.System, []demarc.DocumentRef, error) {
	sys, err := systemfile.Parse(name, content)
	if err != nil {
		return nil, nil, err
	}
	var refs []demarc.DocumentRef
	var ps demarc.Problems
	for i, f := range sys.AttestationFiles {
		reg, ok := b.registers[f]
		switch {
		case !ok:
			ps = append(ps, demarc.Problem{Pos: sys.Pos, Field: fmt.Sprintf("attestation_files[%d]", i),
				Message: fmt.Sprintf("%q is not an attestation register of this organisation; create it under /attestations with that name", f)})
		case reg.err != nil:
			ps = append(ps, demarc.Problem{Pos: sys.Pos, Field: fmt.Sprintf("attestation_files[%d]", i),
				Message: fmt.Sprintf("attestation register %q is not valid: %v", f, reg.err)})
		default:
			sys.Attestations = append(sys.Attestations, reg.attestations...)
			refs = append(refs, reg.ref)
		}
	}
	if err := ps.Err(); err != nil {
		return nil, nil, err
	}
	if err := systemfile.Check(sys, b.lib).Err(); err != nil {
		return nil, nil, err
	}
	return sys, refs, nil
}

// system returns the system the path's {id} names, at the version of the
// query's "version" parameter (the current one when absent).
func (c *call) system() (*systemView, error) {
	ctx := c.r.Context()
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	q := c.query()
	version := q.integer("version", 0, 1<<30)
	if q.err != nil {
		return nil, q.err
	}
	return c.s.views.systemAt(ctx, c.org.ID, doc, version)
}

// systemAt returns version of a system document (0 for the current).
func (v *views) systemAt(ctx context.Context, org demarc.OrgID, doc *demarc.Document, version int) (*systemView, error) {
	b, err := v.basis(ctx, org)
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	var rev *demarc.Revision
	hash := doc.Hash
	if version != 0 && version != doc.Version {
		if rev, err = v.s.store.Revision(ctx, org, doc.ID, version); err != nil {
			return nil, err
		}
		hash = rev.Hash
	}
	key := b.key + "|" + string(hash)
	if sv, ok := v.systems.get(key); ok {
		v.s.metrics.cacheHits.Add(1)
		return sv, sv.err
	}
	v.s.metrics.cacheMisses.Add(1)
	if rev == nil {
		if rev, err = v.s.store.Revision(ctx, org, doc.ID, doc.Version); err != nil {
			return nil, err
		}
	}
	sv := &systemView{key: key, basis: b, rev: *rev}
	sv.rev.Content = nil
	sv.sys, sv.registers, sv.err = parseSystem(b, rev.Name, rev.Content)
	if sv.err == nil {
		sv.res, sv.err = b.engine.Resolve(sv.sys)
	}
	v.systems.put(key, sv, 1)
	return sv, sv.err
}

// framework picks the framework a request names, else the system's
// first, else the default.
func (sv *systemView) framework(id string) (*demarc.Framework, error) {
	if id == "" && len(sv.sys.Frameworks) > 0 {
		id = string(sv.sys.Frameworks[0])
	}
	if id == "" {
		id = defaultFramework
	}
	return frameworkIn(sv.basis.lib, id)
}

func frameworkIn(lib *library.Library, id string) (*demarc.Framework, error) {
	if fw := lib.Framework(demarc.FrameworkID(id)); fw != nil {
		return fw, nil
	}
	var known []string
	for _, f := range lib.Frameworks() {
		known = append(known, string(f.ID))
	}
	return nil, errorf(EBadRequest, "query parameter framework: unknown framework %q%s; known: %s", id, library.Suggest(id, known), strings.Join(known, ", "))
}

// answer returns the cached answer for the request on sv, computing it
// with make on a miss. Answers are keyed by the system's content, the
// route, the query and the day (analyses judge attestations as of today).
func (c *call) answer(sv *systemView, make func() (*reply, error)) (*reply, error) {
	key := sv.key + "|" + c.rt.id + "|" + c.r.PathValue("target") + "|" + canonicalQuery(c.r.URL.Query()) + "|" + demarc.Today().Format(demarc.DateLayout)
	if rp, ok := c.s.views.answers.get(key); ok {
		c.s.metrics.cacheHits.Add(1)
		return rp, nil
	}
	c.s.metrics.cacheMisses.Add(1)
	rp, err := make()
	if err != nil {
		return nil, err
	}
	if rp.etag == "" {
		rp.etag = hashTag(rp.body)
	}
	if len(rp.body) > 1024 && !strings.Contains(rp.contentType, "spreadsheetml") {
		rp.gz = compress(rp.body) // once per answer, not per request
	}
	c.s.views.answers.put(key, rp, int64(len(rp.body)+len(rp.gz))+256)
	return rp, nil
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(strings.Join(q[k], ",")) + "&")
	}
	return b.String()
}

// mediaTypes of the formats answers come in.
var mediaTypes = map[render.Format]string{
	render.JSON:     "application/json",
	render.YAML:     "application/yaml",
	render.CSV:      "text/csv; charset=utf-8",
	render.Markdown: "text/markdown; charset=utf-8",
	render.Table:    "text/plain; charset=utf-8",
}

var formatNames = []string{"json", "yaml", "csv", "markdown", "table"}

// rendered runs write into a buffer and answers with its bytes.
func rendered(f render.Format, write func(*bytes.Buffer) error) (*reply, error) {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return nil, err
	}
	return raw(buf.Bytes(), mediaTypes[f]), nil
}

// analysis prepares gaps, risk, incident and telemetry answers.
func (c *call) analysis(sv *systemView) (*analyze.Analysis, error) {
	q := c.query()
	fwID, asOf := q.str("framework"), q.date("as_of")
	if q.err != nil {
		return nil, q.err
	}
	fw, err := sv.framework(fwID)
	if err != nil {
		return nil, err
	}
	return analyze.New(sv.res, fw, analyze.Options{AsOf: asOf}), nil
}

func (s *Server) matrix(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		q := c.query()
		fwID, owner, family := q.str("framework"), q.str("owner"), q.str("family")
		f := render.Format(q.oneOf("format", "json", formatNames...))
		if q.err != nil {
			return nil, q.err
		}
		fw, err := sv.framework(fwID)
		if err != nil {
			return nil, err
		}
		m := filterMatrix(sv.res.Matrix(fw), owner, family)
		return rendered(f, func(b *bytes.Buffer) error { return render.Matrix(b, m, f, render.Options{Width: 120}) })
	})
}

// filterMatrix keeps the controls of one owner and one family, as the
// CLI's --owner and --family do.
func filterMatrix(m *demarc.Matrix, owner, family string) *demarc.Matrix {
	if owner == "" && family == "" {
		return m
	}
	out := &demarc.Matrix{System: m.System, Framework: m.Framework, Summary: demarc.Summary{}, Controls: []demarc.ControlResult{}}
	for _, ctl := range m.Controls {
		if owner != "" && string(ctl.Owner) != owner || family != "" && !strings.EqualFold(ctl.Family, family) {
			continue
		}
		out.Controls = append(out.Controls, ctl)
		out.Summary[ctl.Owner]++
	}
	return out
}

func (s *Server) explain(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		q := c.query()
		fwID := q.str("framework")
		f := render.Format(q.oneOf("format", "json", "json", "yaml", "markdown", "table"))
		if q.err != nil {
			return nil, q.err
		}
		target := c.r.PathValue("target")
		fw, err := sv.framework(fwID)
		if err != nil {
			return nil, err
		}
		if fwID == "" {
			fw = frameworkWithControl(sv.basis.lib, sv.sys, target, fw)
		}
		x, err := sv.res.Explain(target, fw)
		if err != nil {
			return nil, err
		}
		return rendered(f, func(b *bytes.Buffer) error { return render.Explanation(b, x, f, render.Options{Width: 120}) })
	})
}

// frameworkWithControl finds the framework a bare control id belongs to:
// the system's frameworks first, then any; fallback when none has it.
func frameworkWithControl(lib *library.Library, sys *demarc.System, id string, fallback *demarc.Framework) *demarc.Framework {
	for _, fid := range sys.Frameworks {
		if lib.Control(fid, demarc.ControlID(id)) != nil {
			return lib.Framework(fid)
		}
	}
	for _, fw := range append([]*demarc.Framework{lib.Framework(defaultFramework)}, lib.Frameworks()...) {
		if fw != nil && lib.Control(fw.ID, demarc.ControlID(id)) != nil {
			return fw
		}
	}
	return fallback
}

func (s *Server) gaps(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		q := c.query()
		kind := demarc.GapKind(q.str("kind"))
		least := demarc.Severity(q.oneOf("severity", "", "low", "medium", "high"))
		f := render.Format(q.oneOf("format", "json", formatNames...))
		an, err := c.analysis(sv)
		if err != nil {
			return nil, err
		}
		r := &render.GapReport{System: an.Res.System.Name, Framework: an.FW.ID, AsOf: an.AsOf, Summary: map[string]int{"high": 0, "medium": 0, "low": 0}, Gaps: []demarc.Gap{}}
		for _, g := range an.Gaps() {
			if kind != "" && g.Kind != kind || g.Severity.Rank() < least.Rank() {
				continue
			}
			r.Gaps = append(r.Gaps, g)
			r.Summary[string(g.Severity)]++
		}
		return rendered(f, func(b *bytes.Buffer) error { return render.Gaps(b, r, f, render.Options{Width: 120}) })
	})
}

// structured answers in JSON or YAML.
func structured(c *call, v any) (*reply, error) {
	q := c.query()
	f := render.Format(q.oneOf("format", "json", "json", "yaml"))
	if q.err != nil {
		return nil, q.err
	}
	return rendered(f, func(b *bytes.Buffer) error {
		if f == render.YAML {
			return render.WriteYAML(b, v)
		}
		return render.WriteJSON(b, v)
	})
}

// IncidentReport is the answer of the incidents route.
type IncidentReport struct {
	System    string                 `json:"system"`
	Incidents []analyze.IncidentPlan `json:"incidents"`
}

func (s *Server) incidents(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		typ := c.query().str("type")
		an, err := c.analysis(sv)
		if err != nil {
			return nil, err
		}
		plans, err := an.Incidents(typ)
		if err != nil {
			return nil, err
		}
		return structured(c, IncidentReport{System: an.Res.System.Name, Incidents: plans})
	})
}

func (s *Server) telemetry(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		coverage := c.query().oneOf("coverage", "", string(analyze.CoveredByDefault), string(analyze.NeedsEnabling), string(analyze.CustomerCollection), string(analyze.NotObservable))
		an, err := c.analysis(sv)
		if err != nil {
			return nil, err
		}
		r := an.Telemetry()
		if coverage != "" {
			out := &analyze.TelemetryReport{System: r.System, Summary: r.Summary, Duties: []analyze.MonitoringDuty{}}
			for _, d := range r.Duties {
				if d.Coverage == analyze.Coverage(coverage) {
					out.Duties = append(out.Duties, d)
				}
			}
			r = out
		}
		return structured(c, r)
	})
}

func (s *Server) risk(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	return c.answer(sv, func() (*reply, error) {
		an, err := c.analysis(sv)
		if err != nil {
			return nil, err
		}
		return structured(c, an.Risks(an.Gaps()))
	})
}

// download marks a reply as a file to save.
func download(rp *reply, name string) *reply {
	rp.filename = name
	return rp
}

// fileName makes a safe download name from a system name.
func fileName(system, suffix string) string {
	var b strings.Builder
	for _, r := range system {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		b.WriteString("system")
	}
	return b.String() + suffix
}

func (s *Server) exportSSP(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	rp, err := c.answer(sv, func() (*reply, error) {
		q := c.query()
		opts := ssp.Options{Profile: q.str("profile"), Status: q.oneOf("status", "", "operational", "under-development", "under-major-modification", "disposition", "other"),
			CustomerImplemented: q.boolean("customer_implemented")}
		if d := q.date("as_of"); !d.IsZero() {
			opts.LastModified = d.Time
		} else {
			// The same content gives the same document all day, so that
			// the answer can be cached and its ETag means something.
			opts.LastModified = demarc.Today().Time
		}
		if q.err != nil {
			return nil, q.err
		}
		fw, err := sv.framework(q.str("framework"))
		if err != nil {
			return nil, err
		}
		doc, err := ssp.Export(sv.res, fw, opts)
		if err != nil {
			return nil, err
		}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return ssp.Write(b, doc) })
	})
	if err != nil {
		return nil, err
	}
	return download(rp, fileName(sv.sys.Name, "-ssp.json")), nil
}

func (s *Server) exportFedRAMP(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	q := c.query()
	format := q.oneOf("format", "xlsx", "xlsx", "csv", "json")
	rp, err := c.answer(sv, func() (*reply, error) {
		opts := fedramp.Options{WholeControls: q.boolean("whole_controls"), Date: q.date("date")}
		baseline := q.str("baseline")
		if q.err != nil {
			return nil, q.err
		}
		if baseline == "" {
			return nil, errorf(EBadRequest, "query parameter baseline is required: low, moderate, high or li-saas")
		}
		b, err := fedramp.LookupBaseline(baseline)
		if err != nil {
			return nil, errorf(EBadRequest, "query parameter baseline: %v", err)
		}
		wb, err := fedramp.Build(sv.res, b, opts)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		ctype := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		switch format {
		case "csv":
			err, ctype = wb.WriteCSV(&buf), mediaTypes[render.CSV]
		case "json":
			err, ctype = render.WriteJSON(&buf, wb), mediaTypes[render.JSON]
		default:
			err = wb.WriteXLSX(&buf)
		}
		if err != nil {
			return nil, err
		}
		return raw(buf.Bytes(), ctype), nil
	})
	if err != nil {
		return nil, err
	}
	return download(rp, fileName(sv.sys.Name, "-fedramp-crm."+format)), nil
}

func (s *Server) exportReport(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	rp, err := c.answer(sv, func() (*reply, error) {
		an, err := c.analysis(sv)
		if err != nil {
			return nil, err
		}
		d, err := report.Build(an)
		if err != nil {
			return nil, err
		}
		return rendered(render.JSON, func(b *bytes.Buffer) error { return report.Write(b, d) })
	})
	if err != nil {
		return nil, err
	}
	out := *rp
	out.contentType = "text/html; charset=utf-8"
	// The report is self-contained: inline styles and SVG, no scripts.
	c.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	return download(&out, fileName(sv.sys.Name, "-report.html")), nil
}

func (s *Server) exportWorkbook(c *call) (*reply, error) {
	sv, err := c.system()
	if err != nil {
		return nil, err
	}
	rp, err := c.answer(sv, func() (*reply, error) {
		q := c.query()
		ids := q.str("framework")
		owner, family := q.str("owner"), q.str("family")
		if q.err != nil {
			return nil, q.err
		}
		var list []string
		if ids != "" {
			list = strings.Split(ids, ",")
		}
		if len(list) == 0 {
			for _, f := range sv.sys.Frameworks {
				list = append(list, string(f))
			}
		}
		if len(list) == 0 {
			list = []string{defaultFramework}
		}
		var ms []*demarc.Matrix
		for _, id := range list {
			fw, err := frameworkIn(sv.basis.lib, strings.TrimSpace(id))
			if err != nil {
				return nil, err
			}
			ms = append(ms, filterMatrix(sv.res.Matrix(fw), owner, family))
		}
		var buf bytes.Buffer
		if err := render.MatrixXLSX(&buf, ms, sv.sys); err != nil {
			return nil, err
		}
		return raw(buf.Bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), nil
	})
	if err != nil {
		return nil, err
	}
	return download(rp, fileName(sv.sys.Name, "-matrix.xlsx")), nil
}

// diff compares two versions of a system: what moves between parties.
func (s *Server) diff(c *call) (*reply, error) {
	ctx := c.r.Context()
	doc, err := c.document(demarc.DocSystem)
	if err != nil {
		return nil, err
	}
	q := c.query()
	from, to := q.integer("from", 0, 1<<30), q.integer("to", 0, 1<<30)
	fwID := q.str("framework")
	if q.err != nil {
		return nil, q.err
	}
	if to == 0 {
		to = doc.Version
	}
	if from == 0 {
		from = max(1, to-1)
	}
	a, err := c.s.views.systemAt(ctx, c.org.ID, doc, from)
	if err != nil {
		return nil, err
	}
	b, err := c.s.views.systemAt(ctx, c.org.ID, doc, to)
	if err != nil {
		return nil, err
	}
	fw, err := a.framework(fwID)
	if err != nil {
		return nil, err
	}
	return ok(VersionDiff{From: from, To: to, Diff: analyze.Compare(a.res, b.res, fw)}), nil
}

// VersionDiff is what moved between two versions of a document.
type VersionDiff struct {
	From int           `json:"from"`
	To   int           `json:"to"`
	Diff *analyze.Diff `json:"diff"`
}
