package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
)

func (a *app) compareCommand() *cobra.Command {
	var cf compareFlags
	var format string
	cmd := &cobra.Command{
		Use:   "compare --model MODEL [--providers a,b,c] | --services a,b,c",
		Short: "Providers' statements or services side by side on the common areas",
		Long: `Normalise providers' shared responsibility statements onto demarc's common
areas and show them side by side, marking the areas where they differ:
either each provider's statement applied to one service model (--model with
--providers, default aws,azure,gcp), or any library services (--services).

Against a server (--server, $DEMARC_SERVER or 'demarc login') the
comparison is made there, with the organisation's library: the built-in one
with the provider statements the organisation imported, keeps or subscribes
to.`,
		Example: `  demarc compare --model paas
  demarc compare --model iaas --providers aws,gcp --differ-only
  demarc compare --services aws/rds,azure/sql-database,gcp/cloud-sql --format markdown`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, render.Formats)
			if err != nil {
				return err
			}
			switch {
			case cf.services != "" && cf.model != "":
				return usageError{errors.New("give --model or --services, not both")}
			case cf.services == "" && cf.model == "":
				return usageError{errors.New("give --model (with --providers) or --services")}
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteCompare(cmd.Context(), rc, cf, f)
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			engine := resolve.New(lib)
			var c *analyze.Comparison
			if cf.services != "" {
				c, err = analyze.CompareServices(engine, serviceIDs(cf.services))
			} else {
				c, err = analyze.CompareProviders(engine, demarc.Model(cf.model), providerIDs(cf.providers))
			}
			if err != nil {
				return err
			}
			return render.Report(a.stdout, c, render.ComparisonTable(c, cf.differOnly), f, a.options())
		},
	}
	cmd.Flags().StringVar(&cf.model, "model", "", "service `MODEL` to compare providers on (on-prem, iaas, caas, paas, faas, saas)")
	cmd.Flags().StringVar(&cf.providers, "providers", "aws,azure,gcp", "comma-separated provider `IDS`")
	cmd.Flags().StringVar(&cf.services, "services", "", "comma-separated service `IDS` to compare")
	cmd.Flags().BoolVar(&cf.differOnly, "differ-only", false, "show only the areas where they differ")
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(render.Formats))
	return cmd
}

func serviceIDs(s string) []demarc.ServiceID {
	var out []demarc.ServiceID
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, demarc.ServiceID(x))
		}
	}
	return out
}

func providerIDs(s string) []demarc.ProviderID {
	var out []demarc.ProviderID
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, demarc.ProviderID(x))
		}
	}
	return out
}
