package main

import (
	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc/render"
)

func (a *app) explainCommand() *cobra.Command {
	var system, framework, format string
	formats := []render.Format{render.Table, render.JSON, render.YAML, render.Markdown}
	cmd := &cobra.Command{
		Use:   "explain --system FILE CONTROL_OR_AREA",
		Short: "Why a control or an area is owned as it is",
		Long: `Show the reasoning chain behind one control or one area: the areas the
control touches, who owns each area on each component, and which rule from
which source decided it — system override, the component it runs on, the
service statement, the provider statement or the service-model default —
with the file and line of that rule and the rules it outranked.`,
		Example: `  demarc explain --system examples/serverless-webshop.yaml si-2
  demarc explain --system examples/serverless-webshop.yaml os.patching
  demarc explain --system examples/azure-enterprise-app.yaml a.8.24 --framework iso-27001-2022 --format json`,
		Args: exactArgs(1, "one control or area id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, formats)
			if err != nil {
				return err
			}
			res, fw, err := a.resolveSystem(system, framework)
			if err != nil {
				return err
			}
			x, err := res.Explain(args[0], fw)
			if err != nil {
				return err
			}
			return render.Explanation(a.stdout, x, f, a.options())
		},
	}
	cmd.Flags().StringVarP(&system, "system", "s", "", "system `FILE` (YAML)")
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` to look the control up in")
	cmd.Flags().StringVarP(&format, "format", "o", "table", formatFlagHelp(formats))
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
	return cmd
}
