package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/fedramp"
	"github.com/demarc-io/demarc/render"
)

func init() {
	exportCommands = append(exportCommands, (*app).exportFedRAMPCommand)
}

// fedrampFormats are the formats of export fedramp-crm.
var fedrampFormats = []render.Format{render.XLSX, render.CSV, render.JSON}

func (a *app) exportFedRAMPCommand() *cobra.Command {
	var system, baseline, format, date string
	var registers []string
	var wholeControls bool
	cmd := &cobra.Command{
		Use:   "fedramp-crm --system FILE --baseline low|moderate|high|li-saas -o crm.xlsx",
		Short: "FedRAMP's CIS/CRM workbook: what the system inherits from its providers, and what it must do",
		Long: `Write FedRAMP's Control Implementation Summary (CIS) and Customer
Responsibility Matrix (CRM) for the controls of a FedRAMP Rev 5 baseline,
composed over every component of the system.

The CSP is the provider of each service the system uses; the customer is
the system's owner. "Can Be Inherited from CSP" follows FedRAMP's rules:
Yes when providers do the whole control; Partial for dependent sharing
(the provider does part of the customer's own obligation), with both parts
described; No when the customer does it, or for independent sharing (each
party keeps its own policy, training, screening), with what the customer
must do. When a control involves several services, each responsibility
names its service.

The CRM has a row per part of each control's statement (AC-2(a), AC-2(b) …)
as FedRAMP's template does; --whole-controls gives one row per control.
Formats: xlsx (CIS, CRM and notes sheets; needs -o), csv (the CRM rows),
json (both tables).`,
		Example: `  demarc export fedramp-crm --system examples/serverless-webshop.yaml --baseline moderate -o crm.xlsx
  demarc export fedramp-crm --system examples/saas-vendor-chain.yaml --baseline low --format csv > crm.csv`,
		Args:        exactArgs(0, "no arguments"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := a.format(format, fedrampFormats)
			if err != nil {
				return err
			}
			opts := fedramp.Options{WholeControls: wholeControls}
			if date != "" {
				if opts.Date, err = demarc.ParseDate(date); err != nil {
					return usageError{fmt.Errorf("--date: %w", err)}
				}
			}
			b, err := fedramp.LookupBaseline(baseline)
			if err != nil {
				return usageError{err}
			}
			if f == render.XLSX {
				if err := a.binaryOutput(); err != nil {
					return err
				}
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteFedRAMP(cmd.Context(), rc, system, baseline, date, f, wholeControls, registers)
			}
			res, _, err := a.resolveSystem(system, string(fedramp.Framework), registers)
			if err != nil {
				return err
			}
			wb, err := fedramp.Build(res, b, opts)
			if err != nil {
				return err
			}
			for _, w := range wb.Warnings {
				fmt.Fprintf(a.stderr, "warning: %s\n", w)
			}
			return a.writeFedRAMP(wb, f)
		},
	}
	cmd.Flags().StringVarP(&system, "system", "s", "", systemFlagHelp)
	cmd.Flags().StringVarP(&baseline, "baseline", "b", "", "FedRAMP Rev 5 `BASELINE`: low, moderate, high or li-saas")
	cmd.Flags().StringVarP(&format, "format", "F", "xlsx", formatFlagHelp(fedrampFormats))
	cmd.Flags().StringVar(&date, "date", "", "the workbook's `DATE` (YYYY-MM-DD; default today)")
	cmd.Flags().StringArrayVar(&registers, "attestations", nil, "extra attestation register `FILE`; repeatable")
	cmd.Flags().BoolVar(&wholeControls, "whole-controls", false, "one CRM row per control instead of one per statement part")
	_ = cmd.MarkFlagRequired("system")   // the flag exists: the error cannot occur
	_ = cmd.MarkFlagRequired("baseline") // likewise
	return cmd
}

func (a *app) writeFedRAMP(wb *fedramp.Workbook, f render.Format) error {
	switch f {
	case render.CSV:
		return wb.WriteCSV(a.stdout)
	case render.JSON:
		return render.WriteJSON(a.stdout, wb)
	}
	var buf bytes.Buffer
	if err := wb.WriteXLSX(&buf); err != nil {
		return err
	}
	if _, err := a.stdout.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s: %d CIS rows, %d CRM rows (%d KB)\n", a.outputName(), len(wb.CIS), len(wb.CRM), buf.Len()/1024)
	return nil
}

// binaryOutput refuses to write a binary workbook to a terminal, and
// checks that an output file is named as a workbook.
func (a *app) binaryOutput() error {
	if a.outputPath != "" {
		if ext := strings.ToLower(filepath.Ext(a.outputPath)); ext != ".xlsx" {
			return usageError{fmt.Errorf("--output %s: a workbook's file name should end in .xlsx", a.outputPath)}
		}
		return nil
	}
	if f, ok := a.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return usageError{errors.New("an XLSX workbook is binary: write it to a file with -o FILE.xlsx, or pick --format csv")}
	}
	return nil
}

func (a *app) outputName() string {
	if a.outputPath == "" {
		return "workbook to standard output"
	}
	return a.outputPath
}
