package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/check/rego"
	"github.com/demarc-io/demarc/internal/realdata"
	"github.com/demarc-io/demarc/snapshot"
)

// checkInProcess is demarc's side of the comparison without the command
// line: read every input on all cores and evaluate the Rego policies over
// it, counting results by status.
func checkInProcess(ctx context.Context, policies, inputs string) (map[check.Status]int, demarc.Problems, error) {
	set, problems := rego.Load([]string{policies}, rego.LoadOptions{})
	ev := rego.NewEngine(set, rego.Options{})
	counts := map[check.Status]int{}
	snaps := make(chan *demarc.Snapshot, 4)
	done := make(chan error, 1)
	go func() {
		done <- ev.Check(ctx, snaps, func(b check.Batch) {
			for _, r := range b.Results {
				counts[r.Status]++
			}
		})
	}()
	var mu sync.Mutex
	walkErr := snapshot.Walk(ctx, []string{inputs}, func(s *demarc.Snapshot) error {
		if len(s.Resources) == 0 {
			mu.Lock()
			problems = append(problems, s.Problems...)
			mu.Unlock()
			return nil
		}
		snaps <- s
		return nil
	})
	close(snaps)
	if err := <-done; err != nil {
		return nil, nil, err
	}
	return counts, append(problems, ev.Problems()...), walkErr
}

// The generated workload is what the comparison claims: the asked number
// of rules, each a distinct policy that loads; plans that demarc reads;
// and results of every kind, exceptions included.
func TestWorkload(t *testing.T) {
	dataDir := filepath.Dir(filepath.Dir(realdata.Path(t, "configs/fugue-regula")))
	dir := t.TempDir()
	w, err := generate(dir, dataDir, 40, 300, 7)
	if err != nil {
		t.Fatal(err)
	}
	if w.packages != 60 || w.files < 40+20 {
		t.Errorf("%d packages, %d files", w.packages, w.files)
	}
	set, problems := rego.Load([]string{w.policies}, rego.LoadOptions{})
	if len(problems) > 0 || len(set.Policies()) != 300 {
		t.Fatalf("%d policies; problems:\n%v", len(set.Policies()), problems)
	}
	counts, problems, err := checkInProcess(context.Background(), w.policies, w.inputs)
	if err != nil || len(problems) > 0 {
		t.Fatalf("%v %v", err, problems)
	}
	for _, s := range []check.Status{check.Pass, check.Fail, check.NotApplicable} {
		if counts[s] == 0 {
			t.Errorf("no %s results: %v", s, counts)
		}
	}
	if counts[check.Indeterminate] != 0 {
		t.Errorf("%d undecided results", counts[check.Indeterminate])
	}
	data, err := os.ReadFile(filepath.Join(w.policies, "p009.rego"))
	if err != nil || !strings.Contains(string(data), "exception contains") {
		t.Errorf("the tenth package has no exception: %v", err)
	}
}

// BenchmarkDemarc is demarc's side of the comparison, in process: 300
// rules over 300 generated plans and the real files per iteration.
// 'go run ./bench/conftest' runs both tools on 1,500 plans.
func BenchmarkDemarc(b *testing.B) {
	dataDir := filepath.Dir(filepath.Dir(realdata.Path(b, "configs/fugue-regula")))
	w, err := generate(b.TempDir(), dataDir, 300, 300, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		counts, _, err := checkInProcess(context.Background(), w.policies, w.inputs)
		if err != nil {
			b.Fatal(err)
		}
		if counts[check.Fail] == 0 {
			b.Fatal("no failures")
		}
	}
	b.ReportMetric(float64(w.files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
