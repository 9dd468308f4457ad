package check

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/demarc-io/demarc"
)

// Evaluator checks snapshots against policies. The built-in Engine
// evaluates CEL policies; an engine for another policy language plugs in
// here and yields the same Results.
type Evaluator interface {
	// Policies returns the policies the evaluator runs.
	Policies() []*Policy
	// Check evaluates every snapshot received from snaps until the channel
	// is closed or ctx ends, and hands the results to emit in batches.
	// emit is never called concurrently.
	Check(ctx context.Context, snaps <-chan *demarc.Snapshot, emit func(Batch)) error
}

// Batch is a group of results from one snapshot. Resources counts the
// resources of the snapshot the batch covers (whether or not any policy
// matched them), for progress.
type Batch struct {
	Snapshot  *demarc.Snapshot
	Resources int
	Results   []Result
}

// Result is the outcome of one policy on one resource.
type Result struct {
	Policy   *Policy
	Resource *demarc.Resource
	Status   Status
	// Reason explains an indeterminate or not-applicable status.
	Reason string
	rule   *rule
	index  *resourceIndex
}

// Values returns the attribute values the deciding rule read, with
// sensitive values withheld.
func (r Result) Values() []Value {
	if r.rule == nil || r.Resource == nil {
		return nil
	}
	return valuesOf(r.Resource, r.rule.reads, r.index)
}

// Engine evaluates compiled CEL policies. It is safe for concurrent use.
type Engine struct {
	set      *PolicySet
	deadline time.Duration
	workers  int
	// exact maps a type to the rules that name it exactly; patterns are
	// the rules with a "*" in a type. dispatch caches their union per
	// type seen.
	exact    map[string][]*rule
	patterns []*rule
	dispatch sync.Map // string → []*rule
}

var _ Evaluator = (*Engine)(nil)

// Options configure an Engine. Zero values choose defaults: every core,
// DefaultDeadline.
type Options struct {
	Workers int
	// Deadline bounds one evaluation of one expression.
	Deadline time.Duration
}

// NewEngine returns an engine for the policies of set.
func NewEngine(set *PolicySet, o Options) *Engine {
	e := &Engine{set: set, deadline: o.Deadline, workers: o.Workers, exact: map[string][]*rule{}}
	if e.deadline <= 0 {
		e.deadline = DefaultDeadline
	}
	if e.workers <= 0 {
		e.workers = runtime.GOMAXPROCS(0)
	}
	for _, r := range set.rules {
		for _, t := range r.types {
			if strings.Contains(t, "*") {
				e.patterns = appendRule(e.patterns, r)
			} else {
				e.exact[t] = appendRule(e.exact[t], r)
			}
		}
	}
	return e
}

func appendRule(list []*rule, r *rule) []*rule {
	for _, x := range list {
		if x == r {
			return list
		}
	}
	return append(list, r)
}

// Policies implements Evaluator.
func (e *Engine) Policies() []*Policy { return e.set.Policies() }

// rulesFor returns the rules that match a resource type.
func (e *Engine) rulesFor(typ string) []*rule {
	if v, ok := e.dispatch.Load(typ); ok {
		return v.([]*rule)
	}
	rules := append([]*rule(nil), e.exact[typ]...)
	for _, r := range e.patterns {
		for _, p := range r.types {
			if matchType(p, typ) {
				rules = appendRule(rules, r)
				break
			}
		}
	}
	e.dispatch.Store(typ, rules)
	return rules
}

// chunkSize is how many resources a worker takes at a time.
const chunkSize = 256

type chunk struct {
	snap   *demarc.Snapshot
	index  *resourceIndex
	lo, hi int
}

// Check implements Evaluator: it evaluates on all workers, spreading the
// resources of each snapshot over them.
func (e *Engine) Check(ctx context.Context, snaps <-chan *demarc.Snapshot, emit func(Batch)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, e.workers*4)
	var emitMu sync.Mutex
	send := func(b Batch) {
		emitMu.Lock()
		defer emitMu.Unlock()
		emit(b)
	}
	workers := make([]*worker, e.workers)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newWorker(ctx, e)
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for c := range chunks {
				send(w.run(c))
			}
		}(workers[i])
	}
	stopWatch := watch(workers, e.deadline)
	err := feed(ctx, snaps, chunks)
	close(chunks)
	wg.Wait()
	stopWatch()
	return err
}

