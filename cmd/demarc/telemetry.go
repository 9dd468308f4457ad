package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
)

func (a *app) telemetryCommand() *cobra.Command {
	var f analysisFlags
	var coverage string
	cmd := &cobra.Command{
		Use:   "telemetry --system FILE",
		Short: "For each monitoring duty: covered, needs enabling, collect yourself, or not observable",
		Long: `For every area the customer must monitor (alone or shared) on every
component, say how it can be observed: covered by a log the service supplies
by default, needs enabling (which log), needs the customer's own collection
(the customer runs that layer), or not observable at all — in which case the
provider's attestation is the only evidence.`,
		Example: `  demarc telemetry --system examples/serverless-webshop.yaml
  demarc telemetry --system examples/gcp-kubernetes-platform.yaml --coverage needs-enabling --format csv`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := a.format(f.format, render.Formats)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteTelemetry(cmd.Context(), rc, &f, coverage, format)
			}
			an, err := a.analysis(&f)
			if err != nil {
				return err
			}
			r := an.Telemetry()
			if coverage != "" {
				r = filterCoverage(r, analyze.Coverage(coverage))
			}
			return render.Report(a.stdout, r, telemetryTable(r), format, a.options())
		},
	}
	f.register(cmd, render.Formats)
	cmd.Flags().StringVar(&coverage, "coverage", "", "show only duties with this `COVERAGE` (covered, needs-enabling, customer-collects, not-observable)")
	return cmd
}

func filterCoverage(r *analyze.TelemetryReport, c analyze.Coverage) *analyze.TelemetryReport {
	out := &analyze.TelemetryReport{System: r.System, Summary: r.Summary, Duties: []analyze.MonitoringDuty{}}
	for _, d := range r.Duties {
		if d.Coverage == c {
			out.Duties = append(out.Duties, d)
		}
	}
	return out
}

func telemetryTable(r *analyze.TelemetryReport) *render.Tabular {
	t := &render.Tabular{
		Title: "Telemetry duties — " + r.System,
		Summary: fmt.Sprintf("%d covered by default, %d need enabling, %d you must collect, %d not observable",
			r.Summary[analyze.CoveredByDefault], r.Summary[analyze.NeedsEnabling], r.Summary[analyze.CustomerCollection], r.Summary[analyze.NotObservable]),
		Header: []string{"component", "area", "coverage", "sources", "to do"},
		Notes:  []string{"Run with --format json or markdown for the advice on each duty."},
	}
	for _, d := range r.Duties {
		var src []string
		for _, s := range d.Sources {
			x := s.Title
			if s.RetentionDays > 0 && s.RetentionDays < 3650 {
				x += fmt.Sprintf(" (%dd)", s.RetentionDays)
			}
			src = append(src, x)
		}
		t.Rows = append(t.Rows, []string{d.Component, string(d.Area), string(d.Coverage), strings.Join(src, "; "), todo[d.Coverage]})
	}
	return t
}

// todo is the short form of each coverage's advice, for the table.
var todo = map[analyze.Coverage]string{
	analyze.CoveredByDefault:   "keep and review",
	analyze.NeedsEnabling:      "turn on, ship to log store",
	analyze.CustomerCollection: "collect yourself",
	analyze.NotObservable:      "rely on attestation",
}
