package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/demarc-io/demarc"
)

// walkExtensions are the file name endings Walk reads when it finds them
// in a directory; files it is given by name are read whatever their name.
var walkExtensions = []string{".json", ".yaml", ".yml", ".template", ".tfstate", ".ndjson", ".jsonl"}

// job is one unit of Walk's work: a file, or a directory's Terraform
// module.
type job struct {
	path   string
	tf     []string // the module's .tf files, when path is a module
	tfvars []string
	err    error // the path could not be listed or opened
}

// Walk reads every path — files, and directories searched recursively —
// on all cores and calls fn with each snapshot as soon as it is read, so
// that no more than a few files are in memory at once. In a directory,
// the .tf files of each folder are read together as one Terraform module,
// and other files are read when their names end in .json, .yaml, .yml,
// .template, .tfstate, .ndjson or .jsonl; hidden folders (.terraform,
// .git) and node_modules are skipped.
//
// fn is called from several goroutines at once, in no particular order,
// and must be safe for concurrent use. A file that cannot be read does not
// stop the others: fn receives a snapshot with Format "" and the reason in
// Problems; a file of no supported format arrives with Format
// FormatUnsupported. Walk stops at the first error fn returns, or when ctx
// is done, and returns that error.
func Walk(ctx context.Context, paths []string, fn func(*demarc.Snapshot) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for _, p := range paths {
			if !enqueue(ctx, jobs, p) {
				return
			}
		}
	}()
	var (
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := fn(run(j)); err != nil {
					once.Do(func() { firstErr = err })
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// enqueue sends the jobs of one path; false when ctx is done.
func enqueue(ctx context.Context, jobs chan<- job, path string) bool {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return send(ctx, jobs, job{path: path, err: err})
	case fi.IsDir():
		return walkDir(ctx, jobs, path)
	}
	return send(ctx, jobs, job{path: path})
}

func send(ctx context.Context, jobs chan<- job, j job) bool {
	select {
	case jobs <- j:
		return true
	case <-ctx.Done():
		return false
	}
}

func walkDir(ctx context.Context, jobs chan<- job, dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return send(ctx, jobs, job{path: dir, err: err})
	}
	var files, dirs []string
	for _, e := range entries {
		name := e.Name()
		full := filepath.Join(dir, name)
		switch {
		case e.IsDir():
			if !strings.HasPrefix(name, ".") && name != "node_modules" {
				dirs = append(dirs, full)
			}
		case e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0:
			files = append(files, full)
		}
	}
	tf, tfvars := terraformModuleFiles(files)
	if len(tf) > 0 && !send(ctx, jobs, job{path: dir, tf: tf, tfvars: tfvars}) {
		return false
	}
	for _, f := range files {
		if walkable(f) && !send(ctx, jobs, job{path: f}) {
			return false
		}
	}
	for _, d := range dirs {
		if !walkDir(ctx, jobs, d) {
			return false
		}
	}
	return true
}

// walkable reports whether Walk reads a file it finds in a directory.
func walkable(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.Contains(base, ".tfvars") {
		return false
	}
	for _, ext := range walkExtensions {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// run reads one job into a snapshot; failures become its problems.
func run(j job) (snap *demarc.Snapshot) {
	defer func() {
		if r := recover(); r != nil {
			snap = &demarc.Snapshot{File: j.path, Resources: []demarc.Resource{}, Problems: demarc.Problems{{
				Pos: demarc.Position{File: j.path}, Message: fmt.Sprintf("internal error while reading (please report it): %v", r)}}}
		}
	}()
	if j.err != nil {
		return failed(j.path, "", "", readError(j.path, j.err))
	}
	if j.tf != nil {
		s, err := parseModuleFiles(j.path, j.tf, j.tfvars)
		if err != nil {
			return failed(j.path, FormatTerraform, "", err)
		}
		return s
	}
	data, err := os.ReadFile(j.path)
	if err != nil {
		return failed(j.path, "", "", readError(j.path, err))
	}
	s, err := parse(j.path, data, "")
	if err != nil {
		format := ""
		if errors.Is(err, ErrUnsupported) {
			format = FormatUnsupported
		}
		return failed(j.path, format, digest(data), err)
	}
	return s
}

func failed(path, format, sum string, err error) *demarc.Snapshot {
	return &demarc.Snapshot{File: path, Format: format, SHA256: sum, Resources: []demarc.Resource{}, Problems: problemsOf(err)}
}
