package rego_test

import (
	"context"
	"fmt"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
	"github.com/demarc-io/demarc/check/rego"
	"github.com/demarc-io/demarc/snapshot"
)

// Load conftest-style policies, read a configuration file into a
// snapshot and check it: each finding is a failing result attached to the
// resource it is about.
func Example() {
	set, problems := rego.Load([]string{"testdata/policies/kubernetes.rego", "testdata/policies/lib.rego"}, rego.LoadOptions{})
	if len(problems) > 0 {
		fmt.Println(problems)
		return
	}
	snap, err := snapshot.Read("testdata/inputs/pods.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	engine := rego.NewEngine(set, rego.Options{})
	err = check.CheckSnapshots(context.Background(), engine, []*demarc.Snapshot{snap}, func(b check.Batch) {
		for _, r := range b.Results {
			if r.Status == check.Fail {
				fmt.Printf("%s %s [%s, %v]: %s\n", r.Policy.ID, r.Resource.ID, r.Policy.Severity, r.Policy.Areas, r.Reason)
			}
		}
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// kubernetes.pods.deny_host_ipc Pod/web [high, [container.workload-config]]: Pod web shares the host IPC namespace
	// kubernetes.pods.violation_run_as_root Pod/web [medium, [container.workload-config]]: container app of web runs as root
	// kubernetes.pods.warn_latest Pod/web [low, [container.workload-config]]: container app uses the latest tag
}
