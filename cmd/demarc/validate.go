package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/systemfile"
)

// fileReport is the outcome of validating one file.
type fileReport struct {
	File     string          `json:"file"`
	Kind     string          `json:"kind"`
	Valid    bool            `json:"valid"`
	Summary  string          `json:"summary,omitempty"`
	Problems demarc.Problems `json:"problems,omitempty"`
}

func (a *app) validateCommand() *cobra.Command {
	var format string
	formats := []render.Format{render.Table, render.JSON, render.YAML}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check system files and library files",
		Long: `Check each file and report every problem with its file, line and field.
A file with a top-level 'components' key is a system file; anything else is
a library file (areas, models, providers, frameworks), checked together with
the built-in library. Exits 2 when any file is invalid.`,
		Example: "  demarc validate examples/*.yaml\n  demarc validate my-services.yaml --format json",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("expected at least one file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := a.format(format, formats)
			if err != nil {
				return err
			}
			var reports []fileReport
			for _, path := range args {
				reports = append(reports, a.validateFile(path))
			}
			if err := writeReports(a, reports, f); err != nil {
				return err
			}
			for _, r := range reports {
				if !r.Valid {
					return demarc.Errorf(demarc.EInvalid, "%d of %d files are invalid", invalidCount(reports), len(reports))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "F", "table", formatFlagHelp(formats))
	cmd.Flags().StringArrayVar(&a.leveraged, "leveraged", nil, "OSCAL documents: a leveraged SSP `FILE` that provided/responsibility uuids point into; repeatable")
	cmd.Flags().StringVar(&a.catalog, "catalog", "", "OSCAL documents: the catalog `FILE` whose parts statement ids must exist in")
	return cmd
}

func invalidCount(rs []fileReport) int {
	n := 0
	for _, r := range rs {
		if !r.Valid {
			n++
		}
	}
	return n
}

func (a *app) validateFile(path string) fileReport {
	data, err := os.ReadFile(path)
	if err != nil {
		return fileReport{File: path, Problems: demarc.Problems{{Pos: demarc.Position{File: path}, Message: "cannot read: " + unwrapPath(err).Error()}}}
	}
	for _, v := range validators {
		if r, ok := v(a, path, data); ok {
			return r
		}
	}
	if isSystemFile(data) {
		return a.validateSystem(path)
	}
	return validateLibrary(path, a.libraryFiles)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isSystemFile(data []byte) bool {
	var top map[string]any
	if yaml.Unmarshal(data, &top) != nil {
		return false
	}
	_, ok := top["components"]
	return ok
}

func (a *app) validateSystem(path string) fileReport {
	r := fileReport{File: path, Kind: "system"}
	lib, err := a.library()
	if err != nil {
		r.Problems = problemsOf(err)
		return r
	}
	sys, err := systemfile.Load(path, lib)
	if err != nil {
		r.Problems = problemsOf(err)
		return r
	}
	r.Valid = true
	r.Summary = fmt.Sprintf("system %s: %d components", sys.Name, len(sys.Components))
	return r
}

func validateLibrary(path string, extra []string) fileReport {
	r := fileReport{File: path, Kind: "library"}
	lib, err := library.Load(append(append([]string(nil), extra...), path))
	if err != nil {
		r.Problems = problemsOf(err)
		return r
	}
	r.Valid = true
	r.Summary = fmt.Sprintf("library: %d areas, %d services, %d frameworks in total", len(lib.Areas()), len(lib.Services()), len(lib.Frameworks()))
	return r
}

// problemsOf turns any error into problems, keeping positions when the
// error carries them.
func problemsOf(err error) demarc.Problems {
	var ps demarc.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return demarc.Problems{{Message: err.Error()}}
}

func writeReports(a *app, rs []fileReport, f render.Format) error {
	switch f {
	case render.JSON:
		return render.WriteJSON(a.stdout, rs)
	case render.YAML:
		return render.WriteYAML(a.stdout, rs)
	}
	for _, r := range rs {
		if r.Valid {
			fmt.Fprintf(a.stdout, "%s: ok — %s\n", r.File, r.Summary)
			continue
		}
		fmt.Fprintf(a.stdout, "%s: invalid\n", r.File)
		for _, p := range r.Problems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
	}
	return nil
}