// feed cuts snapshots into chunks until snaps closes or ctx ends.
func feed(ctx context.Context, snaps <-chan *demarc.Snapshot, chunks chan<- chunk) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case snap, ok := <-snaps:
			if !ok {
				return nil
			}
			if snap == nil {
				continue
			}
			n := len(snap.Resources)
			if n == 0 {
				continue
			}
			index := newResourceIndex(snap)
			for lo := 0; lo < n; lo += chunkSize {
				select {
				case chunks <- chunk{snap: snap, index: index, lo: lo, hi: min(lo+chunkSize, n)}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
}

// CheckSnapshots is Check over a fixed list of snapshots.
func CheckSnapshots(ctx context.Context, ev Evaluator, snaps []*demarc.Snapshot, emit func(Batch)) error {
	ch := make(chan *demarc.Snapshot)
	errc := make(chan error, 1)
	go func() { errc <- ev.Check(ctx, ch, emit) }()
	for _, s := range snaps {
		select {
		case ch <- s:
		case err := <-errc:
			return err
		}
	}
	close(ch)
	return <-errc
}

// worker evaluates chunks. Its evaluation context and deadline state are
// its own; the engine's compiled programs are shared.
type worker struct {
	engine *Engine
	parent context.Context
	ec     evalContext
	// seq is odd while an interruptible evaluation runs; the watchdog
	// cancels ctx when it stays the same odd value past the deadline.
	seq    atomic.Uint64
	mu     sync.Mutex // guards ctx and cancel against the watchdog
	ctx    context.Context
	cancel context.CancelFunc
}

func newWorker(parent context.Context, e *Engine) *worker {
	w := &worker{engine: e, parent: parent}
	w.ctx, w.cancel = context.WithCancel(parent)
	return w
}

func (w *worker) run(c chunk) Batch {
	b := Batch{Snapshot: c.snap, Resources: c.hi - c.lo, Results: make([]Result, 0, 4*(c.hi-c.lo))}
	for i := c.lo; i < c.hi; i++ {
		r := &c.snap.Resources[i]
		rules := w.engine.rulesFor(r.Type)
		if len(rules) == 0 {
			continue
		}
		w.ec.reset(c.index, r)
		for _, rl := range rules {
			st, reason := w.evaluate(rl)
			b.Results = append(b.Results, Result{Policy: rl.policy, Resource: r, Status: st, Reason: reason, rule: rl, index: c.index})
		}
	}
	return b
}

// evaluate decides one rule on the worker's current resource.
func (w *worker) evaluate(rl *rule) (Status, string) {
	if w.ec.whole {
		return Indeterminate, "the whole resource is known only after apply"
	}
	if rl.when != nil {
		v, reason := w.exec(rl.when)
		switch v {
		case types.False:
			return NotApplicable, "excluded by the policy's condition"
		case types.True:
		default:
			return Indeterminate, reason
		}
	}
	v, reason := w.exec(rl.expr)
	switch v {
	case types.True:
		return Pass, ""
	case types.False:
		return Fail, ""
	}
	return Indeterminate, reason
}

// exec runs one program and returns true, false, or nil with the reason
// there is no answer.
func (w *worker) exec(p *program) (ref.Val, string) {
	var out ref.Val
	var err error
	if p.bounded || w.ec.withinSize(p.limits.CollectionSize) {
		out, _, err = p.prg.Eval(&w.ec)
	} else {
		out, err = w.interruptible(p)
	}
	if err != nil {
		return nil, w.failure(p, err)
	}
	switch v := out.(type) {
	case types.Bool:
		return v, ""
	case *types.Unknown:
		return nil, w.unknownReason(v)
	}
	return nil, fmt.Sprintf("the expression yielded %s, not a boolean", out.Type().TypeName())
}

func (w *worker) interruptible(p *program) (ref.Val, error) {
	w.mu.Lock()
	if w.ctx.Err() != nil {
		w.ctx, w.cancel = context.WithCancel(w.parent)
	}
	ctx := w.ctx
	w.mu.Unlock()
	w.seq.Add(1)
	out, _, err := p.guarded.ContextEval(ctx, &w.ec)
	w.mu.Lock()
	w.seq.Add(1)
	w.mu.Unlock()
	return out, err
}

func (w *worker) failure(p *program, err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled) || strings.Contains(msg, "operation interrupted"):
		if w.parent.Err() != nil {
			return "the check was cancelled"
		}
		return fmt.Sprintf("the evaluation took longer than %s", w.engine.deadline)
	case strings.Contains(msg, "cost limit exceeded"):
		return fmt.Sprintf("the evaluation exceeded its cost limit of %d", p.limits.RuntimeCost)
	}
	return "evaluation error: " + msg
}

func (w *worker) unknownReason(u *types.Unknown) string {
	paths := w.ec.unknownPaths(u)
	if len(paths) == 0 {
		return "depends on values that are not known"
	}
	for i, p := range paths {
		if p == "" {
			paths[i] = "a linked resource"
		}
	}
	what := "known only after apply"
	if sourceFormats[w.ec.res.Format] {
		what = "not resolvable from the source"
	}
	return fmt.Sprintf("depends on %s, %s", strings.Join(paths, ", "), what)
}

// watch cancels the evaluation of any worker that runs one evaluation for
// longer than deadline. It returns the function that stops watching.
func watch(workers []*worker, deadline time.Duration) (stop func()) {
	tick := max(deadline/4, time.Millisecond)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		last := make([]uint64, len(workers))
		since := make([]time.Time, len(workers))
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				for i, w := range workers {
					w.expire(&last[i], &since[i], now, deadline)
				}
			}
		}
	}()
	return func() { close(done) }
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
	if w.seq.Load() == seq {
		w.cancel()
	}
	w.mu.Unlock()
}
