// Command conftest compares demarc's Rego engine with conftest end to end:
// the same conftest-style policies (generated from the attributes and
// values real configuration files hold) over the same inputs (Terraform
// plans generated from the real plans in the shared data, plus the real
// Terraform source, Kubernetes manifests and CloudFormation templates
// there), run by both command-line tools. It checks that both report the
// same findings and measures the time each takes.
//
// conftest is not a dependency of demarc: build it for the comparison
// only, outside the repository (see README.md), and pass its path:
//
//	go run ./bench/conftest -conftest /tmp/conftest-bin/conftest
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/demarc-io/demarc/internal/realdata"
)

func main() {
	var o options
	flag.StringVar(&o.conftest, "conftest", "", "the conftest `BINARY` to compare with (required)")
	flag.StringVar(&o.demarc, "demarc", "", "the demarc `BINARY` (default: built from this repository)")
	flag.IntVar(&o.files, "files", 1500, "generated Terraform plans (the real extra files come on top)")
	flag.IntVar(&o.rules, "rules", 300, "Rego rules, five to a package")
	flag.IntVar(&o.runs, "runs", 3, "timed runs of each tool, alternating")
	flag.StringVar(&o.work, "work", "", "`DIR` for the workload and outputs (default: a temporary folder, removed after)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated workload")
	flag.BoolVar(&o.inputs, "inputs", false, "instead, check that both tools give policies the same input document for every real configuration file")
	flag.Parse()
	do := run
	if o.inputs {
		do = compareInputs
	}
	if err := do(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "conftest comparison:", err)
		os.Exit(1)
	}
}

type options struct {
	conftest, demarc, work string
	files, rules, runs     int
	seed                   uint64
	inputs                 bool
}

// prepare checks the options and fills in the data and work folders.
// The returned function removes a temporary work folder.
func prepare(o *options) (dataDir string, cleanup func(), err error) {
	cleanup = func() {}
	if o.conftest == "" {
		return "", cleanup, errors.New("-conftest is required: build conftest as README.md says and pass its path")
	}
	dataDir = realdata.Dir()
	if dataDir == "" {
		return "", cleanup, errors.New("the shared data folder was not found; set DEMARC_DATA")
	}
	if o.work == "" {
		dir, err := os.MkdirTemp("", "demarc-conftest-")
		if err != nil {
			return "", cleanup, err
		}
		o.work = dir
		cleanup = func() { os.RemoveAll(dir) }
	}
	return dataDir, cleanup, nil
}

// buildDemarc builds demarc into the work folder unless -demarc names a
// binary.
func buildDemarc(ctx context.Context, o *options) error {
	if o.demarc != "" {
		return nil
	}
	o.demarc = filepath.Join(o.work, "demarc")
	build := exec.CommandContext(ctx, "go", "build", "-o", o.demarc, "./cmd/demarc")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build demarc (run from the repository's root): %w", err)
	}
	return nil
}

func run(ctx context.Context, o options, out io.Writer) error {
	dataDir, cleanup, err := prepare(&o)
	defer cleanup()
	if err != nil {
		return err
	}
	w, err := generate(o.work, dataDir, o.files, o.rules, o.seed)
	if err != nil {
		return fmt.Errorf("generate the workload: %w", err)
	}
	fmt.Fprintf(out, "workload: %d rules in %d packages; %d input files (%d generated plans, %d real files); %.1f MB\n",
		o.rules, w.packages, w.files, o.files, w.files-o.files, float64(w.bytes)/1e6)
	if err := buildDemarc(ctx, &o); err != nil {
		return err
	}
	tools := []*tool{conftestTool(o.conftest, w), demarcTool(o.demarc, w)}
	for i := range o.runs {
		for _, t := range tools {
			m, err := t.run(ctx, filepath.Join(o.work, fmt.Sprintf("%s-%d.out", t.name, i)))
			if err != nil {
				return err
			}
			t.times = append(t.times, m)
			fmt.Fprintf(out, "run %d  %-8s %8.2fs wall  %8.2fs cpu  %6d MiB peak RSS\n", i+1, t.name, m.wall.Seconds(), m.cpu.Seconds(), m.maxRSS>>20)
		}
	}
	want, err := conftestFindings(tools[0].output, w.inputs)
	if err != nil {
		return err
	}
	got, err := demarcFindings(tools[1].output, w.inputs)
	if err != nil {
		return err
	}
	same := report(out, want, got)
	c, d := tools[0].median(), tools[1].median()
	fmt.Fprintf(out, "\nmedian wall time: conftest %.2fs, demarc %.2fs — demarc %.1f× faster (CPU time %.1f× less)\n",
		c.wall.Seconds(), d.wall.Seconds(), c.wall.Seconds()/d.wall.Seconds(), c.cpu.Seconds()/d.cpu.Seconds())
	if !same {
		return errors.New("the findings differ")
	}
	return nil
}

