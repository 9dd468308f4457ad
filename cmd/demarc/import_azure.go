package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/azurebaseline"
	"github.com/demarc-io/demarc/render"
)

func init() {
	importCommands = append(importCommands, (*app).importAzureCommand)
}

// importFormats are the formats of the import commands: a library file,
// or the records read.
var importFormats = []render.Format{render.YAML, render.JSON}

func (a *app) importAzureCommand() *cobra.Command {
	var format, service, model string
	var skipBad bool
	cmd := &cobra.Command{
		Use:   "azure-baseline FILE.xlsx…",
		Short: "Turn Microsoft's per-service Azure security baseline workbooks into service statements",
		Long: `Read Microsoft's Azure security baseline workbooks (one Azure service each, with
"Feature Summary" and "Security Profile" sheets) and write a library file with
one service per workbook under provider azure.

Every Feature Summary row — benchmark control, feature, supported, enabled by
default, and Responsibility (Customer, Microsoft, Shared, Not Applicable →
customer, provider, shared, not-applicable) — is mapped to demarc areas by
its feature, else its benchmark control, else the control's domain. The rows
of each area become one rule: all Microsoft → provider; all customer →
customer; anything else → shared (dependent), each part listing its
features. Areas whose rows are all Not Applicable are left to the service
model. Rows that map to no area are reported.

The service id comes from the file name (azure/key-vault); --service names
it instead. The model follows the Security Profile (full host access →
IaaS, else PaaS) unless --model says otherwise.

A row that cannot be read stops the import, with its file, sheet and row;
--skip-bad imports the rest and still reports it.

--format json prints one record per row: service, control, feature, owner,
supported, enabled_by_default, areas, sheet, row and more.`,
		Example: `  demarc import azure-baseline key-vault-azure-security-benchmark-v3-latest-security-baseline.xlsx -o key-vault.yaml
  demarc import azure-baseline baselines/*.xlsx --format json > rows.json
  demarc --library key-vault.yaml library show azure/key-vault`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("expected one or more baseline workbooks (.xlsx)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, importFormats)
			if err != nil {
				return err
			}
			opts := azurebaseline.Options{Service: demarc.ServiceID(service), Model: demarc.Model(model)}
			if service != "" && len(args) > 1 {
				return usageError{errors.New("--service names one service: give one workbook with it")}
			}
			if model != "" && !azurebaseline.ValidModel(opts.Model) {
				return usageError{fmt.Errorf("--model %q: expected one of iaas, caas, paas, faas, saas", model)}
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			wbs, err := a.readBaselines(args, skipBad)
			if err != nil {
				return err
			}
			sts := make([]*azurebaseline.Statement, len(wbs))
			for i, wb := range wbs {
				if sts[i], err = azurebaseline.NewStatement(wb, opts); err != nil {
					return err
				}
				a.reportStatement(sts[i], lib.Service(sts[i].Service.ID) != nil)
			}
			if f == render.JSON {
				rows := []azurebaseline.Row{}
				for i, wb := range wbs {
					for _, r := range wb.Rows {
						r.Service = sts[i].Service.ID
						rows = append(rows, r)
					}
				}
				return render.WriteJSON(a.stdout, rows)
			}
			return azurebaseline.WriteLibrary(a.stdout, sts)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "yaml", "output format: yaml (a library file) or json (one record per row)")
	cmd.Flags().StringVar(&service, "service", "", "service `ID` to give the workbook's service (default: from the file name)")
	cmd.Flags().StringVar(&model, "model", "", "service `MODEL` (iaas, caas, paas, faas, saas; default: from the Security Profile)")
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "import the rows that can be read; report the others")
	return cmd
}

// readBaselines reads every workbook. A file that cannot be read fails the
// import; rows that cannot be read fail it too unless skipBad, and are
// reported either way.
func (a *app) readBaselines(paths []string, skipBad bool) ([]*azurebaseline.Workbook, error) {
	var wbs []*azurebaseline.Workbook
	var problems demarc.Problems
	var fileErrs []string
	for _, p := range paths {
		wb, err := readBaseline(p)
		if err != nil {
			fileErrs = append(fileErrs, err.Error())
			continue
		}
		problems = append(problems, wb.Problems...)
		wbs = append(wbs, wb)
	}
	if len(fileErrs) > 0 {
		return nil, demarc.Errorf(demarc.EInvalid, "%s", strings.Join(fileErrs, "\n"))
	}
	if len(problems) > 0 && !skipBad {
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: fmt.Sprintf("%d row(s) could not be read (--skip-bad imports the rest)", len(problems)), Err: problems}
	}
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "warning: row left out: %s\n", p)
	}
	return wbs, nil
}

func readBaseline(path string) (*azurebaseline.Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read " + path, Err: errors.Unwrap(err)}
	}
	defer f.Close() // read-only: nothing to flush
	return azurebaseline.Read(path, f)
}

// reportStatement tells the user, on stderr, what became of a workbook;
// known says the library already has a service with its id.
func (a *app) reportStatement(st *azurebaseline.Statement, known bool) {
	fmt.Fprintln(a.stderr, st.Summary())
	for _, w := range st.Warnings() {
		fmt.Fprintf(a.stderr, "  %s\n", w)
	}
	if known {
		fmt.Fprintf(a.stderr, "  note: %s is already in the library; loading this file with --library replaces it (--service names it otherwise)\n", st.Service.ID)
	}
}
