package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/oscal/ssp"
)

func init() {
	importCommands = append(importCommands, (*app).importOSCALSSPCommand)
}

// oscalSSPDefectLines is how many defects import prints one by one before
// it summarises them by kind.
const oscalSSPDefectLines = 20

func (a *app) importOSCALSSPCommand() *cobra.Command {
	var provider, service, model, title, report string
	var leveraged []string
	var strict bool
	cmd := &cobra.Command{
		Use:   "oscal-ssp FILE [-o LIBRARY.yaml]",
		Short: "A provider's leveraged OSCAL security plan as a service a system can use",
		Long: `Read a leveraged system's OSCAL security plan (JSON or YAML) and write it as a
demarc library file: one provider with one service, usable in a system file
(--library FILE) like any built-in service.

Each implemented requirement's control is mapped to responsibility areas
through NIST SP 800-53 rev 5; what the plan exports as "provided" becomes the
provider's part, its "responsibilities" the customer's, and an area with
both is shared. Areas the plan does not speak to follow the service model.

Both the released OSCAL shape (by-components/export/provided and
responsibilities) and NIST's shared-responsibility prototype are read. Every
defect — against the official schema of the declared OSCAL version, or a
reference no schema checks — is reported on standard error with the
document, its JSON path, the value found and what was expected; what is
sound is imported. With --strict any defect fails the import.

With --leveraged, the plan's inherited and satisfied statements must point
into those plans: importing a chain (a platform that leverages a cloud)
tells which service runs on which.`,
		Example: `  demarc import oscal-ssp csp-ssp.json --provider acme-cloud --service compute --model iaas -o acme.yaml
  demarc import oscal-ssp msp-ssp.json --leveraged csp-ssp.json --model paas -o msp.yaml
  demarc matrix --library acme.yaml --library msp.yaml --system app-on-msp.yaml`,
		Args: exactArgs(1, "one OSCAL FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := a.library()
			if err != nil {
				return err
			}
			doc, err := readOSCALPlan(args[0])
			if err != nil {
				return err
			}
			opts := ssp.ImportOptions{Provider: demarc.ProviderID(provider), Service: service, Model: demarc.Model(model), Title: title}
			for _, l := range leveraged {
				ld, err := readOSCALPlan(l)
				if err != nil {
					return err
				}
				opts.Leveraged = append(opts.Leveraged, ld)
			}
			st, err := ssp.Import(lib, doc, opts)
			if errors.Is(err, ssp.ErrNoModel) {
				return usageError{fmt.Errorf("%w; pass it with --model", err)}
			}
			if err != nil {
				printOSCALDefects(a.stderr, doc.Defects)
				return err
			}
			if report != "" {
				if err := writeOSCALImportReport(report, doc, st); err != nil {
					return err
				}
			}
			printOSCALImport(a.stderr, st)
			if strict && len(st.Defects) > 0 {
				return demarc.Errorf(demarc.EInvalid, "%s has %d defects and --strict is set: nothing written", doc.Name, len(st.Defects))
			}
			var buf bytes.Buffer
			if err := st.WriteYAML(&buf); err != nil {
				return err
			}
			_, err = a.stdout.Write(buf.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "the provider's library `ID` (default: from the plan: demarc's property, its organisation, its system name)")
	cmd.Flags().StringVar(&service, "service", "", "the service's `ID`, provider/name or just name (default: from the plan)")
	cmd.Flags().StringVar(&model, "model", "", "the service `MODEL`: on-prem, iaas, caas, paas, faas, saas (default: the plan's cloud-service-model)")
	cmd.Flags().StringVar(&title, "title", "", "the service's `TITLE` (default: the plan's system name)")
	cmd.Flags().StringArrayVar(&leveraged, "leveraged", nil, "the plan of a system this one leverages (`FILE`); repeatable")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on any defect instead of importing what is sound")
	cmd.Flags().StringVar(&report, "report", "", "write every defect and note as JSON to `FILE`")
	return cmd
}

func readOSCALPlan(path string) (*ssp.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "cannot read " + path, Err: unwrapOSCALPathError(err)}
	}
	return ssp.Read(filepath.Base(path), data)
}

func unwrapOSCALPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// printOSCALImport says what was imported, how, and what is wrong with the
// document.
func printOSCALImport(w io.Writer, st *ssp.Statement) {
	svc := st.Provider.Services[0]
	fmt.Fprintf(w, "imported %d provided and %d responsibility statements on %d controls as %d area rules of %s (%s)\n",
		st.Provided, st.Responsibilities, st.Controls, len(svc.Overrides), svc.ID, svc.Model)
	for _, n := range st.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	printOSCALDefects(w, st.Defects)
}

func printOSCALDefects(w io.Writer, ds []ssp.Defect) {
	if len(ds) == 0 {
		return
	}
	if len(ds) <= oscalSSPDefectLines {
		fmt.Fprintf(w, "%d defects:\n", len(ds))
		for _, d := range ds {
			fmt.Fprintf(w, "  %s\n", d)
		}
		return
	}
	groups := ssp.GroupDefects(ds)
	fmt.Fprintf(w, "%d defects of %d kinds (--report FILE lists each):\n", len(ds), len(groups))
	for _, g := range groups {
		first := g.First.Document + ": " + g.First.Path
		if g.First.Value != "" {
			first += ": found " + g.First.Value
		}
		fmt.Fprintf(w, "  %d × %s: expected %s\n    first: %s\n", g.Count, g.Kind, g.Expected, first)
	}
}

// writeOSCALImportReport writes the import's defects and notes as JSON.
func writeOSCALImportReport(path string, doc *ssp.Document, st *ssp.Statement) error {
	r := struct {
		Document         string       `json:"document"`
		Model            string       `json:"model"`
		Version          string       `json:"oscal_version"`
		Schema           string       `json:"schema_version"`
		Service          string       `json:"service"`
		Controls         int          `json:"controls"`
		Provided         int          `json:"provided"`
		Responsibilities int          `json:"responsibilities"`
		Leverages        []string     `json:"leverages,omitempty"`
		Notes            []string     `json:"notes,omitempty"`
		Defects          []ssp.Defect `json:"defects"`
	}{doc.Name, doc.Model, doc.Version, doc.Schema, string(st.Provider.Services[0].ID), st.Controls, st.Provided, st.Responsibilities, st.Leverages, st.Notes, st.Defects}
	if r.Defects == nil {
		r.Defects = []ssp.Defect{}
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + path, Err: err}
	}
	return nil
}
