package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// defaultFramework is used when neither --framework nor the system file
// names one.
const defaultFramework = "nist-800-53-r5"

func (a *app) matrixCommand() *cobra.Command {
	var system, framework, format, owner, family, catalog string
	cmd := &cobra.Command{
		Use:   "matrix --system FILE [--framework ID]",
		Short: "Who is responsible for every control of a framework",
		Long: `Resolve who owns every responsibility area on every component of the system,
then roll the areas up to the controls of a framework: provider, customer,
shared (with each party's part), third-party, not-applicable, or — where the
sources leave a hole — unassigned or conflict.

The framework defaults to the first one the system file lists, else
nist-800-53-r5. --framework also takes an OSCAL catalog or profile file
(with --catalog for a profile whose catalog is not beside it), and, with
--format xlsx, several frameworks separated by commas — one sheet each (by
default every framework the system lists).`,
		Example: `  demarc matrix --system examples/serverless-webshop.yaml
  demarc matrix --system examples/serverless-webshop.yaml --framework iso-27001-2022 --format csv > matrix.csv
  demarc matrix --system examples/serverless-webshop.yaml --owner shared --family si
  demarc matrix --system examples/serverless-webshop.yaml --format xlsx -o webshop-matrix.xlsx`,
		Args:        exactArgs(0, "no arguments"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, append(render.Formats, render.XLSX))
			if err != nil {
				return err
			}
			if f != render.XLSX && strings.Contains(framework, ",") {
				return usageError{errors.New("give one framework, or --format xlsx for several")}
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteMatrix(cmd.Context(), rc, system, framework, owner, family, catalog, f)
			}
			a.catalogFile = catalog
			if f == render.XLSX {
				return a.matrixWorkbook(system, framework, owner, family)
			}
			res, fw, err := a.resolveSystem(system, framework, nil)
			if err != nil {
				return err
			}
			m := filterMatrix(res.Matrix(fw), owner, family)
			return render.Matrix(a.stdout, m, f, a.options())
		},
	}
	cmd.Flags().StringVarP(&system, "system", "s", "", systemFlagHelp)
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` (see 'demarc library list frameworks')")
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(render.Formats))
	cmd.Flags().StringVar(&owner, "owner", "", "show only controls with this `OWNER` (provider, customer, shared, third-party, unassigned, conflict)")
	cmd.Flags().StringVar(&family, "family", "", "show only controls of this `FAMILY` (e.g. ac)")
	cmd.Flags().StringVar(&catalog, "catalog", "", "OSCAL catalog `FILE` for a --framework profile whose catalog is not local")
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
	return cmd
}

// resolveSystem loads the system file (and any extra attestation
// registers), resolves it and picks the framework.
func (a *app) resolveSystem(path, framework string, registers []string) (*resolve.Resolution, *demarc.Framework, error) {
	lib, err := a.library()
	if err != nil {
		return nil, nil, err
	}
	sys, err := systemfile.Load(path, lib)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range registers {
		as, err := systemfile.LoadRegister(r)
		if err != nil {
			return nil, nil, err
		}
		sys.Attestations = append(sys.Attestations, as...)
	}
	if len(registers) > 0 {
		if err := systemfile.Check(sys, lib).Err(); err != nil {
			return nil, nil, err
		}
	}
	fw, err := a.pickFramework(lib, sys, framework)
	if err != nil {
		return nil, nil, err
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		return nil, nil, err
	}
	return res, fw, nil
}

// pickFramework finds the framework id names: a library framework, or an
// OSCAL catalog or profile file; the system's first framework when id is
// empty, else nist-800-53-r5.
func (a *app) pickFramework(lib *library.Library, sys *demarc.System, id string) (*demarc.Framework, error) {
	if id == "" && len(sys.Frameworks) > 0 {
		id = string(sys.Frameworks[0])
	}
	if id == "" {
		id = defaultFramework
	}
	if fw := lib.Framework(demarc.FrameworkID(id)); fw != nil {
		return fw, nil
	}
	if isOSCALPath(id) {
		fw, warnings, err := oscal.ImportFramework(id, lib, oscal.ImportOptions{Catalog: a.catalogFile})
		if err != nil {
			return nil, err
		}
		if len(warnings) > 0 {
			fmt.Fprintf(a.stderr, "demarc: %s: %d controls took their areas from a parent or family, or map to none (see 'demarc import oscal-profile')\n", id, len(warnings))
		}
		return fw, nil
	}
	var known []string
	for _, f := range lib.Frameworks() {
		known = append(known, string(f.ID))
	}
	return nil, demarc.Errorf(demarc.ENotFound, "unknown framework %q%s; known: %s", id, library.Suggest(id, known), strings.Join(known, ", "))
}

func filterMatrix(m *demarc.Matrix, owner, family string) *demarc.Matrix {
	if owner == "" && family == "" {
		return m
	}
	out := &demarc.Matrix{System: m.System, Framework: m.Framework, Summary: demarc.Summary{}}
	for _, c := range m.Controls {
		if owner != "" && string(c.Owner) != owner {
			continue
		}
		if family != "" && !strings.EqualFold(c.Family, family) {
			continue
		}
		out.Controls = append(out.Controls, c)
		out.Summary[c.Owner]++
	}
	if out.Controls == nil {
		out.Controls = []demarc.ControlResult{}
	}
	return out
}

// isOSCALPath reports whether s names an existing JSON or YAML file.
func isOSCALPath(s string) bool {
	switch strings.ToLower(filepath.Ext(s)) {
	case ".json", ".yaml", ".yml":
	default:
		return false
	}
	fi, err := os.Stat(s)
	return err == nil && !fi.IsDir()
}

// matrixWorkbook writes one sheet per framework and a summary sheet.
func (a *app) matrixWorkbook(system, frameworks, owner, family string) error {
	if err := a.binaryOutput(); err != nil {
		return err
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	sys, err := systemfile.Load(system, lib)
	if err != nil {
		return err
	}
	ids := strings.Split(frameworks, ",")
	if frameworks == "" {
		ids = nil
		for _, f := range sys.Frameworks {
			ids = append(ids, string(f))
		}
		if len(ids) == 0 {
			ids = []string{defaultFramework}
		}
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		return err
	}
	var ms []*demarc.Matrix
	for _, id := range ids {
		fw, err := a.pickFramework(lib, sys, strings.TrimSpace(id))
		if err != nil {
			return err
		}
		ms = append(ms, filterMatrix(res.Matrix(fw), owner, family))
	}
	return render.MatrixXLSX(a.stdout, ms, sys)
}