// workload is what generate wrote.
type workload struct {
	policies, inputs, system string
	packages, files          int
	bytes                    int64
}

func generate(dir, dataDir string, files, rules int, seed uint64) (*workload, error) {
	c, err := readCorpus(dataDir)
	if err != nil {
		return nil, err
	}
	w := &workload{policies: filepath.Join(dir, "policy"), inputs: filepath.Join(dir, "inputs"), system: filepath.Join(dir, "system.yaml")}
	for _, p := range []string{w.policies, w.inputs} {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	if w.packages, err = writePolicies(w.policies, c, rules, seed); err != nil {
		return nil, err
	}
	if w.files, err = writeInputs(w.inputs, dataDir, c, files, seed); err != nil {
		return nil, err
	}
	if err := os.WriteFile(w.system, []byte(systemYAML), 0o644); err != nil {
		return nil, err
	}
	err = filepath.WalkDir(w.inputs, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				w.bytes += fi.Size()
			}
		}
		return err
	})
	return w, err
}

// systemYAML is the system the report is for: it only decides which
// controls the findings count for, not what is checked.
const systemYAML = `name: conftest-comparison
frameworks: [nist-800-53-r5]
components:
  - name: network
    service: aws/vpc
  - name: storage
    service: aws/s3
  - name: cluster
    service: aws/eks
`

// tool is one command under comparison.
type tool struct {
	name   string
	args   []string
	ok     func(code int) bool
	output string
	times  []measure
}

type measure struct {
	wall, cpu time.Duration
	maxRSS    int64
}

func conftestTool(bin string, w *workload) *tool {
	return &tool{name: "conftest", args: []string{bin, "test", "--all-namespaces", "--no-color", "-o", "json", "-p", w.policies, w.inputs},
		ok: func(code int) bool { return code == 0 || code == 1 }}
}

func demarcTool(bin string, w *workload) *tool {
	return &tool{name: "demarc", args: []string{bin, "check", "-s", w.system, "--no-builtin", "--rego", w.policies, "-c", w.inputs, "-F", "json", "--progress", "never"},
		ok: func(code int) bool { return code == 0 }}
}

// run runs the tool once, its output to file, and measures it.
func (t *tool) run(ctx context.Context, file string) (measure, error) {
	f, err := os.Create(file)
	if err != nil {
		return measure{}, err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, t.args[0], t.args[1:]...)
	cmd.Stdout = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	m := measure{wall: time.Since(start)}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return m, fmt.Errorf("%s: %w", t.name, err)
	}
	if code := cmd.ProcessState.ExitCode(); !t.ok(code) {
		return m, fmt.Errorf("%s exited %d: %.2000s", t.name, code, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.maxRSS = ru.Maxrss << 10
	}
	t.output = file
	return m, nil
}

func (t *tool) median() measure {
	ms := append([]measure(nil), t.times...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2]
}

// finding is one reported finding, in terms both tools share.
type finding struct {
	file  string // relative to the inputs folder
	query string // data.<package>.<rule>, or the exception's package for waivers
	kind  string // failure, warning or exception
	msg   string
}

func (f finding) String() string {
	return fmt.Sprintf("%s  %s  %s  %q", f.file, f.query, f.kind, f.msg)
}

