package main

import "github.com/spf13/cobra"

// Commands that live in their own files register here from init, so that
// adding a command never means editing another command's file.
var (
	// extraCommands are top-level commands (check, serve, audit …).
	extraCommands []func(*app) *cobra.Command
	// importCommands are the subcommands of 'demarc import'.
	importCommands []func(*app) *cobra.Command
	// exportCommands are the subcommands of 'demarc export'.
	exportCommands []func(*app) *cobra.Command
	// validators recognise and check files 'demarc validate' would
	// otherwise treat as library files (OSCAL documents …). A validator
	// returns ok=false when the file is not its kind.
	validators []func(a *app, path string, data []byte) (r fileReport, ok bool)
)

func (a *app) importCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Read outside formats (OSCAL, provider baselines, compliance mappings) into demarc",
	}
	for _, c := range importCommands {
		cmd.AddCommand(a.serverImport(c(a)))
	}
	return cmd
}

func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write demarc's answers in the formats auditors and GRC tools read (OSCAL, FedRAMP CRM)",
	}
	for _, c := range exportCommands {
		cmd.AddCommand(c(a))
	}
	return cmd
}
