package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/systemfile"
)

func (a *app) schemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema system|library",
		Short: "Print the JSON Schema of system files or library files",
		Long: `Print the JSON Schema demarc checks files against, for editors that
validate YAML as you type (point your editor's YAML schema setting at it).`,
		Example: "  demarc schema system > system.schema.json",
		Args:    exactArgs(1, "system or library"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "system":
				_, err := io.WriteString(a.stdout, systemfile.SchemaJSON())
				return err
			case "library":
				_, err := io.WriteString(a.stdout, library.SchemaJSON())
				return err
			}
			return usageError{fmt.Errorf("unknown schema %q; expected system or library", args[0])}
		},
	}
}