// conftestFindings reads conftest's JSON output. An exception is counted
// once per file and package: conftest lists one per waived rule and
// matching exception.
func conftestFindings(file, inputs string) (map[finding]int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	type result struct {
		Msg      string         `json:"msg"`
		Metadata map[string]any `json:"metadata"`
	}
	var out []struct {
		Filename   string   `json:"filename"`
		Namespace  string   `json:"namespace"`
		Failures   []result `json:"failures"`
		Warnings   []result `json:"warnings"`
		Exceptions []result `json:"exceptions"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("read conftest's output: %w", err)
	}
	found := map[finding]int{}
	for _, r := range out {
		name := relative(inputs, r.Filename)
		for _, x := range r.Failures {
			found[finding{name, fmt.Sprint(x.Metadata["query"]), "failure", x.Msg}]++
		}
		for _, x := range r.Warnings {
			found[finding{name, fmt.Sprint(x.Metadata["query"]), "warning", x.Msg}]++
		}
		if len(r.Exceptions) > 0 {
			found[finding{name, "data." + r.Namespace, "exception", ""}] = 1
		}
	}
	return found, nil
}

// demarcFindings reads demarc's JSON report: failing results are
// failures, or warnings for warn rules; waived results are exceptions.
func demarcFindings(file, inputs string) (map[finding]int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Findings []struct {
			Policy, Status, Reason string
			Position               struct{ File string }
		}
		Resources []struct {
			Position struct{ File string }
			Checks   []struct{ Policy, Status, Reason string }
		}
		Problems []struct{ Message string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("read demarc's output: %w", err)
	}
	found := map[finding]int{}
	for _, f := range rep.Findings {
		name := relative(inputs, f.Position.File)
		query := "data." + f.Policy
		kind := "failure"
		if f.Status != "fail" {
			kind = "undecided"
		} else if rule := query[strings.LastIndex(query, ".")+1:]; strings.HasPrefix(rule, "warn") {
			kind = "warning"
		}
		found[finding{name, query, kind, f.Reason}]++
	}
	for _, r := range rep.Resources {
		for _, c := range r.Checks {
			if c.Status == "not-applicable" && strings.HasPrefix(c.Reason, "waived by ") {
				pkg := strings.TrimSuffix(strings.TrimPrefix(c.Reason, "waived by "), ".exception")
				found[finding{relative(inputs, r.Position.File), pkg, "exception", ""}] = 1
			}
		}
	}
	for _, p := range rep.Problems {
		found[finding{"", "", "problem", p.Message}]++
	}
	return found, nil
}

func relative(base, path string) string {
	if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// report prints the totals and the differences; true when there are
// none.
func report(out io.Writer, want, got map[finding]int) bool {
	count := func(m map[finding]int) map[string]int {
		c := map[string]int{}
		for f, n := range m {
			c[f.kind] += n
		}
		return c
	}
	cw, cg := count(want), count(got)
	fmt.Fprintf(out, "\nfindings      conftest   demarc\n")
	for _, k := range []string{"failure", "warning", "exception", "undecided", "problem"} {
		if cw[k]+cg[k] > 0 {
			fmt.Fprintf(out, "  %-10s %9d %8d\n", k, cw[k], cg[k])
		}
	}
	var diffs []string
	for f, n := range want {
		if got[f] != n {
			diffs = append(diffs, fmt.Sprintf("conftest %d, demarc %d: %s", n, got[f], f))
		}
	}
	for f, n := range got {
		if _, ok := want[f]; !ok {
			diffs = append(diffs, fmt.Sprintf("conftest 0, demarc %d: %s", n, f))
		}
	}
	sort.Strings(diffs)
	if len(diffs) == 0 {
		fmt.Fprintln(out, "identical findings: every failure, warning and exception is the same (file, rule, message)")
		return true
	}
	fmt.Fprintf(out, "%d differences:\n", len(diffs))
	for i, d := range diffs {
		if i == 30 {
			fmt.Fprintf(out, "  … and %d more\n", len(diffs)-i)
			break
		}
		fmt.Fprintln(out, "  "+d)
	}
	return false
}
