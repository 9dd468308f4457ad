package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/check/rego"
)

// 'demarc check --rego DIR' adds users' OPA/Rego policies (conftest
// style) to the check: the flags are added to the check command from
// here, which wraps the command factories registered before this file's
// init runs (check.go's among them).
func init() {
	for i, factory := range extraCommands {
		extraCommands[i] = func(a *app) *cobra.Command {
			cmd := factory(a)
			if cmd.Name() == "check" {
				a.addRegoFlags(cmd)
			}
			return cmd
		}
	}
}

// regoFlags are the Rego flags of 'demarc check'.
type regoFlags struct {
	paths    []string
	deadline time.Duration
}

const regoHelp = `

Rego policies (--rego): conftest-style OPA policies run as they are. In
every package, the rules named deny, violation or warn (each optionally
with a _suffix) are checks; an exception rule waives them as in conftest.
Each input file is given to them whole, as conftest reads it: a Terraform
plan or state as its JSON document, .tf source as HCL-as-JSON (blocks under
their type and labels, expressions as "${...}"), YAML and JSON as the
document, a multi-document file one document at a time. Each rule is a
policy with the id <package>.<rule>; its METADATA annotations map it to
responsibility areas (custom.areas), and may set custom.severity (deny and
violation default to high, warn to low), custom.types (the resource types
it checks, so that each resource gets its own pass or fail),
custom.remediation, title and description. A finding is attached to the
resource it names (a "resource" field, or the resource's id in the
message), else to the file. http.send, net.lookup_ip_addr and opa.runtime
are not available. An evaluation that runs past --rego-deadline stops its
package for the rest of the run and is reported (exit 2).`

func (a *app) addRegoFlags(cmd *cobra.Command) {
	var r regoFlags
	cmd.Flags().StringArrayVar(&r.paths, "rego", nil, "OPA/Rego policy `PATH` (a .rego file or a folder of them, conftest style); repeatable")
	cmd.Flags().DurationVar(&r.deadline, "rego-deadline", rego.DefaultDeadline, "longest one Rego package may take over one input document")
	cmd.Long += regoHelp
	cmd.Example += "\n  demarc check -s system.yaml --config plan.json --rego ./policy/ --no-builtin"
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(r.paths) == 0 {
			return run(c, args)
		}
		rc, err := a.remote()
		if err != nil {
			return err
		}
		if rc != nil {
			return notOnServer("--rego", "the server runs demarc's CEL policies (--policy), and takes no Rego policies")
		}
		f, err := checkFlagsOf(c)
		if err != nil {
			return err
		}
		return a.runCheckRego(c.Context(), f, &r)
	}
}

// checkFlagsOf reads the check command's own flags.
func checkFlagsOf(c *cobra.Command) (*checkFlags, error) {
	fl := c.Flags()
	var f checkFlags
	var errs []error
	str := func(name string, to *string) {
		v, err := fl.GetString(name)
		errs = append(errs, err)
		*to = v
	}
	str("system", &f.system)
	str("framework", &f.framework)
	str("format", &f.format)
	str("fail-on", &f.failOn)
	str("progress", &f.progress)
	var err error
	f.configs, err = fl.GetStringArray("config")
	errs = append(errs, err)
	f.policies, err = fl.GetStringArray("policy")
	errs = append(errs, err)
	f.noBuiltin, err = fl.GetBool("no-builtin")
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("read the check command's flags: %w", err)
	}
	return &f, nil
}

