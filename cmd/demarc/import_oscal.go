package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oscal"
)

func init() {
	importCommands = append(importCommands, (*app).importOSCALCatalogCommand, (*app).importOSCALProfileCommand)
}

// oscalImportFlags are the flags both OSCAL framework imports share.
type oscalImportFlags struct {
	id, areasFrom, catalog string
	strict                 bool
}

func (f *oscalImportFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.id, "id", "", "framework `ID` to give the import (default: from the file name)")
	cmd.Flags().StringVar(&f.areasFrom, "areas-from", string(oscal.DefaultAreasFrom), "library framework `ID` whose controls lend their areas by id")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail when a control maps to no area, instead of leaving it out with a warning")
}

func (a *app) importOSCALCatalogCommand() *cobra.Command {
	var f oscalImportFlags
	cmd := &cobra.Command{
		Use:   "oscal-catalog FILE",
		Short: "Turn an OSCAL catalog into a framework (a library file)",
		Long: `Read an OSCAL catalog (JSON or YAML, checked against the official schema of
its OSCAL version) and write its controls as a demarc framework: a library
file for --library. Each control takes the responsibility areas of the
control with the same id in the built-in NIST SP 800-53 rev5 framework
(--areas-from another); an enhancement missing there takes its parent's
areas, any other control its family's, and a control nothing maps is left
out. Every such decision is listed on standard error.`,
		Example: `  demarc import oscal-catalog NIST_SP-800-53_rev5_catalog.json -o nist.yaml
  demarc matrix --library nist.yaml --framework nist-sp-800-53-rev5 --system examples/serverless-webshop.yaml`,
		Args: exactArgs(1, "one OSCAL catalog file"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.importOSCAL(args[0], oscal.Catalog, f)
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) importOSCALProfileCommand() *cobra.Command {
	var f oscalImportFlags
	cmd := &cobra.Command{
		Use:   "oscal-profile FILE [--catalog FILE]",
		Short: "Resolve an OSCAL profile (a baseline) into a framework (a library file)",
		Long: `Resolve an OSCAL profile against the catalogs and profiles it imports —
include-all, include-controls by id or pattern, with or without child
controls, exclude-controls, nested profiles — and write the selected
controls as a demarc framework: a library file for --library.

Imports are read from local files, relative to the profile that names them;
demarc never fetches anything from the network. A profile that names its
catalog by a web address or by a path that does not exist here (FedRAMP's
and NIST's published baselines do) needs --catalog: the local catalog that
stands in for every import that cannot be read.

Each control takes the responsibility areas of the control with the same id
in the built-in NIST SP 800-53 rev5 framework (--areas-from another); every
control mapped through its parent or family, or left out because nothing
maps it, is listed on standard error.`,
		Example: `  demarc import oscal-profile FedRAMP_rev5_MODERATE-baseline_profile.json --catalog NIST_SP-800-53_rev5_catalog.json -o fedramp.yaml --id fedramp-moderate
  demarc matrix --library fedramp.yaml --framework fedramp-moderate --system examples/serverless-webshop.yaml`,
		Args: exactArgs(1, "one OSCAL profile file"),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.importOSCAL(args[0], oscal.Profile, f)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.catalog, "catalog", "", "local catalog `FILE` for imports that name a web address or a missing file")
	return cmd
}

// importOSCAL imports a catalog or profile and writes it as a library
// file; warnings go to standard error.
func (a *app) importOSCAL(path string, model oscal.Model, f oscalImportFlags) error {
	lib, err := a.library()
	if err != nil {
		return err
	}
	fw, warnings, err := oscal.ImportFramework(path, lib, oscal.ImportOptions{
		Catalog:   f.catalog,
		ID:        demarc.FrameworkID(f.id),
		AreasFrom: demarc.FrameworkID(f.areasFrom),
		Strict:    f.strict,
		Model:     model,
	})
	for _, w := range warnings {
		fmt.Fprintf(a.stderr, "demarc: warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	withdrawn := 0
	for _, c := range fw.Controls {
		if c.Withdrawn {
			withdrawn++
		}
	}
	header := fmt.Sprintf("demarc library file: framework %s, imported from the OSCAL %s %s.\nUse it with: demarc matrix --library FILE --framework %s --system SYSTEM",
		fw.ID, model, filepath.Base(path), fw.ID)
	if err := oscal.WriteLibrary(a.stdout, fw, header); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "demarc: imported %d controls (%d withdrawn) as framework %s%s\n", len(fw.Controls), withdrawn, fw.ID, oscalWarningCount(warnings))
	return nil
}

func oscalWarningCount(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return "; 1 warning"
	}
	return fmt.Sprintf("; %d warnings", len(ws))
}
