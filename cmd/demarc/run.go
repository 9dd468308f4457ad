package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
)

// Exit codes. They are part of demarc's interface: CI pipelines rely on them.
const (
	exitOK      = 0 // success
	exitUsage   = 1 // bad command line: unknown command or flag, missing argument
	exitInvalid = 2 // invalid input: a file that does not parse or names unknown things
	// exitGaps (3): --fail-on found gaps or failed checks at or above its
	// severity.
	exitInternal = 4 // a defect in demarc
)

// usageError marks a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run executes demarc with args and returns the exit code. It is main
// without the process: tests drive it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if cerr := app.closeOutput(err); err == nil {
		err = cerr
	}
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintf(stderr, "demarc: %s\n", indentLines(err.Error()))
	if code == exitUsage {
		fmt.Fprintln(stderr, "Run 'demarc --help' for usage.")
	}
	return code
}

func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

func exitCode(err error) int {
	var re *remoteError
	if errors.As(err, &re) {
		return re.exit
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err.Error()) {
		return exitUsage
	}
	var gf gapsFound
	if errors.As(err, &gf) {
		return exitGaps
	}
	switch demarc.ErrorCode(err) {
	case demarc.EInvalid, demarc.ENotFound, demarc.EConflict:
		return exitInvalid
	}
	return exitInternal
}

// app carries what every subcommand shares: streams and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	libraryFiles   []string
	color          string
	lib            *library.Library
	// outputPath is --output; output is the file opened for it, which
	// replaces stdout for the command.
	outputPath string
	output     *os.File
	// leveraged and catalog are validate's flags for OSCAL documents.
	leveraged []string
	catalog   string
	// catalogFile is matrix's --catalog, for OSCAL profiles as frameworks.
	catalogFile string
	// serverURL, token, org and insecure are the global flags that point
	// the commands at a server; globals holds them, to tell an explicit
	// --server '' from none.
	serverURL, token, org string
	insecure              bool
	globals               *pflag.FlagSet
	// conn and client are the server settings and client, once made.
	conn   *connection
	client *client
}

// openOutput sends the command's output to --output, when given. The file
// is written next to its final name and renamed into place only when the
// command succeeds, so a failed run leaves no half-written file.
func (a *app) openOutput() error {
	if a.outputPath == "" || a.outputPath == "-" {
		a.outputPath = ""
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(a.outputPath), ".demarc-*")
	if err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + a.outputPath, Err: err}
	}
	a.output, a.stdout = f, f
	return nil
}

// closeOutput finishes --output after the command ran with result err.
func (a *app) closeOutput(err error) error {
	if a.output == nil {
		return nil
	}
	tmp := a.output.Name()
	cerr := a.output.Close()
	if err != nil || cerr != nil {
		os.Remove(tmp) // best effort: a leftover temp file is harmless
		return cerr
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // CreateTemp makes it private
		os.Remove(tmp)
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + a.outputPath, Err: err}
	}
	if err := os.Rename(tmp, a.outputPath); err != nil {
		os.Remove(tmp)
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write " + a.outputPath, Err: err}
	}
	return nil
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "demarc",
		Short: "Who secures what: the cloud shared responsibility model, executable",
		Long: `demarc answers, for each control a system must meet, who does it — the
provider, the customer, or both, and which part — derived from the services
the system really uses, with the reasoning behind every answer.

With a server (--server URL, $DEMARC_SERVER, or the config file 'demarc
login' writes), --system NAME names a system stored on it, and the analysis
commands ask the server; see 'demarc systems --help'. --server '' works on
local files whatever is configured.

Exit codes: 0 success, 1 usage error, 2 invalid input (or a request the
server refused), 3 gaps or failed checks at or above --fail-on, 4 internal
error (or a server that failed or cannot be reached).`,
		Example: `  demarc matrix --system examples/serverless-webshop.yaml --framework nist-800-53-r5
  demarc explain --system examples/serverless-webshop.yaml si-2
  demarc library list services
  demarc validate examples/*.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringArrayVar(&a.libraryFiles, "library", nil, "extra library `FILE` (areas, models, providers, frameworks); repeatable")
	root.PersistentFlags().StringVar(&a.color, "color", "auto", "colour output: auto, always or never")
	root.PersistentFlags().StringVarP(&a.outputPath, "output", "o", "", "write the output to `FILE` instead of standard output")
	a.serverFlags(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := a.refuseLocalOnly(cmd); err != nil {
			return err
		}
		return a.openOutput()
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, extra := range extraCommands {
		root.AddCommand(extra(a))
	}
	root.AddCommand(a.matrixCommand(), a.explainCommand(), a.gapsCommand(), a.riskCommand(), a.incidentCommand(),
		a.telemetryCommand(), a.diffCommand(), a.compareCommand(), a.reportCommand(), a.importCommand(), a.exportCommand(), a.libraryCommand(), a.validateCommand(), a.schemaCommand())
	return root
}

// library loads the built-in library plus any --library files, once.
func (a *app) library() (*library.Library, error) {
	if a.lib != nil {
		return a.lib, nil
	}
	var err error
	if len(a.libraryFiles) == 0 {
		a.lib, err = library.Builtin()
	} else {
		a.lib, err = library.Load(a.libraryFiles)
	}
	return a.lib, err
}

// options returns terminal options for stdout.
func (a *app) options() render.Options {
	o := render.Options{Width: 100}
	f, isFile := a.stdout.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	if tty {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 40 {
			o.Width = w
		}
	}
	switch a.color {
	case "always":
		o.Color = true
	case "auto":
		o.Color = tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return o
}

func (a *app) format(s string, allowed []render.Format) (render.Format, error) {
	f, err := render.ParseFormat(s, allowed)
	if err != nil {
		return "", usageError{err}
	}
	return f, nil
}

// exactArgs is cobra.ExactArgs reporting a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("expected %s, got %d argument(s)", what, len(args))}
		}
		return nil
	}
}

func formatFlagHelp(fs []render.Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return "output format: " + strings.Join(names, ", ")
}

// isCobraUsage recognises the command-line errors cobra reports as plain
// errors rather than through the flag error hook.
func isCobraUsage(msg string) bool {
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "required flag") || strings.HasPrefix(msg, "invalid argument")
}
