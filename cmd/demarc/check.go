package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/snapshot"
)

func init() {
	extraCommands = append(extraCommands, (*app).checkCommand)
}

// checksFailed is returned when --fail-on finds failing checks at or
// above its severity. It exits with exitGaps (3), the code CI pipelines
// already gate on for 'demarc gaps --fail-on'.
type checksFailed struct {
	n        int
	severity check.Severity
}

func (e checksFailed) Error() string {
	return fmt.Sprintf("%d failing checks at severity %s or above", e.n, e.severity)
}

// As makes exitCode treat a failed check gate as it treats a failed gap
// gate: both exit with code 3.
func (e checksFailed) As(target any) bool {
	if gf, ok := target.(*gapsFound); ok {
		*gf = gapsFound{n: e.n, severity: demarc.Severity(e.severity)}
		return true
	}
	return false
}

// checkFlags are the flags of 'demarc check'.
type checkFlags struct {
	system, framework, format, failOn, progress string
	configs, policies                           []string
	noBuiltin                                   bool
}

func (a *app) checkCommand() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check --system FILE|NAME --config PATH [--config PATH ...]",
		Short: "Verify the customer's part against real configuration",
		Long: `Evaluate policies over configuration — Terraform plans, states and .tf
source, CloudFormation templates, Kubernetes manifests, AWS Config, Cloud
Asset Inventory and Azure Resource Graph exports — and turn the results
into evidence for every control of a framework.

Every policy evidences responsibility areas. For each control, only the
areas in which the customer has a part (customer-owned or shared in the
resolved system) need the customer's evidence:

  verified         checks of the customer's part ran and all passed
  failing          a check failed: which resource, which setting, where
  indeterminate    a check depends on a value known only after apply
  manual           no configuration evidences the customer's part; the
                   report names the areas that need manual evidence
  not-applicable   the customer has no part in the control

Each resource lists the checks that ran with the attribute values they read
(sensitive values are never shown). The report records when it was made,
the SHA-256 of every input and the tool version.

Formats: table, json, yaml, markdown, sarif (SARIF 2.1.0 for code-scanning
services; failing checks only) and junit (JUnit XML for CI).

Exit codes: 0 done; 2 a configuration file or policy could not be read (the
rest was still checked and reported); 3 --fail-on found failing checks at or
above its severity.

Against a server (--server, $DEMARC_SERVER or 'demarc login'), --system
names a system stored there: the configuration and --policy files are sent
to it (folders walked here as above, each file under its path), the server
checks them with the organisation's library and records the run, and the
report is printed as above. A file the server cannot read fails the run
(exit 2) and nothing is recorded. 'demarc checks' reads recorded runs.`,
		Example: `  demarc check --system examples/serverless-webshop.yaml --config plan.json
  demarc check -s system.yaml --config infra/ --config k8s/ --framework iso-27001-2022 --format sarif -o demarc.sarif
  demarc check -s system.yaml --config plan.json --format junit --fail-on high
  demarc check -s system.yaml --config plan.json --policy ./our-policies/
  demarc --server https://demarc.example.com check -s webshop --config infra/ --fail-on high`,
		Annotations: worksOnServer(),
		Args:        exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCheck(cmd.Context(), &f)
		},
	}
	cmd.Flags().StringVarP(&f.system, "system", "s", "", systemFlagHelp)
	cmd.Flags().StringArrayVarP(&f.configs, "config", "c", nil, "configuration `PATH` to check: a file or a folder; repeatable")
	cmd.Flags().StringVarP(&f.framework, "framework", "f", "", "framework `ID` (default: the system's first, else nist-800-53-r5)")
	cmd.Flags().StringVarP(&f.format, "format", "F", "table", formatFlagHelp(check.Formats))
	cmd.Flags().StringVar(&f.failOn, "fail-on", "", "exit 3 when a check fails at or above `SEVERITY` (low, medium, high, critical)")
	cmd.Flags().StringArrayVar(&f.policies, "policy", nil, "extra policy `FILE` or folder; repeatable")
	cmd.Flags().BoolVar(&f.noBuiltin, "no-builtin", false, "run only the --policy policies, not the built-in pack")
	cmd.Flags().StringVar(&f.progress, "progress", "auto", "progress on standard error: auto (on a terminal), always or never")
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func (a *app) runCheck(ctx context.Context, f *checkFlags) error {
	rc, err := a.remote()
	if err != nil {
		return err
	}
	if rc != nil {
		return a.remoteCheck(ctx, rc, f)
	}
	format, fail, err := a.checkOutput(f)
	if err != nil {
		return err
	}
	res, fw, err := a.resolveSystem(f.system, f.framework, nil)
	if err != nil {
		return err
	}
	set, problems, err := a.policySet(f.policies, f.noBuiltin)
	if err != nil {
		return err
	}
	bar := newProgress(a.stderr, f.progress)
	run, err := runChecks(ctx, check.NewEngine(set, check.Options{}), f.configs, bar)
	bar.finish()
	if err != nil {
		return err
	}
	problems = append(problems, run.Problems...)
	if len(run.Inputs) == 0 {
		return run.NothingRead(problems, "under the --config paths")
	}
	systemInput, err := digestFile(f.system)
	if err != nil {
		return err
	}
	report := check.BuildReport(res, fw, set.Policies(), run.Collector, check.ReportOptions{
		Tool: check.CurrentTool(), System: systemInput, Inputs: run.Inputs, PolicySources: set.Sources, Problems: problems, Skipped: run.Skipped,
	})
	if err := check.Write(a.stdout, report, format, a.options()); err != nil {
		return err
	}
	return checkOutcome(report, fail)
}

