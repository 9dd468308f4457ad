package rego

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	opa "github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// DefaultDeadline bounds one evaluation: one package's rules over one
// input document.
const DefaultDeadline = 5 * time.Second

// Options configure an Engine. Zero values choose defaults: every core,
// DefaultDeadline.
type Options struct {
	Workers  int
	Deadline time.Duration
}

// Engine evaluates Rego policies over the files that snapshots were read
// from. It implements check.Evaluator, so its results join the built-in
// engine's in the same reports. It is safe for concurrent use.
type Engine struct {
	set      *PolicySet
	deadline time.Duration
	workers  int
	// stopped holds, per package, why it is no longer evaluated.
	stopped []atomic.Pointer[string]

	mu       sync.Mutex
	problems demarc.Problems
}

var _ check.Evaluator = (*Engine)(nil)

// NewEngine returns an engine for the policies of set.
func NewEngine(set *PolicySet, o Options) *Engine {
	e := &Engine{set: set, deadline: o.Deadline, workers: o.Workers, stopped: make([]atomic.Pointer[string], len(set.packages))}
	if e.deadline <= 0 {
		e.deadline = DefaultDeadline
	}
	if e.workers <= 0 {
		e.workers = runtime.GOMAXPROCS(0)
	}
	return e
}

// Policies implements check.Evaluator.
func (e *Engine) Policies() []*check.Policy { return e.set.Policies() }

// Problems returns what went wrong during Check: input files that could
// not be read as Rego input, or changed after they were read into the
// snapshot, and packages stopped because an evaluation overran the
// deadline. Call it after Check returns.
func (e *Engine) Problems() demarc.Problems {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.problems)
}

func (e *Engine) problem(p demarc.Problem) {
	e.mu.Lock()
	e.problems = append(e.problems, p)
	e.mu.Unlock()
}

// Check implements check.Evaluator. Each snapshot's file is read again —
// as conftest reads it, so that policies see the input they were written
// for — after checking that its digest is still the snapshot's, converted
// to Rego input once and evaluated by every package. Snapshots are spread
// over the workers.
func (e *Engine) Check(ctx context.Context, snaps <-chan *demarc.Snapshot, emit func(check.Batch)) error {
	if len(e.set.packages) == 0 {
		for range snaps {
		}
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var emitMu sync.Mutex
	workers := make([]*worker, e.workers)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = &worker{engine: e, ctx: ctx}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for snap := range snaps {
				if ctx.Err() != nil || snap == nil {
					continue
				}
				b := w.snapshot(snap)
				emitMu.Lock()
				emit(b)
				emitMu.Unlock()
			}
		}(workers[i])
	}
	stop := watch(ctx, workers, e.deadline)
	wg.Wait()
	stop()
	return ctx.Err()
}

// worker evaluates one snapshot at a time.
type worker struct {
	engine *Engine
	ctx    context.Context
	// seq is odd while an evaluation runs; the watchdog cancels it when
	// it stays the same odd value for the whole deadline.
	seq    atomic.Uint64
	mu     sync.Mutex // guards cancel against the watchdog
	cancel topdown.Cancel
}

// snapshot evaluates every package over the files of snap.
func (w *worker) snapshot(snap *demarc.Snapshot) check.Batch {
	b := check.Batch{Snapshot: snap, Resources: len(snap.Resources)}
	files, err := inputFiles(snap)
	if err != nil {
		w.engine.problem(demarc.Problem{Pos: demarc.Position{File: snap.File}, Message: "rego: " + err.Error() + "; not checked with the Rego policies"})
		return b
	}
	byFile := resourcesByFile(snap)
	for _, f := range files {
		docs, err := decodeFile(f.name, f.data)
		if err != nil {
			w.engine.problem(demarc.Problem{Pos: demarc.Position{File: f.name}, Message: "rego input: " + err.Error() + "; not checked with the Rego policies"})
			continue
		}
		fr := newFileResources(f.name, snap.Format, byFile[f.name])
		for i, p := range w.engine.set.packages {
			b.Results = append(b.Results, w.evalPackage(i, p, docs, fr)...)
		}
	}
	return b
}

// inputFile is one file to evaluate, with its content.
type inputFile struct {
	name string
	data []byte
}

// inputFiles reads the files a snapshot came from — the file, or each
// .tf file of a Terraform module's directory — and checks that they are
// still what the snapshot's digest says.
func inputFiles(snap *demarc.Snapshot) ([]inputFile, error) {
	fi, err := os.Stat(snap.File)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", pathError(err))
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(snap.File)
		if err != nil {
			return nil, fmt.Errorf("cannot read: %s", pathError(err))
		}
		if snap.SHA256 != "" && digest(data) != snap.SHA256 {
			return nil, errors.New("the file changed after it was read")
		}
		return []inputFile{{name: snap.File, data: data}}, nil
	}
	return moduleFiles(snap)
}

