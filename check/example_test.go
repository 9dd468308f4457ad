package check_test

import (
	"context"
	"fmt"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/check"
)

// A policy of one's own, checked against a snapshot built by hand (the
// input side, package snapshot, builds them from files).
func Example() {
	set, problems := check.Parse("team.yaml", []byte(`
policies:
  - id: team-queues-encrypted
    title: Queues are encrypted
    severity: high
    areas: [data.encryption-at-rest]
    message: The queue stores messages unencrypted.
    remediation: Set kms_master_key_id or sqs_managed_sse_enabled.
    rules:
      - types: [aws_sqs_queue]
        expr: isSet(resource, "kms_master_key_id") || isTrue(get(resource, "sqs_managed_sse_enabled"))
`), check.LoadOptions{})
	if len(problems) > 0 {
		fmt.Println(problems)
		return
	}
	snap := &demarc.Snapshot{File: "plan.json", Resources: []demarc.Resource{
		{ID: "aws_sqs_queue.jobs", Type: "aws_sqs_queue", Attributes: map[string]any{"name": "jobs"}},
		{ID: "aws_sqs_queue.mail", Type: "aws_sqs_queue", Attributes: map[string]any{"sqs_managed_sse_enabled": true}},
	}}
	var results check.Collector
	if err := check.CheckSnapshots(context.Background(), check.NewEngine(set, check.Options{}), []*demarc.Snapshot{snap}, results.Add); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"aws_sqs_queue.jobs", "aws_sqs_queue.mail"} {
		for _, r := range results.Results() {
			if r.Resource.ID == id {
				fmt.Println(id, r.Status, r.Values())
			}
		}
	}
	// Output:
	// aws_sqs_queue.jobs fail [kms_master_key_id not set sqs_managed_sse_enabled not set]
	// aws_sqs_queue.mail pass [kms_master_key_id not set sqs_managed_sse_enabled=true]
}
