package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/systemfile"
)

// The analysis commands against a server. Each asks the route that
// computes what the local command computes and prints it as the local
// command would: answers the server renders in the format asked for are
// written as they come; the others are fetched as JSON and rendered here,
// with the same renderer and this terminal's width and colours.

// remoteGet reads a route of the system ref names.
func (a *app) remoteGet(ctx context.Context, c *client, ref, route string, q url.Values) ([]byte, error) {
	if len(a.libraryFiles) > 0 {
		return nil, notOnServer("--library", "the server analyses with the organisation's library: the built-in one and the provider statements it keeps or subscribes to")
	}
	d, err := c.find(ctx, systemDocs, ref)
	if err != nil {
		return nil, err
	}
	path, err := c.docPath(ctx, systemDocs, d.ID, route)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, path, q)
}

// remoteJSON reads a route of the system ref names into v.
func (a *app) remoteJSON(ctx context.Context, c *client, ref, route string, q url.Values, v any) error {
	body, err := a.remoteGet(ctx, c, ref, route, q)
	if err != nil {
		return err
	}
	return c.decode(body, v)
}

// write sends an answer the server rendered to the output.
func (a *app) write(body []byte) error {
	if _, err := a.stdout.Write(body); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// values builds query parameters, leaving out empty ones.
func values(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// remoteFramework refuses what only a local framework can be: an OSCAL
// catalog or profile file.
func remoteFramework(id, catalog string) error {
	switch strings.ToLower(filepath.Ext(id)) {
	case ".json", ".yaml", ".yml":
		return notOnServer("--framework "+id, "the server knows its library's frameworks, not OSCAL files")
	}
	if catalog != "" {
		return notOnServer("--catalog", "the server knows its library's frameworks, not OSCAL files")
	}
	return nil
}

func (a *app) remoteMatrix(ctx context.Context, c *client, system, framework, owner, family, catalog string, f render.Format) error {
	if err := remoteFramework(framework, catalog); err != nil {
		return err
	}
	q := values("framework", framework, "owner", owner, "family", family)
	if f == render.XLSX {
		if err := a.binaryOutput(); err != nil {
			return err
		}
		body, err := a.remoteGet(ctx, c, system, "/exports/matrix-xlsx", q)
		if err != nil {
			return err
		}
		return a.write(body)
	}
	q.Set("format", "json")
	var m demarc.Matrix
	if err := a.remoteJSON(ctx, c, system, "/matrix", q, &m); err != nil {
		return err
	}
	return render.Matrix(a.stdout, &m, f, a.options())
}

// remoteExplain writes the server's own rendering: the JSON form of an
// explanation leaves out the file and line of each rule, which the table
// and Markdown show.
func (a *app) remoteExplain(ctx context.Context, c *client, system, framework, target string, f render.Format) error {
	if err := remoteFramework(framework, ""); err != nil {
		return err
	}
	body, err := a.remoteGet(ctx, c, system, "/explain/"+url.PathEscape(target), values("framework", framework, "format", string(f)))
	if err != nil {
		return err
	}
	return a.write(body)
}

// remoteAnalysis is the query of the analysis flags.
func remoteAnalysis(f *analysisFlags) (url.Values, error) {
	if len(f.registers) > 0 {
		return nil, notOnServer("--attestations", "the server reads the registers the system's attestation_files name; push them with 'demarc attestations push'")
	}
	if err := remoteFramework(f.framework, ""); err != nil {
		return nil, err
	}
	if f.asOf != "" {
		if _, err := demarc.ParseDate(f.asOf); err != nil {
			return nil, usageError{fmt.Errorf("--as-of: %w", err)}
		}
	}
	return values("framework", f.framework, "as_of", f.asOf, "format", "json"), nil
}

func (a *app) remoteGaps(ctx context.Context, c *client, f *analysisFlags, kind string, least, fail demarc.Severity, format render.Format) error {
	q, err := remoteAnalysis(f)
	if err != nil {
		return err
	}
	q.Set("kind", kind)
	q.Set("severity", string(least))
	var r render.GapReport
	if err := a.remoteJSON(ctx, c, f.system, "/gaps", clean(q), &r); err != nil {
		return err
	}
	if err := render.Gaps(a.stdout, &r, format, a.options()); err != nil {
		return err
	}
	return failIfGaps(r.Gaps, fail)
}

// clean drops empty parameters.
func clean(q url.Values) url.Values {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	return q
}

func (a *app) remoteRisk(ctx context.Context, c *client, f *analysisFlags, format render.Format) error {
	q, err := remoteAnalysis(f)
	if err != nil {
		return err
	}
	var r analyze.RiskReport
	if err := a.remoteJSON(ctx, c, f.system, "/risk", q, &r); err != nil {
		return err
	}
	return render.Report(a.stdout, &r, riskTable(&r), format, a.options())
}

func (a *app) remoteTelemetry(ctx context.Context, c *client, f *analysisFlags, coverage string, format render.Format) error {
	q, err := remoteAnalysis(f)
	if err != nil {
		return err
	}
	r := &analyze.TelemetryReport{}
	if err := a.remoteJSON(ctx, c, f.system, "/telemetry", q, r); err != nil {
		return err
	}
	if coverage != "" { // filtered here, exactly as on local files
		r = filterCoverage(r, analyze.Coverage(coverage))
	}
	return render.Report(a.stdout, r, telemetryTable(r), format, a.options())
}

func (a *app) remoteIncident(ctx context.Context, c *client, f *analysisFlags, typ string, format render.Format) error {
	q, err := remoteAnalysis(f)
	if err != nil {
		return err
	}
	q.Set("type", typ)
	var r server.IncidentReport
	if err := a.remoteJSON(ctx, c, f.system, "/incidents", clean(q), &r); err != nil {
		return err
	}
	v := map[string]any{"system": r.System, "incidents": r.Incidents}
	if format == render.JSON || format == render.YAML {
		return render.Report(a.stdout, v, nil, format, a.options())
	}
	regs, err := a.remoteRegulations(ctx, c, f)
	if err != nil {
		return err
	}
	return render.Report(a.stdout, v, incidentTable(r.System, regs, r.Incidents), format, a.options())
}

// remoteRegulations finds the regulations in scope of a system on the
// server, for the incident table's summary: those the system names and
// those its frameworks bring in. Regulations come only from the built-in
// library (an organisation's documents hold providers, not regulations),
// so the local library knows the same ones.
func (a *app) remoteRegulations(ctx context.Context, c *client, f *analysisFlags) ([]demarc.Regulation, error) {
	d, err := c.find(ctx, systemDocs, f.system)
	if err != nil {
		return nil, err
	}
	rv, err := c.content(ctx, systemDocs, d, 0)
	if err != nil {
		return nil, err
	}
	sys, err := systemfile.Parse(d.Name, []byte(rv.Content))
	if err != nil {
		return nil, err
	}
	lib, err := a.library()
	if err != nil {
		return nil, err
	}
	fw := f.framework
	if fw == "" && len(sys.Frameworks) > 0 {
		fw = string(sys.Frameworks[0])
	}
	if fw == "" {
		fw = defaultFramework
	}
	// RegulationsInScope reads only the system's regulations and
	// frameworks, the framework's id and the library's regulations.
	an := &analyze.Analysis{Res: &resolve.Resolution{System: sys}, Lib: lib, FW: &demarc.Framework{ID: demarc.FrameworkID(fw)}}
	return an.RegulationsInScope(), nil
}

func (a *app) remoteReport(ctx context.Context, c *client, f *analysisFlags) error {
	q, err := remoteAnalysis(f)
	if err != nil {
		return err
	}
	q.Del("format")
	body, err := a.remoteGet(ctx, c, f.system, "/exports/report", q)
	if err != nil {
		return err
	}
	if err := a.write(body); err != nil {
		return err
	}
	if a.outputPath != "" {
		fmt.Fprintf(a.stderr, "wrote %s (%d KB)\n", a.outputPath, len(body)/1024)
	}
	return nil
}

// remoteSSP asks for the OSCAL security plan. The server stamps plans by
// the day, so --as-of takes a date there.
func (a *app) remoteSSP(ctx context.Context, c *client, system, framework, profile, status, asOf string, implemented bool, registers []string) error {
	if len(registers) > 0 {
		return notOnServer("--attestations", "the server reads the registers the system's attestation_files name; push them with 'demarc attestations push'")
	}
	if err := remoteFramework(framework, ""); err != nil {
		return err
	}
	if asOf != "" {
		if _, err := demarc.ParseDate(asOf); err != nil {
			return notOnServer("--as-of "+asOf, "the server stamps a plan with a date (YYYY-MM-DD), not a time")
		}
	}
	q := values("framework", framework, "profile", profile, "status", status, "as_of", asOf)
	if implemented {
		q.Set("customer_implemented", "true")
	}
	body, err := a.remoteGet(ctx, c, system, "/exports/oscal-ssp", q)
	if err != nil {
		return err
	}
	return a.write(body)
}

// remoteFedRAMP asks for the CIS/CRM workbook. The warnings and row
// counts the local command prints come from the workbook's JSON form,
// asked for besides a CSV or XLSX one.
func (a *app) remoteFedRAMP(ctx context.Context, c *client, system, baseline, date string, f render.Format, wholeControls bool, registers []string) error {
	if len(registers) > 0 {
		return notOnServer("--attestations", "the server reads the registers the system's attestation_files name; push them with 'demarc attestations push'")
	}
	q := values("baseline", baseline, "format", string(f), "date", date)
	if wholeControls {
		q.Set("whole_controls", "true")
	}
	body, err := a.remoteGet(ctx, c, system, "/exports/fedramp-crm", q)
	if err != nil {
		return err
	}
	summary := body
	if f != render.JSON {
		q.Set("format", "json")
		if summary, err = a.remoteGet(ctx, c, system, "/exports/fedramp-crm", q); err != nil {
			return err
		}
	}
	var wb struct {
		CIS, CRM []json.RawMessage
		Warnings []string
	}
	if err := c.decode(summary, &wb); err != nil {
		return err
	}
	for _, w := range wb.Warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	if err := a.write(body); err != nil {
		return err
	}
	if f == render.XLSX {
		fmt.Fprintf(a.stderr, "wrote %s: %d CIS rows, %d CRM rows (%d KB)\n", a.outputName(), len(wb.CIS), len(wb.CRM), len(body)/1024)
	}
	return nil
}

// diffFlags are diff's options for systems on a server.
type diffFlags struct {
	system   string
	from, to int
}

// remoteDiff compares versions of a system on the server (no files), a
// version on the server with swaps (what-if), or a version on the server
// with a local file. The server compares its versions and answers
// what-ifs itself; a comparison with a file reads the version from the
// server and compares here, with the local library, since the server
// keeps only what was pushed.
func (a *app) remoteDiff(ctx context.Context, c *client, args, swaps []string, framework string, df diffFlags, f render.Format) error {
	if df.system == "" {
		return usageError{fmt.Errorf("against a server, name the system with --system NAME (and compare --from N --to M, or with a FILE)")}
	}
	if err := remoteFramework(framework, ""); err != nil {
		return err
	}
	switch {
	case len(args) == 2:
		return notOnServer("comparing two files", "the server compares versions of a system it stores")
	case len(args) == 0 && len(swaps) == 0:
		var vd server.VersionDiff
		q := values("framework", framework)
		if df.from > 0 {
			q.Set("from", strconv.Itoa(df.from))
		}
		if df.to > 0 {
			q.Set("to", strconv.Itoa(df.to))
		}
		if err := a.remoteJSON(ctx, c, df.system, "/diff", q, &vd); err != nil {
			return err
		}
		return render.Report(a.stdout, vd.Diff, diffTable(vd.Diff), f, a.options())
	case df.to > 0:
		return usageError{fmt.Errorf("--to is for two versions on the server; with a FILE or --swap, --from picks the server's version")}
	case len(args) == 0:
		return a.remoteWhatIf(ctx, c, swaps, framework, df, f)
	}
	d, err := a.diffWithServer(ctx, c, args, swaps, framework, df)
	if err != nil {
		return err
	}
	return render.Report(a.stdout, d, diffTable(d), f, a.options())
}

// remoteWhatIf asks the server what moves if components of a system it
// stores used other services: it swaps them with the organisation's
// library, so services of the organisation's own provider statements
// count.
func (a *app) remoteWhatIf(ctx context.Context, c *client, swaps []string, framework string, df diffFlags, f render.Format) error {
	q := values("framework", framework)
	for _, s := range swaps {
		comp, svc, ok := strings.Cut(s, "=")
		if !ok || comp == "" || svc == "" || strings.Contains(s, ",") {
			return usageError{fmt.Errorf("--swap %q: expected COMPONENT=SERVICE", s)}
		}
		q.Add("swap", s)
	}
	if df.from > 0 {
		q.Set("version", strconv.Itoa(df.from))
	}
	var vd server.VersionDiff
	if err := a.remoteJSON(ctx, c, df.system, "/whatif", q, &vd); err != nil {
		return err
	}
	if vd.Diff == nil {
		return &remoteError{exit: exitInternal, msg: fmt.Sprintf("the server at %s answered a what-if without its diff", c)}
	}
	return render.Report(a.stdout, vd.Diff, diffTable(vd.Diff), f, a.options())
}

// diffWithServer compares version df.from (default: the current one) of a
// system on the server with a local file, or with itself with swaps.
func (a *app) diffWithServer(ctx context.Context, c *client, args, swaps []string, framework string, df diffFlags) (*analyze.Diff, error) {
	d, err := c.find(ctx, systemDocs, df.system)
	if err != nil {
		return nil, err
	}
	rv, err := c.content(ctx, systemDocs, d, df.from)
	if err != nil {
		return nil, err
	}
	lib, err := a.library()
	if err != nil {
		return nil, err
	}
	from, err := systemfile.Parse(fmt.Sprintf("%s (version %d on the server)", d.Name, rv.Version), []byte(rv.Content))
	if err != nil {
		return nil, err
	}
	if err := c.addRegisters(ctx, from); err != nil {
		return nil, err
	}
	if err := systemfile.Check(from, lib).Err(); err != nil {
		return nil, fmt.Errorf("%w\n(the comparison runs here, with the local library: give --library for the organisation's own provider statements)", err)
	}
	to := from
	if len(args) == 1 {
		if to, err = systemfile.Load(args[0], lib); err != nil {
			return nil, err
		}
	}
	return a.compareSystems(lib, from, to, swaps, framework)
}

// addRegisters adds the attestations of the registers a system on the
// server names: documents of the organisation, by name, as the server
// reads them.
func (c *client) addRegisters(ctx context.Context, sys *demarc.System) error {
	for _, name := range sys.AttestationFiles {
		d, err := c.find(ctx, registerDocs, name)
		if err != nil {
			return err
		}
		rv, err := c.content(ctx, registerDocs, d, 0)
		if err != nil {
			return err
		}
		as, err := systemfile.ParseRegister(name, []byte(rv.Content))
		if err != nil {
			return err
		}
		sys.Attestations = append(sys.Attestations, as...)
	}
	return nil
}
