package main

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/demarc-io/demarc/oscal"
)

func init() {
	validators = append(validators, validateOSCAL)
}

// oscalRefs holds, per run, the leveraged SSPs and catalog named by
// 'validate --leveraged/--catalog', loaded once for all files. An entry
// goes when its app does.
var oscalRefs sync.Map // weak.Pointer[app] → *oscalLoadedRefs

type oscalLoadedRefs struct {
	once sync.Once
	refs *oscal.References
	err  error
}

func (a *app) oscalReferences() (*oscal.References, error) {
	key := weak.Make(a)
	v, loaded := oscalRefs.LoadOrStore(key, &oscalLoadedRefs{})
	if !loaded {
		runtime.AddCleanup(a, func(k weak.Pointer[app]) { oscalRefs.Delete(k) }, key)
	}
	l := v.(*oscalLoadedRefs)
	l.once.Do(func() { l.refs, l.err = oscal.LoadReferences(a.leveraged, a.catalog) })
	return l.refs, l.err
}

// validateOSCAL checks OSCAL documents (JSON or YAML): the official schema
// of their declared version and the references no schema checks. Notes —
// references left unchecked, the schema chosen for an unknown patch
// release — go to standard error.
func validateOSCAL(a *app, path string, data []byte) (fileReport, bool) {
	if !oscal.Sniff(path, data) {
		return fileReport{}, false
	}
	r := fileReport{File: path, Kind: "oscal"}
	refs, err := a.oscalReferences()
	if err != nil {
		r.Problems = problemsOf(err)
		return r, true
	}
	rep := oscal.Validate(path, data, refs)
	if d := rep.Document; d != nil && d.Model != "" {
		r.Kind = "oscal " + string(d.Model)
	}
	r.Valid, r.Summary, r.Problems = rep.Valid(), rep.Summary(), rep.Problems
	for _, n := range rep.Notes {
		fmt.Fprintf(a.stderr, "demarc: note: %s: %s\n", path, n)
	}
	return r, true
}
