// Package bench measures demarc end to end: a generator of synthetic
// estates (many systems of many components) and the streaming pipeline
// that resolves an estate against a framework, as an operator would run it.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// Generate writes an estate of systems × components as one multi-document
// YAML stream. Services are drawn from lib with a fixed seed, so the same
// arguments always give the same estate. About one component in four runs
// on another, and one system in five carries overrides.
func Generate(w io.Writer, lib *library.Library, systems, components int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	services := lib.Services()
	areas := lib.Areas()
	for s := 0; s < systems; s++ {
		fmt.Fprintf(bw, "---\nname: system-%05d\nframeworks: [nist-800-53-r5]\ncomponents:\n", s)
		for c := 0; c < components; c++ {
			svc := services[rng.IntN(len(services))]
			fmt.Fprintf(bw, "  - name: c%02d\n    service: %s\n", c, svc.ID)
			if c > 0 && rng.IntN(4) == 0 {
				fmt.Fprintf(bw, "    runs_on: c%02d\n", rng.IntN(c))
			}
		}
		if rng.IntN(5) == 0 {
			a := areas[rng.IntN(len(areas))]
			fmt.Fprintf(bw, "overrides:\n  - area: %s\n    component: c%02d\n    owner: customer\n    reason: Contract clause.\n", a.ID, rng.IntN(components))
		}
	}
	return bw.Flush()
}

// Totals counts controls per owner over a whole estate.
type Totals struct {
	Systems  int
	Controls int
	Owners   map[demarc.Owner]int
}

// Run streams an estate from r, resolves each system and rolls it up to
// fw's controls, keeping only counts: memory stays flat however large the
// estate. Documents are parsed and resolved by one worker per CPU. An
// invalid system is reported as the run's error; the others still count.
func Run(ctx context.Context, r io.Reader, name string, lib *library.Library, fw *demarc.Framework) (Totals, error) {
	engine := resolve.New(lib)
	docs := make(chan *systemfile.Document, 64)
	results := make(chan []demarc.Owner, 64)
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	go func() {
		defer close(docs)
		stream := systemfile.NewStream(name, r)
		for ctx.Err() == nil {
			doc, err := stream.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				fail(err)
				return
			}
			docs <- doc
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for doc := range docs {
				owners, err := resolveDocument(doc, lib, engine, fw)
				if err != nil {
					fail(err)
					continue
				}
				results <- owners
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	t := Totals{Owners: map[demarc.Owner]int{}}
	for owners := range results {
		t.Systems++
		t.Controls += len(owners)
		for _, o := range owners {
			t.Owners[o]++
		}
	}
	if err := ctx.Err(); err != nil {
		return t, err
	}
	return t, firstErr
}

func resolveDocument(doc *systemfile.Document, lib *library.Library, engine *resolve.Engine, fw *demarc.Framework) ([]demarc.Owner, error) {
	sys, err := doc.Parse()
	if err != nil {
		return nil, err
	}
	if err := systemfile.Check(sys, lib).Err(); err != nil {
		return nil, err
	}
	res, err := engine.Resolve(sys)
	if err != nil {
		return nil, err
	}
	return res.Owners(fw), nil
}