// runCheckRego is 'demarc check' with Rego policies beside (or, with
// --no-builtin and no --policy, instead of) the CEL policies.
func (a *app) runCheckRego(ctx context.Context, f *checkFlags, r *regoFlags) error {
	format, fail, err := a.checkOutput(f)
	if err != nil {
		return err
	}
	res, fw, err := a.resolveSystem(f.system, f.framework, nil)
	if err != nil {
		return err
	}
	lib, err := a.library()
	if err != nil {
		return err
	}
	set, problems := &check.PolicySet{}, demarc.Problems(nil)
	if !f.noBuiltin || len(f.policies) > 0 {
		if set, problems, err = a.policySet(f.policies, f.noBuiltin); err != nil {
			return err
		}
	}
	regoSet, regoProblems := rego.Load(r.paths, rego.LoadOptions{KnownArea: knownArea(lib)})
	problems = append(problems, regoProblems...)
	problems = append(problems, clashingIDs(set.Policies(), regoSet.Policies())...)
	regoEngine := rego.NewEngine(regoSet, rego.Options{Deadline: r.deadline})
	var ev check.Evaluator = regoEngine
	if len(set.Policies()) > 0 {
		ev = evaluators{check.NewEngine(set, check.Options{}), regoEngine}
	}
	bar := newProgress(a.stderr, f.progress)
	run, err := runChecks(ctx, ev, f.configs, bar)
	bar.finish()
	if err != nil {
		return err
	}
	problems = append(problems, run.Problems...)
	problems = append(problems, regoEngine.Problems()...)
	if len(run.Inputs) == 0 {
		return run.NothingRead(problems, "under the --config paths")
	}
	systemInput, err := digestFile(f.system)
	if err != nil {
		return err
	}
	report := check.BuildReport(res, fw, ev.Policies(), run.Collector, check.ReportOptions{
		Tool: check.CurrentTool(), System: systemInput, Inputs: run.Inputs,
		PolicySources: append(append([]check.Source(nil), set.Sources...), regoSet.Sources...),
		Problems:      problems, Skipped: run.Skipped,
	})
	if err := check.Write(a.stdout, report, format, a.options()); err != nil {
		return err
	}
	return checkOutcome(report, fail)
}

// clashingIDs reports Rego policies whose ids a CEL policy already has:
// their results would be counted together.
func clashingIDs(cel, rg []*check.Policy) demarc.Problems {
	ids := map[string]bool{}
	for _, p := range cel {
		ids[p.ID] = true
	}
	var out demarc.Problems
	for _, p := range rg {
		if ids[p.ID] {
			out = append(out, demarc.Problem{Pos: p.Pos, Field: p.ID, Message: "a --policy policy has the same id; rename the package or the rule"})
		}
	}
	return out
}

// evaluators runs several evaluators over the same snapshots, each on its
// own goroutines, and hands their batches to one emit, one at a time.
// Only the first evaluator's batches count resources, for progress.
type evaluators []check.Evaluator

var _ check.Evaluator = evaluators(nil)

// Policies returns the policies of every evaluator, in order.
func (evs evaluators) Policies() []*check.Policy {
	var out []*check.Policy
	for _, ev := range evs {
		out = append(out, ev.Policies()...)
	}
	return out
}

// Check implements check.Evaluator: every snapshot goes to every
// evaluator. It returns the first evaluator's error, if any.
func (evs evaluators) Check(ctx context.Context, snaps <-chan *demarc.Snapshot, emit func(check.Batch)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	chans := make([]chan *demarc.Snapshot, len(evs))
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	for i, ev := range evs {
		chans[i] = make(chan *demarc.Snapshot, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ev.Check(ctx, chans[i], func(b check.Batch) {
				if i > 0 {
					b.Resources = 0
				}
				mu.Lock()
				defer mu.Unlock()
				emit(b)
			})
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	fanOut(ctx, snaps, chans)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fanOut sends every snapshot to every channel, then closes them. Once
// ctx ends it only drains snaps, so that its sender is never stuck.
func fanOut(ctx context.Context, snaps <-chan *demarc.Snapshot, chans []chan *demarc.Snapshot) {
	for s := range snaps {
		for _, ch := range chans {
			select {
			case ch <- s:
			case <-ctx.Done():
			}
		}
	}
	for _, ch := range chans {
		close(ch)
	}
}