// moduleFiles reads a Terraform module's .tf files, and checks them and
// its variable files against the snapshot's digest: that of a manifest
// listing each file's SHA-256 and base name in name order.
func moduleFiles(snap *demarc.Snapshot) ([]inputFile, error) {
	entries, err := os.ReadDir(snap.File)
	if err != nil {
		return nil, fmt.Errorf("cannot read directory: %s", pathError(err))
	}
	type hashed struct{ base, sum string }
	var manifest []hashed
	var out []inputFile
	for _, en := range entries {
		name := en.Name()
		tf := strings.HasSuffix(name, ".tf")
		vars := name == "terraform.tfvars" || name == "terraform.tfvars.json" ||
			strings.HasSuffix(name, ".auto.tfvars") || strings.HasSuffix(name, ".auto.tfvars.json")
		if en.IsDir() || (!tf && !vars) {
			continue
		}
		path := filepath.Join(snap.File, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %s", path, pathError(err))
		}
		manifest = append(manifest, hashed{name, digest(data)})
		if tf {
			out = append(out, inputFile{name: path, data: data})
		}
	}
	if snap.SHA256 != "" {
		slices.SortFunc(manifest, func(a, b hashed) int { return strings.Compare(a.base, b.base) })
		var m bytes.Buffer
		for _, h := range manifest {
			fmt.Fprintf(&m, "%s  %s\n", h.sum, h.base)
		}
		if digest(m.Bytes()) != snap.SHA256 {
			return nil, errors.New("the module's files changed after they were read")
		}
	}
	return out, nil
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// outcome is what one package said about one document.
type outcome struct {
	// values holds, per rule, the rule's value, nil when undefined.
	values []any
	// excepted holds the names the package's exceptions gave.
	excepted []string
	// err is why there is no answer.
	err string
}

// evalPackage evaluates package p (the i-th) over every document of one
// file and turns what its rules said into results.
func (w *worker) evalPackage(i int, p *regoPackage, docs []document, fr *fileResources) []check.Result {
	outcomes := make([]outcome, len(docs))
	for d := range docs {
		if why := w.engine.stopped[i].Load(); why != nil {
			outcomes[d].err = *why
			continue
		}
		outcomes[d] = w.evaluate(i, p, docs[d], fr.file)
	}
	var out []check.Result
	for ri, r := range p.rules {
		out = append(out, results(r, ri, docs, outcomes, fr)...)
	}
	return out
}

// evaluate runs the package's query on one document.
func (w *worker) evaluate(i int, p *regoPackage, doc document, file string) outcome {
	rs, err := w.run(p, doc.input, nil)
	if err != nil {
		return outcome{err: w.failure(i, p, doc, file, err)}
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return outcome{err: "the query yielded no result"}
	}
	parts, ok := rs[0].Expressions[0].Value.([]any)
	if !ok || len(parts) < len(p.rules) {
		return outcome{err: "the query yielded an unexpected result"}
	}
	o := outcome{values: make([]any, len(p.rules))}
	for ri := range p.rules {
		if v, ok := parts[ri].([]any); ok && len(v) == 1 {
			o.values[ri] = v[0]
		}
	}
	if p.exception && len(parts) > len(p.rules) {
		if names, ok := parts[len(p.rules)].([]any); ok {
			for _, n := range names {
				if s, ok := n.(string); ok {
					o.excepted = append(o.excepted, s)
				}
			}
		}
	}
	return o
}

// run evaluates the query under the watchdog, with tracer when given.
func (w *worker) run(p *regoPackage, input ast.Value, tracer topdown.QueryTracer) (opa.ResultSet, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}
	c := topdown.NewCancel()
	w.mu.Lock()
	w.cancel = c
	w.mu.Unlock()
	opts := []opa.EvalOption{opa.EvalParsedInput(input), opa.EvalExternalCancel(c)}
	if tracer != nil {
		opts = append(opts, opa.EvalQueryTracer(tracer))
	}
	w.seq.Add(1)
	rs, err := p.query.Eval(w.ctx, opts...)
	w.mu.Lock()
	w.seq.Add(1)
	w.mu.Unlock()
	return rs, err
}

