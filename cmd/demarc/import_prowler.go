package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/prowler"
	"github.com/demarc-io/demarc/render"
)

func init() {
	importCommands = append(importCommands, (*app).importProwlerCommand)
}

func (a *app) importProwlerCommand() *cobra.Command {
	var format, id, title, match, checksOut string
	var skipBad bool
	cmd := &cobra.Command{
		Use:   "prowler FILE.json",
		Short: "Turn a Prowler compliance mapping into a framework, with each requirement's checks",
		Long: `Read one of Prowler's compliance mappings (either shape: the older Framework /
Requirements[].Checks list, or the newer framework / requirements[].checks by
provider) and write a library framework: one control per requirement, with
its id and Prowler's short name (or the id when there is none; requirement
text is never copied), under families named for the sections.

Each requirement is mapped to areas by the first source that speaks: the
control of the built-in framework whose ids the file uses (nist-800-53-r5 for
NIST and FedRAMP files, iso-27001-2022, cis-v8, csa-ccm-v4 …; --match picks
another, --match none turns it off); the controls its section references in
frameworks demarc has; the names of its checks (keywords, else the service
prefix: s3_ → data, iam_ → identity); its section heading. Requirements none
of these reaches are left out and reported.

A requirement with no check is manual. The library format has no place for
checks: --format json lists every requirement with its checks, manual flag
and areas, and --checks-out FILE writes requirement → checks next to the
framework. A requirement that cannot be read stops the import, with its JSON
path and line; --skip-bad imports the rest and still reports it.`,
		Example: `  demarc import prowler cis_3.0_azure.json -o cis-azure.yaml --checks-out cis-azure.checks.json
  demarc import prowler nist_800_53_revision_5_aws.json --format json
  demarc --library cis-azure.yaml matrix --system examples/azure-enterprise-app.yaml --framework cis-3.0-azure`,
		Args: exactArgs(1, "one Prowler compliance file (.json)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, importFormats)
			if err != nil {
				return err
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			imp, err := a.importProwler(args[0], prowler.MapOptions{Match: demarc.FrameworkID(match)}, prowler.FrameworkOptions{ID: demarc.FrameworkID(id), Title: title}, skipBad)
			if err != nil {
				return err
			}
			if lib.Framework(imp.Framework.ID) != nil {
				fmt.Fprintf(a.stderr, "  note: %s is already in the library; loading this file with --library replaces it (--id names it otherwise)\n", imp.Framework.ID)
			}
			if checksOut != "" {
				if err := writeFileAtomic(checksOut, imp.WriteChecks); err != nil {
					return err
				}
			}
			if f == render.JSON {
				return render.WriteJSON(a.stdout, imp.Listing())
			}
			return imp.WriteLibrary(a.stdout)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "yaml", "output format: yaml (a library framework) or json (requirements with their checks)")
	cmd.Flags().StringVar(&id, "id", "", "framework `ID` (default: from the file's framework, version and provider, e.g. cis-3.0-azure)")
	cmd.Flags().StringVar(&title, "title", "", "framework `TITLE` (default: the file's name)")
	cmd.Flags().StringVar(&match, "match", "", "built-in `FRAMEWORK` whose control ids the requirement ids are, or none (default: from the file's framework)")
	cmd.Flags().StringVar(&checksOut, "checks-out", "", "also write requirement → checks as JSON to `FILE`")
	cmd.Flags().BoolVar(&skipBad, "skip-bad", false, "import the requirements that can be read; report the others")
	return cmd
}

// importProwler reads, maps and builds the framework, reporting on stderr
// what was merged, left out or could not be read.
func (a *app) importProwler(path string, mo prowler.MapOptions, fo prowler.FrameworkOptions, skipBad bool) (*prowler.Imported, error) {
	lib, err := a.library()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read " + path, Err: errors.Unwrap(err)}
	}
	m, err := prowler.Parse(path, data)
	if err != nil {
		return nil, err
	}
	if len(m.Problems) > 0 && !skipBad {
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: fmt.Sprintf("%d requirement(s) could not be read (--skip-bad imports the rest)", len(m.Problems)), Err: m.Problems}
	}
	if fo.ID != "" && !prowler.ValidID(fo.ID) {
		return nil, usageError{fmt.Errorf("--id %q: expected lower-case letters, digits and . & ( ) _ -", fo.ID)}
	}
	imp, err := prowler.Import(m, lib, mo, fo)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stderr, "%s → framework %s (%s shape)\n", filepath.Base(path), imp.Framework.ID, m.Shape)
	for _, line := range imp.Summary() {
		fmt.Fprintf(a.stderr, "  %s\n", line)
	}
	for _, w := range imp.Warnings() {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	return imp, nil
}

// writeFileAtomic writes a file next to its final name and renames it into
// place only when write succeeded, as --output does.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".demarc-*")
	if err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + path, Err: err}
	}
	tmp := f.Name()
	_, werr := f.Write(buf.Bytes())
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp) // best effort: a leftover temp file is harmless
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + path, Err: werr}
	}
	return nil
}
