package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
)

// exitGaps is returned when --fail-on finds gaps at or above its severity.
const exitGaps = 3

// gapsFound is the error that makes demarc exit with exitGaps.
type gapsFound struct {
	n        int
	severity demarc.Severity
}

func (e gapsFound) Error() string {
	return fmt.Sprintf("%d gaps at severity %s or above", e.n, e.severity)
}

// analysisFlags are shared by the commands built on an analysis.
type analysisFlags struct {
	system, framework, format, asOf string
	registers                       []string
}

func (f *analysisFlags) register(cmd *cobra.Command, formats []render.Format) {
	cmd.Flags().StringVarP(&f.system, "system", "s", "", systemFlagHelp)
	cmd.Annotations = worksOnServer()
	cmd.Flags().StringVarP(&f.framework, "framework", "f", "", "framework `ID` (default: the system's first, else nist-800-53-r5)")
	if formats != nil {
		cmd.Flags().StringVarP(&f.format, "format", "F", "table", formatFlagHelp(formats))
	}
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "judge attestations at `DATE` (YYYY-MM-DD; default today)")
	cmd.Flags().StringArrayVar(&f.registers, "attestations", nil, "extra attestation register `FILE` (e.g. your organisation's); repeatable")
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
}

// analysis loads, resolves and prepares the analysis the flags describe.
func (a *app) analysis(f *analysisFlags) (*analyze.Analysis, error) {
	opts := analyze.Options{}
	if f.asOf != "" {
		d, err := demarc.ParseDate(f.asOf)
		if err != nil {
			return nil, usageError{fmt.Errorf("--as-of: %w", err)}
		}
		opts.AsOf = d
	}
	res, fw, err := a.resolveSystem(f.system, f.framework, f.registers)
	if err != nil {
		return nil, err
	}
	return analyze.New(res, fw, opts), nil
}

func (a *app) gapsCommand() *cobra.Command {
	var f analysisFlags
	var failOn, kind, minSeverity string
	cmd := &cobra.Command{
		Use:   "gaps --system FILE [--framework ID] [--fail-on SEVERITY]",
		Short: "Where nobody, or the wrong party, is responsible",
		Long: `Find the places where the shared responsibility model breaks:

  unassigned               an area no source assigns
  conflict                 sources of equal precedence disagree
  no-customer-owner        customer work with no team
  over-delegation          you assume the provider does what its statement leaves to you
  unsupported-inheritance  an inherited control without an attestation that covers the
                           service and framework and is valid at --as-of
  untaken-cuec             a complementary control from a provider's report nobody took
  compensating-control     a feature the system requires that a service lacks

Each gap has a severity (low, medium, high), the controls and areas it
affects, the components involved and a fix. With --fail-on, demarc exits 3
when any gap is at or above that severity, so a CI pipeline can gate on it.`,
		Example: `  demarc gaps --system examples/serverless-webshop.yaml
  demarc gaps --system examples/serverless-webshop.yaml --as-of 2026-06-30 --fail-on high
  demarc gaps --system examples/azure-enterprise-app.yaml --kind over-delegation --format json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := a.format(f.format, render.Formats)
			if err != nil {
				return err
			}
			fail, err := parseSeverity("--fail-on", failOn)
			if err != nil {
				return err
			}
			least, err := parseSeverity("--severity", minSeverity)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteGaps(cmd.Context(), rc, &f, kind, least, fail, format)
			}
			an, err := a.analysis(&f)
			if err != nil {
				return err
			}
			report := gapReport(an, demarc.GapKind(kind), least)
			if err := render.Gaps(a.stdout, report, format, a.options()); err != nil {
				return err
			}
			return failIfGaps(report.Gaps, fail)
		},
	}
	f.register(cmd, render.Formats)
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a gap is at or above `SEVERITY` (low, medium, high)")
	cmd.Flags().StringVar(&kind, "kind", "", "show only gaps of this `KIND`")
	cmd.Flags().StringVar(&minSeverity, "severity", "", "show only gaps at or above `SEVERITY`")
	return cmd
}

func parseSeverity(flag, s string) (demarc.Severity, error) {
	if s == "" {
		return "", nil
	}
	sev := demarc.Severity(s)
	if sev.Rank() == 0 {
		return "", usageError{fmt.Errorf("%s: unknown severity %q; expected low, medium or high", flag, s)}
	}
	return sev, nil
}

func gapReport(an *analyze.Analysis, kind demarc.GapKind, least demarc.Severity) *render.GapReport {
	r := &render.GapReport{System: an.Res.System.Name, Framework: an.FW.ID, AsOf: an.AsOf, Summary: map[string]int{"high": 0, "medium": 0, "low": 0}, Gaps: []demarc.Gap{}}
	for _, g := range an.Gaps() {
		if (kind != "" && g.Kind != kind) || g.Severity.Rank() < least.Rank() {
			continue
		}
		r.Gaps = append(r.Gaps, g)
		r.Summary[string(g.Severity)]++
	}
	return r
}

func failIfGaps(gaps []demarc.Gap, fail demarc.Severity) error {
	if fail == "" {
		return nil
	}
	n := 0
	for _, g := range gaps {
		if g.Severity.Rank() >= fail.Rank() {
			n++
		}
	}
	if n > 0 {
		return gapsFound{n, fail}
	}
	return nil
}