// parseCheckSeverity reads --fail-on, which also knows "critical".
// checkOutput reads the report format and the --fail-on severity of a
// check, locally or against a server.
func (a *app) checkOutput(f *checkFlags) (render.Format, check.Severity, error) {
	format, err := a.format(f.format, check.Formats)
	if err != nil {
		return "", "", err
	}
	fail, err := parseCheckSeverity(f.failOn)
	return format, fail, err
}

func parseCheckSeverity(s string) (check.Severity, error) {
	if s == "" {
		return "", nil
	}
	sev := check.Severity(strings.ToLower(s))
	if sev.Rank() == 0 {
		return "", usageError{fmt.Errorf("--fail-on: unknown severity %q; expected low, medium, high or critical", s)}
	}
	return sev, nil
}

// policySet loads the built-in pack and any --policy files. Problems in
// user policies are returned, not raised: the other policies still run.
func (a *app) policySet(paths []string, noBuiltin bool) (*check.PolicySet, demarc.Problems, error) {
	lib, err := a.library()
	if err != nil {
		return nil, nil, err
	}
	set := &check.PolicySet{}
	if !noBuiltin {
		if set, err = check.Builtin(); err != nil {
			return nil, nil, err
		}
	}
	if len(paths) == 0 {
		if noBuiltin {
			return nil, nil, usageError{errors.New("--no-builtin leaves no policies; add --policy")}
		}
		return set, nil, nil
	}
	extra, problems := check.Load(paths, check.LoadOptions{KnownArea: knownArea(lib)})
	return set.Merge(extra), problems, nil
}

func knownArea(lib *library.Library) func(demarc.AreaID) bool {
	return func(id demarc.AreaID) bool { return lib.Area(id) != nil }
}

// runChecks reads every configuration path on all cores and checks each
// snapshot as it arrives.
func runChecks(ctx context.Context, ev check.Evaluator, paths []string, bar *progress) (*check.Run, error) {
	walk := func(ctx context.Context, fn func(*demarc.Snapshot) error) error { return snapshot.Walk(ctx, paths, fn) }
	return check.Execute(ctx, ev, walk, check.Progress{Read: bar.read, Checked: bar.checked})
}

// checkOutcome turns the report into the command's result: problems
// reading inputs or policies exit 2, failing checks at or above --fail-on
// exit 3.
func checkOutcome(r *check.Report, fail check.Severity) error {
	failing := 0
	if fail != "" {
		failing = r.FailuresAtOrAbove(fail)
	}
	if len(r.Problems) > 0 {
		msg := fmt.Sprintf("%d problems reading the configuration or policies; the rest was checked", len(r.Problems))
		if failing > 0 {
			msg += fmt.Sprintf(", and %d checks failed at severity %s or above", failing, fail)
		}
		return &demarc.Error{Code: demarc.EInvalid, Message: msg}
	}
	if failing > 0 {
		return checksFailed{n: failing, severity: fail}
	}
	return nil
}

// digestFile returns a file's SHA-256 for the evidence record.
func digestFile(path string) (*check.Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &demarc.Error{Code: demarc.ENotFound, Message: "read " + path, Err: err}
	}
	return check.SystemInput(path, data), nil
}

// toolInfo names this build of demarc.
func toolInfo() check.Tool { return check.CurrentTool() }

// progress draws a one-line progress bar on a terminal: files read,
// resources checked out of those read so far. It draws nothing when its
// writer is not a terminal (unless forced), and at most ten times a
// second.
type progress struct {
	w        io.Writer
	on       bool
	mu       sync.Mutex
	files    int
	total    int
	done     int
	start    time.Time
	last     time.Time
	drawn    bool
	finished bool
}

func newProgress(w io.Writer, mode string) *progress {
	p := &progress{w: w, start: time.Now()}
	switch mode {
	case "always":
		p.on = true
	case "never":
	default:
		f, ok := w.(*os.File)
		p.on = ok && term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) read(resources int) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files++
	p.total += resources
	p.draw(false)
}

func (p *progress) checked(resources int) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += resources
	p.draw(false)
}

func (p *progress) draw(force bool) {
	now := time.Now()
	if !force && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	filled := 0
	if p.total > 0 {
		filled = width * p.done / p.total
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	fmt.Fprintf(p.w, "\r[%s] %d files, %d/%d resources checked, %.1fs ", bar, p.files, p.done, p.total, now.Sub(p.start).Seconds())
	p.drawn = true
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.draw(true)
	fmt.Fprintln(p.w)
}
