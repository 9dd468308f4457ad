package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc/report"
)

func (a *app) reportCommand() *cobra.Command {
	var f analysisFlags
	cmd := &cobra.Command{
		Use:   "report --system FILE -o report.html",
		Short: "One self-contained HTML report: heat map, owner split, gaps, duties, risk",
		Long: `Write a single HTML file — no external assets, opens in any browser, prints
well — with the responsibility heat map of areas × components, the owner
split per framework family, gaps by severity, incident and telemetry
duties, and the provider-managed / customer-managed risk split.`,
		Example: `  demarc report --system examples/serverless-webshop.yaml -o webshop.html
  demarc report --system examples/azure-enterprise-app.yaml --framework iso-27001-2022 -o claims.html`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteReport(cmd.Context(), rc, &f)
			}
			an, err := a.analysis(&f)
			if err != nil {
				return err
			}
			d, err := report.Build(an)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := report.Write(&buf, d); err != nil {
				return err
			}
			if _, err := a.stdout.Write(buf.Bytes()); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if a.outputPath != "" {
				fmt.Fprintf(a.stderr, "wrote %s (%d KB)\n", a.outputPath, buf.Len()/1024)
			}
			return nil
		},
	}
	f.register(cmd, nil)
	return cmd
}
