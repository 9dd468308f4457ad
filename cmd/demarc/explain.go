package main

import (
	"github.com/demarc-io/demarc"
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
		Args:        exactArgs(1, "one control or area id"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, formats)
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteExplain(cmd.Context(), rc, system, framework, args[0], f)
			}
			res, fw, err := a.resolveSystem(system, framework, nil)
			if err != nil {
				return err
			}
			if framework == "" {
				fw = a.frameworkWithControl(res.System, args[0], fw)
			}
			x, err := res.Explain(args[0], fw)
			if err != nil {
				return err
			}
			return render.Explanation(a.stdout, x, f, a.options())
		},
	}
	cmd.Flags().StringVarP(&system, "system", "s", "", systemFlagHelp)
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` to look the control up in (default: the first of the system's frameworks, then any, that has it)")
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(formats))
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
	return cmd
}

// frameworkWithControl finds the framework a bare control id belongs to:
// the system's frameworks first, then every other; fallback when none has it.
func (a *app) frameworkWithControl(sys *demarc.System, id string, fallback *demarc.Framework) *demarc.Framework {
	lib := a.lib
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
