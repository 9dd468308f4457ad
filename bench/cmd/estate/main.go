// Command estate generates a synthetic estate and resolves it end to end,
// reporting wall time and peak memory: the figure recorded in
// docs/benchmarks.md.
//
//	go run ./bench/cmd/estate -systems 10000 -components 20
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/bench"
	"github.com/demarc-io/demarc/library"
)

func main() {
	systems := flag.Int("systems", 10000, "systems in the estate")
	components := flag.Int("components", 20, "components per system")
	framework := flag.String("framework", "nist-800-53-r5", "framework to roll up to")
	flag.Parse()
	if err := run(*systems, *components, *framework); err != nil {
		fmt.Fprintln(os.Stderr, "estate:", err)
		os.Exit(1)
	}
}

func run(systems, components int, framework string) error {
	lib, err := library.Builtin()
	if err != nil {
		return err
	}
	fw := lib.Framework(demarc.FrameworkID(framework))
	if fw == nil {
		return fmt.Errorf("unknown framework %q", framework)
	}
	dir, err := os.MkdirTemp("", "estate")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "estate.yaml")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bench.Generate(f, lib, systems, components, 1); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	start := time.Now()
	tot, err := bench.Run(context.Background(), in, path, lib, fw)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // best effort: zero on failure
	fmt.Printf("estate: %d systems × %d components (%.1f MB of YAML), %s\n", tot.Systems, components, float64(info.Size())/1e6, fw.ID)
	fmt.Printf("controls resolved: %d  owners: %v\n", tot.Controls, tot.Owners)
	fmt.Printf("wall time: %s  (%.0f systems/s)\n", elapsed.Round(time.Millisecond), float64(tot.Systems)/elapsed.Seconds())
	fmt.Printf("peak RSS: %.0f MiB\n", float64(ru.Maxrss)/1024)
	return nil
}
