package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// inputPolicy reports each input document whole, so that comparing the
// findings compares the documents the two tools give policies.
const inputPolicy = `package inputs

import rego.v1

deny contains json.marshal(input)
`

// compareInputs runs the input policy with both tools over every real
// configuration file (conftest one file at a time: a file it cannot
// parse stops its whole run) and compares, file by file, the documents
// policies see. Only files demarc reads as configuration are compared.
func compareInputs(ctx context.Context, o options, out io.Writer) error {
	dataDir, cleanup, err := prepare(&o)
	defer cleanup()
	if err != nil {
		return err
	}
	if err := buildDemarc(ctx, &o); err != nil {
		return err
	}
	policy := filepath.Join(o.work, "inputs-policy")
	if err := os.MkdirAll(policy, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(policy, "inputs.rego"), []byte(inputPolicy), 0o644); err != nil {
		return err
	}
	configs := filepath.Join(dataDir, "configs")
	system := filepath.Join(o.work, "system.yaml")
	if err := os.WriteFile(system, []byte(systemYAML), 0o644); err != nil {
		return err
	}
	report := filepath.Join(o.work, "inputs-demarc.json")
	d := &tool{name: "demarc", args: []string{o.demarc, "check", "-s", system, "--no-builtin", "--rego", policy, "-c", configs, "-F", "json", "--progress", "never"},
		ok: func(code int) bool { return code == 0 || code == 2 }}
	if _, err := d.run(ctx, report); err != nil {
		return err
	}
	got, err := demarcFindings(report, configs)
	if err != nil {
		return err
	}
	byFile := map[string]map[finding]int{}
	for f, n := range got {
		if f.kind == "problem" {
			continue
		}
		if byFile[f.file] == nil {
			byFile[f.file] = map[finding]int{}
		}
		byFile[f.file][f] = n
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	same, unreadable := 0, 0
	var differ []string
	for _, rel := range files {
		want, ok, err := conftestFile(ctx, o.conftest, policy, filepath.Join(configs, rel), configs)
		if err != nil {
			return err
		}
		if !ok {
			unreadable++
			fmt.Fprintf(out, "conftest cannot read %s\n", rel)
			continue
		}
		if equalCounts(want, byFile[rel]) {
			same++
		} else {
			differ = append(differ, rel)
		}
	}
	fmt.Fprintf(out, "%d files demarc reads: %d give policies the same input, %d differ, %d conftest cannot read\n", len(files), same, len(differ), unreadable)
	for _, f := range differ {
		fmt.Fprintln(out, "  differs:", f)
	}
	if len(differ) > 0 {
		return errors.New("the input documents differ")
	}
	return nil
}

// conftestFile runs conftest on one file; ok is false when conftest
// cannot read it.
func conftestFile(ctx context.Context, bin, policy, file, base string) (map[finding]int, bool, error) {
	cmd := exec.CommandContext(ctx, bin, "test", "--all-namespaces", "--no-color", "-o", "json", "-p", policy, file)
	data, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, false, err
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		return nil, false, nil
	}
	tmp, err := os.CreateTemp("", "conftest-*.json")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	found, err := conftestFindings(tmp.Name(), base)
	return found, err == nil, nil
}

func equalCounts(a, b map[finding]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}
