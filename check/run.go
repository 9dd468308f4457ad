package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime/debug"
	"sync"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/snapshot"
)

// Run is what reading and checking a set of configuration files
// produced: the results, every input read, and the files that could not
// be read (Problems) or are no configuration format (Skipped).
type Run struct {
	Collector *Collector
	Inputs    []Input
	Problems  demarc.Problems
	Skipped   demarc.Problems
}

// Progress receives counts as a run goes, for a progress bar; either
// function may be nil. They are called from several goroutines, one at a
// time.
type Progress struct {
	// Read is called with the resources of each snapshot read.
	Read func(resources int)
	// Checked is called with the resources each batch of results covers.
	Checked func(resources int)
}

// Reader delivers snapshots to fn, possibly from several goroutines at
// once, as snapshot.Walk and snapshot.ReadFiles do; it stops at the first
// error fn returns.
type Reader func(ctx context.Context, fn func(*demarc.Snapshot) error) error

// Execute reads snapshots with read and checks each with ev as it
// arrives, so that no more than a few files are held at once besides the
// results. A snapshot with Format "" (it could not be read) adds its
// problems to the run's; one of snapshot.FormatUnsupported is skipped.
// The error is the evaluator's or the reader's; problems with single
// files are not errors.
func Execute(ctx context.Context, ev Evaluator, read Reader, p Progress) (*Run, error) {
	run := &Run{Collector: &Collector{}}
	snaps := make(chan *demarc.Snapshot, 4)
	done := make(chan error, 1)
	go func() {
		done <- ev.Check(ctx, snaps, func(b Batch) {
			run.Collector.Add(b)
			if p.Checked != nil {
				p.Checked(b.Resources)
			}
		})
	}()
	var mu sync.Mutex
	readErr := read(ctx, func(s *demarc.Snapshot) error {
		mu.Lock()
		run.record(s)
		if p.Read != nil {
			p.Read(len(s.Resources))
		}
		mu.Unlock()
		if len(s.Resources) == 0 {
			return nil
		}
		select {
		case snaps <- s:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(snaps)
	if err := <-done; err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, readErr
	}
	return run, nil
}

// record notes one snapshot as an input, or its problems.
func (r *Run) record(s *demarc.Snapshot) {
	switch s.Format {
	case "":
		r.Problems = append(r.Problems, problemsOrNote(s, "could not be read")...)
		return
	case snapshot.FormatUnsupported:
		r.Skipped = append(r.Skipped, problemsOrNote(s, "not a configuration format demarc reads")...)
		return
	}
	r.Inputs = append(r.Inputs, Input{File: s.File, Format: s.Format, SHA256: s.SHA256, Resources: len(s.Resources)})
	r.Problems = append(r.Problems, s.Problems...)
}

func problemsOrNote(s *demarc.Snapshot, note string) demarc.Problems {
	if len(s.Problems) > 0 {
		return s.Problems
	}
	return demarc.Problems{{Pos: demarc.Position{File: s.File}, Message: note}}
}

// NothingRead is the error for a run that read no configuration at all:
// a report of nothing would look like a clean bill of health. problems
// are those found besides the run's own (in policies, say); where says
// where files were looked for, e.g. "under the --config paths".
func (r *Run) NothingRead(problems demarc.Problems, where string) error {
	all := append(append(demarc.Problems{}, problems...), r.Skipped...)
	if len(all) == 0 {
		return demarc.Errorf(demarc.EInvalid, "no configuration files found %s", where)
	}
	return &demarc.Error{Code: demarc.EInvalid, Message: "no configuration was read", Err: all}
}

// SystemInput is the evidence record's entry for the system file: its
// name and SHA-256.
func SystemInput(name string, data []byte) *Input {
	sum := sha256.Sum256(data)
	return &Input{File: name, Format: "system", SHA256: hex.EncodeToString(sum[:])}
}

// CurrentTool names this build of demarc for evidence records: its
// module version, and the source revision when the build recorded one.
func CurrentTool() Tool {
	t := Tool{Name: "demarc", Version: "(devel)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return t
	}
	if v := info.Main.Version; v != "" {
		t.Version = v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			t.Version += "+" + s.Value
		}
	}
	return t
}
