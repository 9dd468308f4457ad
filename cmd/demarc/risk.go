package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
)

func (a *app) riskCommand() *cobra.Command {
	var f analysisFlags
	cmd := &cobra.Command{
		Use:   "risk --system FILE",
		Short: "Every gap as a risk, split into provider-managed and customer-managed",
		Long: `Score each gap as a risk: likelihood (from the kind of gap) times impact
(from the most sensitive area involved, scaled by the system's data
classification), 1 to 25. Residual risk is split into what the customer
manages (its own missing work) and what the provider manages (controls the
customer inherits but cannot see proven) — the split a board report needs.`,
		Example: `  demarc risk --system examples/serverless-webshop.yaml
  demarc risk --system examples/azure-enterprise-app.yaml --format json`,
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
				return a.remoteRisk(cmd.Context(), rc, &f, format)
			}
			an, err := a.analysis(&f)
			if err != nil {
				return err
			}
			r := an.Risks(an.Gaps())
			return render.Report(a.stdout, r, riskTable(r), format, a.options())
		},
	}
	f.register(cmd, render.Formats)
	return cmd
}

func riskTable(r *analyze.RiskReport) *render.Tabular {
	t := &render.Tabular{
		Title:  fmt.Sprintf("Risk — %s (%s data), %s", r.System, classification(r), r.Framework),
		Header: []string{"score", "level", "managed by", "likelihood", "impact", "risk"},
	}
	for _, side := range []string{analyze.CustomerManaged, analyze.ProviderManaged} {
		s := r.Split[side]
		t.Summary += fmt.Sprintf("%s: %d risks, score %d (%d critical, %d high, %d medium, %d low).  ", side, s.Count, s.Score, s.ByLevel["critical"], s.ByLevel["high"], s.ByLevel["medium"], s.ByLevel["low"])
	}
	for _, x := range r.Risks {
		t.Rows = append(t.Rows, []string{fmt.Sprint(x.Score), x.Level, x.ManagedBy, fmt.Sprint(x.Likelihood), fmt.Sprint(x.Impact), x.Title})
	}
	return t
}

func classification(r *analyze.RiskReport) string {
	if r.Classification == "" {
		return "unclassified"
	}
	return string(r.Classification)
}
