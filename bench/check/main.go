// Command check measures the built-in policy engine end to end: it
// evaluates a pack of policies (the built-in pack plus generated variants)
// over a stream of synthetic resource records on every core, and reports
// wall time, throughput and memory.
//
//	go run ./bench/check -records 1000000 -policies 300
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

func main() {
	records := flag.Int("records", 1_000_000, "resource records to check")
	npol := flag.Int("policies", 300, "policies in the pack (the built-in pack plus variants)")
	batch := flag.Int("batch", 10_000, "records per snapshot, as one input file would hold")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the evaluation to `FILE`")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := run(context.Background(), *records, *npol, *batch)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	res.print(os.Stdout)
}

// result is what a run measured.
type result struct {
	policies, records, snapshots int
	counts                       map[check.Status]int
	load, elapsed                time.Duration
	peakHeap, totalAlloc         uint64
	maxRSS                       int64
	cores                        int
}

func (r *result) evaluations() int {
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

func (r *result) print(w *os.File) {
	fmt.Fprintf(w, "policies: %d (compiled in %s)\n", r.policies, r.load.Round(time.Millisecond))
	fmt.Fprintf(w, "records: %d in %d snapshots, on %d cores\n", r.records, r.snapshots, r.cores)
	fmt.Fprintf(w, "evaluations: %d (%d pass, %d fail, %d indeterminate, %d not applicable)\n", r.evaluations(),
		r.counts[check.Pass], r.counts[check.Fail], r.counts[check.Indeterminate], r.counts[check.NotApplicable])
	fmt.Fprintf(w, "wall time: %s  (%.0f records/s, %.0f evaluations/s)\n", r.elapsed.Round(time.Millisecond),
		float64(r.records)/r.elapsed.Seconds(), float64(r.evaluations())/r.elapsed.Seconds())
	fmt.Fprintf(w, "memory: peak heap %.0f MiB, peak RSS %.0f MiB, allocated %.1f GiB in total\n",
		float64(r.peakHeap)/(1<<20), float64(r.maxRSS)/1024, float64(r.totalAlloc)/(1<<30))
}

// run loads n policies, then streams records through the engine in
// snapshots of batch records, keeping only status counts.
func run(ctx context.Context, records, n, batch int) (*result, error) {
	start := time.Now()
	set, err := policies(n)
	if err != nil {
		return nil, err
	}
	r := &result{policies: len(set.Policies()), load: time.Since(start), counts: map[check.Status]int{}, cores: runtime.GOMAXPROCS(0)}
	gen := &generator{templates: templates(set)}
	stopSampling := sampleHeap(&r.peakHeap)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	start = time.Now()
	snaps := make(chan *demarc.Snapshot, 2)
	go func() {
		defer close(snaps)
		for r.records < records {
			s := gen.snapshot(min(batch, records-r.records))
			r.records += len(s.Resources)
			r.snapshots++
			select {
			case snaps <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	err = check.NewEngine(set, check.Options{}).Check(ctx, snaps, func(b check.Batch) {
		for _, res := range b.Results {
			r.counts[res.Status]++
		}
	})
	r.elapsed = time.Since(start)
	stopSampling()
	if err != nil {
		return nil, err
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	r.totalAlloc = after.TotalAlloc - before.TotalAlloc
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.maxRSS = ru.Maxrss
	}
	return r, nil
}

// sampleHeap records the largest heap in use, every 20 ms, until stopped.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