// failure explains an evaluation error. When the evaluation overran the
// deadline, it finds the rule that did, reports it and stops the package
// for the rest of the run: a rule that loops on one input usually loops on
// the next.
func (w *worker) failure(i int, p *regoPackage, doc document, file string, err error) string {
	if !topdown.IsCancel(err) {
		return "evaluation error: " + err.Error()
	}
	if w.ctx.Err() != nil {
		return "the check was cancelled"
	}
	where := w.overran(p, doc)
	why := fmt.Sprintf("%s did not finish within %s on %s%s", where.rule, w.engine.deadline, file, where.at)
	stopped := "not evaluated: " + why
	if w.engine.stopped[i].CompareAndSwap(nil, &stopped) {
		w.engine.problem(demarc.Problem{Pos: where.pos, Field: where.rule,
			Message: fmt.Sprintf("rego: the evaluation did not finish within %s on %s%s; the package's rules were not evaluated on the remaining files", w.engine.deadline, file, where.at)})
	}
	return why
}

// overrun says where an evaluation that overran was.
type overrun struct {
	rule string          // the rule's query, or the package's
	pos  demarc.Position // where the rule is defined
	at   string          // ", at policy.rego:12", where it was stopped
}

// overran evaluates the package again with a tracer to find the rule that
// runs past the deadline, and where it was when stopped.
func (w *worker) overran(p *regoPackage, doc document) overrun {
	t := newRuleTracer(p)
	_, err := w.run(p, doc.input, t)
	o := overrun{rule: "data." + p.name, pos: position(p.rules[0].defs[0].Location)}
	if err == nil || !topdown.IsCancel(err) || t.current == nil {
		return o
	}
	o.rule, o.pos = t.current.query(), position(t.currentDef.Location)
	if t.last != nil && t.last.File != "" {
		o.at = fmt.Sprintf(" (stopped at %s:%d)", t.last.File, t.last.Row)
	}
	return o
}

// ruleTracer remembers the last of a package's rules the evaluation
// entered, and the last place it evaluated.
type ruleTracer struct {
	defs       map[string]*regoRule // by "file:row" of each definition
	current    *regoRule
	currentDef *ast.Rule
	last       *ast.Location
}

func newRuleTracer(p *regoPackage) *ruleTracer {
	t := &ruleTracer{defs: map[string]*regoRule{}}
	for _, r := range p.rules {
		for _, d := range r.defs {
			t.defs[locationKey(d.Location)] = r
		}
	}
	return t
}

func locationKey(l *ast.Location) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", l.File, l.Row)
}

func (t *ruleTracer) Enabled() bool               { return true }
func (t *ruleTracer) Config() topdown.TraceConfig { return topdown.TraceConfig{} }
func (t *ruleTracer) TraceEvent(ev topdown.Event) {
	if ev.Op == topdown.EnterOp {
		if rule, ok := ev.Node.(*ast.Rule); ok {
			if r := t.defs[locationKey(rule.Location)]; r != nil {
				t.current, t.currentDef = r, rule
			}
		}
	}
	if ev.Location != nil && ev.Location.File != "" {
		t.last = ev.Location
	}
}

// watch cancels any worker's evaluation that runs for longer than
// deadline, and every evaluation when ctx ends. It returns the function
// that stops watching.
func watch(ctx context.Context, workers []*worker, deadline time.Duration) (stop func()) {
	tick := max(deadline/4, time.Millisecond)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		last := make([]uint64, len(workers))
		since := make([]time.Time, len(workers))
		ended := ctx.Done()
		for {
			select {
			case <-done:
				return
			case <-ended:
				ended = nil
				for _, w := range workers {
					w.cancelNow()
				}
			case now := <-t.C:
				for i, w := range workers {
					if ctx.Err() != nil {
						w.cancelNow()
						continue
					}
					w.expire(&last[i], &since[i], now, deadline)
				}
			}
		}
	}()
	return func() { close(done) }
}

// cancelNow cancels w's current evaluation, if any.
func (w *worker) cancelNow() {
	w.mu.Lock()
	if w.cancel != nil {
		w.cancel.Cancel()
	}
	w.mu.Unlock()
}

// expire cancels w's evaluation when the same one has been running since
// before now-deadline.
func (w *worker) expire(last *uint64, since *time.Time, now time.Time, deadline time.Duration) {
	seq := w.seq.Load()
	if seq%2 == 0 || seq != *last {
		*last, *since = seq, now
		return
	}
	if now.Sub(*since) < deadline {
		return
	}
	w.mu.Lock()
	if w.seq.Load() == seq && w.cancel != nil {
		w.cancel.Cancel()
	}
	w.mu.Unlock()
}
